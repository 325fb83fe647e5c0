package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// benchCallTimeout bounds one call beyond the run's duration: PRUDP is
// reliable, so a call only fails when its connection dies; this is the
// backstop against a server that accepts calls and never answers.
const benchCallTimeout = 10 * time.Second

// loadResult is what one load run against one target measured.
type loadResult struct {
	logins    int
	loginErrs []error
	loginTime time.Duration
	callErrs  int
	elapsed   time.Duration
	lat       []time.Duration // of every call that succeeded, sorted
	// With --self, the CPU time per call of each server's process.
	localCPU, proxyCPU time.Duration
}

// calls is how many calls succeeded.
func (r *loadResult) calls() int { return len(r.lat) }

func (r *loadResult) callsPerSec() float64 { return perSec(r.calls(), r.elapsed) }

func perSec(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// pct returns the p-quantile (0..1) of the call latencies.
func (r *loadResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]
}

// print writes the run's two result lines.
func (r *loadResult) print(w io.Writer, indent string) {
	printLogins(w, indent, r.logins, r.loginErrs, r.loginTime)
	if r.logins == 0 {
		return
	}
	fmt.Fprintf(w, "%scalls: %d ok, %d failed in %s: %.0f calls/s, p50 %s, p99 %s\n", indent,
		r.calls(), r.callErrs, r.elapsed.Round(time.Millisecond), r.callsPerSec(),
		r.pct(0.50).Round(time.Microsecond), r.pct(0.99).Round(time.Microsecond))
}

// printLogins writes the result of loginAll: ok logins, the failures and
// the first of them.
func printLogins(w io.Writer, indent string, ok int, errs []error, d time.Duration) {
	fmt.Fprintf(w, "%slogins: %d ok, %d failed in %s (%.1f logins/s)\n", indent, ok, len(errs),
		d.Round(time.Millisecond), perSec(ok, d))
	if len(errs) > 0 {
		fmt.Fprintf(w, "%sfirst login error: %v\n", indent, errs[0])
	}
}

// userFor names the account of the i-th client; nil: every client logs in
// as cc says. A PID has one secure session (a second login replaces the
// first), so clients that must stay up together use accounts of their own
// unless they are guests.
type userFor func(i int) string

// loginAll logs in n clients with at most par logins at once and returns
// those that succeeded (in no particular order) and the errors.
func loginAll(ctx context.Context, cc proxy.ClientConfig, users userFor, n, par int) ([]*proxy.Client, []error, time.Duration) {
	start := time.Now()
	var (
		mu   sync.Mutex
		ok   = make([]*proxy.Client, 0, n)
		errs []error
	)
	inParallel(ctx, n, par, func(i int) {
		lctx, cancel := context.WithTimeout(ctx, benchLoginTimeout)
		defer cancel()
		cc := cc
		if users != nil {
			cc.Username = users(i)
		}
		c, err := proxy.Login(lctx, cc)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		ok = append(ok, c)
	})
	return ok, errs, time.Since(start)
}

// benchLoginTimeout bounds one simulated console's login.
const benchLoginTimeout = 30 * time.Second

// inParallel runs fn(i) for every i below n, at most par at once, and
// waits for them; once ctx is done it starts no more.
func inParallel(ctx context.Context, n, par int, fn func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, par))
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			fn(i)
		}()
	}
	wg.Wait()
}

// closeClients disconnects every client, many at once.
func closeClients(cl []*proxy.Client) {
	inParallel(context.Background(), len(cl), 256, func(i int) { _ = cl[i].Close() })
}

// runLoad logs in n clients at once, then has each call SecureConnection
// TestConnectivity back to back for d, and measures every call.
func runLoad(ctx context.Context, cc proxy.ClientConfig, users userFor, n int, d time.Duration) (*loadResult, error) {
	r := &loadResult{}
	cl, errs, lt := loginAll(ctx, cc, users, n, n)
	defer closeClients(cl)
	r.logins, r.loginErrs, r.loginTime = len(cl), errs, lt
	if len(cl) == 0 {
		return r, nil
	}
	deadline := time.Now().Add(d)
	cctx, cancel := context.WithDeadline(ctx, deadline.Add(benchCallTimeout))
	defer cancel()
	lat := make([][]time.Duration, len(cl))
	callErrs := make([]int, len(cl))
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range cl {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := make([]time.Duration, 0, 4096)
			for {
				t0 := time.Now()
				if !t0.Before(deadline) || cctx.Err() != nil {
					break
				}
				m, err := c.Call(cctx, 11, 5, nil)
				if err != nil || !m.Success {
					callErrs[i]++
					if errors.Is(err, rpc.ErrUpstreamGone) {
						break // the connection died: no point calling on
					}
					continue
				}
				l = append(l, time.Since(t0))
			}
			lat[i] = l
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	for i := range lat {
		r.lat = append(r.lat, lat[i]...)
		r.callErrs += callErrs[i]
	}
	slices.Sort(r.lat)
	return r, nil
}
