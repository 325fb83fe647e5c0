package proxy

import (
	"errors"
	"net/netip"
	"time"

	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// recorder reports what happens on the server's sessions to the optional
// record.Recorder (Options.Recorder) and Events (Options.Events).
type recorder struct {
	r      record.Recorder
	reg    *schema.Registry
	games  map[string]*schema.Registry // games with variants: their own
	events Events
	values bool              // r reads decoded calls
	filter record.CallFilter // r, when it does not always read calls
}

func newRecorder(r record.Recorder, reg *schema.Registry, events Events) *recorder {
	filter, _ := r.(record.CallFilter)
	return &recorder{r: r, reg: reg, games: map[string]*schema.Registry{}, events: events, values: record.WantsValues(r), filter: filter}
}

// registry describes the protocols of the session's game: its variants'
// methods in place of the base ones.
func (r *recorder) registry(s *rpc.Session) *schema.Registry {
	if reg, ok := r.games[s.Game]; ok {
		return reg
	}
	return r.reg
}

func (r *recorder) connect(s *rpc.Session, upstream string) {
	if r.r != nil {
		r.r.Connect(s, upstream)
	}
	if r.events != nil {
		r.events.OnConnect(s)
	}
}

func (r *recorder) login(s *rpc.Session, pid uint64, mode string) {
	if r.r != nil {
		r.r.Login(s, pid, mode)
	}
	if r.events != nil {
		r.events.OnLogin(s, pid)
	}
}

// secureMode reports the mode of a proxied secure session as a login
// record of its own session log; the login events (Events.OnLogin) ran
// for the authentication leg's login already.
func (r *recorder) secureMode(s *rpc.Session, pid uint64, mode string) {
	if r.r != nil {
		r.r.Login(s, pid, mode)
	}
}

func (r *recorder) disconnect(s *rpc.Session, err error) {
	if r.r != nil {
		r.r.Disconnect(s, err)
	}
	if r.events != nil {
		r.events.OnDisconnect(s)
	}
}

// messages reports whether the recorder wants every message.
func (r *recorder) messages() bool {
	_, ok := r.r.(record.MessageRecorder)
	return ok
}

// tracer returns a peer.Peer tracer reporting the messages of one side
// (the console connection or the upstream connection); local
// is nexproxy's end of it, remote the other.
func (r *recorder) tracer(s *rpc.Session, upstream bool, local, remote netip.AddrPort) func(string, *rmc.Message) {
	mr, ok := r.r.(record.MessageRecorder)
	if !ok {
		return nil
	}
	return func(dir string, m *rmc.Message) {
		e := &record.MessageEvent{Time: time.Now(), Upstream: upstream, Src: remote, Dst: local, Message: m}
		if dir == "send" {
			e.Src, e.Dst = local, remote
		}
		e.Registry = r.registry(s)
		e.ProtocolName, e.MethodName = e.Registry.NamesFor(m.Protocol, m.Method, s.Settings.NEXVersion)
		mr.Message(s, e)
	}
}

// call reports a call that started at start, unless the recorder does
// not read calls now: then it costs a check, not an event.
func (r *recorder) call(s *rpc.Session, dir rpc.Direction, c *rpc.Call, reply *rpc.Reply, err error, start time.Time, a *answer) {
	if r.r == nil || r.filter != nil && !r.filter.WantsCalls() {
		return
	}
	e := &record.CallEvent{Direction: dir, Protocol: c.Protocol, Method: c.Method, CallID: c.CallID, Duration: time.Since(start), Err: err}
	if a != nil {
		e.Handler, e.ForwardedCallID = a.by, a.forwarded
	}
	e.Dropped = errors.Is(err, rpc.ErrDrop)
	reg := r.registry(s)
	e.Registry = reg
	e.ProtocolName, e.MethodName = reg.NamesFor(c.Protocol, c.Method, s.Settings.NEXVersion)
	e.RequestBody = c.Body
	if r.values {
		e.Request, _ = reg.DecodeOrRaw(c.Protocol, c.Method, true, c.Body, s.Settings)
	}
	if reply != nil {
		if reply.Error != 0 {
			e.Error = reply.Error
		} else {
			e.ResponseBody = reply.Body
			if e.ResponseBody == nil {
				e.ResponseBody = []byte{}
			}
			if r.values {
				e.Response, _ = reg.DecodeOrRaw(c.Protocol, c.Method, false, reply.Body, s.Settings)
			}
		}
	}
	if a != nil && a.changed != nil {
		r.changes(s, c, e, reg, a.changed)
	}
	r.r.Call(s, e)
}

// changes fills what links changed of a call into e; only calls a link
// changed get here, so that the others cost nothing more.
func (r *recorder) changes(s *rpc.Session, c *rpc.Call, e *record.CallEvent, reg *schema.Registry, ch *Changed) {
	e.ChangedBy = ch.By
	if ch.SentSet {
		e.SentBody = ch.Sent
		if e.SentBody == nil {
			e.SentBody = []byte{}
		}
		if r.values {
			e.Sent, _ = reg.DecodeOrRaw(c.Protocol, c.Method, true, e.SentBody, s.Settings)
		}
	}
	if rep := ch.Received; rep != nil {
		e.Received = true
		if rep.Error != 0 {
			e.ReceivedError = rep.Error
		} else {
			e.ReceivedBody = rep.Body
			if e.ReceivedBody == nil {
				e.ReceivedBody = []byte{}
			}
			if r.values {
				e.ReceivedValue, _ = reg.DecodeOrRaw(c.Protocol, c.Method, false, e.ReceivedBody, s.Settings)
			}
		}
	}
}

// script reports a line a hook logged for s.
func (r *recorder) script(s *rpc.Session, script, level, text string) {
	if sr, ok := r.r.(record.ScriptRecorder); ok {
		sr.Script(s, script, level, text)
	}
}
