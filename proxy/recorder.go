package proxy

import (
	"errors"
	"net/netip"
	"time"

	"github.com/nexproxy/nexproxy/proxy/sessionlog"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// Recorder receives what a session log shows: connections, logins and
// every call, decoded.
type Recorder interface {
	// Connect reports a console connection; upstream is the upstream
	// address ("" in local mode or when unreachable).
	Connect(s *Session, upstream string)
	// Login reports a login on the authentication leg and how its secure
	// leg is handled: ModeLocal, ModeIntercepted or ModeBlindRelay.
	Login(s *Session, pid uint64, mode string)
	// Call reports one call and its answer.
	Call(s *Session, e *CallEvent)
	// Disconnect reports the end of a connection.
	Disconnect(s *Session, err error)
}

// ValueRecorder is a Recorder that tells whether it reads the decoded
// parameters and return values of calls (CallEvent.Request and Response).
// Decoding them costs more than the rest of a forwarded call, so a
// recorder that only counts or names calls implements it and answers
// false; a Recorder without the method gets them decoded.
type ValueRecorder interface {
	Recorder
	// WantsValues reports whether Call reads Request and Response; it is
	// asked once, when the server is made.
	WantsValues() bool
}

// wantsValues reports whether r reads decoded calls.
func wantsValues(r Recorder) bool {
	if r == nil {
		return false
	}
	if vr, ok := r.(ValueRecorder); ok {
		return vr.WantsValues()
	}
	return true
}

// Login modes (Recorder.Login).
const (
	// ModeLocal: nexproxy's built-in authentication logged the user in.
	ModeLocal = sessionlog.ModeLocal
	// ModeIntercepted: the upstream ticket was opened and reissued, so the
	// secure leg is decrypted.
	ModeIntercepted = sessionlog.ModeIntercepted
	// ModeBlindRelay: the password is unknown; the secure leg is relayed
	// without decryption.
	ModeBlindRelay = sessionlog.ModeBlindRelay
)

// CallEvent is one call as the console saw it.
type CallEvent struct {
	Direction Direction
	Protocol  uint16
	Method    uint32
	// CallID is the id the caller chose (the console's for ToServer, the
	// upstream's for ToConsole).
	CallID uint32
	// ForwardedCallID is the id the call carried on the other leg when it
	// was forwarded (0 when it was answered without forwarding or the
	// forwarded copy got no answer).
	ForwardedCallID uint32
	// Handler says who answered: HandlerHook, HandlerBuiltin,
	// HandlerUpstream or HandlerConsole ("" when unknown).
	Handler string
	// Dropped is true when a hook dropped the call (no answer was sent).
	Dropped      bool
	ProtocolName string
	MethodName   string
	// Request and Response are the decoded parameters and return values
	// (KindRaw when the method is not described); Response is nil for an
	// error, a one-way call or a dropped call. They are only decoded for
	// a recorder whose WantsValues is true.
	Request  *schema.Value
	Response *schema.Value
	// RequestBody and ResponseBody are the same as the raw bodies, always
	// set: ResponseBody is non-nil exactly when Response would be. They
	// are only valid during Call; a recorder that decodes them later (on
	// a goroutine of its own, off the packet path) copies them.
	RequestBody  []byte
	ResponseBody []byte
	// Error is the error result returned, 0 on success.
	Error rmc.Result
	// Duration is the time the chain took.
	Duration time.Duration
	// Err is a handler failure, if any.
	Err error
}

// ScriptRecorder is a Recorder that also wants the lines Lua hooks log
// (nex.log, print) while they run for a session.
type ScriptRecorder interface {
	Recorder
	// Script reports one line: the hook's script, its level ("debug",
	// "info", "warn", "error") and text. It is called on the goroutine
	// the hook runs on and must not block.
	Script(s *Session, script, level, text string)
}

// MessageRecorder is a Recorder that also wants every RMC message as it
// crosses either leg, decrypted and reassembled (packet captures).
type MessageRecorder interface {
	Recorder
	// Message reports one message; it is called on the connection's
	// goroutines and must not block.
	Message(s *Session, e *MessageEvent)
}

// MessageEvent is one RMC message on the wire.
type MessageEvent struct {
	// Time is when the message was sent or received.
	Time time.Time
	// Upstream is true on the leg between nexproxy and the upstream server.
	Upstream bool
	// Src and Dst are the endpoints the message travelled between.
	Src, Dst netip.AddrPort
	// Message is the parsed message; Encode gives its bytes.
	Message *rmc.Message
	// ProtocolName and MethodName name the method (numbers when the schema
	// does not describe it).
	ProtocolName, MethodName string
}

// recorder adapts the optional Recorder and Events.
type recorder struct {
	r      Recorder
	reg    *schema.Registry
	events Events
	values bool // r reads decoded calls
}

func newRecorder(r Recorder, reg *schema.Registry, events Events) *recorder {
	return &recorder{r: r, reg: reg, events: events, values: wantsValues(r)}
}

func (r *recorder) connect(s *Session, upstream string) {
	if r.r != nil {
		r.r.Connect(s, upstream)
	}
	if r.events != nil {
		r.events.OnConnect(s)
	}
}

func (r *recorder) login(s *Session, pid uint64, mode string) {
	if r.r != nil {
		r.r.Login(s, pid, mode)
	}
	if r.events != nil {
		r.events.OnLogin(s, pid)
	}
}

func (r *recorder) disconnect(s *Session, err error) {
	if r.r != nil {
		r.r.Disconnect(s, err)
	}
	if r.events != nil {
		r.events.OnDisconnect(s)
	}
}

// messages reports whether the recorder wants every message.
func (r *recorder) messages() bool {
	_, ok := r.r.(MessageRecorder)
	return ok
}

// tracer returns a Peer tracer reporting the messages of one leg; local
// is nexproxy's end of it, remote the other.
func (r *recorder) tracer(s *Session, upstream bool, local, remote netip.AddrPort) func(string, *rmc.Message) {
	mr, ok := r.r.(MessageRecorder)
	if !ok {
		return nil
	}
	return func(dir string, m *rmc.Message) {
		e := &MessageEvent{Time: time.Now(), Upstream: upstream, Src: remote, Dst: local, Message: m}
		if dir == "send" {
			e.Src, e.Dst = local, remote
		}
		e.ProtocolName, e.MethodName = r.reg.NamesFor(m.Protocol, m.Method, s.Settings.NEXVersion)
		mr.Message(s, e)
	}
}

func (r *recorder) call(s *Session, dir Direction, c *Call, reply *Reply, err error, d time.Duration, t *callTrace) {
	if r.r == nil {
		return
	}
	e := &CallEvent{Direction: dir, Protocol: c.Protocol, Method: c.Method, CallID: c.CallID, Duration: d, Err: err}
	if t != nil {
		e.Handler, e.ForwardedCallID = t.handler, t.forwarded
	}
	e.Dropped = errors.Is(err, ErrDrop)
	e.ProtocolName, e.MethodName = r.reg.NamesFor(c.Protocol, c.Method, s.Settings.NEXVersion)
	e.RequestBody = c.Body
	if r.values {
		e.Request, _ = r.reg.DecodeOrRaw(c.Protocol, c.Method, true, c.Body, s.Settings)
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
				e.Response, _ = r.reg.DecodeOrRaw(c.Protocol, c.Method, false, reply.Body, s.Settings)
			}
		}
	}
	r.r.Call(s, e)
}

// script reports a line a hook logged for s.
func (r *recorder) script(s *Session, script, level, text string) {
	if sr, ok := r.r.(ScriptRecorder); ok {
		sr.Script(s, script, level, text)
	}
}
