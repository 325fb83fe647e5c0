package proxy_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin/auth"
	"github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
)

// TestHookLogInSessionLog: what a hook logs (nex.log, print) for a
// connection is in that connection's session log as script records, with
// the script's name and level, for events and calls alike.
func TestHookLogInSessionLog(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	dir := scriptDir(t, map[string]string{"trace.lua": `
nex.on_login(function(ev) nex.log.warn("login of", ev.pid) end)
nex.on_request("SecureConnection", "TestConnectivity", function(call) print("ping from", call.pid) end)`})
	e, _ := newHookEngine(t, dir, nil)
	defer e.Close()
	logs := t.TempDir()
	fr := record.NewFile(record.FileOptions{Dir: logs})
	cfg, err := config.LoadTOML(gameTOML(t, testGame{platform: "wiiu", upstream: "local", accounts: true}))
	if err != nil {
		t.Fatal(err)
	}
	srv := startConfig(t, cfg, proxy.Options{Builtins: []proxy.Builtin{servicetest.Host(t).Named(auth.Name, secure.Name)}, Recorder: fr}, e)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, srv))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if m, err := c.Call(ctx, 11, 5, nil); err != nil || !m.Success {
		t.Fatalf("TestConnectivity: %v %v", err, m)
	}
	c.Close()
	srv.Close()
	fr.Close()

	authLog, secureLog := byServer(t, readSessionLogs(t, logs))
	want := []struct {
		f           *sessionFile
		level, text string
	}{{authLog, "warn", "login of\t1234567"}, {secureLog, "info", "ping from\t1234567"}}
	for _, w := range want {
		var got *sessionlog.Record
		for i := range w.f.records {
			if r := &w.f.records[i]; r.Type == sessionlog.TypeScript {
				got = r
			}
		}
		if got == nil || got.Script != "trace.lua" || got.Level != w.level || got.Text != w.text {
			t.Errorf("%s: script record %+v, want trace.lua [%s] %q\n%s", w.f.server(), got, w.level, w.text, w.f.raw)
		}
	}
}
