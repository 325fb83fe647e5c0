package main

import (
	"bufio"
	"context"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy/config"
)

// startChild runs one child of --self in this process, as the parent's
// pipes would, and returns its address; the child stops when the test
// ends, as it does when the parent closes its input.
func startChild(t *testing.T, set selfSetup) string {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := serveSelf(context.Background(), set, inR, outW)
		_ = outW.CloseWithError(io.EOF)
		done <- err
	}()
	t.Cleanup(func() {
		_ = inW.Close()
		if err := <-done; err != nil {
			t.Errorf("child: %v", err)
		}
	})
	// The parent's reading of the ready line.
	s := &selfServer{lines: bufio.NewScanner(outR)}
	f, err := s.line("ready", 2)
	if err != nil {
		t.Fatalf("child: %v, want ready ADDR", err)
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	return f[0]
}

// TestSelfChildrenServeAPair: the local instance's child knows the blind
// accounts, the proxy's runs in front of it and does not. Consoles with
// blind accounts log in and call through the proxy's child, which only
// works when it forwards to the local one; consoles with the bench's
// usual account, which both know, call through the same pair (what
// --relay measures side by side).
func TestSelfChildrenServeAPair(t *testing.T) {
	set := selfSetup{platform: "wiiu", key: benchAccessKeys["wiiu"], coalesce: "default", blind: 2}
	local := startChild(t, set)
	set.upstream, set.blind = local, 0
	px := startChild(t, set)
	o := benchOptions{profile: "wiiu", blind: true, coalesce: "default"}
	cc, err := benchClientConfig(o, set.key)
	if err != nil {
		t.Fatal(err)
	}
	cc.Addr, cc.Password = px, blindBenchPassword
	r, err := runLoad(t.Context(), cc, blindUsers, 2, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.logins != 2 || r.calls() == 0 || r.callErrs != 0 {
		t.Fatalf("through the proxy's child, blind: %d logins (%v), %d calls, %d failed", r.logins, r.loginErrs, r.calls(), r.callErrs)
	}

	o = benchOptions{profile: "wiiu", relay: true, coalesce: "default", user: "guest", password: config.Guest.Password}
	if cc, err = benchClientConfig(o, set.key); err != nil {
		t.Fatal(err)
	}
	cc.Addr = px
	if r, err = runLoad(t.Context(), cc, nil, 2, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if r.logins != 2 || r.calls() == 0 || r.callErrs != 0 {
		t.Fatalf("through the proxy's child, intercepted: %d logins (%v), %d calls, %d failed", r.logins, r.loginErrs, r.calls(), r.callErrs)
	}
}

// The local instance's child is told to make the blind accounts; the
// proxy's is told its upstream and never the accounts.
func TestSelfArgs(t *testing.T) {
	set := selfSetup{platform: "wiiu", key: "k", coalesce: "none", blind: 3}
	local := selfArgs(set)
	if !slices.Contains(local, "--blind") || slices.Contains(local, "--self-upstream") {
		t.Errorf("local instance's child: %q", local)
	}
	if i := slices.Index(local, "--clients"); i < 0 || local[i+1] != "3" {
		t.Errorf("local instance's child: %q, want --clients 3", local)
	}
	set.upstream, set.blind = "127.0.0.1:1", 0
	px := selfArgs(set)
	if i := slices.Index(px, "--self-upstream"); i < 0 || px[i+1] != "127.0.0.1:1" || slices.Contains(px, "--blind") {
		t.Errorf("proxy's child: %q", px)
	}
}

// cpuRun is a run whose servers spent local and proxy CPU per call.
func cpuRun(local, proxy time.Duration) *loadResult {
	r := fakeRun(1, time.Millisecond)
	r.localCPU, r.proxyCPU = local, proxy
	return r
}

// TestCPUSummaryIsTheMedian: the CPU summary gives, per server, the
// median and range of its CPU per call over the rounds; the direct line
// is the local instance's alone.
func TestCPUSummaryIsTheMedian(t *testing.T) {
	us := time.Microsecond
	// The proxy's child, idle in the direct runs, still spends a little:
	// not the local instance's.
	rounds := []benchRound{
		{cpuRun(10*us, 3*us), cpuRun(16*us, 22*us)},
		{cpuRun(12*us, 0), cpuRun(15*us, 21*us)},
		{cpuRun(11*us, 2*us), cpuRun(17*us, 40*us)},
	}
	var b strings.Builder
	printCPUSummary(&b, []benchTarget{{}, {role: roleProxied}}, rounds)
	want := "median of 3 rounds: CPU of the local instance, direct: 11µs per call (10µs to 12µs)\n" +
		"median of 3 rounds: CPU of the proxy: 22µs per call (21µs to 40µs)\n" +
		"median of 3 rounds: CPU of the local instance behind it: 16µs per call (15µs to 17µs)\n"
	if b.String() != want {
		t.Fatalf("summary:\n got %q\nwant %q", b.String(), want)
	}
}

// TestCPUSummaryRelatesProxyToRelay: with the relay measured in the same
// rounds, the summary gives its CPU and the median of the rounds' ratios
// of the proxy's CPU to the relay's.
func TestCPUSummaryRelatesProxyToRelay(t *testing.T) {
	us := time.Microsecond
	targets := []benchTarget{{}, {role: roleProxied}, {role: roleRelayed, blind: true}}
	rounds := []benchRound{
		{cpuRun(10*us, 0), cpuRun(16*us, 22*us), cpuRun(15*us, 20*us)}, // 1.1
		{cpuRun(10*us, 0), cpuRun(16*us, 30*us), cpuRun(15*us, 20*us)}, // 1.5
		{cpuRun(10*us, 0), cpuRun(16*us, 26*us), cpuRun(15*us, 20*us)}, // 1.3
	}
	var b strings.Builder
	printCPUSummary(&b, targets, rounds)
	want := "median of 3 rounds: CPU of the local instance, direct: 10µs per call (10µs to 10µs)\n" +
		"median of 3 rounds: CPU of the proxy: 26µs per call (22µs to 30µs)\n" +
		"median of 3 rounds: CPU of the local instance behind it: 16µs per call (16µs to 16µs)\n" +
		"median of 3 rounds: CPU of the blind relay: 20µs per call (20µs to 20µs)\n" +
		"median of 3 rounds: CPU of the local instance behind it: 15µs per call (15µs to 15µs)\n" +
		"median of 3 rounds: proxy CPU / blind relay CPU 1.30x (1.10 to 1.50)\n"
	if b.String() != want {
		t.Fatalf("summary:\n got %q\nwant %q", b.String(), want)
	}
}

// TestTargetRoleProfiles: the --pprof files of each kind of run, as the
// help names them.
func TestTargetRoleProfiles(t *testing.T) {
	for _, tc := range []struct {
		role       targetRole
		proxy, loc string
	}{
		{roleDirect, "", "direct.cpu.pprof"},
		{roleProxied, "proxy.cpu.pprof", "proxied-local.cpu.pprof"},
		{roleBlind, "proxy.cpu.pprof", "proxied-local.cpu.pprof"},
		{roleRelayed, "relay.cpu.pprof", "relayed-local.cpu.pprof"},
	} {
		if px, loc := tc.role.profiles(); px != tc.proxy || loc != tc.loc {
			t.Errorf("role %d: %q, %q; want %q, %q", tc.role, px, loc, tc.proxy, tc.loc)
		}
	}
}

// TestBlindAccounts: the local instance makes an account for every
// console that logs in with one: --blind's (the load and the idle
// consoles), --relay's third target's, the automatch consoles; a plain
// run makes none.
func TestBlindAccounts(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    benchOptions
		want int
	}{
		{"plain", benchOptions{clients: 5, idle: 8}, 0},
		{"blind", benchOptions{clients: 5, blind: true}, 5},
		{"blind with more idle consoles", benchOptions{clients: 5, idle: 8, blind: true}, 8},
		{"relay", benchOptions{clients: 5, relay: true}, 5},
		{"automatch", benchOptions{clients: 12, scenario: scenarioAutomatch}, 12},
	} {
		set := tc.o.selfSetup("k")
		if set.blind != tc.want {
			t.Errorf("%s: %d accounts, want %d", tc.name, set.blind, tc.want)
		}
		args := selfArgs(set)
		if i := slices.Index(args, "--clients"); (tc.want > 0) != (i >= 0) || i >= 0 && args[i+1] != strconv.Itoa(tc.want) {
			t.Errorf("%s: the local instance's child runs with %q", tc.name, args)
		}
	}
}

// TestRoundOrder: each round starts with the next target.
func TestRoundOrder(t *testing.T) {
	for _, tc := range []struct {
		round, n int
		want     []int
	}{
		{0, 1, []int{0}}, {1, 1, []int{0}},
		{0, 2, []int{0, 1}}, {1, 2, []int{1, 0}}, {2, 2, []int{0, 1}},
		{0, 3, []int{0, 1, 2}}, {1, 3, []int{1, 2, 0}}, {2, 3, []int{2, 0, 1}},
	} {
		if got := roundOrder(tc.round, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("round %d of %d targets: %v, want %v", tc.round, tc.n, got, tc.want)
		}
	}
}

// TestRoundComparisons: a round relates each later target to the first,
// "second/first" when there are two, by name with three, and then also
// the proxy's CPU to its relay's.
func TestRoundComparisons(t *testing.T) {
	us := time.Microsecond
	var b strings.Builder
	printComparisons(&b, []benchTarget{{label: "direct"}, {label: "proxy", role: roleProxied}},
		benchRound{fakeRun(100, 100*us), fakeRun(50, 150*us)})
	if want := "second/first: 0.50x calls/s, p50 +50µs, p99 +50µs\n"; b.String() != want {
		t.Errorf("two targets:\n got %q\nwant %q", b.String(), want)
	}
	b.Reset()
	targets := []benchTarget{{label: "direct"}, {label: "proxy", role: roleProxied}, {label: "relay", role: roleRelayed, blind: true}}
	px, relay := fakeRun(40, 300*us), fakeRun(50, 200*us)
	px.proxyCPU, relay.proxyCPU = 30*us, 20*us
	printComparisons(&b, targets, benchRound{fakeRun(100, 100*us), px, relay})
	want := "proxy / direct: 0.40x calls/s, p50 +200µs, p99 +200µs\n" +
		"relay / direct: 0.50x calls/s, p50 +100µs, p99 +100µs\n" +
		"proxy CPU / blind relay CPU: 1.50x\n"
	if b.String() != want {
		t.Errorf("three targets:\n got %q\nwant %q", b.String(), want)
	}
}

// TestRunCPULine: a direct run's line is the local instance's CPU alone
// (the proxy's process idles), as in the summary; a run through the
// proxy's process gives both and their sum.
func TestRunCPULine(t *testing.T) {
	us := time.Microsecond
	var b strings.Builder
	printRunCPU(&b, roleDirect, cpuRun(10*us, 1*us))
	printRunCPU(&b, roleRelayed, cpuRun(16*us, 20*us))
	want := "  server CPU: 10µs per call\n" +
		"  server CPU: 36µs per call: blind relay 20µs, local instance 16µs\n"
	if b.String() != want {
		t.Errorf("CPU lines:\n got %q\nwant %q", b.String(), want)
	}
}
