package scripts

import (
	"runtime"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/rmc/schema"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout     = 50 * time.Millisecond
	DefaultLoadTimeout = time.Second
	DefaultMaxMemory   = 64 << 20
)

// Config configures an Engine.
type Config struct {
	// Dir holds the scripts: every Dir/*.lua runs at load, Dir/lib/*.lua
	// are modules for require.
	Dir string
	// Timeout bounds each hook run (default 50 ms).
	Timeout time.Duration
	// LoadTimeout bounds the top-level code of the scripts when a Lua state
	// is built (default 1 s).
	LoadTimeout time.Duration
	// MaxMemory bounds what one hook run may allocate (default 64 MiB):
	// it is the byte budget of the functions that can multiply their input
	// (string.rep, gsub, format, table.concat, nex.writer, call.body), and
	// four times it is the process heap growth at which the watchdog
	// aborts hooks that have been running for more than a few ms.
	MaxMemory int64
	// PoolSize is the number of Lua states, i.e. how many calls run hooks
	// in parallel (default GOMAXPROCS).
	PoolSize int
	// Logger receives hook errors and nex.log output (default: no logging).
	Logger *zap.Logger
	// Registry names protocols and methods and decodes and encodes their
	// bodies (default schema.Default()).
	Registry *schema.Registry
	// MissingDirOK starts the engine with no scripts when Dir does not
	// exist (yet): a later Reload, or Watch, picks the folder up once it
	// is created. Without it a missing folder is an error (ErrNoDir).
	MissingDirOK bool
}

func (c Config) withDefaults() Config {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.LoadTimeout <= 0 {
		c.LoadTimeout = DefaultLoadTimeout
	}
	if c.MaxMemory <= 0 {
		c.MaxMemory = DefaultMaxMemory
	}
	if c.PoolSize <= 0 {
		c.PoolSize = runtime.GOMAXPROCS(0)
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Registry == nil {
		c.Registry = schema.Default()
	}
	return c
}
