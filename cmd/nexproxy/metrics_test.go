package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/scripts"
)

// TestMetricsLabelsBounded: ids and result codes the schema does not know
// share one label value, so that hostile consoles or upstreams cannot grow
// the series without bound.
func TestMetricsLabelsBounded(t *testing.T) {
	m := newMetrics(nil, nil)
	s := &rpc.Session{ID: "1", Game: "g", Leg: rpc.LegSecure, RemoteAddr: netip.MustParseAddrPort("127.0.0.1:1")}
	for i := range 100 {
		m.Call(s, &record.CallEvent{ProtocolName: "Protocol(0x" + string(rune('a'+i%26)) + ")", MethodName: "Method(1)",
			Handler: record.HandlerUpstream, Error: rmc.Result(0x80ff0000 | uint32(i)), Duration: time.Millisecond})
		m.Call(s, &record.CallEvent{ProtocolName: "Ranking", MethodName: "Method(" + string(rune('a'+i%26)) + ")",
			Handler: record.HandlerHook, Dropped: true})
	}
	if n := testutil.CollectAndCount(m.calls); n != 2 {
		t.Errorf("%d call series, want 2", n)
	}
	want := `
# HELP nexproxy_rmc_calls_total RMC calls by game, protocol, method, direction, who answered them (hook, builtin, upstream, console) and result (ok, dropped, or the error name).
# TYPE nexproxy_rmc_calls_total counter
nexproxy_rmc_calls_total{direction="to-server",game="g",handler="hook",method="unknown",protocol="Ranking",result="dropped"} 100
nexproxy_rmc_calls_total{direction="to-server",game="g",handler="upstream",method="unknown",protocol="unknown",result="error"} 100
`
	if err := testutil.CollectAndCompare(m.calls, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.duration); n != 1 {
		t.Errorf("%d duration series, want 1 (dropped calls are not timed)", n)
	}
}

// TestMetricsCollector: listener, connection and hook counters are read at
// scrape time.
func TestMetricsCollector(t *testing.T) {
	stats := proxy.Stats{
		Listeners: []proxy.ListenerStats{{Addr: "127.0.0.1:60000", Games: "friends,wiiu", ListenerStats: prudp.ListenerStats{Datagrams: 10, Malformed: 2, BadSignature: 1, Refused: 3, Accepted: 4, Active: 1}}},
		Conns:     prudp.Stats{Sent: 7, Resent: 1, Received: 9, Dropped: 2, Duplicates: 5},
		Sessions:  1,
	}
	hooks := map[string]scripts.ScriptStats{"a.lua": {Runs: 8, Errors: 2, Timeouts: 1}}
	m := newMetrics(func() proxy.Stats { return stats }, func() map[string]scripts.ScriptStats { return hooks })
	want := `
# HELP nexproxy_hook_timeouts_total Lua hook runs stopped by scripts.timeout.
# TYPE nexproxy_hook_timeouts_total counter
nexproxy_hook_timeouts_total{script="a.lua"} 1
# HELP nexproxy_hook_runs_total Lua hook runs, failed ones included.
# TYPE nexproxy_hook_runs_total counter
nexproxy_hook_runs_total{script="a.lua"} 8
# HELP nexproxy_listener_bad_signature_total Handshake packets whose signature did not verify.
# TYPE nexproxy_listener_bad_signature_total counter
nexproxy_listener_bad_signature_total{games="friends,wiiu",listener="127.0.0.1:60000"} 1
# HELP nexproxy_listener_connections Connections open now.
# TYPE nexproxy_listener_connections gauge
nexproxy_listener_connections{games="friends,wiiu",listener="127.0.0.1:60000"} 1
# HELP nexproxy_prudp_packets_resent_total PRUDP retransmissions.
# TYPE nexproxy_prudp_packets_resent_total counter
nexproxy_prudp_packets_resent_total 1
# HELP nexproxy_prudp_packets_duplicate_total Reliable PRUDP packets received again.
# TYPE nexproxy_prudp_packets_duplicate_total counter
nexproxy_prudp_packets_duplicate_total 5
# HELP nexproxy_sessions Console connections open now.
# TYPE nexproxy_sessions gauge
nexproxy_sessions 1
`
	if err := testutil.GatherAndCompare(m.registry(), strings.NewReader(want),
		"nexproxy_hook_timeouts_total", "nexproxy_hook_runs_total", "nexproxy_listener_bad_signature_total",
		"nexproxy_listener_connections", "nexproxy_prudp_packets_resent_total", "nexproxy_prudp_packets_duplicate_total", "nexproxy_sessions"); err != nil {
		t.Error(err)
	}
	stats.Conns.Resent = 4
	if err := testutil.GatherAndCompare(m.registry(), strings.NewReader(strings.Replace(
		"# HELP nexproxy_prudp_packets_resent_total PRUDP retransmissions.\n# TYPE nexproxy_prudp_packets_resent_total counter\nnexproxy_prudp_packets_resent_total 1\n", " 1\n", " 4\n", 1)),
		"nexproxy_prudp_packets_resent_total"); err != nil {
		t.Errorf("counters not read lazily: %v", err)
	}
	problems, err := testutil.GatherAndLint(m.registry())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestMetricsSessionLogDrops: what the session log writer dropped is read
// at scrape time.
func TestMetricsSessionLogDrops(t *testing.T) {
	m := newMetrics(nil, nil)
	var dropped uint64 = 3
	m.countSessionLogDrops(func() uint64 { return dropped })
	want := `
# HELP nexproxy_session_log_dropped_total Session log records and captured messages dropped because the disk did not keep up.
# TYPE nexproxy_session_log_dropped_total counter
nexproxy_session_log_dropped_total 3
`
	if err := testutil.GatherAndCompare(m.registry(), strings.NewReader(want), "nexproxy_session_log_dropped_total"); err != nil {
		t.Error(err)
	}
}
