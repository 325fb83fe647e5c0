package proxy_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/cputime"
	"github.com/nexproxy/nexproxy/proxy"
)

// BenchmarkProxiedCall measures SecureConnection.TestConnectivity over
// loopback UDP, direct to a local server and through a proxy in front of
// it, with 1 and 8 clients. Besides calls/s it reports the allocations
// and the CPU time per call of the whole process (clients and servers):
// the difference between the two targets is what the proxy costs a call. Each
// client logs in with an account of its own: a second login of one
// account ends the first one's session.
func BenchmarkProxiedCall(b *testing.B) {
	const maxClients = 8
	up, upCfg := startServer(b, testGame{platform: "wiiu", upstream: "local", accounts: true, moreUsers: maxClients}, nil)
	defer up.Close()
	front, frontCfg := startServer(b, testGame{platform: "wiiu", upstream: upstreamAddr(up), accounts: true, moreUsers: maxClients}, nil)
	defer front.Close()
	for _, target := range []string{"direct", "proxied"} {
		for _, clients := range []int{1, maxClients} {
			b.Run(fmt.Sprintf("%s/clients=%d", target, clients), func(b *testing.B) {
				cc := clientConfig(upCfg, up)
				if target == "proxied" {
					cc = clientConfig(frontCfg, front)
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
