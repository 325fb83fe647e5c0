package webview

import (
	"encoding/json"
	"time"

	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
)

// Session is what the page shows of one console connection: live, or
// read from a session log.
type Session struct {
	// ID is the connection id (the session log's "conn").
	ID   string `json:"id"`
	Game string `json:"game,omitempty"`
	PID  uint64 `json:"pid,omitempty"`
	// Mode is the login mode (sessionlog.Mode*) when one was reported,
	// else "local" or "proxy" after whether an upstream was opened.
	Mode string `json:"mode"`
	// Server is "auth" or "secure".
	Server string `json:"server,omitempty"`
	// Console is the console's address, Local nexproxy's end of the
	// console connection, Upstream the upstream server's address ("" in
	// local mode).
	Console  string    `json:"console,omitempty"`
	Local    string    `json:"local,omitempty"`
	Upstream string    `json:"upstream,omitempty"`
	Start    time.Time `json:"start"`
	// Closed is set once the connection ended, with End and Reason.
	Closed bool      `json:"closed,omitempty"`
	End    time.Time `json:"end,omitzero"`
	Reason string    `json:"reason,omitempty"`
	// Calls counts every call and hook line seen; Evicted those no longer
	// kept (the ring buffer of the session is full).
	Calls   int `json:"calls"`
	Evicted int `json:"evicted,omitempty"`
	// Source is "live", or the name of the session log it was read from.
	Source string `json:"source"`

	mode string // reported login mode
}

// Call is one call (or a hook's log line) of a session: its session log
// record, numbered in the session.
type Call struct {
	Session string `json:"session"`
	Seq     int    `json:"seq"`
	// Ms is the duration in milliseconds, for the page's charts.
	Ms float64 `json:"ms"`
	sessionlog.Record
	size int // bytes held, for the session's budget
}

// Limits bound what a session keeps.
type Limits struct {
	// Calls is how many calls a session keeps (the newest); 0 = 1000.
	Calls int
	// Bytes bounds the decoded values a session keeps; older calls are
	// evicted past it. 0 = 1 MiB.
	Bytes int
	// Value bounds one value tree; a larger one is replaced by a note
	// saying its size. 0 = 64 KiB.
	Value int
}

func (l Limits) withDefaults() Limits {
	if l.Calls <= 0 {
		l.Calls = 1000
	}
	if l.Bytes <= 0 {
		l.Bytes = 1 << 20
	}
	if l.Value <= 0 {
		l.Value = 64 << 10
	}
	return l
}

// sessionState is a Session with its calls, in a ring buffer bounded by
// count and bytes.
type sessionState struct {
	Session
	calls []*Call // oldest first; a slice window over a ring is not worth it at these sizes
	bytes int
	lim   Limits
}

func newSessionState(id, source string, lim Limits) *sessionState {
	return &sessionState{Session: Session{ID: id, Source: source, Mode: "local"}, lim: lim.withDefaults()}
}

// apply updates the session from one of its session log records and
// returns the call it added (nil for connection events).
func (s *sessionState) apply(r sessionlog.Record) *Call {
	switch r.Type {
	case sessionlog.TypeHeader:
		if r.Session != "" {
			s.ID = r.Session
		}
	case sessionlog.TypeOpen:
		if r.Game != "" {
			s.Game = r.Game
		}
		if r.Side == sessionlog.SideUpstream {
			s.Upstream = r.Remote
			if s.mode == "" {
				s.Mode = "proxy"
			}
			return nil
		}
		s.Console, s.Local, s.Server, s.Start = r.Remote, r.Local, r.Server, r.Time
		if r.PID != 0 {
			s.PID = r.PID
		}
	case sessionlog.TypeLogin:
		if r.PID != 0 {
			s.PID = r.PID
		}
		if r.Mode != "" {
			s.mode, s.Mode = r.Mode, r.Mode
		}
	case sessionlog.TypeClose:
		if r.Side != sessionlog.SideUpstream {
			s.Closed, s.End, s.Reason = true, r.Time, r.Reason
		}
	case sessionlog.TypeCall, sessionlog.TypeScript, sessionlog.TypeNote:
		return s.add(r)
	}
	return nil
}

// add keeps r as the session's newest call, evicting the oldest ones past
// the limits.
func (s *sessionState) add(r sessionlog.Record) *Call {
	r.Params = s.bound(r.Params)
	r.Result = s.bound(r.Result)
	r.SentParams = s.bound(r.SentParams)
	r.ReceivedResult = s.bound(r.ReceivedResult)
	for _, raw := range []*string{&r.ParamsRaw, &r.ResultRaw, &r.SentParamsRaw, &r.ReceivedResultRaw} {
		if len(*raw) > s.lim.Value {
			*raw = tooLarge(len(*raw) / 2)
		}
	}
	if len(r.Text) > s.lim.Value {
		r.Text = r.Text[:s.lim.Value] + "…"
	}
	s.Calls++
	c := &Call{Session: s.ID, Seq: s.Calls, Ms: float64(r.Duration) / float64(time.Millisecond), Record: r}
	c.size = 256 + len(r.Params) + len(r.Result) + len(r.SentParams) + len(r.ReceivedResult) +
		len(r.ParamsRaw) + len(r.ResultRaw) + len(r.SentParamsRaw) + len(r.ReceivedResultRaw) + len(r.Text)
	s.calls = append(s.calls, c)
	s.bytes += c.size
	n := 0
	for len(s.calls)-n > 1 && (len(s.calls)-n > s.lim.Calls || s.bytes > s.lim.Bytes) {
		s.bytes -= s.calls[n].size
		s.calls[n] = nil
		n++
	}
	if n > 0 {
		s.Evicted += n
		s.calls = append(s.calls[:0], s.calls[n:]...)
	}
	return c
}

// bound replaces a value tree larger than the limit by a note.
func (s *sessionState) bound(v json.RawMessage) json.RawMessage {
	if len(v) <= s.lim.Value {
		return v
	}
	b, _ := json.Marshal(tooLarge(len(v)))
	return b
}

func tooLarge(n int) string {
	return "<" + itoa(n) + " bytes: too large for the web view; see the session log>"
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
