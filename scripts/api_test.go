package scripts

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/rmc"
)

func TestReloadRejectsSyntaxError(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"a.lua": `nex.on_request("*", function(call) return nex.fail(1) end)`})
	writeScripts(t, e.cfg.Dir, map[string]string{"a.lua": "nex.on_request(\"*\", function(call)\n  return nex.drop(\nend)"})
	err := e.Reload()
	if err == nil || !strings.Contains(err.Error(), "a.lua:3:") {
		t.Fatalf("reload err = %v", err)
	}
	if v := e.OnRequest(bg, uploadScore(t)); v.Action != Fail {
		t.Fatalf("old script not kept: %+v", v)
	}
	// A runtime error at load is rejected the same way.
	writeScripts(t, e.cfg.Dir, map[string]string{"a.lua": `nex.on_request("Ranking", "NoSuchMethod", function() end)`})
	if err := e.Reload(); err == nil || !strings.Contains(err.Error(), "unknown method Ranking.NoSuchMethod") {
		t.Fatalf("reload err = %v", err)
	}
	writeScripts(t, e.cfg.Dir, map[string]string{"a.lua": `nex.on_request("*", function(call) return nex.drop() end)`})
	if err := e.Reload(); err != nil {
		t.Fatal(err)
	}
	if v := e.OnRequest(bg, uploadScore(t)); v.Action != Drop {
		t.Fatalf("new script not used: %+v", v)
	}
}

// TestReloadUnderConcurrentCalls checks that no call sees half of a script
// set: generation N sets the score to 10N in a.lua and adds N in b.lua, so
// every result must be a multiple of 11.
func TestReloadUnderConcurrentCalls(t *testing.T) {
	gen := func(n int) map[string]string {
		return map[string]string{
			"a.lua": fmt.Sprintf(`nex.on_request("Ranking", "UploadScore", function(call) call.params.score_data.score = %d end)`, 10*n),
			"b.lua": fmt.Sprintf(`nex.on_request("Ranking", "UploadScore", function(call) local d = call.params.score_data d.score = d.score + %d end)`, n),
		}
	}
	e, _ := newEngine(t, gen(1), func(c *Config) { c.PoolSize = 4 })
	// Loaded here, not in the workers: a missing vector must skip the
	// test, and a skip only works on the test's own goroutine.
	proto := uploadScore(t)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var calls atomic.Int64
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				c := new(Call)
				*c = *proto
				c.Params, c.Body = nil, bytes.Clone(proto.Body)
				c.Session = NewSession(nil)
				v := e.OnRequest(bg, c)
				if v.Body == nil {
					errs <- fmt.Errorf("no change: %+v", v)
					return
				}
				got := field(t, decode(t, c, false, v.Body), "score_data.score").Uint
				if got == 0 || got%11 != 0 {
					errs <- fmt.Errorf("score %d: a call saw a mixed script set", got)
					return
				}
				calls.Add(1)
			}
		}()
	}
	for n := 2; n < 30; n++ {
		writeScripts(t, e.cfg.Dir, gen(n))
		if err := e.Reload(); err != nil {
			t.Error(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if calls.Load() == 0 {
		t.Fatal("no calls ran")
	}
}

func TestSixtyFourBitRoundTrip(t *testing.T) {
	e, logs := newEngine(t, map[string]string{"a.lua": `
local function eq(a, b) if a ~= b then error(tostring(a) .. " ~= " .. tostring(b), 2) end end
nex.on_request("Ranking", "UploadScore", function(call)
  eq(tostring(call.pid), "18446744073709551615")
  eq(call.pid, nex.u64("18446744073709551615"))
  eq(call.pid, nex.u64("0xFFFFFFFFFFFFFFFF"))
  eq(call.pid + 1, 0)                   -- u64 wraps
  eq(tostring(call.pid - 1), "18446744073709551614")
  eq(nex.compare(call.pid, 5), 1)
  eq(nex.u64(2^53), 2^53)               -- small values are plain numbers
  eq(type(nex.u64(2^53)), "number")
  eq(tostring(nex.u64("9007199254740993") + 1), "9007199254740994")
  eq(tostring(nex.s64("-9223372036854775808")), "-9223372036854775808")
  eq(nex.s64(-5) < nex.s64(3), true)
  eq(call.conn_id, 7)
  local id = call.params.unique_id
  eq(tostring(id), "9007199254740993")  -- 2^53 + 1 survives
  call.params.unique_id = id            -- unchanged: no re-encoding
  local s = nex.shared
  s.set("id", id)
  eq(s.get("id"), id)
end)
nex.on_request("Ranking", "DeleteScore", function(call)
  call.params.unique_id = nex.u64("18446744073709551615")
end)`})
	c := uploadScore(t)
	c.PID = 0xFFFFFFFFFFFFFFFF
	req := decode(t, c, false, c.Body)
	must(t, req.Set("unique_id", uint64(1<<53+1)))
	b, err := encodeBody(e.cfg.Registry, c, false, req)
	must(t, err)
	c.Body = b
	if v := e.OnRequest(bg, c); v.Changed() {
		t.Fatalf("verdict %+v", v)
	}
	if s := e.Stats()["a.lua"]; s.Errors != 0 || s.Runs != 1 {
		t.Fatalf("hook failed: %+v %v", s, logs.All())
	}
	// DeleteScore(u32 category, u64 unique_id): set the maximum u64.
	m := e.cfg.Registry.MethodByName("Ranking", "DeleteScore")
	del := m.NewRequest(c.Settings)
	b, err = m.EncodeRequest(del, c.Settings)
	must(t, err)
	dc := &Call{Protocol: 112, Method: m.ID, Settings: c.Settings, Body: b}
	v := e.OnRequest(bg, dc)
	if v.Body == nil {
		t.Fatalf("verdict %+v %+v", v, e.Stats())
	}
	if got := field(t, decode(t, dc, false, v.Body), "unique_id").Uint; got != 0xFFFFFFFFFFFFFFFF {
		t.Fatalf("unique_id %#x", got)
	}
}

type sendRecorder struct {
	mu   sync.Mutex
	sent []string
}

func (s *sendRecorder) SendToConsole(p uint16, m uint32, body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, fmt.Sprintf("%d.%d:%x", p, m, body))
	return nil
}

func TestSessionStoreSendAndEvents(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"a.lua": `
nex.on_login(function(ev)
  ev.session.store.login = ev.pid .. "@" .. ev.game .. "/" .. ev.mode
end)
nex.on_request("*", function(call)
  local st = call.session.store
  st.count = (st.count or 0) + 1
  if st.count == 2 then
    call.session:send("Notification", "ProcessNotificationEvent", "\1\2")
    call.session:send(14, 1, st.login)
  end
end)
nex.on_request("*", function(call)
  if call.session.store.count == 3 then
    call.session:send(14, 1, "discarded")
    error("fails after send")
  end
end)
nex.on_disconnect(function(ev) nex.shared.set("last", ev.session.store.count) end)`})
	rec := &sendRecorder{}
	s := NewSession(rec)
	e.OnLogin(bg, &Event{Game: "mk8", PID: 42, Mode: "intercepted", Session: s})
	for i := 0; i < 3; i++ {
		c := uploadScore(t)
		c.Session = s
		e.OnRequest(bg, c)
	}
	e.OnDisconnect(bg, &Event{Session: s})
	want := []string{"14.1:0102", fmt.Sprintf("14.1:%x", "42@mk8/intercepted")}
	if fmt.Sprint(rec.sent) != fmt.Sprint(want) {
		t.Fatalf("sent %v, want %v", rec.sent, want)
	}
	// A second session has its own store.
	c := uploadScore(t)
	c.Session = NewSession(rec)
	e.OnRequest(bg, c)
	if len(rec.sent) != 2 {
		t.Fatalf("sent %v", rec.sent)
	}
	if st := e.Stats()["a.lua"]; st.Errors != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPasswordFor(t *testing.T) {
	e, _ := newEngine(t, map[string]string{
		"a.lua": `nex.on_password(function(pid, game) if pid == 5 then return "five-" .. game end end)`,
		"b.lua": `nex.password_for = function(pid) if tostring(pid) == "18446744073709551615" then return "max" end end`,
	})
	if !e.HasPasswordHook() {
		t.Fatal("no password hook")
	}
	for _, tc := range []struct {
		pid  uint64
		want string
		ok   bool
	}{{5, "five-mk8", true}, {0xFFFFFFFFFFFFFFFF, "max", true}, {6, "", false}} {
		got, ok := e.PasswordFor(tc.pid, "mk8")
		if got != tc.want || ok != tc.ok {
			t.Errorf("PasswordFor(%d) = %q, %v", tc.pid, got, ok)
		}
	}
}

func TestAnswerFailDropAndResponses(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"a.lua": `
nex.on_request("Utility", 1, function(call) return nex.answer{unique_id = 77} end)
nex.on_request("Utility", "GetIntegerSettings", function(call) return nex.answer{settings = {[1] = -5, [7] = 9}} end)
nex.on_request(112, 6, function(call) return nex.answer_raw("\1\0\0\0\9") end)
nex.on_request("Ranking", "DeleteScore", function(call) return nex.fail(0x00010006) end)
nex.on_request("Ranking", "GetApproxOrder", function(call) return nex.drop() end)
nex.on_response("Ranking", "GetCommonData", function(call)
  if call.success then call.params.data = "patched" end
end)
nex.on_response("Utility", "AcquireNexUniqueId", function(call)
  return nex.fail(nex.result("RendezVous::InvalidUniqueId"))
end)
nex.on_response("Ranking", "GetRanking", function(call)
  if call.error == "Ranking::NotFound" and call.result == nex.result("Ranking::NotFound") then
    return nex.answer()
  end
end)`})
	c := vectorCall(t, "wiiu-session.json", 110, 1, "request")
	v := e.OnRequest(bg, c)
	if v.Action != Answer || field(t, decode(t, c, true, v.ResponseBody), "unique_id").Uint != 77 {
		t.Fatalf("answer %+v", v)
	}
	c = vectorCall(t, "wiiu-session.json", 110, 7, "request")
	v = e.OnRequest(bg, c)
	if v.Action != Answer {
		t.Fatalf("map answer %+v %v", v, e.Stats())
	}
	got := decode(t, c, true, v.ResponseBody)
	if s, _ := got.MarshalJSON(); !strings.Contains(string(s), "-5") || !strings.Contains(string(s), "9") {
		t.Fatalf("map answer %s", s)
	}
	c = vectorCall(t, "wiiu-session.json", 112, 6, "request")
	if v = e.OnRequest(bg, c); v.Action != Answer || string(v.ResponseBody) != "\x01\x00\x00\x00\x09" {
		t.Fatalf("raw answer %+v", v)
	}
	c = &Call{Protocol: 112, Method: 2}
	if v = e.OnRequest(bg, c); v.Action != Fail || v.Error != 0x80010006 {
		t.Fatalf("fail %+v", v)
	}
	c = &Call{Protocol: 112, Method: 10}
	if v = e.OnRequest(bg, c); v.Action != Drop {
		t.Fatalf("drop %+v", v)
	}
	r := vectorCall(t, "wiiu-session.json", 112, 6, "response")
	v = e.OnResponse(bg, r)
	if v.Body == nil || string(field(t, decode(t, r, true, v.Body), "data").Bytes) != "patched" {
		t.Fatalf("response edit %+v", v)
	}
	r = vectorCall(t, "wiiu-session.json", 110, 1, "response")
	if v = e.OnResponse(bg, r); v.Action != Fail || v.Error.String() != "RendezVous::InvalidUniqueId" {
		t.Fatalf("response fail %+v", v)
	}
	r = &Call{Protocol: 112, Method: 9, Result: rmc.Result(0x80680005)}
	if rn, ok := rmc.ResultByName("Ranking::NotFound"); ok {
		r.Result = rn
	}
	r.Settings = rmc.Settings{PIDSize: 4, StructHeader: true, NEXVersion: 30504}
	if v = e.OnResponse(bg, r); v.Action != Answer {
		t.Fatalf("error turned success %+v %+v", v, e.Stats())
	}
	if st := e.Stats()["a.lua"]; st.Errors != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestHasHooks(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"a.lua": `
nex.on_request("Ranking", "UploadScore", function() end)
nex.on_response("Utility", function() end)
nex.on_server_request(14, function() end)`})
	for _, tc := range []struct {
		p        uint16
		m        uint32
		dir      Direction
		req, rsp bool
	}{
		{112, 1, ConsoleToServer, true, false},
		{112, 2, ConsoleToServer, false, false},
		{110, 9, ConsoleToServer, false, true},
		{14, 1, ServerToConsole, true, false},
		{14, 1, ConsoleToServer, false, false},
	} {
		if e.HasRequestHooks(tc.p, tc.m, tc.dir) != tc.req || e.HasResponseHooks(tc.p, tc.m, tc.dir) != tc.rsp || e.HasHooks(tc.p, tc.m, tc.dir) != (tc.req || tc.rsp) {
			t.Errorf("%+v", tc)
		}
	}

	// A catch-all hook answers for every id of its kind, and only its kind.
	all, _ := newEngine(t, map[string]string{"a.lua": `nex.on_server_response("*", function() end)`})
	if !all.HasResponseHooks(0xFFFF, 0xFFFFFFFF, ServerToConsole) || all.HasRequestHooks(1, 1, ServerToConsole) || all.HasResponseHooks(1, 1, ConsoleToServer) {
		t.Error("catch-all server response hook misreported")
	}
}

func TestHookOrderAndRegistrationErrors(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"a.lua": `
local order = {}
nex.on_request(function(call) order[#order+1] = "all" end)
nex.on_request("Ranking", function(call) order[#order+1] = "proto" end)
nex.on_request("Ranking", "UploadScore", function(call) order[#order+1] = "exact" end)
nex.on_request("*", function(call) order[#order+1] = "star" end)
nex.on_request(112, 1, function(call)
  order[#order+1] = "ids"
  if table.concat(order, ",") ~= "all,proto,exact,star,ids" then error(table.concat(order, ",")) end
  return nex.drop()
end)`})
	if v := e.OnRequest(bg, uploadScore(t)); v.Action != Drop {
		t.Fatalf("order wrong: %+v", e.Stats())
	}
	for src, want := range map[string]string{
		`nex.on_request("NoProto", function() end)`:                                      "unknown protocol NoProto",
		`nex.on_request("Ranking", "Nope", function() end)`:                              "unknown method Ranking.Nope",
		`nex.on_request(1, 2, 3, function() end)`:                                        "too many arguments",
		`nex.on_login(1, function() end)`:                                                "takes only a function",
		`nex.on_request("*", function() nex.on_login(print) end) nex.result("No::Such")`: "unknown result",
	} {
		dir := t.TempDir()
		writeScripts(t, dir, map[string]string{"x.lua": src})
		if errs := Check(dir); len(errs) != 1 || !strings.Contains(errs[0].Error(), want) || !strings.Contains(errs[0].Error(), "x.lua:1:") {
			t.Errorf("%s: %v", src, errs)
		}
	}
}

func TestWatchReloadsOnSave(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"a.lua": `nex.on_request("*", function() return nex.fail(1) end)`})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.Watch(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	time.Sleep(100 * time.Millisecond) // let the watcher start
	p := filepath.Join(e.cfg.Dir, "a.lua")
	if err := os.WriteFile(p, []byte(`nex.on_request("*", function() return nex.drop() end)`), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if v := e.OnRequest(bg, uploadScore(t)); v.Action == Drop {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("save did not reload")
}

func TestCloseStopsHooks(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"a.lua": `nex.on_request("*", function() return nex.drop() end)`})
	e.Close()
	if v := e.OnRequest(bg, uploadScore(t)); v.Changed() {
		t.Fatalf("closed engine ran hooks: %+v", v)
	}
	if err := e.Reload(); err != ErrClosed {
		t.Fatalf("reload after close: %v", err)
	}
}

// TestPasswordForRefusesNonStrings: a password hook that returns something
// other than a string or nil (a number typed without quotes) is logged
// with its line and counted, not taken for "unknown user" in silence.
func TestPasswordForRefusesNonStrings(t *testing.T) {
	e, logs := newEngine(t, map[string]string{"a.lua": `
nex.password_for = function(pid, game)
  if pid == 5 then return 1234 end
end`})
	if got, ok := e.PasswordFor(5, "mk8"); ok || got != "" {
		t.Fatalf("PasswordFor = %q, %v", got, ok)
	}
	if _, ok := e.PasswordFor(6, "mk8"); ok {
		t.Fatal("unknown user has a password")
	}
	if st := e.Stats()["a.lua"]; st.Errors != 1 || st.Runs != 2 {
		t.Errorf("stats %+v", st)
	}
	l := logs.FilterMessageSnippet("hook failed").All()
	if len(l) != 1 || !strings.Contains(l[0].ContextMap()["error"].(string), "a.lua:2: returned a number") {
		t.Fatalf("log %v", l)
	}
}

// TestEventHookCannotDecide: an event hook that returns a verdict (a
// connection cannot be answered or dropped) is logged with its line, not
// ignored in silence.
func TestEventHookCannotDecide(t *testing.T) {
	e, logs := newEngine(t, map[string]string{"a.lua": `
nex.on_connect(function(ev) return nex.drop() end)
nex.on_connect(function(ev) end)`})
	e.OnConnect(bg, &Event{Game: "g", Session: NewSession(nil)})
	if st := e.Stats()["a.lua"]; st.Errors != 1 || st.Runs != 2 {
		t.Errorf("stats %+v", st)
	}
	l := logs.FilterMessageSnippet("hook failed").All()
	if len(l) != 1 || !strings.Contains(l[0].ContextMap()["error"].(string), "a.lua:2: event hooks return nothing") {
		t.Fatalf("log %v", l)
	}
}
