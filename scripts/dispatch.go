package scripts

import (
	"context"
	"fmt"

	lua "github.com/yuin/gopher-lua"
	"go.uber.org/zap"
)

// OnRequest runs the request hooks of a call (console calls with
// Direction ConsoleToServer, server calls with ServerToConsole) in
// registration order, until one answers, fails or drops it. The proxy
// calls it before the built-in handler or upstream; calls of one session
// must be made one at a time (the engine serialises them per Session
// anyway), calls of different sessions may run in parallel.
func (e *Engine) OnRequest(ctx context.Context, c *Call) Verdict {
	return e.onCall(ctx, c, false)
}

// OnResponse runs the response hooks of a call before its response goes
// back to the caller. c.Result is the response's result, c.Params/c.Body
// its values. Answer replaces the response with a success, Fail with an
// error, Drop discards it.
func (e *Engine) OnResponse(ctx context.Context, c *Call) Verdict {
	return e.onCall(ctx, c, true)
}

func (e *Engine) onCall(ctx context.Context, c *Call, response bool) Verdict {
	g := e.acquire()
	if g == nil {
		return Verdict{}
	}
	defer g.release()
	hooks := g.index.match(callKind(c.Direction, response), c.Protocol, c.Method)
	if len(hooks) == 0 {
		return Verdict{}
	}
	e.fillNames(c)
	if c.Session != nil {
		c.Session.mu.Lock()
	}
	m, err := g.get(ctx)
	if err != nil {
		if c.Session != nil {
			c.Session.mu.Unlock()
		}
		e.log.Warn("no Lua state for hooks; call continues unchanged", append(callFields(c), zap.Error(err))...)
		return Verdict{}
	}
	r := newCallRun(m, c, response)
	m.call, m.session = r, c.Session
	args := []lua.LValue{m.callUserData(r)}
	var final *Verdict
	var changedBy []string
	discard := false
	for _, h := range hooks {
		spec := &g.index.specs[h]
		ret, out, err := m.run(ctx, m.fns[h], spec.script, e.cfg.Timeout, args...)
		var v *Verdict
		if out == runOK {
			if v, err = r.verdict(ret); err == nil {
				var changed bool
				if changed, err = r.commit(); err == nil && (changed || v != nil) {
					changedBy = appendScript(changedBy, spec.script)
				}
			}
			if err != nil {
				out = runError
				v = nil
				err = fmt.Errorf("%s: %w", hookPos(m.fns[h], spec.script), err)
			}
		}
		r.h = hookStage{}
		e.count(spec, out, err, c, nil)
		discard = discard || out == runTimeout || out == runMemory
		if v != nil {
			final = v
			break
		}
	}
	r.finished = true
	m.call, m.session = nil, nil
	g.put(m, discard)
	if c.Session != nil {
		c.Session.mu.Unlock()
	}
	e.flush(r.sends, c)
	if final != nil {
		final.ChangedBy = changedBy
		return *final
	}
	return Verdict{Action: Continue, Params: r.outParams, Body: r.outBody, ChangedBy: changedBy}
}

// appendScript adds script to the list unless it is its last entry (a
// script may register several hooks for one call).
func appendScript(list []string, script string) []string {
	if n := len(list); n > 0 && list[n-1] == script {
		return list
	}
	return append(list, script)
}

// hookPos is where fn starts, "file.lua:12": what a hook returned is
// checked after it returned, when the error has no position of its own.
func hookPos(fn *lua.LFunction, script string) string {
	if fn.Proto == nil {
		return script
	}
	return fmt.Sprintf("%s:%d", fn.Proto.SourceName, fn.Proto.LineDefined)
}

// count updates the statistics and logs a failed hook with its script,
// line (in the message) and call or event.
func (e *Engine) count(spec *hookSpec, out outcome, err error, c *Call, ev *Event) {
	st := e.statsFor(spec.script)
	st.runs.Add(1)
	if out == runOK {
		return
	}
	what := "hook failed"
	switch out {
	case runTimeout:
		st.timeouts.Add(1)
		what = "hook timed out"
	case runMemory:
		st.memory.Add(1)
		what = "hook aborted: memory"
	default:
		st.errors.Add(1)
	}
	fields := []zap.Field{zap.String("script", spec.script), zap.String("hook", spec.what), zap.Error(err)}
	if c != nil {
		fields = append(fields, callFields(c)...)
	}
	if ev != nil {
		fields = append(fields, eventFields(ev)...)
	}
	e.log.Warn(what+"; continuing as if it were absent", fields...)
}

func (e *Engine) flush(sends []pendingSend, c *Call) {
	for _, s := range sends {
		if err := s.session.Sender.SendToConsole(s.protocol, s.method, s.body); err != nil {
			e.log.Warn("session:send failed", append(callFields(c), zap.Uint16("send_protocol", s.protocol), zap.Uint32("send_method", s.method), zap.Error(err))...)
		}
	}
}

// fillNames completes the names scripts see from the registry.
func (e *Engine) fillNames(c *Call) {
	if c.ProtocolName != "" && c.MethodName != "" {
		return
	}
	nex := -1
	if c.Settings.PIDSize != 0 {
		nex = c.Settings.NEXVersion
	}
	p, m := e.cfg.Registry.NamesFor(c.Protocol, c.Method, nex)
	if c.ProtocolName == "" {
		c.ProtocolName = p
	}
	if c.MethodName == "" {
		c.MethodName = m
	}
}

// OnConnect runs the on_connect hooks when a console connects.
func (e *Engine) OnConnect(ctx context.Context, ev *Event) { e.onEvent(ctx, kindConnect, ev) }

// OnLogin runs the on_login hooks once the console's PID is known.
func (e *Engine) OnLogin(ctx context.Context, ev *Event) { e.onEvent(ctx, kindLogin, ev) }

// OnDisconnect runs the on_disconnect hooks when a connection ends.
func (e *Engine) OnDisconnect(ctx context.Context, ev *Event) { e.onEvent(ctx, kindDisconnect, ev) }

func (e *Engine) onEvent(ctx context.Context, k hookKind, ev *Event) {
	g := e.acquire()
	if g == nil {
		return
	}
	defer g.release()
	hooks := g.index.match(k, 0, 0)
	if len(hooks) == 0 {
		return
	}
	if ev.Session != nil {
		ev.Session.mu.Lock()
		defer ev.Session.mu.Unlock()
	}
	m, err := g.get(ctx)
	if err != nil {
		return
	}
	L := m.L
	t := L.CreateTable(0, 6)
	t.RawSetString("game", lua.LString(ev.Game))
	t.RawSetString("pid", luaU64(ev.PID))
	t.RawSetString("conn_id", luaU64(ev.ConnID))
	t.RawSetString("mode", lua.LString(ev.Mode))
	t.RawSetString("addr", lua.LString(ev.Addr))
	if ev.Session != nil {
		t.RawSetString("session", m.sessionUserData(&sessionRef{s: ev.Session}))
	}
	discard := false
	m.session, m.event = ev.Session, ev
	for _, h := range hooks {
		spec := &g.index.specs[h]
		ret, out, err := m.run(ctx, m.fns[h], spec.script, e.cfg.Timeout, t)
		if out == runOK && ret != lua.LNil {
			// nex.drop() in on_connect, say: a connection cannot be
			// answered, failed or dropped, and silence would hide that.
			out, err = runError, fmt.Errorf("%s: event hooks return nothing (they cannot answer, fail or drop), not a %s", hookPos(m.fns[h], spec.script), ret.Type())
		}
		e.count(spec, out, err, nil, ev)
		discard = discard || out == runTimeout || out == runMemory
	}
	m.session, m.event = nil, nil
	g.put(m, discard)
}

// HasPasswordHook reports whether PasswordFor can answer at all, so the
// proxy can decide between interception and blind relay without a call.
func (e *Engine) HasPasswordHook() bool {
	g := e.gen.Load()
	return g != nil && (g.index.count(kindPassword) > 0 || g.passwordField)
}

// PasswordFor asks the scripts for the NEX password of pid: the
// nex.on_password hooks in order, then nex.password_for; the first string
// returned wins; anything but a string or nil is logged as a failed hook.
// ok is false when no hook knows the PID.
func (e *Engine) PasswordFor(pid uint64, game string) (string, bool) {
	g := e.acquire()
	if g == nil {
		return "", false
	}
	defer g.release()
	hooks := g.index.match(kindPassword, 0, 0)
	if len(hooks) == 0 && !g.passwordField {
		return "", false
	}
	ctx := context.Background()
	m, err := g.get(ctx)
	if err != nil {
		return "", false
	}
	discard := false
	defer func() { g.put(m, discard) }()
	try := func(fn *lua.LFunction, spec *hookSpec) (string, bool) {
		ret, out, err := m.run(ctx, fn, spec.script, e.cfg.Timeout, luaU64(pid), lua.LString(game))
		if _, isStr := ret.(lua.LString); out == runOK && !isStr && ret != lua.LNil {
			// A password typed as a number, say: not an unknown user.
			out, err = runError, fmt.Errorf("%s: returned a %s, not a password string or nil", hookPos(fn, spec.script), ret.Type())
		}
		e.count(spec, out, err, nil, nil)
		discard = discard || out == runTimeout || out == runMemory
		if s, ok := ret.(lua.LString); ok && out == runOK {
			return string(s), true
		}
		return "", false
	}
	for _, h := range hooks {
		if s, ok := try(m.fns[h], &g.index.specs[h]); ok {
			return s, true
		}
	}
	if fn, ok := m.nex.RawGetString("password_for").(*lua.LFunction); ok {
		spec := &hookSpec{kind: kindPassword, script: g.passwordScript, what: "password_for"}
		return try(fn, spec)
	}
	return "", false
}
