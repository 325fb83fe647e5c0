package logging

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

// logLine logs one info line through a logger of level and format writing
// into a pipe (not a terminal) and returns what came out.
func logLine(t *testing.T, level, format string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	log, err := NewTo(level, format, w)
	if err != nil {
		w.Close()
		t.Fatal(err)
	}
	log.Info("hello")
	_ = log.Sync()
	w.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestFormat: auto writes JSON when the output is not a terminal; console
// and json are what they say; the level filters.
func TestFormat(t *testing.T) {
	var rec map[string]any
	if out := logLine(t, "info", "auto"); json.Unmarshal([]byte(out), &rec) != nil || rec["msg"] != "hello" {
		t.Errorf("auto into a pipe: %q, want a JSON line", out)
	}
	if out := logLine(t, "info", "json"); json.Unmarshal([]byte(out), &rec) != nil {
		t.Errorf("json: %q", out)
	}
	if out := logLine(t, "info", "console"); strings.HasPrefix(out, "{") || !strings.Contains(out, "INFO\thello") {
		t.Errorf("console: %q", out)
	}
	if out := logLine(t, "warn", "json"); out != "" {
		t.Errorf("warn level wrote an info line: %q", out)
	}
}

// TestBadSettings: an unknown level or format is an error, not a default.
func TestBadSettings(t *testing.T) {
	if _, err := New("loud", "auto"); err == nil {
		t.Error("level loud accepted")
	}
	if _, err := New("info", "xml"); err == nil {
		t.Error("format xml accepted")
	}
}
