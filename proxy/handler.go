package proxy

import (
	"context"
	"errors"
	"net/netip"

	"github.com/nexproxy/nexproxy/rmc"
)

// Direction says which way a call travels.
type Direction uint8

const (
	// ToServer is a call the console makes (console → nexproxy → upstream).
	ToServer Direction = iota
	// ToConsole is a call the server makes on the console (notifications,
	// NAT probes, gathering events): it walks the mirror chain.
	ToConsole
)

func (d Direction) String() string {
	if d == ToConsole {
		return "to-console"
	}
	return "to-server"
}

// Leg names the connection a call arrived on.
type Leg uint8

const (
	// LegAuth is the authentication server connection.
	LegAuth Leg = iota
	// LegSecure is the secure server connection.
	LegSecure
)

func (l Leg) String() string {
	if l == LegSecure {
		return "secure"
	}
	return "auth"
}

// Session describes the console connection a call belongs to. Handlers
// read it; only the server writes it.
type Session struct {
	// ID is the connection id used in logs.
	ID string
	// Game is the configured game name.
	Game string
	// Leg is the authentication or secure leg.
	Leg Leg
	// RemoteAddr is the console's address as nexproxy sees it.
	RemoteAddr netip.AddrPort
	// LocalAddr is nexproxy's end of the console connection: the
	// listener's address, its unspecified host replaced by the advertised
	// one when that is an IP.
	LocalAddr netip.AddrPort
	// Settings interprets RMC bodies of this game.
	Settings rmc.Settings

	state *sessionState
}

// PID returns the principal id of the console once known (0 before login
// on the authentication leg).
func (s *Session) PID() uint64 {
	if s == nil || s.state == nil {
		return 0
	}
	return s.state.pid.Load()
}

// SetPID records the principal the console logged in as (built-in
// authentication reports its logins with Env.LoggedIn, which sets it).
func (s *Session) SetPID(pid uint64) {
	if s != nil && s.state != nil {
		s.state.pid.Store(pid)
	}
}

// Value returns per-session data a handler stored with SetValue.
func (s *Session) Value(key any) any {
	if s == nil || s.state == nil {
		return nil
	}
	v, _ := s.state.values.Load(key)
	return v
}

// SetValue stores per-session data for handlers (the session's registered
// station, for example); it is dropped with the session.
func (s *Session) SetValue(key, v any) {
	if s == nil || s.state == nil {
		return
	}
	s.state.values.Store(key, v)
}

// OnClose registers fn to run once when the session ends, so that shared
// registries forget what the session put there.
func (s *Session) OnClose(fn func()) {
	if s == nil || s.state == nil {
		return
	}
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	if s.state.closed {
		go fn()
		return
	}
	s.state.onClose = append(s.state.onClose, fn)
}

// Call is one RMC request walking a chain.
type Call struct {
	// Session is the console connection the call belongs to.
	Session *Session
	// Direction says who called whom.
	Direction Direction
	// Protocol and Method identify the method.
	Protocol uint16
	Method   uint32
	// CallID is the id the caller chose (for logs; links never reuse it
	// on another leg).
	CallID uint32
	// Body holds the request parameters; a link may replace it.
	Body []byte
}

// Reply is the answer to a call: a success with return values, or an error
// result.
type Reply struct {
	// Error is zero for success, else the result code (bit 31 set).
	Error rmc.Result
	// Body holds the return values of a success.
	Body []byte
}

// Success reports whether r is a success response.
func (r *Reply) Success() bool { return r.Error == 0 }

// ErrorReply builds an error answer; the error bit is forced on.
func ErrorReply(code rmc.Result) *Reply { return &Reply{Error: code | 0x80000000} }

// Handler serves calls. It returns the reply to send back, (nil, nil) for a
// one-way call that gets no answer, or an error when no answer can be made;
// the session then answers with an error result derived from it (see
// ResultOf).
type Handler interface {
	ServeRMC(ctx context.Context, c *Call) (*Reply, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Call) (*Reply, error)

// ServeRMC calls f.
func (f HandlerFunc) ServeRMC(ctx context.Context, c *Call) (*Reply, error) { return f(ctx, c) }

// Link is one element of a chain: given the rest of the chain it returns a
// handler that answers a call itself, changes it and passes it on, or
// passes it untouched (and may change the reply on the way back).
type Link func(next Handler) Handler

// Chain builds links[0] → links[1] → ... → final.
func Chain(final Handler, links ...Link) Handler {
	h := final
	for i := len(links) - 1; i >= 0; i-- {
		if links[i] != nil {
			h = links[i](h)
		}
	}
	return h
}

// Sentinel errors handlers return to steer the session.
var (
	// ErrDrop makes the session drop the call without any answer.
	ErrDrop = errors.New("proxy: call dropped")
	// ErrUpstreamGone means the upstream connection is closed or failed.
	ErrUpstreamGone = errors.New("proxy: upstream connection gone")
)

// ResultError is an error that carries the RMC result the console should
// see.
type ResultError struct {
	Result rmc.Result
	Err    error
}

func (e *ResultError) Error() string {
	if e.Err == nil {
		return "proxy: " + e.Result.String()
	}
	return "proxy: " + e.Result.String() + ": " + e.Err.Error()
}

// Unwrap exposes the cause.
func (e *ResultError) Unwrap() error { return e.Err }

// Result codes the proxy answers with on its own.
var (
	resultNotImplemented = MustResult("Core::NotImplemented")
	resultTimeout        = MustResult("Core::Timeout")
	resultConnFailure    = MustResult("RendezVous::ConnectionFailure")
	resultException      = MustResult("Core::Exception")
)

// MustResult returns the result code called name. It panics when the
// name is unknown, so it belongs in package-level variables, where a
// misspelt name stops the program at start rather than on a call.
func MustResult(name string) rmc.Result {
	r, ok := rmc.ResultByName(name)
	if !ok {
		panic("proxy: unknown result " + name)
	}
	return r
}

// ResultOf maps a handler error to the result code the caller receives.
func ResultOf(err error) rmc.Result {
	var re *ResultError
	switch {
	case errors.As(err, &re):
		return re.Result | 0x80000000
	case errors.Is(err, ErrUpstreamGone):
		return resultConnFailure
	case errors.Is(err, context.DeadlineExceeded):
		return resultTimeout
	}
	return resultException
}

// NotImplemented is the end of a chain without upstream: every call that
// reached it is unknown.
var NotImplemented Handler = HandlerFunc(func(context.Context, *Call) (*Reply, error) {
	return ErrorReply(resultNotImplemented), nil
})

// oneWay reports whether calls of a protocol are never answered (rmc.md
// §1.3): notification events, Nintendo notifications, message delivery.
func oneWay(protocol uint16) bool {
	return protocol == 14 || protocol == 100 || protocol == 27
}
