package scripts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
	"go.uber.org/zap"
)

// ErrClosed reports use of an Engine after Close.
var ErrClosed = errors.New("scripts: engine closed")

// Engine runs the hooks of one scripts folder. All methods are safe for
// concurrent use.
type Engine struct {
	cfg    Config
	log    *zap.Logger
	gen    atomic.Pointer[generation]
	seq    atomic.Uint64
	reload sync.Mutex // serialises Reload and Close
	closed atomic.Bool
	shared *sharedStore
	guard  *guard
	stats  sync.Map // script name → *scriptStats
}

// New loads and compiles every script in cfg.Dir and builds the first Lua
// state (running the scripts' top-level code). Any compile or load error is
// returned, joined, each naming its file and line.
func New(cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	e := &Engine{cfg: cfg, log: cfg.Logger.Named("scripts"), shared: newSharedStore()}
	e.guard = newGuard(cfg.MaxMemory)
	g, err := e.load()
	if err != nil {
		e.guard.stop()
		return nil, err
	}
	e.gen.Store(g)
	return e, nil
}

// Reload compiles the folder again and, when everything compiles and
// loads, switches to the new set atomically: calls already running finish
// with the old set, later calls see only the new one. On error the old set
// keeps running and the error (each problem as file:line) is returned.
func (e *Engine) Reload() error {
	e.reload.Lock()
	defer e.reload.Unlock()
	if e.closed.Load() {
		return ErrClosed
	}
	g, err := e.load()
	if err != nil {
		e.log.Warn("reload rejected; previous scripts keep running", zap.Error(err))
		return err
	}
	old := e.gen.Swap(g)
	old.close()
	e.log.Info("scripts reloaded", zap.Uint64("generation", g.id), zap.Int("scripts", len(g.set.scripts)), zap.Int("hooks", len(g.index.specs)))
	return nil
}

// Close drains running hooks, closes every Lua state and stops the
// watchdog. Hook methods called afterwards continue every call unchanged.
func (e *Engine) Close() {
	e.reload.Lock()
	defer e.reload.Unlock()
	if e.closed.Swap(true) {
		return
	}
	if g := e.gen.Swap(nil); g != nil {
		g.close()
	}
	e.guard.stop()
}

// load builds a generation: compile everything, then build one state to
// run the top-level code, which also collects the hook registrations.
func (e *Engine) load() (*generation, error) {
	set, errs := compileDir(e.cfg.Dir)
	if e.cfg.MissingDirOK && len(errs) == 1 && errors.Is(errs[0], ErrNoDir) {
		if _, err := os.Stat(e.cfg.Dir); errors.Is(err, fs.ErrNotExist) {
			set, errs = &scriptSet{libs: map[string]*lua.FunctionProto{}}, nil
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	g := &generation{
		e:    e,
		id:   e.seq.Add(1),
		set:  set,
		pool: make(chan *vm, e.cfg.PoolSize),
		all:  map[*vm]struct{}{},
	}
	m, err := g.newVM(nil)
	if err != nil {
		return nil, err
	}
	g.index = newHookIndex(m.specs)
	if _, ok := m.nex.RawGetString("password_for").(*lua.LFunction); ok {
		g.passwordField = true
		g.passwordScript = "password_for"
		if fn := m.nex.RawGetString("password_for").(*lua.LFunction); fn.Proto != nil {
			g.passwordScript = fn.Proto.SourceName
		}
	}
	g.live.Store(1)
	g.pool <- m
	return g, nil
}

// acquire returns the current generation read-locked, or nil after Close.
// A generation found closed (swapped out between the load and the lock)
// is skipped for the new one.
func (e *Engine) acquire() *generation {
	for {
		g := e.gen.Load()
		if g == nil {
			return nil
		}
		g.mu.RLock()
		if !g.closed {
			return g
		}
		g.mu.RUnlock()
	}
}

// generation is one loaded script set with its pool of states.
type generation struct {
	e     *Engine
	id    uint64
	set   *scriptSet
	index *hookIndex
	pool  chan *vm // idle states; nil entries wake a waiter to retry

	passwordField  bool   // a script set nex.password_for
	passwordScript string // the script that did
	live           atomic.Int32

	// mu is read-held by every run; close takes it to drain.
	mu     sync.RWMutex
	closed bool

	allMu sync.Mutex
	all   map[*vm]struct{}
}

func (g *generation) release() { g.mu.RUnlock() }

// get borrows a state, building one while the pool is below its size.
func (g *generation) get(ctx context.Context) (*vm, error) {
	for {
		select {
		case m := <-g.pool:
			if m != nil {
				return m, nil
			}
			continue
		default:
		}
		if g.live.Add(1) <= int32(cap(g.pool)) {
			m, err := g.newVM(g.index)
			if err != nil {
				g.live.Add(-1)
				return nil, err
			}
			return m, nil
		}
		g.live.Add(-1)
		select {
		case m := <-g.pool:
			if m != nil {
				return m, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// put returns a state. A state whose hook was aborted (timeout, memory) is
// replaced: its globals may be half-updated or hold the garbage that
// caused the abort.
func (g *generation) put(m *vm, discard bool) {
	if !discard {
		g.pool <- m
		return
	}
	g.forget(m)
	m.close()
	nm, err := g.newVM(g.index)
	if err != nil {
		g.e.log.Error("rebuild lua state", zap.Error(err))
		g.live.Add(-1)
		g.pool <- nil
		return
	}
	g.pool <- nm
}

func (g *generation) forget(m *vm) {
	g.allMu.Lock()
	delete(g.all, m)
	g.allMu.Unlock()
}

// close waits for running hooks (they hold mu for reading) and closes
// every state.
func (g *generation) close() {
	g.mu.Lock()
	g.closed = true
	g.allMu.Lock()
	for m := range g.all {
		m.close()
	}
	g.all = nil
	g.allMu.Unlock()
	g.mu.Unlock()
}

// newVM builds and loads a state. want, when set, is the index of the
// generation: a state whose scripts registered different hooks (scripts
// that branch on something random) is rejected.
func (g *generation) newVM(want *hookIndex) (*vm, error) {
	m, err := newVM(g.e, g)
	if err != nil {
		return nil, err
	}
	if want != nil && !sameSpecs(m.specs, want.specs) {
		m.close()
		return nil, fmt.Errorf("scripts: a new Lua state registered different hooks than the first; scripts must register hooks the same way every time")
	}
	g.allMu.Lock()
	if g.all == nil { // closed meanwhile
		g.allMu.Unlock()
		m.close()
		return nil, ErrClosed
	}
	g.all[m] = struct{}{}
	g.allMu.Unlock()
	return m, nil
}

func sameSpecs(a, b []hookSpec) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].same(b[i]) {
			return false
		}
	}
	return true
}

// HasHooks reports whether any request or response hook would run for a
// call, so the proxy can skip decoding and the engine entirely.
func (e *Engine) HasHooks(proto uint16, method uint32, dir Direction) bool {
	return e.HasRequestHooks(proto, method, dir) || e.HasResponseHooks(proto, method, dir)
}

// HasRequestHooks reports whether OnRequest would run a hook for the call.
func (e *Engine) HasRequestHooks(proto uint16, method uint32, dir Direction) bool {
	g := e.gen.Load()
	return g != nil && g.index.has(callKind(dir, false), proto, method)
}

// HasResponseHooks reports whether OnResponse would run a hook for the call.
func (e *Engine) HasResponseHooks(proto uint16, method uint32, dir Direction) bool {
	g := e.gen.Load()
	return g != nil && g.index.has(callKind(dir, true), proto, method)
}

// ScriptStats counts the hook runs of one script since the engine started
// (reloads keep counting).
type ScriptStats struct {
	// Runs counts every hook run, including failed ones.
	Runs uint64
	// Errors counts runs that raised an error (timeouts and memory aborts
	// excluded).
	Errors uint64
	// Timeouts counts runs stopped by Config.Timeout.
	Timeouts uint64
	// MemoryAborts counts runs stopped by the memory watchdog.
	MemoryAborts uint64
}

type scriptStats struct {
	runs, errors, timeouts, memory atomic.Uint64
}

func (e *Engine) statsFor(script string) *scriptStats {
	if s, ok := e.stats.Load(script); ok {
		return s.(*scriptStats)
	}
	s, _ := e.stats.LoadOrStore(script, &scriptStats{})
	return s.(*scriptStats)
}

// Stats returns the counters per script name (file name relative to Dir).
func (e *Engine) Stats() map[string]ScriptStats {
	out := map[string]ScriptStats{}
	e.stats.Range(func(k, v any) bool {
		s := v.(*scriptStats)
		out[k.(string)] = ScriptStats{Runs: s.runs.Load(), Errors: s.errors.Load(), Timeouts: s.timeouts.Load(), MemoryAborts: s.memory.Load()}
		return true
	})
	return out
}

// Scripts returns the names of the loaded scripts, in run order.
func (e *Engine) Scripts() []string {
	g := e.gen.Load()
	if g == nil {
		return nil
	}
	out := make([]string, len(g.set.scripts))
	for i, s := range g.set.scripts {
		out[i] = s.name
	}
	return out
}
