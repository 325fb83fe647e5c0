package proxy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin/auth"
	"github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// TestSharedAuthListener serves three games on one authentication socket
// and one secure socket: a Wii U game (PRUDPv1) and two 3DS games
// (PRUDPv0) that differ only by access key. Each console's first packets
// tell nexproxy which game it plays, and each logs in to its own game.
func TestSharedAuthListener(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	auth1, sec1 := freePort(t, "udp"), freePort(t, "udp")
	games := []struct{ name, platform, key string }{
		{"mk8", "wiiu", "25dbf96a"},
		{"3ds-a", "3ds", "6181dff1"},
		{"3ds-b", "3ds", "0123abcd"},
	}
	toml := "advertise = \"127.0.0.1\"\n"
	for _, g := range games {
		toml += fmt.Sprintf(`
[[games]]
name = %q
platform = %q
access_key = %q
auth_listen = "127.0.0.1:%d"
secure_listen = "127.0.0.1:%d"
upstream = "local"
`, g.name, g.platform, g.key, auth1, sec1)
	}
	toml += fmt.Sprintf("\n[[accounts]]\npid = %s\npassword = %q\n", testUser, testPassword)
	cfg, err := config.LoadTOML(toml)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	rec := &memRecorder{}
	srv, err := proxy.New(cfg, proxy.Options{Builtins: []proxy.Builtin{servicetest.Host(t).Named(auth.Name, secure.Name)}, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, g := range games {
		gc := cfg.Games[i]
		c, err := proxy.Login(ctx, proxy.ClientConfig{
			Network: "udp", Addr: srv.AuthAddr(g.name).String(),
			PRUDP: gc.PRUDP, Kerberos: gc.Kerberos, RMC: gc.RMC,
			Username: testUser, Password: testPassword,
		})
		if err != nil {
			t.Fatalf("%s: login on the shared listener: %v", g.name, err)
		}
		if got := srv.AuthAddr(g.name).String(); got != srv.AuthAddr(games[0].name).String() {
			t.Errorf("%s listens on %s, not on the shared %s", g.name, got, srv.AuthAddr(games[0].name))
		}
		if m, err := c.Call(ctx, 11, 5, nil); err != nil || !m.Success { // TestConnectivity
			t.Errorf("%s: call on the secure leg: %v %v", g.name, err, m)
		}
		c.Close()
	}
	rec.mu.Lock()
	for _, g := range games {
		if n := rec.games[g.name]; n != 2 {
			t.Errorf("%s: %d connections served as that game, want 2 (authentication and secure)", g.name, n)
		}
	}
	rec.mu.Unlock()

	// A console whose access key matches no game is not answered, and
	// its packets are counted.
	malformed := func() uint64 {
		for _, l := range srv.Stats().Listeners {
			if l.Addr == srv.AuthAddr(games[0].name).String() {
				return l.Malformed
			}
		}
		t.Fatal("the shared listener is not in the statistics")
		return 0
	}
	before := malformed()
	other := cfg.Games[1]
	other.PRUDP.AccessKey = "ffffffff"
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	defer cancelShort()
	if c, err := proxy.Login(short, proxy.ClientConfig{
		Network: "udp", Addr: srv.AuthAddr(games[0].name).String(),
		PRUDP: other.PRUDP, Kerberos: other.Kerberos, RMC: other.RMC,
		Username: testUser, Password: testPassword,
	}); err == nil {
		c.Close()
		t.Fatal("a console with an unknown access key logged in")
	}
	if after := malformed(); after <= before {
		t.Errorf("the unknown access key's packets were not counted (%d before, %d after)", before, after)
	}
}
