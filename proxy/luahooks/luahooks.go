// Package luahooks connects the Lua hook engine (package scripts) to a
// proxy.Server: the hook link of every chain (on_request, on_response),
// the session events (on_connect, on_login, on_disconnect),
// nex.password_for, and the glue behind session:send. It uses only the
// proxy's public API, so the proxy knows nothing of Lua.
package luahooks

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/scripts"
)

// Hooks connects a Lua hook engine to a proxy.Server: Link runs the
// request and response hooks of every call (first in every chain, so
// hooks see what the console or server sent), the Events methods run
// on_connect, on_login and on_disconnect, and PasswordFor asks
// nex.password_for. Install puts all three into proxy.Options.
type Hooks struct {
	engine *scripts.Engine
	log    *zap.Logger
	local  map[string]bool // game name → served locally

	// mu serialises the creation of per-session state; lookups are
	// lock-free through Session.Value.
	mu sync.Mutex
	// scriptLog is where the lines hooks log (nex.log, print) go: the
	// session logs of the server the hooks are installed in
	// (SetScriptLog).
	scriptLog atomic.Pointer[func(s *rpc.Session, script, level, text string)]
}

// New wraps an engine for the server of cfg (which tells the hooks
// the games served locally); log receives what the adapter itself reports
// (nil = no logging). The engine stays the caller's to Reload and Close.
func New(e *scripts.Engine, cfg *config.Config, log *zap.Logger) *Hooks {
	if log == nil {
		log = zap.NewNop()
	}
	h := &Hooks{engine: e, log: log.Named("hooks"), local: map[string]bool{}}
	if cfg != nil {
		for i := range cfg.Games {
			h.local[cfg.Games[i].Name] = cfg.Games[i].Local()
		}
	}
	return h
}

// Install sets opts.Hooks (Spec), opts.Events and opts.PasswordFor to h.
func (h *Hooks) Install(opts *proxy.Options) {
	opts.Hooks = h.Spec()
	opts.Events = h
	opts.PasswordFor = h.PasswordFor
}

// SetScriptLog implements proxy.ScriptLogger: the server hands the hooks
// where the lines they log for a session go.
func (h *Hooks) SetScriptLog(fn func(s *rpc.Session, script, level, text string)) {
	h.scriptLog.Store(&fn)
}

// Engine returns the wrapped engine.
func (h *Hooks) Engine() *scripts.Engine { return h.engine }

// hookSessionKey is the Session value holding the hooks' state of the
// connection.
type hookSessionKey struct{}

// hookSession is what the hooks keep per console connection: the Lua
// session (call.session.store lives in it), its sender and the numeric
// connection id scripts see.
type hookSession struct {
	lua    *scripts.Session
	sender *consoleSender
	connID uint64
}

// session returns the hooks' state of s, creating it on first use.
func (h *Hooks) session(s *rpc.Session) *hookSession {
	if hs, ok := s.Value(hookSessionKey{}).(*hookSession); ok {
		return hs
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if hs, ok := s.Value(hookSessionKey{}).(*hookSession); ok {
		return hs
	}
	// The hooks' logger itself: a child logger (With) would copy the
	// encoder for every session; the two debug lines name the connection.
	snd := &consoleSender{sess: s, log: h.log}
	hs := &hookSession{lua: scripts.NewSession(snd), sender: snd}
	if log := h.scriptLog.Load(); log != nil {
		hs.lua.Log = func(script, level, text string) { (*log)(s, script, level, text) }
	}
	hs.connID, _ = strconv.ParseUint(s.ID, 10, 64)
	s.SetValue(hookSessionKey{}, hs)
	s.OnClose(snd.close)
	return hs
}

// Spec describes the hook link for a chain: named record.HandlerHook,
// wanting the calls a hook acts on.
func (h *Hooks) Spec() proxy.LinkSpec {
	return proxy.LinkSpec{Name: record.HandlerHook, Wants: h.Wants, Link: h.Link}
}

// Link is the hook link of every chain (Options.Hooks).
func (h *Hooks) Link(next rpc.Handler) rpc.Handler { return &hookHandler{h: h, next: next} }

// Wants reports whether a hook acts on c: the calls no hook wants may be
// forwarded without walking the chain.
func (h *Hooks) Wants(c *rpc.Call) bool {
	return h.engine.HasHooks(c.Protocol, c.Method, scriptsDirection(c.Direction))
}

// scriptsDirection maps the chain's direction onto the engine's. The two
// enums stay apart: scripts must not import proxy, and each spells its
// directions for its own audience (logs versus call.direction).
func scriptsDirection(d rpc.Direction) scripts.Direction {
	if d == rpc.ToConsole {
		return scripts.ServerToConsole
	}
	return scripts.ConsoleToServer
}

// hookHandler runs the hooks of one chain.
type hookHandler struct {
	h    *Hooks
	next rpc.Handler
}

func (hh *hookHandler) ServeRMC(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
	e := hh.h.engine
	dir := scriptsDirection(c.Direction)
	reqHooks := e.HasRequestHooks(c.Protocol, c.Method, dir)
	respHooks := e.HasResponseHooks(c.Protocol, c.Method, dir)
	if !reqHooks && !respHooks {
		return hh.next.ServeRMC(ctx, c)
	}

	hs := hh.h.session(c.Session)
	sc := &scripts.Call{
		Game:      c.Session.Game,
		PID:       c.Session.PID(),
		ConnID:    hs.connID,
		Protocol:  c.Protocol,
		Method:    c.Method,
		CallID:    c.CallID,
		Direction: dir,
		Settings:  c.Session.Settings,
		Body:      c.Body,
		Session:   hs.lua,
	}
	var r *rpc.Reply
	if reqHooks {
		var err error
		if r, c, err = hh.request(ctx, sc, c); err != nil {
			return nil, err
		}
	}
	var err error
	if r == nil {
		r, err = hh.next.ServeRMC(ctx, c)
	}
	if !respHooks || (r == nil && err == nil) || errors.Is(err, rpc.ErrDrop) {
		return r, err
	}
	return hh.response(ctx, sc, c, r, err)
}

// request runs the request hooks: it returns the hooks' answer, or the
// call to pass on (a copy when its body changed, so that the session log
// keeps what was received), or rpc.ErrDrop.
func (hh *hookHandler) request(ctx context.Context, sc *scripts.Call, c *rpc.Call) (*rpc.Reply, *rpc.Call, error) {
	v := hh.h.engine.OnRequest(ctx, sc)
	switch v.Action {
	case scripts.Drop:
		proxy.NoteChanged(ctx, proxy.Changed{By: v.ChangedBy})
		return nil, c, rpc.ErrDrop
	case scripts.Fail:
		proxy.NoteChanged(ctx, proxy.Changed{By: v.ChangedBy})
		return rpc.ErrorReply(v.Error), c, nil
	case scripts.Answer:
		proxy.NoteChanged(ctx, proxy.Changed{By: v.ChangedBy})
		return answerReply(v), c, nil
	}
	if v.Body != nil {
		changed := *c
		changed.Body = v.Body
		// The session log shows what was received and, beside it, what
		// went on and which script changed it.
		proxy.NoteChanged(ctx, proxy.Changed{By: v.ChangedBy, Sent: v.Body, SentSet: true})
		return nil, &changed, nil
	}
	if v.Params != nil {
		hh.h.log.Warn("hook changed parameters that cannot be encoded; call passed on unchanged",
			zap.String("conn", c.Session.ID), zap.Uint32("call_id", c.CallID))
	}
	return nil, c, nil
}

// response runs the response hooks on what the caller would get: a
// handler failure appears as the error result the session would answer
// with.
func (hh *hookHandler) response(ctx context.Context, sc *scripts.Call, c *rpc.Call, r *rpc.Reply, err error) (*rpc.Reply, error) {
	sc.PID = c.Session.PID()
	sc.Body, sc.Params = nil, nil
	if err != nil {
		sc.Result = rpc.ResultOf(err)
	} else {
		sc.Result = r.Error
		if r.Error == 0 {
			sc.Body = r.Body
		}
	}
	v := hh.h.engine.OnResponse(ctx, sc)
	// received is the answer as it came, for the session log when a hook
	// replaced it.
	received := r
	if err != nil {
		received = rpc.ErrorReply(sc.Result)
	}
	switch v.Action {
	case scripts.Drop:
		proxy.NoteChanged(ctx, proxy.Changed{By: v.ChangedBy, Received: received})
		return nil, rpc.ErrDrop
	case scripts.Fail:
		proxy.NoteChanged(ctx, proxy.Changed{By: v.ChangedBy, Received: received})
		return rpc.ErrorReply(v.Error), nil
	case scripts.Answer:
		proxy.NoteChanged(ctx, proxy.Changed{By: v.ChangedBy, Received: received})
		return answerReply(v), nil
	}
	if v.Body != nil && err == nil && r.Error == 0 {
		proxy.NoteChanged(ctx, proxy.Changed{By: v.ChangedBy, Received: received})
		return &rpc.Reply{Body: v.Body}, nil
	}
	if v.Params != nil {
		hh.h.log.Warn("hook changed response values that cannot be encoded; response unchanged",
			zap.String("conn", c.Session.ID), zap.Uint32("call_id", c.CallID))
	}
	return r, err
}

// answerReply is the success reply of a hook's answer (request or
// response hook alike); a nil ResponseBody is sent as an empty body.
func answerReply(v scripts.Verdict) *rpc.Reply {
	body := v.ResponseBody
	if body == nil {
		body = []byte{}
	}
	return &rpc.Reply{Body: body}
}

// eventTimeout bounds the hooks of one connection event beyond the
// engine's per-hook limit (several hooks may run).
const eventTimeout = 5 * time.Second

func (h *Hooks) event(s *rpc.Session, mode string) *scripts.Event {
	hs := h.session(s)
	return &scripts.Event{
		Game:    s.Game,
		PID:     s.PID(),
		ConnID:  hs.connID,
		Mode:    mode,
		Addr:    s.RemoteAddr.String(),
		Session: hs.lua,
	}
}

// mode is how the session is served (record.ModeLocal, ModeIntercepted,
// ModeBlindRelay or ModeRelayDecoded); "" on a proxied authentication leg
// before its login.
func (h *Hooks) mode(s *rpc.Session) string {
	switch {
	case h.local[s.Game]:
		return record.ModeLocal
	case s.Leg == rpc.LegSecure:
		// Blind relays bypass nexproxy's secure listener: a secure
		// session of a proxied game comes from an intercepted login or a
		// relayed-decoded one.
		if m := proxy.LoginMode(s); m != "" {
			return m
		}
		return record.ModeIntercepted
	}
	return proxy.LoginMode(s)
}

// OnConnect runs the on_connect hooks.
func (h *Hooks) OnConnect(s *rpc.Session) { h.fire(h.engine.OnConnect, h.event(s, h.mode(s))) }

// OnLogin runs the on_login hooks of a login: proxied (intercepted or
// relayed blindly) or served by the built-in authentication (Env.LoggedIn).
func (h *Hooks) OnLogin(s *rpc.Session, pid uint64) {
	ev := h.event(s, h.mode(s))
	ev.PID = pid
	h.fire(h.engine.OnLogin, ev)
}

// OnDisconnect runs the on_disconnect hooks.
func (h *Hooks) OnDisconnect(s *rpc.Session) { h.fire(h.engine.OnDisconnect, h.event(s, h.mode(s))) }

// fire runs the hooks of one connection event under eventTimeout.
func (h *Hooks) fire(run func(context.Context, *scripts.Event), ev *scripts.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), eventTimeout)
	defer cancel()
	run(ctx, ev)
}

// PasswordFor asks the scripts for a password (Options.PasswordFor): with
// it, users without an [[accounts]] entry can be intercepted.
func (h *Hooks) PasswordFor(pid uint64, game string) (string, bool) {
	if !h.engine.HasPasswordHook() {
		return "", false
	}
	return h.engine.PasswordFor(pid, game)
}

// maxHookSends bounds the calls hooks have in flight to one console, so a
// hook that sends in a loop cannot pile up goroutines.
const maxHookSends = 64

// sendTimeout bounds the delivery of one notification a hook sends.
const sendTimeout = 5 * time.Second

// errNoConsole reports a session:send on a connection whose RMC traffic has
// not started or has ended.
var errNoConsole = errors.New("luahooks: no console connection to send on")

// errTooManySends reports a session:send beyond maxHookSends calls in flight.
var errTooManySends = errors.New("luahooks: too many hook calls waiting for the console")

// consoleSender delivers session:send messages on the console connection:
// notifications (one-way protocols) directly, calls on a goroutine that
// waits for the console's answer so that the call being served is not
// held up.
type consoleSender struct {
	sess *rpc.Session
	log  *zap.Logger

	mu       sync.Mutex
	closed   bool
	inflight int
	wg       sync.WaitGroup
}

// SendToConsole implements scripts.Sender.
func (cs *consoleSender) SendToConsole(protocol uint16, method uint32, body []byte) error {
	p := cs.sess.Console()
	if p == nil {
		return errNoConsole
	}
	if rpc.OneWay(protocol) {
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		defer cancel()
		return p.Notify(ctx, protocol, method, body)
	}
	cs.mu.Lock()
	if cs.closed {
		cs.mu.Unlock()
		return errNoConsole
	}
	if cs.inflight >= maxHookSends {
		cs.mu.Unlock()
		return errTooManySends
	}
	cs.inflight++
	cs.wg.Add(1)
	cs.mu.Unlock()
	go func() {
		defer cs.wg.Done()
		defer func() {
			cs.mu.Lock()
			cs.inflight--
			cs.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), peer.CallTimeout)
		defer cancel()
		m, err := p.Call(ctx, protocol, method, body)
		switch {
		case err != nil:
			cs.log.Debug("hook call to the console got no answer", zap.String("conn", cs.sess.ID), zap.Uint16("protocol", protocol), zap.Uint32("method", method), zap.Error(err))
		case !m.Success:
			cs.log.Debug("hook call to the console failed", zap.String("conn", cs.sess.ID), zap.Uint16("protocol", protocol), zap.Uint32("method", method), zap.Stringer("error", m.Error))
		}
	}()
	return nil
}

// close runs when the session ends: the console peer has stopped, so the
// waiting calls return at once; wait for them.
func (cs *consoleSender) close() {
	cs.mu.Lock()
	cs.closed = true
	cs.mu.Unlock()
	cs.wg.Wait()
}

// FriendsOf asks the scripts' nex.friends_of for pid's friends in game
// (builtin.Friends for the services' friend modes and permissions); no
// such function means no friends.
func (h *Hooks) FriendsOf(ctx context.Context, game string, pid uint64) ([]uint64, error) {
	friends, _, err := h.engine.FriendsOf(ctx, game, pid)
	return friends, err
}

// MatchmakeCriteria asks the scripts' nex.matchmake_criteria to add or
// change a player's matchmake search criteria (builtin.SearchHook); no
// such function keeps them.
func (h *Hooks) MatchmakeCriteria(ctx context.Context, game string, pid uint64, crits []builtin.SearchCriterion) ([]builtin.SearchCriterion, error) {
	in := make([]scripts.SearchCriterion, len(crits))
	for i, c := range crits {
		in[i] = scripts.SearchCriterion(c)
	}
	out, _, err := h.engine.MatchmakeCriteria(ctx, game, pid, in)
	if err != nil {
		return nil, err
	}
	res := make([]builtin.SearchCriterion, len(out))
	for i, c := range out {
		res[i] = builtin.SearchCriterion(c)
	}
	return res, nil
}
