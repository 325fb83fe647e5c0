package rpc

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"

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

// Leg names the server connection a call arrived on: a console talks to
// the authentication server first, then to the secure server, over two
// PRUDP connections.
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

// Sender makes calls on the other end of a session: the console, for
// services that notify it or ask it to probe a peer.
type Sender interface {
	// Call sends a request and waits for its answer.
	Call(ctx context.Context, protocol uint16, method uint32, body []byte) (*rmc.Message, error)
	// Notify sends a one-way request (protocol 14 and the like).
	Notify(ctx context.Context, protocol uint16, method uint32, body []byte) error
}

// Session describes the console connection a call belongs to. Handlers
// read it; only its carrier (the proxy) writes the exported fields, once,
// before the first call.
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

// sessionState is the mutable part of a Session.
type sessionState struct {
	pid     atomic.Uint64
	console atomic.Pointer[senderBox]
	values  sync.Map
	mu      sync.Mutex
	closed  bool
	onClose []func()
}

type senderBox struct{ s Sender }

// NewSession returns a live session; End closes it.
func NewSession(id, game string, leg Leg, remote netip.AddrPort, s rmc.Settings) *Session {
	return &Session{ID: id, Game: game, Leg: leg, RemoteAddr: remote, Settings: s, state: &sessionState{}}
}

// PID returns the principal id of the console once known (0 before login
// on the authentication leg).
func (s *Session) PID() uint64 {
	if s == nil || s.state == nil {
		return 0
	}
	return s.state.pid.Load()
}

// SetPID records the principal the console logged in as.
func (s *Session) SetPID(pid uint64) {
	if s != nil && s.state != nil {
		s.state.pid.Store(pid)
	}
}

// Console returns what sends calls to the session's console, nil until
// the connection's RMC traffic starts (or for a session without one).
func (s *Session) Console() Sender {
	if s == nil || s.state == nil {
		return nil
	}
	if b := s.state.console.Load(); b != nil {
		return b.s
	}
	return nil
}

// SetConsole sets what Console returns.
func (s *Session) SetConsole(snd Sender) {
	if s != nil && s.state != nil {
		s.state.console.Store(&senderBox{snd})
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
// registries forget what the session put there. On a session that already
// ended fn runs at once, on its own goroutine.
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

// Ended reports whether End ran.
func (s *Session) Ended() bool {
	if s == nil || s.state == nil {
		return false
	}
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	return s.state.closed
}

// End runs the OnClose functions once, in the order they were registered.
func (s *Session) End() {
	if s == nil || s.state == nil {
		return
	}
	s.state.mu.Lock()
	if s.state.closed {
		s.state.mu.Unlock()
		return
	}
	s.state.closed = true
	fns := s.state.onClose
	s.state.onClose = nil
	s.state.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
