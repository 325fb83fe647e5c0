package scripts

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/vectors"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// writeScripts creates a scripts folder holding files (name → source).
func writeScripts(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// newEngine loads files into a fresh folder with an observed logger.
func newEngine(tb testing.TB, files map[string]string, mod ...func(*Config)) (*Engine, *observer.ObservedLogs) {
	tb.Helper()
	dir := tb.TempDir()
	writeScripts(tb, dir, files)
	core, logs := observer.New(zap.DebugLevel)
	// Generous limits: the tests run on loaded machines; the tests of the
	// limits themselves set their own.
	cfg := Config{Dir: dir, Logger: zap.New(core), PoolSize: 2, Timeout: 5 * time.Second, LoadTimeout: 30 * time.Second}
	for _, f := range mod {
		f(&cfg)
	}
	e, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	tb.Cleanup(e.Close)
	return e, logs
}

// vectorCall builds a Call from the first message of a session vector with
// the given protocol, method and kind ("request" or "response"); the body
// is the real captured one and Params are left for the engine to decode.
func vectorCall(tb testing.TB, file string, proto uint16, method uint32, kind string) *Call {
	tb.Helper()
	s := vectors.LoadSession(tb, file)
	var req *vectors.Message
	for i := range s.Messages {
		m := &s.Messages[i]
		if m.ProtocolID == proto && m.MethodID != nil && *m.MethodID == method && m.Kind == "request" {
			req = m
			if kind == "request" {
				break
			}
		}
		if kind == "response" && req != nil && m.Kind == "response" && m.CallID == req.CallID && m.Conn == req.Conn {
			return buildCall(tb, s, m, proto, method, true)
		}
	}
	if req == nil || kind != "request" {
		tb.Fatalf("%s: no %s for %d.%d", file, kind, proto, method)
	}
	return buildCall(tb, s, req, proto, method, false)
}

func buildCall(tb testing.TB, s *vectors.Session, m *vectors.Message, proto uint16, method uint32, response bool) *Call {
	pid, header, nex := s.RMC(m.Conn)
	c := &Call{
		Game:      "test",
		PID:       1234567,
		ConnID:    7,
		Protocol:  proto,
		Method:    method,
		CallID:    m.CallID,
		Direction: ConsoleToServer,
		Settings:  rmc.Settings{PIDSize: pid, StructHeader: header, NEXVersion: nex},
		Body:      vectors.Hex(tb, m.Body),
	}
	if response && m.ErrorCode != nil {
		c.Result = rmc.Result(*m.ErrorCode)
	}
	return c
}

// decode decodes a body of the call's method for assertions.
func decode(tb testing.TB, c *Call, response bool, body []byte) *schema.Value {
	tb.Helper()
	v, err := decodeBody(schema.Default(), c, response, body)
	if err != nil {
		tb.Fatalf("decode: %v", err)
	}
	return v
}

func field(tb testing.TB, v *schema.Value, path string) *schema.Value {
	tb.Helper()
	f, err := v.Get(path)
	if err != nil {
		tb.Fatalf("get %s: %v", path, err)
	}
	return f
}

var bg = context.Background()
