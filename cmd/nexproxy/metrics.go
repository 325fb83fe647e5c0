package main

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/scripts"
)

// metrics holds the Prometheus registry of one `nexproxy serve`: a
// Recorder counting calls and logins as they happen, and a collector that
// reads the server's and the hook engine's counters at scrape time.
type metrics struct {
	reg      *prometheus.Registry
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	logins   *prometheus.CounterVec
	sessions *prometheus.CounterVec
}

// newMetrics registers every metric in a registry of its own (not the
// global one, so that tests and embedders get no surprises). stats and
// hooks are read at scrape time; either may be nil.
func newMetrics(stats func() proxy.Stats, hooks func() map[string]scripts.ScriptStats) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "nexproxy", Name: "rmc_calls_total",
			Help: "RMC calls by game, protocol, method, direction, who answered them (hook, builtin, upstream, console) and result (ok, dropped, or the error name).",
		}, []string{"game", "protocol", "method", "direction", "handler", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "nexproxy", Name: "rmc_call_duration_seconds",
			Help:    "Time from an RMC request to its answer, by game, protocol, method and who answered.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"game", "protocol", "method", "handler"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "nexproxy", Name: "logins_total",
			Help: "Logins by game and mode: local, intercepted (secure leg decrypted) or blind-relay.",
		}, []string{"game", "mode"}),
		sessions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "nexproxy", Name: "sessions_total",
			Help: "Console connections accepted, by game and leg (auth, secure).",
		}, []string{"game", "leg"}),
	}
	m.reg.MustRegister(m.calls, m.duration, m.logins, m.sessions, &statsCollector{stats: stats, hooks: hooks})
	return m
}

// countSessionLogDrops publishes dropped (record.File.Dropped): the
// session log records and captured messages a slow disk could not take.
func (m *metrics) countSessionLogDrops(dropped func() uint64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "nexproxy", Name: "session_log_dropped_total",
		Help: "Session log records and captured messages dropped because the disk did not keep up.",
	}, func() float64 { return float64(dropped()) }))
}

// registry is what the endpoint serves.
func (m *metrics) registry() *prometheus.Registry { return m.reg }

// Connect counts a console connection.
func (m *metrics) Connect(s *rpc.Session, _ string) {
	m.sessions.WithLabelValues(s.Game, s.Leg.String()).Inc()
}

// Login counts a login.
func (m *metrics) Login(s *rpc.Session, _ uint64, mode string) {
	m.logins.WithLabelValues(s.Game, mode).Inc()
}

// WantsValues is false: metrics name calls, they never read their
// decoded parameters, so enabling them costs no decoding.
func (m *metrics) WantsValues() bool { return false }

// Disconnect is counted by the collector (active sessions).
func (m *metrics) Disconnect(*rpc.Session, error) {}

// Call counts a call and observes its duration.
func (m *metrics) Call(s *rpc.Session, e *record.CallEvent) {
	proto, method := metricNames(e)
	handler := e.Handler
	if handler == "" {
		handler = "none"
	}
	m.calls.WithLabelValues(s.Game, proto, method, e.Direction.String(), handler, callResult(e)).Inc()
	if !e.Dropped {
		m.duration.WithLabelValues(s.Game, proto, method, handler).Observe(e.Duration.Seconds())
	}
}

// metricNames are the protocol and method labels of a call. Ids the schema
// does not describe share one label value: the console chooses them, and
// a label per id would let it grow the metrics without bound.
func metricNames(e *record.CallEvent) (string, string) {
	proto, method := e.ProtocolName, e.MethodName
	if strings.HasPrefix(proto, "Protocol(") {
		return "unknown", "unknown"
	}
	if strings.HasPrefix(method, "Method(") {
		method = "unknown"
	}
	return proto, method
}

// callResult is the result label: "ok", "dropped", the error's name, or
// "error" for a code without a name (upstreams choose codes freely).
func callResult(e *record.CallEvent) string {
	switch {
	case e.Dropped:
		return "dropped"
	case e.Error != 0:
		if n, ok := e.Error.Name(); ok {
			return n
		}
		return "error"
	}
	return "ok"
}

// statsCollector turns proxy.Stats and the hook engine's counters into
// metrics when scraped: the counters already exist, so copying them on
// every event would be waste.
type statsCollector struct {
	stats func() proxy.Stats
	hooks func() map[string]scripts.ScriptStats
}

var (
	descListener = func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("nexproxy_listener_"+name, help, []string{"listener", "games"}, nil)
	}
	listenerDescs = struct {
		datagrams, malformed, badSig, noConn, refused, unserved, accepted, active *prometheus.Desc
	}{
		datagrams: descListener("datagrams_total", "Datagrams (or WebSocket messages) read by the listener."),
		malformed: descListener("malformed_total", "Packets the listener rejected as malformed or for no configured game."),
		badSig:    descListener("bad_signature_total", "Handshake packets whose signature did not verify."),
		noConn:    descListener("no_connection_total", "Packets for no known connection."),
		refused:   descListener("refused_total", "Connection requests turned away."),
		unserved:  descListener("unserved_port_total", "SYNs and CONNECTs to a virtual port no game serves (left unanswered)."),
		accepted:  descListener("accepted_total", "Connections established."),
		active:    descListener("connections", "Connections open now."),
	}
	descConn = func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("nexproxy_prudp_"+name, help, nil, nil)
	}
	connDescs = struct {
		sent, resent, received, dropped, duplicates, msgSent, msgReceived *prometheus.Desc
	}{
		sent:        descConn("packets_sent_total", "PRUDP packets sent, both legs of every connection (first transmissions, acks, pings)."),
		resent:      descConn("packets_resent_total", "PRUDP retransmissions."),
		received:    descConn("packets_received_total", "PRUDP packets that passed every check."),
		dropped:     descConn("packets_dropped_total", "PRUDP packets rejected by their connection."),
		duplicates:  descConn("packets_duplicate_total", "Reliable PRUDP packets received again."),
		msgSent:     descConn("messages_sent_total", "Whole PRUDP messages sent."),
		msgReceived: descConn("messages_received_total", "Whole PRUDP messages received."),
	}
	descSessions = prometheus.NewDesc("nexproxy_sessions", "Console connections open now.", nil, nil)
	// Blind relays: the sockets they hold and the relays refused at a cap.
	descRelays        = prometheus.NewDesc("nexproxy_blind_relays", "Blind relays open now (one listening socket each).", nil, nil)
	descRelayConsoles = prometheus.NewDesc("nexproxy_blind_relay_consoles", "Consoles blind relays forward for now (one upstream socket each).", nil, nil)
	descRelayRefused  = prometheus.NewDesc("nexproxy_blind_relays_refused_total", "Blind relays not opened because a cap was reached.", nil, nil)
	descHook          = func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("nexproxy_hook_"+name, help, []string{"script"}, nil)
	}
	hookDescs = struct{ runs, errors, timeouts, memory *prometheus.Desc }{
		runs:     descHook("runs_total", "Lua hook runs, failed ones included."),
		errors:   descHook("errors_total", "Lua hook runs that raised an error."),
		timeouts: descHook("timeouts_total", "Lua hook runs stopped by scripts.timeout."),
		memory:   descHook("memory_aborts_total", "Lua hook runs stopped by the memory limit."),
	}
)

// Describe sends every descriptor.
func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		listenerDescs.datagrams, listenerDescs.malformed, listenerDescs.badSig, listenerDescs.noConn,
		listenerDescs.refused, listenerDescs.unserved, listenerDescs.accepted, listenerDescs.active,
		connDescs.sent, connDescs.resent, connDescs.received, connDescs.dropped, connDescs.duplicates,
		connDescs.msgSent, connDescs.msgReceived, descSessions, descRelays, descRelayConsoles, descRelayRefused,
		hookDescs.runs, hookDescs.errors, hookDescs.timeouts, hookDescs.memory,
	} {
		ch <- d
	}
}

// Collect reads the counters.
func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	if c.stats != nil {
		st := c.stats()
		for _, l := range st.Listeners {
			counter(listenerDescs.datagrams, l.Datagrams, l.Addr, l.Games)
			counter(listenerDescs.malformed, l.Malformed, l.Addr, l.Games)
			counter(listenerDescs.badSig, l.BadSignature, l.Addr, l.Games)
			counter(listenerDescs.noConn, l.NoConnection, l.Addr, l.Games)
			counter(listenerDescs.refused, l.Refused, l.Addr, l.Games)
			counter(listenerDescs.unserved, l.UnservedPort, l.Addr, l.Games)
			counter(listenerDescs.accepted, l.Accepted, l.Addr, l.Games)
			ch <- prometheus.MustNewConstMetric(listenerDescs.active, prometheus.GaugeValue, float64(l.Active), l.Addr, l.Games)
		}
		counter(connDescs.sent, st.Conns.Sent)
		counter(connDescs.resent, st.Conns.Resent)
		counter(connDescs.received, st.Conns.Received)
		counter(connDescs.dropped, st.Conns.Dropped)
		counter(connDescs.duplicates, st.Conns.Duplicates)
		counter(connDescs.msgSent, st.Conns.MessagesSent)
		counter(connDescs.msgReceived, st.Conns.MessagesReceived)
		ch <- prometheus.MustNewConstMetric(descSessions, prometheus.GaugeValue, float64(st.Sessions))
		ch <- prometheus.MustNewConstMetric(descRelays, prometheus.GaugeValue, float64(st.BlindRelays))
		ch <- prometheus.MustNewConstMetric(descRelayConsoles, prometheus.GaugeValue, float64(st.BlindRelayConsoles))
		counter(descRelayRefused, st.BlindRelaysRefused)
	}
	if c.hooks != nil {
		for name, s := range c.hooks() {
			counter(hookDescs.runs, s.Runs, name)
			counter(hookDescs.errors, s.Errors, name)
			counter(hookDescs.timeouts, s.Timeouts, name)
			counter(hookDescs.memory, s.MemoryAborts, name)
		}
	}
}
