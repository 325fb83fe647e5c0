package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// benchAccessKeys are the harness profiles' access keys per platform.
var benchAccessKeys = map[string]string{"friends": "ridfebb9", "3ds": "6181dff1", "wiiu": "25dbf96a", "switch": "fdf6617f"}

func newBenchCommand(a *app) *cobra.Command {
	var (
		target, profile, accessKey, user, password string
		clients                                    int
		duration                                   time.Duration
		insecure                                   bool
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Log in simulated consoles and measure RMC calls/s and latency",
		Args:  cobra.NoArgs,
		// The bench talks to a server; it needs no configuration file.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, _ []string) error {
			if clients < 1 {
				return fmt.Errorf("--clients must be at least 1")
			}
			key := accessKey
			if key == "" {
				key = benchAccessKeys[profile]
			}
			cfg, err := config.LoadTOML(fmt.Sprintf("advertise = \"127.0.0.1\"\n[[games]]\nname = \"bench\"\nplatform = %q\naccess_key = %q\nauth_listen = \"127.0.0.1:1\"\nsecure_listen = \"127.0.0.1:2\"\nupstream = \"local\"\n", profile, key))
			if err != nil {
				return fmt.Errorf("profile %s: %w", profile, err)
			}
			g := cfg.Games[0]
			cc := proxy.ClientConfig{Network: "udp", Addr: target, PRUDP: g.PRUDP, Kerberos: g.Kerberos, RMC: g.RMC,
				Username: user, Password: password, Logger: zap.NewNop()}
			if g.Transport == config.TransportWebSocket {
				cc.Network = "wss"
				cc.TLSConfig = &tls.Config{InsecureSkipVerify: insecure, MinVersion: tls.VersionTLS12}
			}
			return runBench(cmd.Context(), cmd, cc, clients, duration)
		},
	}
	f := cmd.Flags()
	f.StringVar(&target, "target", "127.0.0.1:60000", "authentication server host:port")
	f.IntVar(&clients, "clients", 10, "simulated consoles")
	f.DurationVar(&duration, "duration", 10*time.Second, "how long to call")
	f.StringVar(&profile, "profile", "wiiu", "platform profile: friends, 3ds, wiiu, switch")
	f.StringVar(&accessKey, "access-key", "", "access key (default: the profile's harness key)")
	f.StringVar(&user, "user", "guest", "user name")
	f.StringVar(&password, "password", proxy.GuestPassword, "NEX password")
	f.BoolVar(&insecure, "insecure", false, "skip TLS certificate checks (switch)")
	return cmd
}

// runBench logs in every client, then has each call SecureConnection
// TestConnectivity in a loop, and prints throughput and latency.
func runBench(ctx context.Context, cmd *cobra.Command, cc proxy.ClientConfig, n int, d time.Duration) error {
	out := cmd.OutOrStdout()
	start := time.Now()
	cl := make([]*proxy.Client, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var loginErrs []error
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			c, err := proxy.Login(lctx, cc)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				loginErrs = append(loginErrs, err)
				return
			}
			cl[i] = c
		}()
	}
	wg.Wait()
	loginTime := time.Since(start)
	defer func() {
		for _, c := range cl {
			if c != nil {
				c.Close()
			}
		}
	}()
	ok := n - len(loginErrs)
	fmt.Fprintf(out, "logins: %d ok, %d failed in %s (%.1f logins/s)\n", ok, len(loginErrs), loginTime.Round(time.Millisecond), float64(ok)/loginTime.Seconds())
	if len(loginErrs) > 0 {
		fmt.Fprintf(out, "first login error: %v\n", loginErrs[0])
	}
	if ok == 0 {
		return fmt.Errorf("no client logged in")
	}
	deadline := time.Now().Add(d)
	lat := make([][]time.Duration, n)
	callErrs := make([]int, n)
	for i, c := range cl {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				m, err := c.Call(cctx, 11, 5, nil)
				cancel()
				if err != nil || !m.Success {
					callErrs[i]++
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	callStart := time.Now()
	wg.Wait()
	elapsed := time.Since(callStart)
	var all []time.Duration
	errs := 0
	for i := range lat {
		all = append(all, lat[i]...)
		errs += callErrs[i]
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(p*float64(len(all))))]
	}
	fmt.Fprintf(out, "calls: %d ok, %d failed in %s: %.0f calls/s, p50 %s, p99 %s\n",
		len(all), errs, elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds(),
		pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond))
	return nil
}
