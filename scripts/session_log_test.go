package scripts

import (
	"fmt"
	"testing"
)

// TestLogReachesTheSessionLog: nex.log and print lines written while a
// hook runs for a session (a call or an event) reach that session's Log
// with the script and level, besides the process log; a session without
// Log, or a call without a session, only logs to the process.
func TestLogReachesTheSessionLog(t *testing.T) {
	e, logs := newEngine(t, map[string]string{"a.lua": `
nex.on_login(function(ev) nex.log.warn("login", ev.pid) end)
nex.on_request("Ranking", "UploadScore", function(call)
  nex.log.info("score")
  print("printed", 7)
  nex.log.debug("details")
end)`})
	var lines []string
	s := NewSession(nil)
	s.Log = func(script, level, text string) { lines = append(lines, fmt.Sprintf("%s %s %s", script, level, text)) }

	e.OnLogin(bg, &Event{Game: "mk8", PID: 42, Session: s})
	c := uploadScore(t)
	c.Session = s
	e.OnRequest(bg, c)
	want := []string{"a.lua warn login\t42", "a.lua info score", "a.lua info printed\t7", "a.lua debug details"}
	if fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Fatalf("session log lines %q, want %q", lines, want)
	}
	if n := logs.FilterMessage("score").Len(); n != 1 {
		t.Errorf("the process log has %d \"score\" lines, want 1", n)
	}

	lines = nil
	other := uploadScore(t)
	other.Session = NewSession(nil) // no Log: the process log only
	e.OnRequest(bg, other)
	e.OnRequest(bg, uploadScore(t)) // no session at all
	if len(lines) != 0 {
		t.Errorf("lines of other sessions reached this one: %q", lines)
	}
	if n := logs.FilterMessage("score").Len(); n != 3 {
		t.Errorf("the process log has %d \"score\" lines, want 3", n)
	}
}

// TestEventLogNamesTheConnection: the lines an event hook logs, and the
// log of an event hook that fails, carry the game, PID and connection
// like those of call hooks.
func TestEventLogNamesTheConnection(t *testing.T) {
	e, logs := newEngine(t, map[string]string{"a.lua": `
nex.on_login(function(ev) nex.log.info("login") end)
nex.on_disconnect(function(ev) error("gone") end)`})
	ev := &Event{Game: "mk8", PID: 42, ConnID: 9, Session: NewSession(nil)}
	e.OnLogin(bg, ev)
	e.OnDisconnect(bg, ev)
	for _, msg := range []string{"login", "hook failed"} {
		l := logs.FilterMessageSnippet(msg).All()
		if len(l) != 1 {
			t.Fatalf("%d %q lines", len(l), msg)
		}
		cm := l[0].ContextMap()
		if cm["script"] != "a.lua" || cm["game"] != "mk8" || cm["pid"] != uint64(42) || cm["conn"] != uint64(9) {
			t.Errorf("%q fields %v", msg, cm)
		}
	}
}
