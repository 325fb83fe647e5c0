package proxy_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin/auth"
	"github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/dnsd"
	"github.com/nexproxy/nexproxy/proxy/dnsd/dnstest"
)

// TestUpstreamLookedUpThroughResolver: a proxied game whose upstream is
// a host name is looked up through Options.Resolver (the DNS responder's
// upstream resolver), over UDP (Wii U) and WebSocket (Switch): the name,
// in the reserved .test domain, resolves nowhere else. A resolver that
// does not know the name makes the login fail.
func TestUpstreamLookedUpThroughResolver(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	const host = "nexgame.test"
	known := dnstest.Start(t, map[string]string{host: "127.0.0.1"}, dnstest.Options{})
	empty := dnstest.Start(t, nil, dnstest.Options{})
	for _, platform := range []string{"wiiu", "switch"} {
		t.Run(platform, func(t *testing.T) {
			upGame := testGame{platform: platform, upstream: "local", accounts: true}
			if platform == "switch" {
				upGame.tlsDir = writeCert(t)
			}
			up, _ := startServer(t, upGame, nil)
			defer up.Close()
			_, port, _ := net.SplitHostPort(upstreamAddr(up))
			text := gameTOML(t, testGame{platform: platform, upstream: fmt.Sprintf("%s:%s", host, port), accounts: true})

			for _, c := range []struct {
				dns  *dnstest.Server
				want bool
			}{{known, true}, {empty, false}} {
				before := c.dns.Queries("", host)
				front, cfg := startWithResolver(t, text, c.dns.Addr)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				cl, err := proxy.Login(ctx, clientConfig(cfg, front))
				cancel()
				if err == nil {
					_ = cl.Close()
				}
				if (err == nil) != c.want {
					t.Errorf("resolver knowing the name %v: login error %v", c.want, err)
				}
				if c.dns.Queries("", host) == before {
					t.Errorf("the resolver was not asked for %s", host)
				}
				_ = front.Close()
			}
		})
	}
}

// startWithResolver starts a server whose upstream names resolve through
// the DNS server at dnsAddr.
func startWithResolver(t *testing.T, text, dnsAddr string) (*proxy.Server, *config.Config) {
	t.Helper()
	cfg, err := config.LoadTOML(text)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	r, err := dnsd.Resolver(dnsAddr)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := proxy.New(cfg, proxy.Options{Builtins: []proxy.Builtin{servicetest.Host(t).Named(auth.Name, secure.Name)}, Resolver: r})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cfg.Games[0].Upstream, "nexgame.test") {
		t.Fatalf("upstream %q", cfg.Games[0].Upstream)
	}
	return srv, cfg
}
