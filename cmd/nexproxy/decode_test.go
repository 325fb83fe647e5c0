package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDecodeGolden: `nexproxy decode` prints the sample session log as
// the transcript pinned in proxy/record/sessionlog/testdata/session.txt.
func TestDecodeGolden(t *testing.T) {
	testdata := filepath.Join("..", "..", "proxy", "record", "sessionlog", "testdata")
	want, err := os.ReadFile(filepath.Join(testdata, "session.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// No configuration file is needed to decode.
	out, errOut, err := runCLI(t, "-c", "/nonexistent/config.toml", "decode", filepath.Join(testdata, "session.jsonl"))
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, errOut)
	}
	if out != string(want) {
		t.Errorf("transcript differs:\n--- got\n%s--- want\n%s", out, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	dir := t.TempDir()
	future := filepath.Join(dir, "future.jsonl")
	if err := os.WriteFile(future, []byte(`{"type":"header","format":"nexproxy-session-log","version":2}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, msg string }{
		{filepath.Join(dir, "missing.jsonl"), "no such file"},
		{future, "format version 2"},
		{filepath.Join("..", "..", "config.toml"), "not a nexproxy session log"},
	} {
		_, _, err := runCLI(t, "decode", c.file)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("decode %s: %v", c.file, err)
		}
	}
}
