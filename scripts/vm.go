package scripts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	"go.uber.org/zap"
)

// Lua state limits. The call stack bounds recursion (and with it the Go
// stack, which Lua→Go→Lua nesting also grows); the registry bounds the
// value stack (unpack, string.byte over a huge string).
const (
	callStackSize   = 200
	registrySize    = 4 * 1024
	registryMaxSize = 256 * 1024
	registryGrow    = 1024
)

// vm is one Lua state with the scripts of a generation loaded. It is used
// by one goroutine at a time (borrowed from the generation's pool).
type vm struct {
	e *Engine
	g *generation
	L *lua.LState

	nex       *lua.LTable
	callMT    *lua.LTable
	sessionMT *lua.LTable
	sendFn    *lua.LFunction // session:send
	verdictMT *lua.LTable
	readerMT  *lua.LTable
	writerMT  *lua.LTable
	urlMT     *lua.LTable

	specs []hookSpec
	fns   []*lua.LFunction

	loading string                // top-level script being run; "" once loaded
	modules map[string]lua.LValue // require cache

	// Per run.
	rg      runGuard
	budget  int64    // bytes the amplifying functions may still produce
	script  string   // script of the running hook, for logs
	call    *callRun // the call the hooks run for (nil for events)
	event   *Event   // the event the hooks run for (nil for calls)
	session *Session // the session the hooks run for, if any
}

// outcome classifies a hook run.
type outcome uint8

const (
	runOK outcome = iota
	runError
	runTimeout
	runMemory
)

func newVM(e *Engine, g *generation) (*vm, error) {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       callStackSize,
		RegistrySize:        registrySize,
		RegistryMaxSize:     registryMaxSize,
		RegistryGrowStep:    registryGrow,
		MinimizeStackMemory: true,
	})
	m := &vm{e: e, g: g, L: L, modules: map[string]lua.LValue{}}
	if err := m.openSandbox(); err != nil {
		L.Close()
		return nil, err
	}
	m.installNex()
	// Every script runs even after one fails, so that one load reports
	// every broken file.
	var errs []error
	for _, s := range g.set.scripts {
		m.loading = s.name
		fn := L.NewFunctionFromProto(s.proto)
		if _, out, err := m.run(context.Background(), fn, s.name, e.cfg.LoadTimeout); out != runOK {
			// Lua errors already start with "file:line:".
			if !strings.HasPrefix(err.Error(), s.name+":") {
				err = fmt.Errorf("%s: %w", s.name, err)
			}
			errs = append(errs, err)
		}
	}
	m.loading = ""
	if len(errs) > 0 {
		L.Close()
		return nil, errors.Join(errs...)
	}
	return m, nil
}

func (m *vm) close() { m.L.Close() }

// run calls fn with args under a time limit and the memory budget and
// returns its first result.
func (m *vm) run(ctx context.Context, fn *lua.LFunction, script string, timeout time.Duration, args ...lua.LValue) (lua.LValue, outcome, error) {
	L := m.L
	rctx, cancel := context.WithTimeout(ctx, timeout)
	m.budget = m.e.cfg.MaxMemory
	m.script = script
	if m.e.guard != nil {
		m.e.guard.add(&m.rg, cancel)
	}
	L.SetContext(rctx)
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), 1, nil)
	ret := lua.LValue(lua.LNil)
	if err == nil {
		ret = L.Get(-1)
		L.Pop(1)
	}
	L.RemoveContext()
	if m.e.guard != nil {
		m.e.guard.remove(&m.rg)
	}
	deadline := rctx.Err()
	cancel()
	if err == nil {
		return ret, runOK, nil
	}
	err = luaError(err)
	switch {
	case m.rg.aborted.Load():
		return nil, runMemory, fmt.Errorf("%w (heap grew by more than %d bytes during the hook)", err, m.e.cfg.MaxMemory*guardFactor)
	case errors.Is(deadline, context.DeadlineExceeded) && ctx.Err() == nil:
		return nil, runTimeout, fmt.Errorf("%w (time limit %v)", err, timeout)
	case deadline != nil:
		return nil, runTimeout, err
	}
	return nil, runError, err
}

// luaError keeps the message ("file.lua:12: text") and drops gopher-lua's
// multi-line stack trace, which is mostly Go frames.
func luaError(err error) error {
	var ae *lua.ApiError
	if errors.As(err, &ae) && ae.Object != nil {
		msg := ae.Object.String()
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return errors.New(msg)
	}
	return err
}

// charge takes n bytes from the run's budget, raising a Lua error when
// the budget is exhausted; called before the allocation happens.
func (m *vm) charge(n int64, what string) {
	if n < 0 || n > m.budget {
		m.L.RaiseError("memory limit: %s of %d bytes exceeds the hook's remaining budget of %d bytes", what, n, max(m.budget, 0))
	}
	m.budget -= n
}

// logger returns the logger with the running script and call.
func (m *vm) logger() *zap.Logger {
	l := m.e.log
	if m.script != "" {
		l = l.With(zap.String("script", m.script))
	}
	if c := m.call; c != nil {
		l = l.With(callFields(c.c)...)
	}
	if ev := m.event; ev != nil {
		l = l.With(eventFields(ev)...)
	}
	return l
}

// eventFields name the connection of an event hook, as callFields do
// for a call.
func eventFields(ev *Event) []zap.Field {
	return []zap.Field{
		zap.String("game", ev.Game),
		zap.Uint64("pid", ev.PID),
		zap.Uint64("conn", ev.ConnID),
	}
}

func callFields(c *Call) []zap.Field {
	return []zap.Field{
		zap.String("game", c.Game),
		zap.Uint64("pid", c.PID),
		zap.Uint64("conn", c.ConnID),
		zap.String("protocol", c.ProtocolName),
		zap.String("method", c.MethodName),
		zap.Uint32("call_id", c.CallID),
		zap.Stringer("direction", c.Direction),
	}
}
