package webview

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/authentication"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// secretTicket is the ticket the calls of these tests return; it must
// never reach a page without log.secrets.
var secretTicket = []byte("SECRET-TICKET-BYTES")

func newSession(id, game string, port uint16) *rpc.Session {
	s := rpc.NewSession(id, game, rpc.LegAuth, netip.AddrPortFrom(netip.MustParseAddr("192.0.2.7"), port), rmc.Settings{})
	s.LocalAddr = netip.MustParseAddrPort("127.0.0.1:60000")
	return s
}

// ticketCall is an Authentication.RequestTicket call of pid, answered
// with secretTicket (or failed with code).
func ticketCall(t *testing.T, pid uint64, code rmc.Result) *record.CallEvent {
	t.Helper()
	req, err := (&authentication.RequestTicketRequest{Source: pid, Target: 2}).Encode(rmc.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	e := &record.CallEvent{Direction: rpc.ToServer, Protocol: authentication.ProtocolID, Method: authentication.MethodRequestTicket,
		CallID: 7, ProtocolName: "Authentication", MethodName: "RequestTicket", RequestBody: req,
		Duration: 3 * time.Millisecond, Handler: record.HandlerUpstream}
	if code != 0 {
		e.Error = code
		return e
	}
	resp, err := (&authentication.RequestTicketResponse{Result: rmc.Result(0x10001), Ticket: secretTicket}).Encode(rmc.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	e.ResponseBody = resp
	return e
}

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	name string
	data json.RawMessage
}

func parseFrames(t *testing.T, b []byte) []sseEvent {
	t.Helper()
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			cur.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.data = json.RawMessage(strings.TrimPrefix(line, "data: "))
		case line == "" && cur.name != "":
			out = append(out, cur)
			cur = sseEvent{}
		}
	}
	return out
}

// next reads frames of sub until one holds an event named name.
func next(t *testing.T, sub *subscriber, name string) sseEvent {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case b, ok := <-sub.ch:
			if !ok {
				t.Fatalf("stream closed before a %q event", name)
			}
			for _, ev := range parseFrames(t, b) {
				if ev.name == name {
					return ev
				}
			}
		case <-deadline:
			t.Fatalf("no %q event", name)
		}
	}
}

// TestHubLiveCall: a call reaches a watching page decoded, with its
// session's game, PID, mode and addresses, and its secret redacted.
func TestHubLiveCall(t *testing.T) {
	h := NewHub(HubOptions{})
	defer h.Close()
	sub := h.subscribe(Filter{})
	next(t, sub, "ready")

	s := newSession("c1", "mk8", 5000)
	h.Connect(s, "203.0.113.9:60000")
	h.Login(s, 1001, record.ModeIntercepted)
	h.Call(s, ticketCall(t, 1001, 0))

	var c Call
	if err := json.Unmarshal(next(t, sub, "call").data, &c); err != nil {
		t.Fatal(err)
	}
	if c.Session != "c1" || c.Protocol != "Authentication" || c.Method != "RequestTicket" || c.Ms != 3 || c.Handler != "upstream" {
		t.Errorf("call %+v", c)
	}
	var params map[string]any
	if err := json.Unmarshal(c.Params, &params); err != nil || fmt.Sprint(params["source"]) != "1001" {
		t.Errorf("params %s (%v)", c.Params, err)
	}
	if bytes.Contains(c.Result, []byte(hex.EncodeToString(secretTicket))) || !bytes.Contains(c.Result, []byte("redacted")) {
		t.Errorf("the ticket is not redacted: %s", c.Result)
	}

	h.Disconnect(s, nil)
	var sess Session
	for !sess.Closed {
		if err := json.Unmarshal(next(t, sub, "session").data, &sess); err != nil {
			t.Fatal(err)
		}
	}
	want := Session{ID: "c1", Game: "mk8", PID: 1001, Mode: "intercepted", Server: "auth", Console: "192.0.2.7:5000",
		Local: "127.0.0.1:60000", Upstream: "203.0.113.9:60000", Closed: true, Reason: "closed", Calls: 1, Source: "live"}
	sess.Start, sess.End = time.Time{}, time.Time{}
	if sess != want {
		t.Errorf("session\n got %+v\nwant %+v", sess, want)
	}
}

// TestHubSecrets: with log.secrets the ticket is shown.
func TestHubSecrets(t *testing.T) {
	h := NewHub(HubOptions{Secrets: true})
	defer h.Close()
	sub := h.subscribe(Filter{})
	s := newSession("c1", "g", 5000)
	h.Connect(s, "")
	h.Call(s, ticketCall(t, 1001, 0))
	var c Call
	if err := json.Unmarshal(next(t, sub, "call").data, &c); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(c.Result, []byte(hex.EncodeToString(secretTicket))) {
		t.Errorf("log.secrets: the ticket is not shown: %s", c.Result)
	}
}

// snapshotOf subscribes with f and returns the snapshot's sessions and
// calls.
func snapshotOf(t *testing.T, h *Hub, f Filter) (sessions []Session, calls []Call) {
	t.Helper()
	sub := h.subscribe(f)
	defer h.unsubscribe(sub)
	for _, ev := range parseFrames(t, <-sub.ch) {
		switch ev.name {
		case "session":
			var s Session
			if err := json.Unmarshal(ev.data, &s); err != nil {
				t.Fatal(err)
			}
			sessions = append(sessions, s)
		case "call":
			var c Call
			if err := json.Unmarshal(ev.data, &c); err != nil {
				t.Fatal(err)
			}
			calls = append(calls, c)
		}
	}
	return sessions, calls
}

// settle waits until the hub has applied what was pushed so far.
func settle(t *testing.T, h *Hub) {
	t.Helper()
	for i := 0; len(h.in) > 0; i++ {
		if i > 500 {
			t.Fatal("hub does not drain its queue")
		}
		time.Sleep(2 * time.Millisecond)
	}
	h.unsubscribe(h.subscribe(Filter{})) // a round trip through the hub's loop
}

// TestHubFilter: a filter by game, PID, protocol, method or result keeps
// the other sessions and calls from the page.
func TestHubFilter(t *testing.T) {
	h := NewHub(HubOptions{})
	defer h.Close()
	a, b := newSession("a", "mk8", 5001), newSession("b", "splatoon", 5002)
	h.Connect(a, "")
	h.Login(a, 1001, record.ModeLocal)
	h.Connect(b, "")
	h.Login(b, 1002, record.ModeLocal)
	h.Call(a, ticketCall(t, 1001, 0))
	h.Call(b, ticketCall(t, 1002, 0))
	h.Call(b, ticketCall(t, 1002, rmc.Result(0x80030065)))
	h.Call(b, &record.CallEvent{Direction: rpc.ToServer, Protocol: 11, Method: 1, ProtocolName: "SecureConnection", MethodName: "Register",
		RequestBody: []byte{}, ResponseBody: []byte{}, Handler: record.HandlerBuiltin})
	settle(t, h)

	for _, tc := range []struct {
		query    string
		sessions []string
		calls    int
	}{
		{"", []string{"a", "b"}, 4},
		{"pid=1002", []string{"b"}, 3},
		{"game=MK8", []string{"a"}, 1},
		{"protocol=secure", []string{"a", "b"}, 1},
		{"protocol=10&method=requestticket", []string{"a", "b"}, 3},
		{"method=3", []string{"a", "b"}, 3},
		{"result=error", []string{"a", "b"}, 1},
		{"result=ok&pid=1002", []string{"b"}, 2},
		{"result=0x80030065", []string{"a", "b"}, 1},
		{"pid=1003", nil, 0},
	} {
		q, _ := url.ParseQuery(tc.query)
		f, err := ParseFilter(q)
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		sessions, calls := snapshotOf(t, h, f)
		var ids []string
		for _, s := range sessions {
			ids = append(ids, s.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(tc.sessions) || len(calls) != tc.calls {
			t.Errorf("%q: sessions %v calls %d, want %v and %d", tc.query, ids, len(calls), tc.sessions, tc.calls)
		}
	}
	if _, err := ParseFilter(url.Values{"pid": {"x"}}); err == nil {
		t.Error("pid=x accepted")
	}

	// A live page with a filter is sent only what passes it.
	sub := h.subscribe(Filter{PID: 1001})
	defer h.unsubscribe(sub)
	next(t, sub, "ready")
	h.Call(b, ticketCall(t, 1002, 0))
	h.Call(a, ticketCall(t, 1001, 0))
	var c Call
	if err := json.Unmarshal(next(t, sub, "call").data, &c); err != nil || c.Session != "a" {
		t.Errorf("filtered stream sent %+v (%v)", c, err)
	}
}

// TestHubBounds: a session keeps its newest calls within the limits, and
// the hub keeps a bounded number of sessions, dropping closed ones
// first.
func TestHubBounds(t *testing.T) {
	h := NewHub(HubOptions{Limits: Limits{Calls: 5, Value: 40}, Sessions: 2, SnapshotBytes: 1500})
	defer h.Close()
	a := newSession("a", "g", 1)
	h.Connect(a, "")
	for i := 0; i < 20; i++ {
		h.Call(a, ticketCall(t, uint64(i), 0))
	}
	settle(t, h)
	sessions, calls := snapshotOf(t, h, Filter{})
	// Five kept; the snapshot's budget carries the newest four of them
	// (about 330 bytes each).
	if len(sessions) != 1 || sessions[0].Calls != 20 || sessions[0].Evicted != 15 || len(calls) != 4 || calls[0].Seq != 17 || calls[3].Seq != 20 {
		t.Fatalf("sessions %+v, %d calls", sessions, len(calls))
	}
	if !strings.Contains(string(calls[0].Result), "too large") {
		t.Errorf("a value past Limits.Value is kept: %s", calls[0].Result)
	}

	b, c := newSession("b", "g", 2), newSession("c", "g", 3)
	h.Connect(b, "")
	h.Connect(c, "") // full, nothing closed: not tracked
	settle(t, h)
	if sessions, _ := snapshotOf(t, h, Filter{}); len(sessions) != 2 || sessions[1].ID != "b" {
		t.Fatalf("over the cap: %+v", sessions)
	}
	h.Disconnect(a, nil)
	d := newSession("d", "g", 4)
	h.Connect(d, "")
	settle(t, h)
	if sessions, _ := snapshotOf(t, h, Filter{}); len(sessions) != 2 || sessions[0].ID != "b" || sessions[1].ID != "d" {
		t.Fatalf("closed session not dropped first: %+v", sessions)
	}
}

// TestHubSlowPage: a page that stops reading is dropped; the recorder
// never waits and other pages keep receiving.
func TestHubSlowPage(t *testing.T) {
	h := NewHub(HubOptions{ClientBuffer: 4})
	defer h.Close()
	slow := h.subscribe(Filter{})
	fast := h.subscribe(Filter{})
	// The fast page acknowledges every call before the next is sent, so
	// it never falls behind however slow the machine; the slow page never
	// reads.
	step := make(chan int)
	go func() {
		defer close(step)
		n := 0
		for b := range fast.ch {
			for _, ev := range parseFrames(t, b) {
				if ev.name == "call" {
					n++
					step <- n
				}
			}
		}
	}()
	s := newSession("a", "g", 1)
	h.Connect(s, "")
	for i := 1; i <= 50; i++ {
		h.Call(s, ticketCall(t, 1, 0))
		select {
		case n := <-step:
			if n != i {
				t.Fatalf("fast page counted %d calls after %d", n, i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("fast page starved after %d calls", i-1)
		}
	}
	n := 0
	for range slow.ch { // closed by the hub once 4 frames waited
		n++
	}
	if n > 4 {
		t.Errorf("slow page held %d frames", n)
	}
	h.unsubscribe(fast)
	for range step {
	}
}

// TestHubQueueFull: with its goroutine behind, the packet path drops
// calls first and keeps room for connection events.
func TestHubQueueFull(t *testing.T) {
	h := &Hub{o: HubOptions{Queue: 8}, in: make(chan hubEvent, 8)}
	s := newSession("a", "g", 1)
	for i := 0; i < 10; i++ {
		h.Call(s, ticketCall(t, 1, 0))
	}
	if len(h.in) != 6 || h.Dropped() != 4 {
		t.Fatalf("queued %d dropped %d, want 6 and 4", len(h.in), h.Dropped())
	}
	h.Disconnect(s, nil)
	h.Disconnect(s, nil)
	h.Disconnect(s, nil)
	if len(h.in) != 8 || h.Dropped() != 5 {
		t.Fatalf("queued %d dropped %d, want 8 and 5", len(h.in), h.Dropped())
	}
}

// TestSessionFromLog: a session log's records give the same session as
// the live events.
func TestSessionFromLog(t *testing.T) {
	var buf bytes.Buffer
	w, err := sessionlog.NewWriter(&buf, sessionlog.Options{Game: "g", Session: "c9", Secrets: true})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, r := range []sessionlog.Record{
		{Type: sessionlog.TypeOpen, Conn: "c9", Side: sessionlog.SideConsole, Remote: "192.0.2.1:1", Local: "127.0.0.1:2", Server: "secure"},
		{Type: sessionlog.TypeOpen, Conn: "uc9", Side: sessionlog.SideUpstream, Remote: "203.0.113.1:3"},
		{Type: sessionlog.TypeLogin, Conn: "c9", PID: 77, Mode: sessionlog.ModeIntercepted},
		{Type: sessionlog.TypeCall, Time: now, Conn: "c9", Protocol: "Authentication", ProtocolID: 10, Method: "Login", MethodID: 1,
			Params: json.RawMessage(`{"username":"77","password":"hunter2"}`), Duration: sessionlog.Duration(time.Millisecond)},
		{Type: sessionlog.TypeClose, Conn: "c9", Side: sessionlog.SideConsole, Reason: "bye"},
	} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	s, err := readLog(bytes.NewReader(buf.Bytes()), "x.jsonl", Limits{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID != "c9" || s.PID != 77 || s.Mode != "intercepted" || s.Upstream != "203.0.113.1:3" || !s.Closed || s.Reason != "bye" ||
		s.Source != "x.jsonl" || len(s.calls) != 1 || s.calls[0].Session != "c9" {
		t.Fatalf("session %+v", s.Session)
	}
	if strings.Contains(string(s.calls[0].Params), "hunter2") {
		t.Errorf("password shown: %s", s.calls[0].Params)
	}
	s, _ = readLog(bytes.NewReader(buf.Bytes()), "x.jsonl", Limits{}, true)
	if !strings.Contains(string(s.calls[0].Params), "hunter2") {
		t.Errorf("log.secrets: password hidden: %s", s.calls[0].Params)
	}
	if _, err := readLog(strings.NewReader("not a log\n"), "y", Limits{}, false); err == nil {
		t.Error("a file that is not a session log was read")
	}
}

// BenchmarkHubCall is what the web view costs the packet path per call:
// a record and copies of the bodies put on the queue (no decoding there).
func BenchmarkHubCall(b *testing.B) {
	h := &Hub{o: HubOptions{Queue: 2*b.N + 8}, in: make(chan hubEvent, 2*b.N+8)}
	s := newSession("a", "g", 1)
	e := ticketCall(&testing.T{}, 1001, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Call(s, e)
	}
	if h.Dropped() != 0 {
		b.Fatal("dropped")
	}
}

// BenchmarkHubApply is the hub goroutine's work per call: decoding,
// redaction, keeping it and framing it for one watching page.
func BenchmarkHubApply(b *testing.B) {
	h := &Hub{o: HubOptions{Queue: 8, Sessions: 10, ClientBuffer: 1 << 20}, in: make(chan hubEvent, 8),
		sessions: map[string]*sessionState{}, clients: map[*subscriber]bool{}}
	h.o.Limits = h.o.Limits.withDefaults()
	h.o.Registry = schema.Default()
	sub := &subscriber{ch: make(chan []byte, 1<<20)}
	h.clients[sub] = true
	s := newSession("a", "g", 1)
	h.Connect(s, "")
	h.apply(<-h.in)
	e := ticketCall(&testing.T{}, 1001, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Call(s, e)
		h.apply(<-h.in)
		if len(sub.ch) > 1<<19 {
			b.StopTimer()
			for len(sub.ch) > 0 {
				<-sub.ch
			}
			b.StartTimer()
		}
	}
}
