package proxy

import (
	"time"

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
	// leg is handled: "local", "intercept" or "blind-relay".
	Login(s *Session, pid uint64, mode string)
	// Call reports one call and its answer.
	Call(s *Session, e *CallEvent)
	// Disconnect reports the end of a connection.
	Disconnect(s *Session, err error)
}

// CallEvent is one call as the console saw it.
type CallEvent struct {
	Direction    Direction
	Protocol     uint16
	Method       uint32
	CallID       uint32
	ProtocolName string
	MethodName   string
	// Request and Response are the decoded parameters and return values
	// (KindRaw when the method is not described); Response is nil for an
	// error, a one-way call or a dropped call.
	Request  *schema.Value
	Response *schema.Value
	// Error is the error result returned, 0 on success.
	Error rmc.Result
	// Duration is the time the chain took.
	Duration time.Duration
	// Err is a handler failure, if any.
	Err error
}

// recorder adapts the optional Recorder and Events.
type recorder struct {
	r      Recorder
	reg    *schema.Registry
	events Events
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

func (r *recorder) call(s *Session, dir Direction, c *Call, reply *Reply, err error, d time.Duration) {
	if r.r == nil {
		return
	}
	e := &CallEvent{Direction: dir, Protocol: c.Protocol, Method: c.Method, CallID: c.CallID, Duration: d, Err: err}
	e.ProtocolName, e.MethodName = r.reg.NamesFor(c.Protocol, c.Method, s.Settings.NEXVersion)
	e.Request, _ = r.reg.DecodeOrRaw(c.Protocol, c.Method, true, c.Body, s.Settings)
	if reply != nil {
		if reply.Error != 0 {
			e.Error = reply.Error
		} else {
			e.Response, _ = r.reg.DecodeOrRaw(c.Protocol, c.Method, false, reply.Body, s.Settings)
		}
	}
	r.r.Call(s, e)
}
