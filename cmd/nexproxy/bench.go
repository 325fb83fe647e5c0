package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/prudp"
)

// benchAccessKeys are the harness profiles' access keys per platform.
var benchAccessKeys = map[string]string{"friends": "ridfebb9", "3ds": "6181dff1", "wiiu": "25dbf96a", "switch": "fdf6617f"}

const benchLong = `Log in simulated consoles, have each call SecureConnection
TestConnectivity back to back, and print logins/s, calls/s and the p50/p99
call latency.

Targets:
  --target HOST:PORT    the authentication server to measure (a nexproxy
                        local instance, a proxy, or any NEX server)
  --compare HOST:PORT   run the same load against a second target right
                        after the first (e.g. a proxy in front of --target)
                        and print the ratio of calls/s and the latency the
                        second one adds
  --self                start a local-mode instance and a proxy in front of
                        it on loopback (each in a child process of its
                        own, so that each server's memory and CPU are its
                        own) and measure both: direct, then through the
                        proxy; also prints each server's CPU time per
                        call
  --rounds N            measure the targets N times, each round starting
                        with the next one, and print the median (and
                        range) of the ratios and of the added latency: on
                        a shared machine one run swings by tens of
                        microseconds
  --coalesce-acks WHICH with --self: the instances whose PRUDP
                        acknowledgements share datagrams with the next
                        packet (coalesce_acks): default (every side as
                        its preset says: on for v1 and lite, consoles
                        included), none, proxy (both legs of the proxy)
                        or all (both servers); except with default, the
                        simulated consoles do not coalesce
  --blind               with --self: log in with an account only the local
                        instance knows: the proxy cannot open the ticket
                        and relays the secure leg's datagrams unchanged,
                        which shows what relaying alone costs (UDP
                        profiles only); its CPU per call is printed where
                        the proxy's is otherwise
  --relay               with --self: measure the blind relay as well, in
                        the same rounds (a third target: consoles on
                        accounts only the local instance knows, through
                        the same proxy process), and print the proxy's
                        CPU per call as a multiple of the relay's (UDP
                        profiles only)
  --session-logs DIR    with --self: both servers write session logs, as
                        serve does with the bundled config.toml's
                        log.sessions (DIR/local, DIR/proxy)
  --echo D              first measure the machine's loopback UDP echo for
                        D (default 2s, 0: skip), again before every round,
                        with as many clients, and print each run's calls/s
                        as a fraction of half its replies/s (a call is 4
                        datagrams, an echo 2): the fraction compares
                        across machines; with --rounds, its median too
  --pprof DIR           with --self: the CPU profiles of the first
                        round's runs (the local instance's of the direct
                        run in DIR/direct.cpu.pprof; of the proxied run,
                        the proxy's in DIR/proxy.cpu.pprof and the local
                        instance's in DIR/proxied-local.cpu.pprof; with
                        --relay, of the relayed run in
                        DIR/relay.cpu.pprof and
                        DIR/relayed-local.cpu.pprof) and the local
                        instance's heap profile after --idle
                        (DIR/idle.heap.pprof); with
                        --scenario automatch: each instance's CPU profile
                        of the matchmaking phase alone
                        (DIR/automatch-<i>.cpu.pprof) and its heap profile
                        with the consoles idle in their gatherings
                        (DIR/automatch-<i>.heap.pprof)

Accounts:
  --user NAME, --password P
                        the account every client logs in with (default:
                        the guest, which many consoles share)
  --users FIRST-LAST    log client i in as PID FIRST+i instead (all with
                        --password): a PID has one secure session on
                        nexproxy and on most NEX servers, so clients on
                        one --user other than the guest replace one
                        another and all but the last fail (not with
                        --self: its servers know only the guest and the
                        accounts they make)

Memory:
  --idle N              afterwards, log N more consoles in to the (first)
                        target, disconnect their authentication connections
                        as consoles do, keep the secure sessions idle and
                        print the server's RSS growth per session. The
                        server's RSS comes from --self (measured after a
                        garbage collection) or --server-pid (VmRSS of that
                        process as it is).

Scenarios (--scenario):
  load                  the default: the calls above
  automatch             the matchmaking load: with --self, log in
                        --clients consoles, each with an account of its
                        own, register their station URLs, close their
                        authentication connections, and have each call
                        AutoMatchmake(WithSearchCriteria)_Postpone once
                        (half each method); print whether all were
                        matched (every console in exactly one session,
                        exactly clients/size full sessions; the command
                        fails if not), the p50, p99 and max per call, the
                        servers' CPU per call and their RSS per idle
                        console in a gathering
  --session-size N      automatch: players per session (default 4)
  --spread D            automatch: start the calls evenly over D (default
                        0: all at the same instant)
  --instances N         automatch: start N instances sharing PostgreSQL
                        (gatherings, accounts, ids) and Redis (presence,
                        fan-out) and log the consoles in on them in turn
  --postgres URL        the shared PostgreSQL (default
                        $NEXPROXY_TEST_POSTGRES); the run makes a schema
                        of its own and drops it
  --redis URL           the shared Redis (default $NEXPROXY_TEST_REDIS);
                        the run uses a key prefix of its own

Examples:
  nexproxy bench --self --clients 20 --duration 10s --idle 5000
  nexproxy bench --self --scenario automatch --clients 1000 --spread 1s
  nexproxy bench --self --scenario automatch --clients 1000 --instances 2 \
      --postgres postgres://... --redis redis://...
  nexproxy bench --self --clients 1 --duration 3s --rounds 7
  nexproxy bench --self --relay --clients 20 --duration 4s --rounds 5
  nexproxy bench --target 10.0.0.5:60000 --compare 10.0.0.5:61000
  nexproxy bench --target 127.0.0.1:60000 --idle 5000 --server-pid 4242`

// benchOptions are the flags of the bench command.
type benchOptions struct {
	target, compare, profile, accessKey, user, password string
	clients, idle, serverPID, rounds                    int
	duration, echo                                      time.Duration
	insecure, self, selfServe, blind, relay             bool
	profileDir, coalesce, sessions, userRange           string
	selfUpstream                                        string // the proxy's child of --self: its upstream
	// The automatch scenario (bench_automatch.go).
	scenario, postgres, redis, redisPrefix string
	sessionSize, instances                 int
	spread                                 time.Duration
}

func newBenchCommand(_ *app) *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Log in simulated consoles and measure RMC calls/s and latency (direct and through a proxy)",
		Long:  benchLong,
		Args:  cobra.NoArgs,
		// The bench talks to a server; it needs no configuration file.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, _ []string) error {
			key := o.accessKey
			if key == "" {
				key = benchAccessKeys[o.profile]
			}
			if o.selfServe {
				return serveSelf(cmd.Context(), o.selfSetup(key), os.Stdin, cmd.OutOrStdout())
			}
			switch o.scenario {
			case scenarioLoad:
			case scenarioAutomatch:
				return runAutomatchBench(cmd.Context(), cmd.OutOrStdout(), o, key)
			default:
				return fmt.Errorf("--scenario %q: want load or automatch", o.scenario)
			}
			return runBench(cmd.Context(), cmd.OutOrStdout(), o, key)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", "authentication server host:port (default: the profile's game in the bundled config.toml: friends 127.0.0.1:60000, wiiu :60010, 3ds :60020, switch :60030)")
	f.StringVar(&o.compare, "compare", "", "second authentication server host:port measured after --target (e.g. a proxy in front of it)")
	f.BoolVar(&o.self, "self", false, "measure a local instance and a proxy in front of it, both started on loopback")
	f.IntVar(&o.clients, "clients", 10, "simulated consoles calling at once")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long to call, per target")
	f.DurationVar(&o.echo, "echo", 2*time.Second, "measure the loopback UDP echo rate for this long first and print calls/s as a fraction of half of it (0: skip)")
	f.IntVar(&o.rounds, "rounds", 1, "measure the targets this many times, each round starting with the next target, and print the median ratio and added latency")
	f.IntVar(&o.idle, "idle", 0, "then hold this many logged-in idle secure sessions and print the server's memory per session")
	f.IntVar(&o.serverPID, "server-pid", 0, "process id of the --target server, for --idle memory readings")
	f.StringVar(&o.profile, "profile", "wiiu", "platform profile: friends, 3ds, wiiu, switch")
	f.StringVar(&o.accessKey, "access-key", "", "access key (default: the profile's harness key)")
	f.StringVar(&o.user, "user", "guest", "user name")
	f.StringVar(&o.password, "password", config.Guest.Password, "NEX password")
	f.StringVar(&o.userRange, "users", "", "log client i in as PID FIRST+i of this range, FIRST-LAST, all with --password (a PID has one secure session, so clients sharing a --user other than the guest replace one another)")
	f.BoolVar(&o.insecure, "insecure", false, "skip TLS certificate checks (switch)")
	f.StringVar(&o.coalesce, "coalesce-acks", "default", "with --self: which instances coalesce acknowledgements with the next packet (prudp coalesce_acks): default (as the presets say, consoles included), none, proxy or all")
	f.BoolVar(&o.blind, "blind", false, "with --self: log in with an account only the local instance knows, so that the proxy relays the secure leg blindly (what any datagram relay costs)")
	f.BoolVar(&o.relay, "relay", false, "with --self: also measure the proxy as a blind relay in every round (a third target) and print the proxy's CPU per call as a multiple of the relay's")
	f.StringVar(&o.sessions, "session-logs", "", "with --self: both servers write session logs into this folder (DIR/local, DIR/proxy), as serve does with log.sessions")
	f.StringVar(&o.profileDir, "pprof", "", "with --self: write each server's CPU profile of the first round's runs (automatch: of the matchmaking phase) and the local instance's heap profile after --idle (automatch: with the consoles in gatherings) into this folder")
	f.StringVar(&o.scenario, "scenario", scenarioLoad, "what the consoles do: load (TestConnectivity back to back) or automatch (each auto-matchmakes once; needs --self)")
	f.IntVar(&o.sessionSize, "session-size", 4, "automatch: players per session")
	f.DurationVar(&o.spread, "spread", 0, "automatch: spread the consoles' calls evenly over this long (0: all at the same instant)")
	f.IntVar(&o.instances, "instances", 1, "automatch: start this many instances sharing --postgres and --redis, and split the consoles between them")
	f.StringVar(&o.postgres, "postgres", os.Getenv(benchPostgresEnv), "automatch with --instances above 1: PostgreSQL URL of the shared store (default $"+benchPostgresEnv+"); the run uses a schema of its own and drops it")
	f.StringVar(&o.redis, "redis", os.Getenv(benchRedisEnv), "automatch with --instances above 1: Redis URL of the shared store (default $"+benchRedisEnv+")")
	f.BoolVar(&o.selfServe, "self-serve", false, "run the servers of --self (internal)")
	_ = f.MarkHidden("self-serve")
	f.StringVar(&o.selfUpstream, "self-upstream", "", "with --self-serve: run the proxy in front of this local instance (internal)")
	_ = f.MarkHidden("self-upstream")
	f.StringVar(&o.redisPrefix, "redis-prefix", "", "the shared store's Redis key prefix (internal)")
	_ = f.MarkHidden("redis-prefix")
	return cmd
}

// pidUsers names client i's account PID first+i (--users).
func pidUsers(first uint64) userFor {
	return func(i int) string { return strconv.FormatUint(first+uint64(i), 10) }
}

// parseUserRange reads --users, "FIRST-LAST", as its first PID and the
// number of PIDs in it.
func parseUserRange(s string) (first uint64, n int, err error) {
	a, b, ok := strings.Cut(s, "-")
	first, err1 := strconv.ParseUint(a, 10, 32)
	last, err2 := strconv.ParseUint(b, 10, 32)
	if !ok || err1 != nil || err2 != nil || first == 0 || last < first {
		return 0, 0, fmt.Errorf("--users %q: want FIRST-LAST, two PIDs with FIRST <= LAST", s)
	}
	return first, int(last-first) + 1, nil
}

// blindUsers names the accounts the --self local instance makes, one per
// console (a PID has one secure session): the blind accounts, and the
// automatch scenario's.
func blindUsers(i int) string { return strconv.Itoa(blindBenchPID + i) }

// blindAccounts is how many blind accounts the local instance needs.
func (o benchOptions) blindAccounts() int {
	switch {
	case o.scenario == scenarioAutomatch:
		return o.clients // one account per console
	case o.blind:
		return max(o.clients, o.idle)
	case o.relay:
		return o.clients // the relay target's consoles
	}
	return 0
}

// selfSetup is the configuration of the --self children these flags ask
// for.
func (o benchOptions) selfSetup(key string) selfSetup {
	set := selfSetup{platform: o.profile, key: key, coalesce: o.coalesce, blind: o.blindAccounts(), sessions: o.sessions,
		upstream: o.selfUpstream}
	if o.selfServe && o.redisPrefix != "" {
		// The child of a scenario with several instances: the parent
		// made the schema and the prefix.
		set.store = selfStore{postgres: o.postgres, redis: o.redis, redisPrefix: o.redisPrefix}
	}
	return set
}

// benchTarget is one server a run measures.
type benchTarget struct {
	addr, label string
	role        targetRole
	blind       bool // its consoles log in with the blind accounts
}

// targetRole is what a --self target measures.
type targetRole uint8

const (
	roleDirect  targetRole = iota // the local instance, or a server named on the command line
	roleProxied                   // through the proxy, which opens the tickets
	roleBlind                     // through the proxy as a blind relay, instead of roleProxied (--blind)
	roleRelayed                   // through the proxy as a blind relay, beside roleProxied (--relay)
)

// via names the proxy's process in the CPU lines; "" for a direct target.
func (r targetRole) via() string {
	switch r {
	case roleProxied:
		return "proxy"
	case roleBlind, roleRelayed:
		return "blind relay"
	}
	return ""
}

// profiles names the --pprof files of a run: the proxy's process's (none
// for a direct target) and the local instance's.
func (r targetRole) profiles() (proxy, local string) {
	switch r {
	case roleProxied, roleBlind:
		return "proxy.cpu.pprof", "proxied-local.cpu.pprof"
	case roleRelayed:
		return "relay.cpu.pprof", "relayed-local.cpu.pprof"
	}
	return "", "direct.cpu.pprof"
}

// serverStats reads the server's memory (bytes), CPU time and open
// connections (-1: unknown).
type serverStats func() (rss int64, cpu time.Duration, conns int, err error)

func runBench(ctx context.Context, out io.Writer, o benchOptions, key string) error {
	if o.clients < 1 {
		return errors.New("--clients must be at least 1")
	}
	if o.rounds < 1 {
		return errors.New("--rounds must be at least 1")
	}
	if o.idle < 0 {
		return errors.New("--idle must not be negative")
	}
	if o.self && o.compare != "" {
		return errors.New("--self measures its own pair of servers; drop --compare")
	}
	switch o.coalesce {
	case "default":
	case "none", "proxy", "all":
		if !o.self {
			return errors.New("--coalesce-acks needs --self (it configures the servers it starts)")
		}
	default:
		return fmt.Errorf("--coalesce-acks %q: want default, none, proxy or all", o.coalesce)
	}
	for _, f := range []struct {
		name string
		on   bool
	}{{"--blind", o.blind}, {"--relay", o.relay}} {
		if !f.on {
			continue
		}
		if !o.self {
			return fmt.Errorf("%s needs --self (it configures the servers it starts)", f.name)
		}
		if o.profile == "switch" {
			return fmt.Errorf("%s: the blind relay is UDP only, and switch logs in over WebSocket", f.name)
		}
	}
	if o.blind && o.relay {
		return errors.New("--blind makes the proxy the relay; --relay measures both: give one")
	}
	// users names client i's account; nil: every client logs in as --user.
	var users userFor
	if o.userRange != "" {
		first, n, err := parseUserRange(o.userRange)
		if err != nil {
			return err
		}
		if o.self {
			return errors.New("--users: the --self servers know the guest and the accounts they make, not these")
		}
		if need := max(o.clients, o.idle); n < need {
			return fmt.Errorf("--users %s holds %d PIDs, fewer than the %d consoles of --clients and --idle", o.userRange, n, need)
		}
		users = pidUsers(first)
	}
	if o.sessions != "" && !o.self {
		return errors.New("--session-logs needs --self (it configures the servers it starts)")
	}
	if o.profileDir != "" && !o.self {
		return errors.New("--pprof needs --self (it profiles the server processes)")
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o750); err != nil {
			return fmt.Errorf("--pprof: %w", err)
		}
	}
	if o.idle > 0 && !o.self && o.serverPID == 0 {
		return errors.New("--idle needs --self or --server-pid to read the server's memory")
	}
	cc, err := benchClientConfig(o, key)
	if err != nil {
		return err
	}
	if users == nil && !o.blind && o.clients > 1 && o.user != config.Guest.Username {
		fmt.Fprintf(out, "note: all %d clients log in as %s; a server that keeps one secure session per PID "+
			"(nexproxy does, for every account but the guest) keeps only the last one: give --users FIRST-LAST\n", o.clients, o.user)
	}
	var (
		targets []benchTarget
		stats   serverStats
		self    *selfPair
	)
	switch {
	case o.self:
		s, err := startSelfPair(ctx, o.selfSetup(key))
		if err != nil {
			return err
		}
		defer s.stop()
		self = s
		if cc.Network == "wss" {
			cc.Network = "ws" // the child's WebSocket listeners have no certificate
		}
		targets = []benchTarget{{addr: s.local.addr, label: "direct (local instance)", blind: o.blind}}
		if o.blind {
			targets = append(targets, benchTarget{addr: s.proxy.addr, label: "through the proxy (blind relay)", role: roleBlind, blind: true})
		} else {
			targets = append(targets, benchTarget{addr: s.proxy.addr, label: "through the proxy", role: roleProxied})
		}
		if o.relay {
			targets = append(targets, benchTarget{addr: s.proxy.addr, label: "through the blind relay", role: roleRelayed, blind: true})
		}
		// --idle logs its consoles in to the local instance.
		stats = s.local.stats
		fmt.Fprintf(out, "self: local instance on %s (server process %d), proxy on %s (server process %d)\n",
			s.local.addr, s.local.cmd.Process.Pid, s.proxy.addr, s.proxy.cmd.Process.Pid)
	default:
		targets = []benchTarget{{addr: o.targetAddr(), label: "target"}}
		if o.compare != "" {
			targets = append(targets, benchTarget{addr: o.compare, label: "compare"})
		}
		if o.serverPID != 0 {
			pid := o.serverPID
			stats = func() (int64, time.Duration, int, error) {
				rss, err := procRSS(pid)
				return rss, 0, -1, err
			}
		}
	}
	var rounds []benchRound
	var echoes []echoResult
	for round := range o.rounds {
		if o.rounds > 1 {
			fmt.Fprintf(out, "round %d of %d\n", round+1, o.rounds)
		}
		// The echo is measured again before every round: the machine's
		// speed drifts between rounds, and each round's fractions are
		// taken against the ceiling of their own moment.
		var echo echoResult
		if o.echo > 0 {
			if echo, err = runEcho(ctx, o.clients, o.echo); err != nil {
				return err
			}
			printEcho(out, echo, o.clients)
		}
		echoes = append(echoes, echo)
		res := make(benchRound, len(targets))
		for _, i := range roundOrder(round, len(targets)) {
			r, err := runTarget(ctx, out, o, cc, targets[i], users, self, round, echo)
			if err != nil {
				return err
			}
			res[i] = r
		}
		printComparisons(out, targets, res)
		rounds = append(rounds, res)
	}
	if len(rounds) > 1 {
		printFractionsSummary(out, targets, rounds, echoes)
	}
	if len(rounds) > 1 && len(targets) > 1 {
		printRoundsSummary(out, targets, rounds)
	}
	if len(rounds) > 1 && self != nil {
		printCPUSummary(out, targets, rounds)
	}
	if o.idle > 0 {
		cc.Addr = targets[0].addr
		users := targets[0].login(&cc, users)
		var after func() error
		if o.profileDir != "" {
			after = func() error { return self.local.profile("heap", filepath.Join(o.profileDir, "idle.heap.pprof")) }
		}
		return runIdle(ctx, out, cc, users, o.idle, stats, after)
	}
	return nil
}

// roundOrder is the order in which round measures its n targets: each
// round starts with the next one, so that a drift in the machine's speed
// during the run favours none.
func roundOrder(round, n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = (round + i) % n
	}
	return order
}

// printComparisons relates each later run of a round to the first target's
// ("second/first" with two targets, named with more), and with a proxy
// and its relay measured both, their CPU per call.
func printComparisons(out io.Writer, targets []benchTarget, res benchRound) {
	for i := 1; i < len(res); i++ {
		a, b := res[0], res[i]
		fmt.Fprintf(out, "%s: %.2fx calls/s, p50 %s, p99 %s\n", comparisonName(targets, i), callsRatio(a, b),
			signed(b.pct(0.50)-a.pct(0.50)), signed(b.pct(0.99)-a.pct(0.99)))
	}
	if p, r := proxyAndRelay(targets); p > 0 {
		fmt.Fprintf(out, "proxy CPU / blind relay CPU: %.2fx\n", cpuRatio(res, p, r))
	}
}

// comparisonName names target i against the first: "second/first" when
// there are two.
func comparisonName(targets []benchTarget, i int) string {
	if len(targets) == 2 {
		return "second/first"
	}
	return targets[i].label + " / " + targets[0].label
}

// proxyAndRelay returns the indexes of the proxy and of its blind relay
// when a run measures both (0 otherwise).
func proxyAndRelay(targets []benchTarget) (proxy, relay int) {
	for i, t := range targets {
		switch t.role {
		case roleProxied:
			proxy = i
		case roleRelayed:
			relay = i
		}
	}
	if proxy == 0 || relay == 0 {
		return 0, 0
	}
	return proxy, relay
}

// cpuRatio is the proxy's CPU per call over its relay's in one round.
func cpuRatio(res benchRound, proxy, relay int) float64 {
	if res[relay].proxyCPU <= 0 {
		return 0
	}
	return float64(res[proxy].proxyCPU) / float64(res[relay].proxyCPU)
}

// benchRound holds one round's result per target, in target order.
type benchRound []*loadResult

// login sets in cc the password of t's consoles and returns who client
// i logs in as: a blind account of its own for a blind target, otherwise
// as users says (nil: --user).
func (t benchTarget) login(cc *proxy.ClientConfig, users userFor) userFor {
	if t.blind {
		cc.Password = blindBenchPassword
		return blindUsers
	}
	return users
}

// runTarget measures one target once, its clients logging in as users
// says (see benchTarget.login): round is the round number (profiles are
// written for the first round only). With --self it reads the CPU time of
// both children around the run.
func runTarget(ctx context.Context, out io.Writer, o benchOptions, cc proxy.ClientConfig, t benchTarget, users userFor, self *selfPair, round int, echo echoResult) (*loadResult, error) {
	fmt.Fprintf(out, "%s %s: %d clients, %s\n", t.label, t.addr, o.clients, o.duration)
	cc.Addr = t.addr
	users = t.login(&cc, users)
	var local0, proxy0 time.Duration
	if self != nil {
		var err error
		if local0, proxy0, err = self.cpu(); err != nil {
			return nil, err
		}
	}
	// The children to profile, by profile file: the local instance's
	// alone for the direct run, both for the proxied (or relayed) one.
	profiles := map[string]*selfServer{}
	if o.profileDir != "" && round == 0 {
		px, local := t.role.profiles()
		profiles[local] = self.local
		if px != "" {
			profiles[px] = self.proxy
		}
	}
	for name, child := range profiles {
		if err := child.profile("cpu", filepath.Join(o.profileDir, name)); err != nil {
			return nil, err
		}
	}
	r, err := runLoad(ctx, cc, users, o.clients, o.duration)
	for _, child := range profiles {
		if perr := child.profile("cpu-stop", ""); perr != nil && err == nil {
			err = perr
		}
	}
	if err != nil {
		return nil, err
	}
	r.print(out, "  ")
	if f := echoFraction(r, echo); f > 0 {
		fmt.Fprintf(out, "  calls/s: %.2f of the echo ceiling (%.0f calls/s)\n", f, echo.callCeiling())
	}
	if self != nil && r.calls() > 0 {
		local1, proxy1, err := self.cpu()
		if err != nil {
			return nil, err
		}
		n := time.Duration(r.calls())
		r.localCPU, r.proxyCPU = (local1-local0)/n, (proxy1-proxy0)/n
		printRunCPU(out, t.role, r)
	}
	if r.logins == 0 {
		return nil, noLoginError(t.addr, o, key(cc), r.loginErrs)
	}
	return r, nil
}

// printRunCPU prints the servers' CPU per call of one --self run: the
// local instance's alone for a direct run (the proxy's process idles, as
// in the summary), both and their sum through the proxy's process.
func printRunCPU(out io.Writer, role targetRole, r *loadResult) {
	via := role.via()
	if via == "" {
		fmt.Fprintf(out, "  server CPU: %s per call\n", roundCPU(r.localCPU))
		return
	}
	fmt.Fprintf(out, "  server CPU: %s per call: %s %s, local instance %s\n",
		roundCPU(r.localCPU+r.proxyCPU), via, roundCPU(r.proxyCPU), roundCPU(r.localCPU))
}

// roundCPU rounds a CPU time per call for printing.
func roundCPU(d time.Duration) time.Duration { return d.Round(100 * time.Nanosecond) }

// printCPUSummary prints the median and range, over the rounds, of the
// servers' CPU time per call of --self: the local instance's on the
// direct run, then for each run through the proxy's process its CPU and
// the local instance's behind it; with a proxy and its relay both
// measured, the median of the rounds' ratios of their CPU.
func printCPUSummary(out io.Writer, targets []benchTarget, rounds []benchRound) {
	line := func(what string, per func(benchRound) time.Duration) {
		v := make([]time.Duration, 0, len(rounds))
		for _, r := range rounds {
			v = append(v, per(r))
		}
		slices.Sort(v)
		fmt.Fprintf(out, "median of %d rounds: %s %s per call (%s to %s)\n",
			len(v), what, roundCPU(median(v)), roundCPU(v[0]), roundCPU(v[len(v)-1]))
	}
	line("CPU of the local instance, direct:", func(r benchRound) time.Duration { return r[0].localCPU })
	for i := 1; i < len(targets); i++ {
		line("CPU of the "+targets[i].role.via()+":", func(r benchRound) time.Duration { return r[i].proxyCPU })
		line("CPU of the local instance behind it:", func(r benchRound) time.Duration { return r[i].localCPU })
	}
	if p, r := proxyAndRelay(targets); p > 0 {
		ratios := make([]float64, 0, len(rounds))
		for _, res := range rounds {
			ratios = append(ratios, cpuRatio(res, p, r))
		}
		slices.Sort(ratios)
		fmt.Fprintf(out, "median of %d rounds: proxy CPU / blind relay CPU %.2fx (%.2f to %.2f)\n",
			len(ratios), median(ratios), ratios[0], ratios[len(ratios)-1])
	}
}

// bundledPorts are the authentication ports of the bundled config.toml's
// games, by profile: bench's default target.
var bundledPorts = map[string]int{"friends": 60000, "wiiu": 60010, "3ds": 60020, "switch": 60030}

// targetAddr is --target, or the bundled config's game of --profile.
func (o benchOptions) targetAddr() string {
	if o.target != "" {
		return o.target
	}
	return fmt.Sprintf("127.0.0.1:%d", bundledPorts[o.profile])
}

func key(cc proxy.ClientConfig) string { return cc.PRUDP.AccessKey }

// noLoginError explains a target where no client logged in. A server that
// never answers is the usual first-hour mistake: the wrong port, or a game
// with another access key or platform (a NEX server drops packets signed
// with a key it does not know, silently).
func noLoginError(addr string, o benchOptions, accessKey string, errs []error) error {
	if len(errs) == 0 {
		return fmt.Errorf("%s: no client logged in", addr)
	}
	first := errs[0]
	if errors.Is(first, prudp.ErrTimeout) || errors.Is(first, context.DeadlineExceeded) {
		return fmt.Errorf("%s: no answer (%v): is a server listening there for a %s game with access key %s? "+
			"Check --target (the bundled config serves wiiu on 127.0.0.1:60010), --profile and --access-key", addr, first, o.profile, accessKey)
	}
	return fmt.Errorf("%s: no client logged in: %w", addr, first)
}

// printRoundsSummary prints, for each later target, the median and range
// over the rounds of its calls/s ratio to the first target and of the
// latency it adds: one run on a shared machine swings by tens of
// microseconds, the median of several rounds that change the order does
// not.
func printRoundsSummary(out io.Writer, targets []benchTarget, rounds []benchRound) {
	for i := 1; i < len(targets); i++ {
		ratios := make([]float64, 0, len(rounds))
		p50s := make([]time.Duration, 0, len(rounds))
		p99s := make([]time.Duration, 0, len(rounds))
		for _, r := range rounds {
			ratios = append(ratios, callsRatio(r[0], r[i]))
			p50s = append(p50s, r[i].pct(0.50)-r[0].pct(0.50))
			p99s = append(p99s, r[i].pct(0.99)-r[0].pct(0.99))
		}
		slices.Sort(ratios)
		slices.Sort(p50s)
		slices.Sort(p99s)
		fmt.Fprintf(out, "median of %d rounds: %s %.2fx calls/s (%.2f to %.2f), p50 %s (%s to %s), p99 %s\n",
			len(rounds), comparisonName(targets, i), median(ratios), ratios[0], ratios[len(ratios)-1],
			signed(median(p50s)), signed(p50s[0]), signed(p50s[len(p50s)-1]), signed(median(p99s)))
	}
}

// printFractionsSummary prints, per target, the median and range over
// the rounds of its calls/s as a fraction of its round's echo ceiling;
// nothing without echo measurements.
func printFractionsSummary(out io.Writer, targets []benchTarget, rounds []benchRound, echoes []echoResult) {
	for i, t := range targets {
		var fs []float64
		for r, res := range rounds {
			if f := echoFraction(res[i], echoes[r]); f > 0 {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 {
			continue
		}
		slices.Sort(fs)
		fmt.Fprintf(out, "median of %d rounds: %s %.2f of the echo ceiling (%.2f to %.2f)\n",
			len(fs), t.label, median(fs), fs[0], fs[len(fs)-1])
	}
}

// median returns the median of sorted values (ratios or durations).
func median[T float64 | time.Duration](v []T) T {
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// callsRatio is b's calls/s over a's (0 when a made none).
func callsRatio(a, b *loadResult) float64 {
	if a.callsPerSec() == 0 {
		return 0
	}
	return b.callsPerSec() / a.callsPerSec()
}

// signed formats d with an explicit sign.
func signed(d time.Duration) string {
	d = d.Round(time.Microsecond)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

// benchClientConfig builds the simulated console of a profile.
func benchClientConfig(o benchOptions, key string) (proxy.ClientConfig, error) {
	// The listeners are never opened: only the profile's settings are used.
	coalesce := coalesceFor(o.coalesce, "console")
	if o.coalesce == "" {
		coalesce = "" // not from the command line: the preset's
	}
	cfg, err := config.LoadTOML(selfGameTOML(o.profile, key, "127.0.0.1:1", "127.0.0.1:2", "local", coalesce, 0))
	if err != nil {
		return proxy.ClientConfig{}, fmt.Errorf("profile %s: %w", o.profile, err)
	}
	g := cfg.Games[0]
	cc := proxy.ClientConfig{Network: "udp", PRUDP: g.PRUDP, Kerberos: g.Kerberos, RMC: g.RMC,
		Username: o.user, Password: o.password, Logger: zap.NewNop(),
		// Real consoles derive their key once; so do the simulated ones.
		Keys: kerberos.NewKeyCache(0)}
	if g.Transport == config.TransportWebSocket {
		cc.Network = "wss"
		cc.TLSConfig = &tls.Config{InsecureSkipVerify: o.insecure, MinVersion: tls.VersionTLS12}
	}
	return cc, nil
}
