package servicetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Game describes the one game a test server serves.
type Game struct {
	// Platform is a preset: friends, 3ds, wiiu (default) or switch.
	Platform string
	// NEX overrides the game's NEX version (0: the test default of the
	// platform: 20000, 30400, 30504, 40605).
	NEX int
	// Upstream is "local" (default) or the host:port of another server.
	Upstream string
	// TOML is appended inside the game's [[games]] table: the services'
	// own tables ([games.ranking] ...), [games.protocols], overrides.
	TOML string
	// Top is appended at the top level of the file ([store], accounts).
	Top string
	// Users are accounts "pid:password" (username = the PID); default
	// 1001:pw1 to 1008:pw8.
	Users []string
	// Recorder receives the sessions' events, as serve's recorders do;
	// nil = none.
	Recorder record.Recorder
}

// Server is a running nexproxy with one game, on loopback.
type Server struct {
	*proxy.Server
	Config *config.Config
	Host   *builtin.Host
	keys   *kerberos.KeyCache
}

func defaultNEX(platform string) int {
	switch platform {
	case "friends":
		return 20000
	case "3ds":
		return 30400
	case "switch":
		return 40605
	}
	return 30504
}

// Ports FreePort picks from: below Linux's ephemeral range (32768 and
// up), which the kernel hands to every socket bound to port 0.
const (
	freePortMin = 20000
	freePortMax = 32767
)

// FreePort finds a loopback port number ("udp" or "tcp") free for a
// listener a test configures. The port is closed again before the
// listener binds it, so it is taken from below the ephemeral range: a
// port 0 pick could be handed, in that gap, to one of the client sockets
// that tests running in parallel open all the time ("address already in
// use"). A port is handed out once per process, so that two listeners
// of one test (or of tests running side by side) never get the same
// number.
func FreePort(tb testing.TB, network string) int {
	tb.Helper()
	for range 100 {
		port := freePortMin + rand.IntN(freePortMax-freePortMin+1)
		if portFree(network, port) && handOut(port) {
			return port
		}
	}
	tb.Fatalf("servicetest: no free %s port in %d-%d", network, freePortMin, freePortMax)
	return 0
}

var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// handOut records port as given to a test; false when it was already.
func handOut(port int) bool {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports[port] {
		return false
	}
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
	}
	handedOut.ports[port] = true
	return true
}

// portFree reports whether a loopback listener can bind port now.
func portFree(network string, port int) bool {
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if network == "tcp" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return false
		}
		_ = l.Close()
		return true
	}
	c, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// TOMLText renders the configuration file of g with free loopback ports.
func (g Game) TOMLText(tb testing.TB) string {
	tb.Helper()
	if g.Platform == "" {
		g.Platform = "wiiu"
	}
	if g.Upstream == "" {
		g.Upstream = "local"
	}
	if g.NEX == 0 {
		g.NEX = defaultNEX(g.Platform)
	}
	if g.Users == nil {
		for i := 1; i <= 8; i++ {
			g.Users = append(g.Users, fmt.Sprintf("%d:pw%d", 1000+i, i))
		}
	}
	keys := map[string]string{"friends": "ridfebb9", "3ds": "6181dff1", "wiiu": "25dbf96a", "switch": "fdf6617f"}
	network, transport := "udp", ""
	if g.Platform == "switch" {
		network, transport = "tcp", "transport = \"websocket\"\n"
	}
	auth := FreePort(tb, network)
	secure := auth
	if network == "udp" {
		secure = FreePort(tb, network)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "advertise = \"127.0.0.1\"\n%s\n", g.Top)
	fmt.Fprintf(&b, "[[games]]\nname = \"g\"\nplatform = %q\naccess_key = %q\nauth_listen = \"127.0.0.1:%d\"\nsecure_listen = \"127.0.0.1:%d\"\nupstream = %q\n%s%s\n[games.rmc]\nnex_version = %d\n",
		g.Platform, keys[g.Platform], auth, secure, g.Upstream, transport, g.TOML, g.NEX)
	for _, u := range g.Users {
		pid, pw, _ := strings.Cut(u, ":")
		fmt.Fprintf(&b, "\n[[accounts]]\npid = %s\npassword = %q\n", pid, pw)
	}
	return b.String()
}

// Start runs a server for g on host (nil: a fresh Host on temporary
// storage) with every registered service, until the test ends.
func Start(tb testing.TB, g Game, host *builtin.Host) *Server {
	tb.Helper()
	if host == nil {
		host = Host(tb)
	}
	text := g.TOMLText(tb)
	cfg, err := config.LoadTOML(text)
	if err != nil {
		tb.Fatalf("servicetest: config: %v\n%s", err, text)
	}
	// As serve does: the file's accounts seed the store, which the
	// logins then read.
	if err := proxy.SeedAccounts(context.Background(), host.Stores.Accounts, cfg.Accounts, nil); err != nil {
		tb.Fatalf("servicetest: seed accounts: %v", err)
	}
	srv, err := proxy.New(cfg, proxy.Options{Builtins: []proxy.Builtin{host.Builtin}, Accounts: host.Stores.Accounts, Recorder: g.Recorder})
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	return &Server{Server: srv, Config: cfg, Host: host, keys: kerberos.NewKeyCache(0)}
}

// Console is a logged-in simulated console.
type Console struct {
	*proxy.Client
	// Settings interpret the game's bodies; pass them to typed clients.
	Settings rmc.Settings

	mu       sync.Mutex
	received []*rmc.Message
	arrived  chan struct{}
}

// Login logs user ("pid:password" of Game.Users, e.g. "1001:pw1") in and
// connects to the secure server; calls the server makes on the console are
// answered with success and kept for Requests.
func (s *Server) Login(tb testing.TB, user string) *Console {
	tb.Helper()
	g := s.Config.Games[0]
	network := "udp"
	if g.Transport == config.TransportWebSocket {
		network = "ws"
	}
	name, pw, _ := strings.Cut(user, ":")
	c := &Console{Settings: g.RMC, arrived: make(chan struct{}, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cl, err := proxy.Login(ctx, proxy.ClientConfig{
		Network: network, Addr: s.AuthAddr(g.Name).String(),
		PRUDP: g.PRUDP, Kerberos: g.Kerberos, RMC: g.RMC,
		Username: name, Password: pw, Keys: s.keys,
		OnRequest: func(ctx context.Context, p *peer.Peer, m *rmc.Message) {
			c.mu.Lock()
			c.received = append(c.received, m)
			c.mu.Unlock()
			select {
			case c.arrived <- struct{}{}:
			default:
			}
			if !oneWay(m.Protocol) {
				_ = p.Respond(ctx, m, &rpc.Reply{})
			}
		},
	})
	if err != nil {
		tb.Fatalf("servicetest: login %s: %v", name, err)
	}
	tb.Cleanup(func() { _ = cl.Close() })
	c.Client = cl
	return c
}

func oneWay(protocol uint16) bool { return protocol == 14 || protocol == 100 || protocol == 27 }

// Requests returns the calls and notifications the server sent this
// console so far.
func (c *Console) Requests() []*rmc.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*rmc.Message(nil), c.received...)
}

// WaitRequest waits until the server has sent a call or notification
// matching protocol and method, and returns it.
func (c *Console) WaitRequest(tb testing.TB, protocol uint16, method uint32, timeout time.Duration) *rmc.Message {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		for _, m := range c.Requests() {
			if m.Protocol == protocol && m.Method == method {
				return m
			}
		}
		select {
		case <-c.arrived:
		case <-deadline:
			tb.Fatalf("servicetest: no call %d.%d from the server within %v", protocol, method, timeout)
		}
	}
}

// StationURL parses s, failing the test when it is not a station URL.
func StationURL(tb testing.TB, s string) rmc.StationURL {
	tb.Helper()
	u, err := rmc.ParseStationURL(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}
