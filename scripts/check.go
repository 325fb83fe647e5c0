package scripts

import (
	"time"

	"go.uber.org/zap"
)

// checkLoadTimeout is generous: check runs once, often on a busy machine,
// and must not report a slow start as a script error.
const checkLoadTimeout = 10 * time.Second

// Check compiles every script in dir and runs their top-level code in a
// sandboxed state (so unknown protocol or method names in hook
// registrations are caught too), for `nexproxy check`. Each problem is
// one error, "file:line: message". It uses the built-in schema.
//
// Every file is checked: a syntax error in one does not hide the load
// errors of the others.
func Check(dir string) []error {
	set, errs := compileDir(dir)
	if set == nil || len(set.scripts) == 0 {
		return errs
	}
	cfg := Config{Dir: dir, PoolSize: 1, Logger: zap.NewNop(), LoadTimeout: checkLoadTimeout}.withDefaults()
	e := &Engine{cfg: cfg, log: cfg.Logger, shared: newSharedStore(), guard: newGuard(cfg.MaxMemory)}
	defer e.guard.stop()
	g := &generation{e: e, set: set, all: map[*vm]struct{}{}}
	m, err := newVM(e, g)
	if err != nil {
		return append(errs, unjoin(err)...)
	}
	m.close()
	return errs
}

// unjoin splits an errors.Join back into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
