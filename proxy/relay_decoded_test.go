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
	"github.com/nexproxy/nexproxy/proxy/record"
)

// TestSwitchWithoutKeyRelayedDecoded: a Switch login whose response
// carries no source key and whose password nexproxy does not know (the
// NintendoClients server's NullData logins) still sends the console to
// nexproxy's secure endpoint: its CONNECT is passed to the upstream
// unchanged (PRUDPLite needs no session key), and its calls are decoded,
// logged, URL-rewritten and hookable. Both session logs say
// relay-decoded.
func TestSwitchWithoutKeyRelayedDecoded(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	e, _ := newHookEngine(t, scriptDir(t, map[string]string{"answer.lua": `
nex.on_request(0x7E1, 1, function(call) return nex.answer_raw("from-hook") end)`}), nil)
	defer e.Close()
	upRec, frontRec := &memRecorder{}, &memRecorder{}
	up, _ := startWithOptions(t, testGame{platform: "switch", upstream: "local", accounts: true, tlsDir: writeCert(t)},
		proxy.Options{Builtins: []proxy.Builtin{servicetest.Host(t).Named(auth.Name, secure.Name)}, Recorder: upRec}, nil)
	defer up.Close()
	// The front knows no password, and Login (ValidateAndRequestTicket)
	// responses carry no source key.
	front, cfg := startWithOptions(t, testGame{platform: "switch", upstream: upstreamAddr(up)}, proxy.Options{Recorder: frontRec}, e)
	defer front.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	if port, _ := c.Station.Port(); port != portOf(front.SecureAddr("g")) {
		t.Fatalf("station %s: the console is sent around nexproxy (its secure port is %s)", c.Station.String(), front.SecureAddr("g"))
	}
	pub := registerEx(t, ctx, c, cfg.Games[0].RMC)
	checkPublic(t, c, pub)
	if m, err := c.Call(ctx, 11, 5, nil); err != nil || !m.Success {
		t.Fatalf("TestConnectivity: %v %v", err, m)
	}
	m, err := c.Call(ctx, 0x7E1, 1, nil)
	if err != nil || !m.Success || string(m.Body) != "from-hook" {
		t.Fatalf("hooked call: %v %v %q", err, m, m.Body)
	}
	if e := frontRec.find(11, 4); e == nil || e.Request == nil || e.Response == nil || e.Handler != record.HandlerUpstream {
		t.Errorf("front session log of RegisterEx: %+v, want it decoded and forwarded", e)
	}
	if e := upRec.find(11, 5); e == nil {
		t.Error("the upstream did not serve the secure calls")
	}
	if got := frontRec.loginsString(); got != "[1234567:relay-decoded 1234567:relay-decoded]" {
		t.Errorf("logins %s, want the login and the secure session relay-decoded", got)
	}
}
