package proxy_test

import (
	"context"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/prudp"
)

// consoleOf is the client configuration of a console of the game that
// speaks PRUDP variant v: the game's profile in that format, and
// structure headers as the server decides them per connection
// (config.StructHeaderRule: v1 by negotiated minor version, v0 by the
// title's NEX version).
func consoleOf(cfg *config.Config, srv *proxy.Server, v prudp.Variant) proxy.ClientConfig {
	cc := clientConfig(cfg, srv)
	cc.PRUDP = cc.PRUDP.ForVariant(v)
	cc.RMC.StructHeader = config.StructHeaderRule(v, cc.PRUDP.MinorVersion, cc.RMC.NEXVersion)
	return cc
}

// TestLoginEitherUDPVariant: consoles of both UDP formats log in to one
// game on one pair of listeners, whichever format the game is configured
// for, side by side; and through a proxy, whose upstream leg speaks the
// console's format.
func TestLoginEitherUDPVariant(t *testing.T) {
	for _, platform := range []string{"3ds", "wiiu"} {
		t.Run(platform+" local", func(t *testing.T) {
			// Two accounts: a PID's later secure connection ends its
			// earlier one.
			srv, cfg := startServer(t, testGame{platform: platform, upstream: "local", accounts: true, moreUsers: 1}, &memRecorder{})
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var clients []*proxy.Client
			for i, v := range []prudp.Variant{prudp.V0, prudp.V1} {
				cc := consoleOf(cfg, srv, v)
				if i > 0 {
					cc.Username, cc.Password = otherUser(i)
				}
				c, err := proxy.Login(ctx, cc)
				if err != nil {
					t.Fatalf("%s console: login: %v", v, err)
				}
				defer c.Close()
				clients = append(clients, c)
				pub := registerEx(t, ctx, c, cc.RMC)
				checkPublic(t, c, pub)
			}
			for i, c := range clients {
				if m, err := c.Call(ctx, 11, 5, nil); err != nil || !m.Success {
					t.Fatalf("console %d: TestConnectivity: %v %v", i, err, m)
				}
			}
		})
	}
	t.Run("3ds proxied", func(t *testing.T) {
		up, _ := startServer(t, testGame{platform: "3ds", upstream: "local", accounts: true}, &memRecorder{})
		defer up.Close()
		front, cfg := startServer(t, testGame{platform: "3ds", upstream: upstreamAddr(up), accounts: true}, &memRecorder{})
		defer front.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for _, v := range []prudp.Variant{prudp.V1, prudp.V0} {
			cc := consoleOf(cfg, front, v)
			c, err := proxy.Login(ctx, cc)
			if err != nil {
				t.Fatalf("%s console: login: %v", v, err)
			}
			pub := registerEx(t, ctx, c, cc.RMC)
			checkPublic(t, c, pub)
			c.Close()
		}
	})
}
