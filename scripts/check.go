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
func Check(dir string) []error {
	if _, errs := compileDir(dir); len(errs) > 0 {
		return errs
	}
	e, err := New(Config{Dir: dir, PoolSize: 1, Logger: zap.NewNop(), LoadTimeout: checkLoadTimeout})
	if err != nil {
		return []error{err}
	}
	e.Close()
	return nil
}
