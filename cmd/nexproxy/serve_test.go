package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
)

// freeAddr finds a loopback address free for a listener of network
// (servicetest.FreePort: a port no parallel test's client socket takes).
func freeAddr(t *testing.T, network string) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", servicetest.FreePort(t, network))
}

// serveConfig writes a local-mode configuration with session logs,
// per-session captures and metrics, and returns its path.
func serveConfig(t *testing.T, dir, metricsAddr string) string {
	t.Helper()
	path := filepath.Join(dir, "config.toml")
	writeFile(t, path, fmt.Sprintf(`advertise = "127.0.0.1"
metrics = %q

[log]
level = "error"
sessions = "sessions"
pcapng = true

[[games]]
name = "wiiu"
platform = "wiiu"
access_key = "0badf00d"
auth_listen = %q
secure_listen = %q
upstream = "local"

[[accounts]]
pid = 1234567
password = "testpassword"
`, metricsAddr, freeAddr(t, "udp"), freeAddr(t, "udp")))
	return path
}

// clientFor is a simulated console for the configuration's game.
func clientFor(t *testing.T, path string) proxy.ClientConfig {
	t.Helper()
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Games[0]
	return proxy.ClientConfig{Network: "udp", Addr: g.AuthListen, PRUDP: g.PRUDP, Kerberos: g.Kerberos, RMC: g.RMC,
		Username: "1234567", Password: "testpassword"}
}

// waitServing waits until serve has opened its metrics endpoint, which it
// does after its listeners.
func waitServing(t *testing.T, ctx context.Context, metricsAddr string, served <-chan error) {
	t.Helper()
	// The metrics page is up once the listeners are; it must be this
	// serve's page, not another test's server that took the port after
	// freeAddr gave it up (then this serve fails and says why on served).
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for {
		resp, err := client.Get("http://" + metricsAddr + "/metrics")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), "nexproxy_") {
				return
			}
			err = fmt.Errorf("%s serves something else", metricsAddr)
		}
		select {
		case err := <-served:
			t.Fatalf("serve ended early: %v", err)
		case <-ctx.Done():
			t.Fatalf("serve not up: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// registerEx makes the secure call a console makes first.
func registerEx(t *testing.T, ctx context.Context, c *proxy.Client, s rmc.Settings) {
	t.Helper()
	w := rmc.NewWriter(s)
	w.ListLen(1)
	u, _ := rmc.ParseStationURL(fmt.Sprintf("prudp:/address=%s;port=%d;sid=15;type=2", c.SecureLocal.Addr(), c.SecureLocal.Port()))
	w.StationURL(u)
	w.AnyDataBegin("NintendoLoginData")
	w.StructBegin(0)
	w.String("nex-token")
	w.StructEnd(nil)
	w.AnyDataEnd()
	m, err := c.Call(ctx, 11, 4, w.Bytes())
	if err != nil || !m.Success {
		t.Fatalf("RegisterEx: %v %v", err, m)
	}
}

// scrape fetches the metrics text.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %v %s", err, resp.Status)
	}
	return string(b)
}

// metricSum adds the samples of name whose labels include every want
// label (k="v"); found is false when there is none.
func metricSum(text, name string, want ...string) (sum float64, found bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		series, value := line[:sp], line[sp+1:]
		metric, labels, _ := strings.Cut(series, "{")
		if metric != name {
			continue
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(labels, w)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}

// TestServeSessionLogsAndMetrics runs `nexproxy serve` in-process with a
// local game, logs a console in, scrapes the metrics, stops serve with
// SIGINT and reads the session logs back with `nexproxy decode`.
func TestServeSessionLogsAndMetrics(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreTopFunction("os/signal.signal_recv"), goleak.IgnoreTopFunction("os/signal.loop"))
	dir := t.TempDir()
	metricsAddr := freeAddr(t, "tcp")
	path := serveConfig(t, dir, metricsAddr)
	capture := filepath.Join(dir, "all.pcapng")

	served := make(chan error, 1)
	go func() {
		_, errOut, err := runCLI(t, "-c", path, "serve", "--pcapng", capture)
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, errOut)
		}
		served <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cc := clientFor(t, path)
	waitServing(t, ctx, metricsAddr, served)
	c, err := proxy.Login(ctx, cc)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	registerEx(t, ctx, c, cc.RMC)
	if m, err := c.Call(ctx, 0x7F0, 1, nil); err != nil || m.Success {
		t.Fatalf("undescribed call: %v %v", err, m)
	}

	text := scrape(t, metricsAddr)
	checks := []struct {
		name   string
		labels []string
		min    float64
		max    float64
	}{
		{"nexproxy_rmc_calls_total", []string{`protocol="Authentication"`, `method="Login"`, `handler="builtin"`, `result="ok"`, `direction="to-server"`}, 1, 1},
		{"nexproxy_rmc_calls_total", []string{`protocol="SecureConnection"`, `method="RegisterEx"`, `result="ok"`}, 1, 1},
		{"nexproxy_rmc_calls_total", []string{`protocol="unknown"`, `method="unknown"`, `result="Core::NotImplemented"`}, 1, 1},
		{"nexproxy_rmc_call_duration_seconds_count", []string{`protocol="Authentication"`, `method="Login"`}, 1, 1},
		{"nexproxy_logins_total", []string{`mode="local"`}, 1, 1},
		{"nexproxy_sessions_total", []string{`leg="secure"`}, 1, 1},
		{"nexproxy_sessions", nil, 1, 2},
		{"nexproxy_listener_accepted_total", nil, 2, 2},
		{"nexproxy_listener_datagrams_total", nil, 4, 1e6},
		{"nexproxy_listener_malformed_total", nil, 0, 0},
		{"nexproxy_prudp_packets_received_total", nil, 3, 1e6},
		{"nexproxy_prudp_packets_sent_total", nil, 3, 1e6},
		{"nexproxy_prudp_messages_received_total", nil, 3, 1e6},
	}
	for _, ch := range checks {
		v, ok := metricSum(text, ch.name, ch.labels...)
		if !ok || v < ch.min || v > ch.max {
			t.Errorf("%s%v = %v (found %v), want %v..%v", ch.name, ch.labels, v, ok, ch.min, ch.max)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", text)
	}
	c.Close()

	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("serve did not stop on SIGINT")
	}
	if _, err := net.DialTimeout("tcp", metricsAddr, time.Second); err == nil {
		t.Error("metrics endpoint still open after shutdown")
	}

	logs, _ := filepath.Glob(filepath.Join(dir, "sessions", "*.jsonl"))
	captures, _ := filepath.Glob(filepath.Join(dir, "sessions", "*.pcapng"))
	if len(logs) != 2 || len(captures) != 2 {
		t.Fatalf("session folder has %d logs and %d captures, want 2 and 2", len(logs), len(captures))
	}
	sort.Strings(logs)
	var transcript strings.Builder
	for _, l := range logs {
		out, errOut, err := runCLI(t, "decode", l)
		if err != nil {
			t.Fatalf("decode %s: %v\n%s", l, err, errOut)
		}
		transcript.WriteString(out)
	}
	for _, want := range []string{
		"login  PID 1234567, local",
		"C→S    Authentication.Login(1)",
		"C→S    SecureConnection.RegisterEx(1)",
		"#2032.#1(2) → error 0x80010002 Core::NotImplemented  [builtin",
		"close  console",
	} {
		if !strings.Contains(transcript.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, transcript.String())
		}
	}
	if st, err := os.Stat(capture); err != nil || st.Size() < 200 {
		t.Errorf("--pcapng capture: %v", err)
	}
}
