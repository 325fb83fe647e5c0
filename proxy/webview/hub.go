package webview

import (
	"bytes"
	"encoding/json"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// HubOptions configure a Hub.
type HubOptions struct {
	// Secrets shows passwords, keys and tickets (log.secrets); without
	// it they are redacted as in the session logs.
	Secrets bool
	// Registry decodes calls whose event names none; nil = schema.Default().
	Registry *schema.Registry
	// Limits bound each session's calls.
	Limits Limits
	// Sessions is how many sessions are kept, live and closed; the oldest
	// closed ones go first, and live ones past it are not tracked.
	// 0 = 200.
	Sessions int
	// Queue is how many events wait for the hub's goroutine before calls
	// are dropped (the last quarter is kept for connection events);
	// 0 = 4096.
	Queue int
	// SnapshotBytes bounds the calls a page gets when it connects (the
	// newest are sent): every session at its limits would be far more
	// than a browser wants at once. 0 = 8 MiB.
	SnapshotBytes int
	// ClientBuffer is how many events a page may fall behind before it is
	// disconnected (its browser reconnects and gets a fresh snapshot);
	// 0 = 1024.
	ClientBuffer int
	// Pages is how many event streams may be open at once, each with its
	// own snapshot; 0 = 64.
	Pages int
}

// Hub is the web view's record.Recorder: it keeps the recent calls of the
// server's sessions and sends them to the pages watching. The packet path
// only copies a call's bodies onto a bounded queue, never waiting; one
// goroutine owns the sessions and the pages' subscriptions, decodes the
// calls and fans them out. A page that cannot keep up is dropped rather
// than slowing anyone down.
type Hub struct {
	o       HubOptions
	in      chan hubEvent
	subs    chan subscribeReq
	unsubs  chan *subscriber
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
	dropped atomic.Uint64

	// Owned by the hub's goroutine.
	sessions map[string]*sessionState
	order    []string // session ids, oldest first
	clients  map[*subscriber]bool
}

var _ record.ValueRecorder = (*Hub)(nil)
var _ record.ScriptRecorder = (*Hub)(nil)

// hubEvent is one event of the packet path, with what its record needs.
type hubEvent struct {
	session string
	pid     uint64 // the session's PID when the event happened (0: unknown)
	rec     sessionlog.Record
	body    *bodies // a call's bodies to decode; nil otherwise
}

// bodies are the copies of a call's bodies that the hub decodes.
type bodies struct {
	settings                          rmc.Settings
	reg                               *schema.Registry
	request, response, sent, received []byte
}

// NewHub starts a hub; Close stops it.
func NewHub(o HubOptions) *Hub {
	if o.Registry == nil {
		o.Registry = schema.Default()
	}
	if o.Sessions <= 0 {
		o.Sessions = 200
	}
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	if o.SnapshotBytes <= 0 {
		o.SnapshotBytes = 8 << 20
	}
	if o.ClientBuffer <= 0 {
		o.ClientBuffer = 1024
	}
	if o.Pages <= 0 {
		o.Pages = 64
	}
	o.Limits = o.Limits.withDefaults()
	h := &Hub{
		o: o, in: make(chan hubEvent, o.Queue), subs: make(chan subscribeReq), unsubs: make(chan *subscriber),
		quit: make(chan struct{}), done: make(chan struct{}),
		sessions: map[string]*sessionState{}, clients: map[*subscriber]bool{},
	}
	go h.run()
	return h
}

// Close stops the hub's goroutine and disconnects the pages; events after
// it are ignored.
func (h *Hub) Close() {
	h.once.Do(func() { close(h.quit) })
	<-h.done
}

// Dropped is how many events were not shown because the hub's queue was
// full. It only grows.
func (h *Hub) Dropped() uint64 { return h.dropped.Load() }

// WantsValues is false: the hub decodes the calls' bodies itself, on its
// own goroutine.
func (h *Hub) WantsValues() bool { return false }

// push queues an event without waiting. Calls leave the last quarter of
// the queue to connection events, so that a burst of calls cannot hide a
// session's end.
func (h *Hub) push(s *rpc.Session, ev hubEvent, call bool) {
	ev.session, ev.pid = s.ID, s.PID()
	if call && len(h.in) >= h.o.Queue-h.o.Queue/4 {
		h.dropped.Add(1)
		return
	}
	select {
	case h.in <- ev:
	default:
		h.dropped.Add(1)
	}
}

// Connect records a console connection.
func (h *Hub) Connect(s *rpc.Session, upstream string) {
	now := time.Now()
	open := sessionlog.Record{Type: sessionlog.TypeOpen, Time: now, Game: s.Game, Conn: s.ID, Side: sessionlog.SideConsole,
		Remote: s.RemoteAddr.String(), Server: s.Leg.String(), PID: s.PID()}
	if s.LocalAddr.IsValid() {
		open.Local = s.LocalAddr.String()
	}
	h.push(s, hubEvent{rec: open}, false)
	if upstream != "" {
		h.push(s, hubEvent{rec: sessionlog.Record{Type: sessionlog.TypeOpen, Time: now, Game: s.Game,
			Side: sessionlog.SideUpstream, Remote: upstream, Server: s.Leg.String()}}, false)
	}
}

// Login records a login and its mode.
func (h *Hub) Login(s *rpc.Session, pid uint64, mode string) {
	h.push(s, hubEvent{rec: sessionlog.Record{Type: sessionlog.TypeLogin, Time: time.Now(), Game: s.Game,
		Conn: s.ID, PID: pid, Mode: mode}}, false)
}

// Call queues a call with copies of its bodies.
func (h *Hub) Call(s *rpc.Session, e *record.CallEvent) {
	bare := *e
	bare.Request, bare.Response, bare.Sent, bare.ReceivedValue = nil, nil, nil, nil
	r := record.CallRecord(s, &bare)
	b := &bodies{settings: s.Settings, reg: e.Registry, request: bytes.Clone(e.RequestBody)}
	if b.request == nil {
		b.request = []byte{}
	}
	b.response = bytes.Clone(e.ResponseBody)
	if e.ResponseBody != nil && b.response == nil {
		b.response = []byte{}
	}
	b.sent, b.received = bytes.Clone(e.SentBody), bytes.Clone(e.ReceivedBody)
	h.push(s, hubEvent{rec: r, body: b}, true)
}

// Script records a line a Lua hook logged for the session.
func (h *Hub) Script(s *rpc.Session, script, level, text string) {
	h.push(s, hubEvent{rec: sessionlog.Record{Type: sessionlog.TypeScript, Time: time.Now(), Game: s.Game,
		Conn: s.ID, Script: script, Level: level, Text: text}}, true)
}

// Disconnect records the end of the connection.
func (h *Hub) Disconnect(s *rpc.Session, err error) {
	reason := "closed"
	if err != nil {
		reason = err.Error()
	}
	h.push(s, hubEvent{rec: sessionlog.Record{Type: sessionlog.TypeClose, Time: time.Now(), Game: s.Game,
		Conn: s.ID, Side: sessionlog.SideConsole, Reason: reason}}, false)
}

// subscriber is one page's stream: SSE frames, the first of them the
// snapshot. The hub closes ch when it drops the page or stops.
type subscriber struct {
	f  Filter
	ch chan []byte
}

type subscribeReq struct {
	f     Filter
	reply chan *subscriber
}

// subscribe registers a page with filter f; nil when the hub has stopped
// or Pages are already watching.
func (h *Hub) subscribe(f Filter) *subscriber {
	req := subscribeReq{f: f, reply: make(chan *subscriber, 1)}
	select {
	case h.subs <- req:
		return <-req.reply
	case <-h.done:
		return nil
	}
}

// unsubscribe forgets a page; harmless after the hub dropped it.
func (h *Hub) unsubscribe(sub *subscriber) {
	select {
	case h.unsubs <- sub:
	case <-h.done:
	}
}

func (h *Hub) run() {
	defer close(h.done)
	defer func() {
		for c := range h.clients {
			close(c.ch)
		}
	}()
	for {
		select {
		case ev := <-h.in:
			h.apply(ev)
		case req := <-h.subs:
			if len(h.clients) >= h.o.Pages {
				req.reply <- nil
				continue
			}
			sub := &subscriber{f: req.f, ch: make(chan []byte, h.o.ClientBuffer)}
			sub.ch <- h.snapshot(req.f)
			h.clients[sub] = true
			req.reply <- sub
		case sub := <-h.unsubs:
			if h.clients[sub] {
				delete(h.clients, sub)
				close(sub.ch)
			}
		case <-h.quit:
			return
		}
	}
}

// apply turns one event into the session's state and sends what changed
// to the pages.
func (h *Hub) apply(ev hubEvent) {
	s := h.sessions[ev.session]
	if s == nil {
		// A session starts with its console connection's open record;
		// events of sessions not tracked (the hub was full) are ignored.
		if ev.rec.Type != sessionlog.TypeOpen || ev.rec.Side != sessionlog.SideConsole || !h.makeRoom() {
			return
		}
		s = newSessionState(ev.session, "live", h.o.Limits)
		h.sessions[ev.session] = s
		h.order = append(h.order, ev.session)
	}
	r := ev.rec
	if ev.body != nil {
		h.decode(&r, ev.body)
	}
	if !h.o.Secrets {
		r = sessionlog.Redacted(r)
	}
	if s.PID == 0 && ev.pid != 0 {
		// The secure leg learns its PID from the ticket, after it opened.
		s.PID = ev.pid
	}
	c := s.apply(r)
	sess := s.Session
	var sessFrame, callFrame []byte // encoded once, for every page
	for sub := range h.clients {
		if !sub.f.Session(&sess) || c != nil && !sub.f.Call(c) {
			continue
		}
		if sessFrame == nil {
			sessFrame = frame("session", &sess)
			if c != nil {
				callFrame = append(sessFrame[:len(sessFrame):len(sessFrame)], frame("call", c)...)
			}
		}
		b := sessFrame
		if c != nil {
			b = callFrame
		}
		select {
		case sub.ch <- b:
		default:
			// A page that fell ClientBuffer events behind is dropped; its
			// browser reconnects and starts from a snapshot.
			delete(h.clients, sub)
			close(sub.ch)
		}
	}
}

// makeRoom evicts the oldest closed session when the hub is full, and
// reports whether a new session fits.
func (h *Hub) makeRoom() bool {
	if len(h.sessions) < h.o.Sessions {
		return true
	}
	for i, id := range h.order {
		if h.sessions[id].Closed {
			delete(h.sessions, id)
			h.order = append(h.order[:i], h.order[i+1:]...)
			return true
		}
	}
	return false
}

// decode fills r's values from the call's bodies.
func (h *Hub) decode(r *sessionlog.Record, b *bodies) {
	reg := h.o.Registry
	if b.reg != nil {
		reg = b.reg
	}
	dec := func(request bool, body []byte) (json.RawMessage, string) {
		v, _ := reg.DecodeOrRaw(r.ProtocolID, r.MethodID, request, body, b.settings)
		return record.ValueJSON(v)
	}
	r.Params, r.ParamsRaw = dec(true, b.request)
	if b.response != nil {
		r.Result, r.ResultRaw = dec(false, b.response)
	}
	if b.sent != nil {
		r.SentParams, r.SentParamsRaw = dec(true, b.sent)
	}
	if b.received != nil {
		r.ReceivedResult, r.ReceivedResultRaw = dec(false, b.received)
	}
}

// snapshot is the first frame of a page: the sessions that pass f, the
// newest kept calls that pass it in the order they happened, then a
// "ready" event.
func (h *Hub) snapshot(f Filter) []byte {
	var b []byte
	var calls []*Call
	for _, id := range h.order {
		s := h.sessions[id]
		if !f.Session(&s.Session) {
			continue
		}
		b = append(b, frame("session", &s.Session)...)
		for _, c := range s.calls {
			if f.Call(c) {
				calls = append(calls, c)
			}
		}
	}
	sort.SliceStable(calls, func(i, j int) bool { return calls[i].Time.Before(calls[j].Time) })
	first, size := len(calls), 0
	for first > 0 && size+calls[first-1].size <= h.o.SnapshotBytes {
		first--
		size += calls[first].size
	}
	for _, c := range calls[first:] {
		b = append(b, frame("call", c)...)
	}
	return append(b, frame("ready", map[string]uint64{"dropped": h.dropped.Load()})...)
}

// frame is one server-sent event. JSON holds no raw newlines, so the
// data fits one line.
func frame(event string, v any) []byte {
	data, err := json.Marshal(v)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	b := make([]byte, 0, len(event)+len(data)+16)
	b = append(b, "event: "...)
	b = append(b, event...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}
