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

// TestDecodeMergesInTimeOrder: several logs (and patterns) are merged in
// time order with each line tagged by its session, a login written after
// the call it belongs to is printed after it, and long buffers are
// shortened unless --full-hex.
func TestDecodeMergesInTimeOrder(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("ab", 200)
	a := `{"type":"header","time":"2024-05-01T12:00:00Z","format":"nexproxy-session-log","version":1,"session":"c1","game":"wiiu"}
{"type":"login","time":"2024-05-01T12:00:00.050Z","conn":"c1","pid":1001,"mode":"local"}
{"type":"call","time":"2024-05-01T12:00:00.010Z","conn":"c1","dir":"c2s","protocol":"Authentication","protocol_id":10,"method":"Login","method_id":1,"call_id":1,"params":{"username":"1001"},"result":{"pid":1001}}
{"type":"call","time":"2024-05-01T12:00:00.300Z","conn":"c1","dir":"c2s","protocol":"Ranking","protocol_id":112,"method":"UploadCommonData","method_id":4,"call_id":2,"params":{"common_data":"` + long + `","unique_id":0}}
`
	b := `{"type":"header","time":"2024-05-01T12:00:00.100Z","format":"nexproxy-session-log","version":1,"session":"c2","game":"wiiu"}
{"type":"note","time":"2024-05-01T12:00:00.200Z","conn":"c2","text":"between"}
`
	writeFile(t, filepath.Join(dir, "c1.jsonl"), a)
	writeFile(t, filepath.Join(dir, "c2.jsonl"), b)
	out, errOut, err := runCLI(t, "decode", filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, errOut)
	}
	var events []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			events = append(events, l)
		}
	}
	want := []string{"[c1]  C→S    Authentication.Login(1)", "[c1]  login  PID 1001", "[c2]  note   between", "[c1]  C→S    Ranking.UploadCommonData(2)"}
	if len(events) != len(want) {
		t.Fatalf("events:\n%s", out)
	}
	for i, w := range want {
		if !strings.Contains(events[i], w) {
			t.Errorf("event %d: %q, want %q", i, events[i], w)
		}
	}
	if !strings.Contains(events[3], "… (200 bytes)") || strings.Contains(events[3], long) {
		t.Errorf("long buffer not shortened: %s", events[3])
	}
	out, _, err = runCLI(t, "decode", "--full-hex", filepath.Join(dir, "c1.jsonl"))
	if err != nil || !strings.Contains(out, long) || strings.Contains(out, "[c1]") {
		t.Errorf("--full-hex of one log: %v\n%s", err, out)
	}
	if _, _, err := runCLI(t, "decode", filepath.Join(dir, "none*.jsonl")); err == nil || !strings.Contains(err.Error(), "no file matches") {
		t.Errorf("pattern without matches: %v", err)
	}
}
