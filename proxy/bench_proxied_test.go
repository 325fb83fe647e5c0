package proxy_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/cputime"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// BenchmarkProxiedCall measures SecureConnection.TestConnectivity over
// loopback UDP, direct to a local server, through a proxy in front of it,
// and through a blind relay (a proxy that does not know the accounts and
// forwards the secure leg's datagrams unchanged), with 1 and 8 clients.
// Besides calls/s it reports the allocations and the CPU time per call of
// the whole process (clients and servers): the difference from direct is
// what the proxy, or the relay, costs a call. Each
// client logs in with an account of its own: a second login of one
// account ends the first one's session.
func BenchmarkProxiedCall(b *testing.B) {
	const maxClients = 8
	// Each server's goroutines carry the profile label instance (local,
	// proxy or relay): go test -cpuprofile, then go tool pprof -tagfocus
	// instance=proxy shows what the proxy alone spends.
	up, upCfg := startLabelled(b, "local", testGame{platform: "wiiu", upstream: "local", accounts: true, moreUsers: maxClients})
	defer up.Close()
	front, frontCfg := startLabelled(b, "proxy", testGame{platform: "wiiu", upstream: upstreamAddr(up), accounts: true, moreUsers: maxClients})
	defer front.Close()
	relay, relayCfg := startLabelled(b, "relay", testGame{platform: "wiiu", upstream: upstreamAddr(up)})
	defer relay.Close()
	for _, target := range []string{"direct", "proxied", "relayed"} {
		for _, clients := range []int{1, maxClients} {
			b.Run(fmt.Sprintf("%s/clients=%d", target, clients), func(b *testing.B) {
				cc := clientConfig(upCfg, up)
				switch target {
				case "proxied":
					cc = clientConfig(frontCfg, front)
				case "relayed":
					cc = clientConfig(relayCfg, relay)
				}
				ctx := context.Background()
				cs := make([]*proxy.Client, clients)
				for i := range cs {
					cc := cc
					cc.Username, cc.Password = otherUser(i + 1)
					c, err := proxy.Login(ctx, cc)
					if err != nil {
						b.Fatal(err)
					}
					defer c.Close()
					cs[i] = c
				}
				per := b.N/clients + 1
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				b.ResetTimer()
				cpu0 := cputime.Process()
				start := time.Now()
				var wg sync.WaitGroup
				for _, c := range cs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range per {
							if m, err := c.Call(ctx, 11, 5, nil); err != nil || !m.Success {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				elapsed := time.Since(start)
				b.StopTimer()
				cpu := cputime.Process() - cpu0
				runtime.ReadMemStats(&after)
				calls := float64(per * clients)
				b.ReportMetric(calls/elapsed.Seconds(), "calls/s")
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/calls, "allocs/call")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/calls, "B/call")
				if cpu > 0 {
					b.ReportMetric(float64(cpu.Microseconds())/calls, "cpu-µs/call")
				}
			})
		}
	}
}

// startLabelled starts a server whose goroutines carry the profile label
// instance=name.
func startLabelled(b *testing.B, name string, g testGame) (srv *proxy.Server, cfg *config.Config) {
	pprof.Do(context.Background(), pprof.Labels("instance", name), func(context.Context) {
		srv, cfg = startServer(b, g, nil)
	})
	return srv, cfg
}
