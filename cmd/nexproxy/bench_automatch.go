package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nexproxy/nexproxy/internal/automatch"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
)

// The automatch scenario of `nexproxy bench`: issue 11's target of N
// consoles auto-matchmaking into sessions of a size, on one instance or
// on several that share PostgreSQL and Redis. Each instance runs in a
// child process of its own, started as the local instance of --self is
// (bench --self-serve --blind --clients N: an account per console), so
// that its CPU and memory are its own.

// Scenarios of the bench command.
const (
	scenarioLoad      = "load"
	scenarioAutomatch = "automatch"
)

// automatchLoginParallelism bounds the scenario's logins in flight: enough
// to keep the servers busy, few enough not to time out handshakes on a
// small machine.
const automatchLoginParallelism = 32

// automatchCallTimeout bounds the whole matchmaking phase beyond its
// spread: the backstop against a server that never answers.
const automatchCallTimeout = 2 * time.Minute

// benchStoreEnv are the environment variables the --postgres and --redis
// flags default to: the ones .ci/store-services.sh exports.
const (
	benchPostgresEnv = "NEXPROXY_TEST_POSTGRES"
	benchRedisEnv    = "NEXPROXY_TEST_REDIS"
)

// selfStore is the shared [store] of the instances of a scenario with
// --instances above 1 (zero: each instance has its own SQLite).
type selfStore struct {
	postgres, redis, redisPrefix string
}

// checkAutomatch checks the flags of the automatch scenario.
func (o benchOptions) checkAutomatch() error {
	switch {
	case !o.self:
		return errors.New("--scenario automatch needs --self (it starts the instances, with an account per console)")
	case o.sessionSize < 2 || o.sessionSize > 0xffff:
		return fmt.Errorf("--session-size %d: want 2 to 65535", o.sessionSize)
	case o.clients%o.sessionSize != 0:
		return fmt.Errorf("--clients %d is not a multiple of --session-size %d: not every console could be matched", o.clients, o.sessionSize)
	case o.spread < 0:
		return errors.New("--spread must not be negative")
	case o.instances < 1:
		return errors.New("--instances must be at least 1")
	case o.instances > 1 && (o.postgres == "" || o.redis == ""):
		return fmt.Errorf("--instances %d share their state in PostgreSQL and Redis: give --postgres and --redis (or set %s and %s, e.g. with `source .ci/store-services.sh && store_services_start`)",
			o.instances, benchPostgresEnv, benchRedisEnv)
	case o.blind, o.relay, o.userRange != "", o.compare != "", o.rounds != 1, o.coalesce != "default":
		return errors.New("--scenario automatch takes none of --blind, --relay, --users, --compare, --rounds, --coalesce-acks")
	}
	return nil
}

// runAutomatchBench is `bench --self --scenario automatch`: it starts the
// instances, runs the scenario against them and stops them.
func runAutomatchBench(ctx context.Context, out io.Writer, o benchOptions, key string) error {
	if err := o.checkAutomatch(); err != nil {
		return err
	}
	cc, err := benchClientConfig(o, key)
	if err != nil {
		return err
	}
	if cc.Network == "wss" {
		cc.Network = "ws" // the child's WebSocket listeners have no certificate
	}
	cc.Password = blindBenchPassword
	cc.OnRequest = automatch.AnswerServer
	set := o.selfSetup(key)
	if o.instances > 1 {
		st, drop, err := benchStore(ctx, o.postgres, o.redis)
		if err != nil {
			return err
		}
		defer drop()
		set.store = st
	}
	servers := make([]*selfServer, 0, o.instances)
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	addrs := make([]string, 0, o.instances)
	for range o.instances {
		s, err := startSelf(ctx, set)
		if err != nil {
			return err
		}
		servers = append(servers, s)
		addrs = append(addrs, s.addr)
		fmt.Fprintf(out, "self: instance on %s (server process %d)\n", s.addr, s.cmd.Process.Pid)
	}
	stats := func() (rss int64, cpu time.Duration, conns int, err error) {
		for _, s := range servers {
			r, c, n, err := s.stats()
			if err != nil {
				return 0, 0, 0, err
			}
			rss, cpu, conns = rss+r, cpu+c, conns+n
		}
		return rss, cpu, conns, nil
	}
	cpu := func() (total time.Duration, err error) {
		for _, s := range servers {
			c, err := s.cpu()
			if err != nil {
				return 0, err
			}
			total += c
		}
		return total, nil
	}
	srv := automatchServers{stats: stats, cpu: cpu}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o750); err != nil {
			return fmt.Errorf("--pprof: %w", err)
		}
		srv.profile = func(cmd, kind string) error {
			for i, s := range servers {
				path := ""
				if kind != "" {
					path = filepath.Join(o.profileDir, fmt.Sprintf("automatch-%d.%s.pprof", i, kind))
				}
				if err := s.profile(cmd, path); err != nil {
					return err
				}
			}
			return nil
		}
	}
	_, err = runAutomatch(ctx, out, cc, addrs, o.clients, o.sessionSize, o.spread, srv)
	return err
}

// benchStore makes the shared store of several instances: a PostgreSQL
// schema of its own (dropped by drop) and a Redis key prefix of its own,
// so that no earlier run's sessions are matched.
func benchStore(ctx context.Context, pg, redis string) (selfStore, func(), error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "nexproxy_bench_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, pg)
	if err != nil {
		return selfStore{}, nil, fmt.Errorf("--postgres: %w", err)
	}
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+name); err != nil {
		_ = admin.Close(ctx)
		return selfStore{}, nil, fmt.Errorf("--postgres: create schema %s: %w", name, err)
	}
	drop := func() {
		// The run's context may be over: dropping must not depend on it.
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(dctx, `DROP SCHEMA `+name+` CASCADE`); err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop schema %s: %v\n", name, err)
		}
		_ = admin.Close(dctx)
	}
	sep := "?"
	if strings.Contains(pg, "?") {
		sep = "&"
	}
	return selfStore{postgres: pg + sep + "search_path=" + name, redis: redis, redisPrefix: name + ":"}, drop, nil
}

// automatchServers reads the servers' state; any may be nil (unknown, or
// no profiles wanted).
type automatchServers struct {
	stats serverStats                   // memory, after a collection
	cpu   func() (time.Duration, error) // CPU time so far, without collecting
	// profile asks every instance for a profile (--pprof): cmd is "cpu"
	// (start one), "cpu-stop" or "heap", kind the file's kind ("cpu",
	// "heap"; "" for cpu-stop).
	profile func(cmd, kind string) error
}

// automatchIdleCPU is how long the scenario measures the servers' CPU
// with every console logged in and idle before the calls: the upkeep of
// the sessions (keep-alives, timers), subtracted from the calls' CPU.
const automatchIdleCPU = time.Second

// automatchResult is what the scenario measured.
type automatchResult struct {
	*automatch.Result
	size      int
	instances int           // console i logged in on instance i%instances
	matchErr  error         // nil: all matched
	elapsed   time.Duration // of the matchmaking phase
	serverCPU time.Duration // the servers' CPU time during it (0: unknown)
	idleCPU   time.Duration // of it, the idle upkeep's estimate
}

// runAutomatch logs n consoles in, console i on addrs[i%len(addrs)],
// closes their authentication connections, has each auto-matchmake once
// into sessions of size with their starts spread over spread, prints the
// result and, with stats, the servers' CPU per call and memory per idle
// console in a gathering. It fails when not every console was matched.
func runAutomatch(ctx context.Context, out io.Writer, cc proxy.ClientConfig, addrs []string, n, size int, spread time.Duration, srv automatchServers) (*automatchResult, error) {
	stats := srv.stats
	var rss0 int64
	if stats != nil {
		var err error
		if rss0, _, _, err = stats(); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(out, "automatch: %d consoles on %d instance(s), sessions of %d, calls spread over %s\n", n, len(addrs), size, spread)
	consoles, lt, err := loginConsoles(ctx, cc, addrs, n)
	defer closeClients(consoles)
	if err != nil {
		return nil, err
	}
	printLogins(out, "  ", n, nil, lt)
	for _, c := range consoles {
		_ = c.CloseAuth()
	}
	// Let the servers see every authentication connection close before
	// the memory reading.
	select {
	case <-time.After(idleSettle):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var rss1 int64
	if stats != nil {
		if rss1, _, _, err = stats(); err != nil {
			return nil, err
		}
	}
	// The idle sessions' upkeep, per second, to tell it from the calls'.
	var idleRate float64
	if srv.cpu != nil {
		a, err := srv.cpu()
		if err != nil {
			return nil, err
		}
		select {
		case <-time.After(automatchIdleCPU):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		b, err := srv.cpu()
		if err != nil {
			return nil, err
		}
		idleRate = float64(b-a) / automatchIdleCPU.Seconds()
	}
	var cpu0 time.Duration
	if srv.cpu != nil {
		if cpu0, err = srv.cpu(); err != nil {
			return nil, err
		}
	}
	clients := make([]*matchmakeextension.Client, n)
	for i, c := range consoles {
		clients[i] = matchmakeextension.NewClient(c.Secure, cc.RMC)
	}
	if srv.profile != nil {
		// The CPU profile covers the matchmaking phase alone.
		if err := srv.profile("cpu", "cpu"); err != nil {
			return nil, err
		}
	}
	cctx, cancel := context.WithTimeout(ctx, spread+automatchCallTimeout)
	t0 := time.Now()
	r := &automatchResult{Result: automatch.Run(cctx, clients, uint16(size), spread), size: size, instances: len(addrs)}
	r.elapsed = time.Since(t0)
	cancel()
	if srv.profile != nil {
		if err := srv.profile("cpu-stop", ""); err != nil {
			return nil, err
		}
	}
	if srv.cpu != nil {
		cpu1, err := srv.cpu()
		if err != nil {
			return nil, err
		}
		r.serverCPU = cpu1 - cpu0
		r.idleCPU = time.Duration(idleRate * r.elapsed.Seconds())
	}
	r.matchErr = r.Check(size)
	r.print(out, "  ")
	if stats != nil && r.matchErr == nil {
		select {
		case <-time.After(idleSettle):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		rss2, _, _, err := stats()
		if err != nil {
			return nil, err
		}
		if srv.profile != nil {
			// The idle consoles in their gatherings: what their memory is.
			if err := srv.profile("heap", "heap"); err != nil {
				return nil, err
			}
		}
		fmt.Fprintf(out, "  server RSS %.1f MiB -> %.1f MiB logged in -> %.1f MiB in gatherings: %+.1f KiB per idle console, %+.1f KiB of it logged in\n",
			mib(rss0), mib(rss1), mib(rss2), float64(rss2-rss0)/float64(n)/1024, float64(rss1-rss0)/float64(n)/1024)
	}
	if r.matchErr != nil {
		return r, fmt.Errorf("automatch: not all consoles were matched: %w", r.matchErr)
	}
	return r, nil
}

// print writes the scenario's result lines.
func (r *automatchResult) print(w io.Writer, indent string) {
	n := len(r.GID)
	if r.matchErr != nil {
		fmt.Fprintf(w, "%sall matched: no: %v\n", indent, r.matchErr)
	} else {
		fmt.Fprintf(w, "%sall matched: yes: %d consoles in %d sessions of %d\n", indent, n, n/r.size, r.size)
	}
	if r.instances > 1 {
		fmt.Fprintf(w, "%ssessions with consoles of more than one instance: %d\n", indent, r.spanning())
	}
	lat := r.Sorted()
	if n > 0 {
		fmt.Fprintf(w, "%scalls: %d in %s: p50 %s, p99 %s, max %s per AutoMatchmake call\n", indent, n, r.elapsed.Round(time.Millisecond),
			automatch.Percentile(lat, 0.50).Round(10*time.Microsecond), automatch.Percentile(lat, 0.99).Round(10*time.Microsecond),
			lat[n-1].Round(10*time.Microsecond))
	}
	if r.serverCPU > 0 && n > 0 {
		net := max(r.serverCPU-r.idleCPU, 0)
		fmt.Fprintf(w, "%sserver CPU: %s per call without the idle sessions' upkeep (%s in all, of it %s the upkeep's estimate)\n", indent,
			(net / time.Duration(n)).Round(time.Microsecond), r.serverCPU.Round(time.Millisecond), r.idleCPU.Round(time.Millisecond))
	}
}

// spanning counts the sessions whose consoles logged in on more than one
// instance.
func (r *automatchResult) spanning() int {
	first := map[uint32]int{} // gid -> instance of its first console
	spans := map[uint32]bool{}
	for i, g := range r.GID {
		in := i % max(r.instances, 1)
		if f, ok := first[g]; !ok {
			first[g] = in
		} else if f != in {
			spans[g] = true
		}
	}
	return len(spans)
}

// loginConsoles logs console i in as blindUsers(i) on addrs[i%len]
// and registers its station URL, as consoles do,
// automatchLoginParallelism at a time; every console must log in.
func loginConsoles(ctx context.Context, cc proxy.ClientConfig, addrs []string, n int) ([]*proxy.Client, time.Duration, error) {
	start := time.Now()
	consoles := make([]*proxy.Client, n)
	errs := make([]error, n)
	inParallel(ctx, n, automatchLoginParallelism, func(i int) {
		lctx, cancel := context.WithTimeout(ctx, benchLoginTimeout)
		defer cancel()
		cc := cc
		cc.Addr, cc.Username = addrs[i%len(addrs)], blindUsers(i)
		c, err := proxy.Login(lctx, cc)
		if err == nil {
			if err = automatch.Register(lctx, c, cc.RMC); err != nil {
				_ = c.Close()
			}
		}
		if err == nil {
			consoles[i] = c
		}
		errs[i] = err
	})
	ok := consoles[:0:0]
	for _, c := range consoles {
		if c != nil {
			ok = append(ok, c)
		}
	}
	first := firstError(errs)
	if first == nil && len(ok) < n {
		first = ctx.Err() // the run ended before every console started
	}
	if first != nil {
		return ok, time.Since(start), fmt.Errorf("automatch: %d of %d consoles did not log in: %w", n-len(ok), n, first)
	}
	return consoles, time.Since(start), nil
}

// firstError is the first non-nil error of errs.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
