package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/prudp"
)

// fakeRun is a load result with n calls over one second and every call
// taking lat.
func fakeRun(n int, lat time.Duration) *loadResult {
	r := &loadResult{logins: 1, elapsed: time.Second}
	for range n {
		r.lat = append(r.lat, lat)
	}
	return r
}

func TestRoundsSummaryIsTheMedian(t *testing.T) {
	rounds := []benchRound{
		{fakeRun(100, 100*time.Microsecond), fakeRun(70, 130*time.Microsecond)},
		{fakeRun(100, 100*time.Microsecond), fakeRun(20, 900*time.Microsecond)}, // an outlier
		{fakeRun(100, 100*time.Microsecond), fakeRun(80, 120*time.Microsecond)},
	}
	var b strings.Builder
	printRoundsSummary(&b, []benchTarget{{label: "direct"}, {label: "proxy"}}, rounds)
	want := "median of 3 rounds: second/first 0.70x calls/s (0.20 to 0.80), p50 +30µs (+20µs to +800µs), p99 +30µs\n"
	if b.String() != want {
		t.Fatalf("summary:\n got %q\nwant %q", b.String(), want)
	}
}

// TestRoundsSummaryOfThreeTargets: with the relay as a third target,
// each later target is related to the first, by name.
func TestRoundsSummaryOfThreeTargets(t *testing.T) {
	targets := []benchTarget{{label: "direct"}, {label: "through the proxy"}, {label: "through the blind relay"}}
	rounds := []benchRound{
		{fakeRun(100, 100*time.Microsecond), fakeRun(30, 500*time.Microsecond), fakeRun(40, 400*time.Microsecond)},
		{fakeRun(100, 100*time.Microsecond), fakeRun(40, 400*time.Microsecond), fakeRun(50, 300*time.Microsecond)},
		{fakeRun(100, 100*time.Microsecond), fakeRun(35, 450*time.Microsecond), fakeRun(45, 350*time.Microsecond)},
	}
	var b strings.Builder
	printRoundsSummary(&b, targets, rounds)
	want := "median of 3 rounds: through the proxy / direct 0.35x calls/s (0.30 to 0.40), p50 +350µs (+300µs to +400µs), p99 +350µs\n" +
		"median of 3 rounds: through the blind relay / direct 0.45x calls/s (0.40 to 0.50), p50 +250µs (+200µs to +300µs), p99 +250µs\n"
	if b.String() != want {
		t.Fatalf("summary:\n got %q\nwant %q", b.String(), want)
	}
}

// TestFractionsSummaryUsesEachRoundsEcho: each run is a fraction of its
// own round's echo ceiling, and the summary is their median per target.
func TestFractionsSummaryUsesEachRoundsEcho(t *testing.T) {
	targets := []benchTarget{{addr: "a:1", label: "direct"}, {addr: "b:2", label: "proxy"}}
	rounds := []benchRound{
		{fakeRun(60, 0), fakeRun(30, 0)},
		{fakeRun(90, 0), fakeRun(40, 0)}, // a fast round: so was its echo
		{fakeRun(70, 0), fakeRun(35, 0)},
	}
	// Ceilings of 100, 120 and 100 calls/s (replies/s ÷ 2).
	echoes := []echoResult{{replies: 200, elapsed: time.Second}, {replies: 240, elapsed: time.Second}, {replies: 200, elapsed: time.Second}}
	var b strings.Builder
	printFractionsSummary(&b, targets, rounds, echoes)
	want := "median of 3 rounds: direct 0.70 of the echo ceiling (0.60 to 0.75)\n" +
		"median of 3 rounds: proxy 0.33 of the echo ceiling (0.30 to 0.35)\n"
	if b.String() != want {
		t.Fatalf("summary:\n got %q\nwant %q", b.String(), want)
	}
	b.Reset()
	printFractionsSummary(&b, targets, rounds, make([]echoResult, 3))
	if b.String() != "" {
		t.Fatalf("summary without echo measurements: %q", b.String())
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{1, 2, 3, 10}); got != 2.5 {
		t.Fatalf("median of an even count = %v, want 2.5", got)
	}
	if got := median([]time.Duration{1, 5, 9}); got != 5 {
		t.Fatalf("median duration = %v, want 5", got)
	}
}

func TestBenchRejectsZeroRounds(t *testing.T) {
	err := runBench(t.Context(), new(strings.Builder), benchOptions{clients: 1, rounds: 0, coalesce: "default"}, "")
	if err == nil || !strings.Contains(err.Error(), "--rounds") {
		t.Fatalf("runBench with --rounds 0: %v, want an error naming --rounds", err)
	}
}

func TestBenchBlindNeedsSelfAndUDP(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    benchOptions
		want string
	}{
		{"without --self", benchOptions{clients: 1, rounds: 1, coalesce: "default", blind: true, profile: "wiiu"}, "--blind needs --self"},
		{"switch", benchOptions{clients: 1, rounds: 1, coalesce: "default", blind: true, self: true, profile: "switch"}, "UDP only"},
		{"--relay without --self", benchOptions{clients: 1, rounds: 1, coalesce: "default", relay: true, profile: "wiiu"}, "--relay needs --self"},
		{"--relay on switch", benchOptions{clients: 1, rounds: 1, coalesce: "default", relay: true, self: true, profile: "switch"}, "UDP only"},
		{"--blind and --relay", benchOptions{clients: 1, rounds: 1, coalesce: "default", blind: true, relay: true, self: true, profile: "wiiu"}, "give one"},
	} {
		err := runBench(t.Context(), new(strings.Builder), tc.o, "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

// The --blind accounts, one per client (a PID has one secure session),
// are in the local instance's configuration only: the proxy must not be
// able to open their tickets.
func TestSelfConfigBlindAccount(t *testing.T) {
	local := selfGameTOML("wiiu", "25dbf96a", "127.0.0.1:1", "127.0.0.1:2", "local", "", 3)
	proxied := selfGameTOML("wiiu", "25dbf96a", "127.0.0.1:3", "127.0.0.1:4", "127.0.0.1:1", "", 0)
	if n := strings.Count(local, blindBenchPassword); n != 3 {
		t.Errorf("local instance configuration has %d blind accounts, want 3:\n%s", n, local)
	}
	var cc proxy.ClientConfig
	if u := (benchTarget{blind: true}).login(&cc, nil); u == nil || u(0) == u(1) || cc.Password != blindBenchPassword {
		t.Errorf("blind clients share an account, or log in with %q", cc.Password)
	}
	if u := (benchTarget{}).login(&cc, pidUsers(7)); u(2) != "9" {
		t.Errorf("a target that is not blind does not log in as --users says: client 2 is %q", u(2))
	}
	if strings.Contains(proxied, blindBenchPassword) || strings.Contains(proxied, "[[accounts]]") {
		t.Errorf("proxy configuration knows an account:\n%s", proxied)
	}
}

func TestBenchSessionLogsNeedSelf(t *testing.T) {
	err := runBench(t.Context(), new(strings.Builder), benchOptions{clients: 1, rounds: 1, coalesce: "default", sessions: t.TempDir(), profile: "wiiu"}, "")
	if err == nil || !strings.Contains(err.Error(), "--session-logs needs --self") {
		t.Fatalf("--session-logs without --self: %v", err)
	}
	if got := sessionDir("", "proxy"); got != "" {
		t.Errorf("sessionDir without a folder = %q, want none", got)
	}
	if got := sessionDir("logs", "proxy"); got != filepath.Join("logs", "proxy") {
		t.Errorf("sessionDir = %q", got)
	}
}

// TestBenchDefaultTargetMatchesBundledConfig: without --target, bench
// measures the bundled config.toml's game of its profile, so that
// `serve` then `bench` works out of the box.
func TestBenchDefaultTargetMatchesBundledConfig(t *testing.T) {
	cfg, err := config.LoadFile(filepath.Join("..", "..", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range cfg.Games {
		o := benchOptions{profile: g.Platform}
		_, port, _ := net.SplitHostPort(g.AuthListen)
		if got := o.targetAddr(); got != "127.0.0.1:"+port {
			t.Errorf("profile %s: default target %s, the bundled game listens on %s", g.Platform, got, g.AuthListen)
		}
	}
	if got := (benchOptions{profile: "wiiu", target: "10.0.0.1:1"}).targetAddr(); got != "10.0.0.1:1" {
		t.Errorf("--target ignored: %s", got)
	}
}

// TestBenchSilentTargetExplained: a target that never answers is
// reported with the likely causes, not only a timeout.
func TestBenchSilentTargetExplained(t *testing.T) {
	err := noLoginError("127.0.0.1:1", benchOptions{profile: "wiiu"}, "25dbf96a", []error{fmt.Errorf("dial: %w", prudp.ErrTimeout)})
	for _, want := range []string{"no answer", "access key 25dbf96a", "--target", "--profile"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

// TestBenchProfileFolderMade: --pprof makes its folder before anything
// runs, so that the child's profiles have somewhere to go.
func TestBenchProfileFolderMade(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	_ = runBench(t.Context(), new(strings.Builder), benchOptions{clients: 1, rounds: 1, coalesce: "default", self: true, profileDir: dir, profile: "no-such-profile"}, "")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("--pprof %s was not made: %v", dir, err)
	}
}

// TestBenchUserRange: --users gives client i the PID FIRST+i, and a range
// that is malformed, too small for the clients, or given to --self (whose
// servers do not know those accounts) is refused before anything runs.
func TestBenchUserRange(t *testing.T) {
	first, n, err := parseUserRange("1000-1019")
	if err != nil || n != 20 {
		t.Fatalf("--users 1000-1019: %d PIDs, %v", n, err)
	}
	if users := pidUsers(first); users(0) != "1000" || users(19) != "1019" {
		t.Fatalf("--users 1000-1019: client 0 %q, client 19 %q", users(0), users(19))
	}
	for _, tc := range []struct {
		o    benchOptions
		want string
	}{
		{benchOptions{userRange: "1000"}, "FIRST-LAST"},
		{benchOptions{userRange: "20-10"}, "FIRST <= LAST"},
		{benchOptions{userRange: "a-b"}, "FIRST-LAST"},
		{benchOptions{userRange: "0-5"}, "FIRST-LAST"},
		{benchOptions{userRange: "1000-1009", clients: 20}, "fewer than the 20 consoles"},
		{benchOptions{userRange: "1000-1099", clients: 20, idle: 200}, "fewer than the 200 consoles"},
		{benchOptions{userRange: "1000-1019", clients: 20, self: true}, "--self servers"},
	} {
		tc.o.rounds, tc.o.coalesce, tc.o.profile = 1, "default", "wiiu"
		if tc.o.clients == 0 {
			tc.o.clients = 1
		}
		err := runBench(t.Context(), new(strings.Builder), tc.o, "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--users %q: %v, want an error containing %q", tc.o.userRange, err, tc.want)
		}
	}
}

// TestBenchWarnsOfOneSharedAccount: many clients on one account other
// than the guest get a note saying that a server keeps only the last.
func TestBenchWarnsOfOneSharedAccount(t *testing.T) {
	var out strings.Builder
	o := benchOptions{clients: 2, rounds: 1, coalesce: "default", profile: "wiiu", user: "1234567", password: "pw",
		target: "127.0.0.1:1", duration: time.Millisecond, echo: 0}
	// The note comes before any login: a cancelled run still prints it.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_ = runBench(ctx, &out, o, benchAccessKeys["wiiu"])
	if !strings.Contains(out.String(), "give --users FIRST-LAST") {
		t.Errorf("no note about the shared account in:\n%s", out.String())
	}
	out.Reset()
	o.user = "guest"
	_ = runBench(ctx, &out, o, benchAccessKeys["wiiu"])
	if strings.Contains(out.String(), "--users") {
		t.Errorf("a note for the guest, which many consoles share:\n%s", out.String())
	}
}
