package proxy_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin/auth"
	"github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

const (
	testUser     = "1234567"
	testPassword = "testpassword"
)

var platformKeys = map[string]string{"wiiu": "25dbf96a", "3ds": "6181dff1", "friends": "ridfebb9", "switch": "fdf6617f"}

// freePort reserves a loopback port number (UDP or TCP) for a listener.
func freePort(t testing.TB, network string) int { return servicetest.FreePort(t, network) }

// memRecorder keeps every event for assertions.
type memRecorder struct {
	mu     sync.Mutex
	calls  []*record.CallEvent
	logins []string
	conns  int
	discs  int
	games  map[string]int // connections per game
}

func (m *memRecorder) Connect(s *rpc.Session, _ string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.conns++
	if m.games == nil {
		m.games = map[string]int{}
	}
	m.games[s.Game]++
}
func (m *memRecorder) Login(_ *rpc.Session, pid uint64, mode string) {
	m.mu.Lock()
	m.logins = append(m.logins, fmt.Sprintf("%d:%s", pid, mode))
	m.mu.Unlock()
}
func (m *memRecorder) Call(_ *rpc.Session, e *record.CallEvent) {
	m.mu.Lock()
	m.calls = append(m.calls, e)
	m.mu.Unlock()
}
func (m *memRecorder) Disconnect(*rpc.Session, error) { m.mu.Lock(); m.discs++; m.mu.Unlock() }

// loginList returns a copy of the logins seen, as "pid:mode".
func (m *memRecorder) loginList() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.logins...)
}

// loginsString formats the logins seen as "[pid:mode ...]".
func (m *memRecorder) loginsString() string { return fmt.Sprint(m.loginList()) }

func (m *memRecorder) find(proto uint16, method uint32) *record.CallEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.calls {
		if c.Protocol == proto && c.Method == method {
			return c
		}
	}
	return nil
}

type testGame struct {
	platform   string
	upstream   string // "local" or host:port
	authPort   int
	securePort int
	accounts   bool
	moreUsers  int    // accounts otherUser(1..n) besides testUser
	gameTOML   string // more of the game's table ([games.kerberos] ...)
	tlsDir     string // serve wss with cert.pem/key.pem from here
}

// otherUser is the name (the PID) and password of the i-th extra account
// of testGame.moreUsers: a console of its own, as each PID is.
func otherUser(i int) (name, password string) {
	return fmt.Sprint(3000000 + i), fmt.Sprintf("pw-%d", i)
}

func gameTOML(t testing.TB, g testGame) string {
	network := "udp"
	extra := ""
	if g.platform == "switch" {
		network = "tcp"
	}
	if g.authPort == 0 {
		g.authPort = freePort(t, network)
	}
	if g.securePort == 0 {
		g.securePort = freePort(t, network)
		if g.platform == "switch" {
			g.securePort = g.authPort
		}
	}
	if g.platform == "switch" {
		extra += "transport = \"websocket\"\n"
		if g.upstream != "local" {
			extra += "upstream_tls_insecure = true\n"
		}
		if g.tlsDir != "" {
			extra += fmt.Sprintf("tls_cert = %q\ntls_key = %q\n", g.tlsDir+"/cert.pem", g.tlsDir+"/key.pem")
		}
	}
	s := fmt.Sprintf(`advertise = "127.0.0.1"

[[games]]
name = "g"
platform = %q
access_key = %q
auth_listen = "127.0.0.1:%d"
secure_listen = "127.0.0.1:%d"
upstream = %q
%s%s`, g.platform, platformKeys[g.platform], g.authPort, g.securePort, g.upstream, extra, g.gameTOML)
	if g.accounts {
		s += fmt.Sprintf("\n[[accounts]]\npid = %s\npassword = %q\n", testUser, testPassword)
	}
	for i := 1; i <= g.moreUsers; i++ {
		name, pw := otherUser(i)
		s += fmt.Sprintf("\n[[accounts]]\npid = %s\npassword = %q\n", name, pw)
	}
	return s
}

func startServer(t testing.TB, g testGame, rec record.Recorder) (*proxy.Server, *config.Config) {
	t.Helper()
	return startServerTOML(t, gameTOML(t, g), rec)
}

// startServerTOML starts a server with the built-in handlers from a
// configuration text.
func startServerTOML(t testing.TB, text string, rec record.Recorder) (*proxy.Server, *config.Config) {
	t.Helper()
	cfg, err := config.LoadTOML(text)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	srv, err := proxy.New(cfg, proxy.Options{Builtins: []proxy.Builtin{servicetest.Host(t).Named(auth.Name, secure.Name)}, Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return srv, cfg
}

func clientConfig(cfg *config.Config, srv *proxy.Server) proxy.ClientConfig {
	g := cfg.Games[0]
	network := "udp"
	if g.Transport == "websocket" {
		network = "ws"
	}
	return proxy.ClientConfig{
		Network: network, Addr: srv.AuthAddr(g.Name).String(),
		PRUDP: g.PRUDP, Kerberos: g.Kerberos, RMC: g.RMC,
		Username: testUser, Password: testPassword,
	}
}

// registerEx calls SecureConnection RegisterEx with one local URL and
// returns the public station.
func registerEx(t *testing.T, ctx context.Context, c *proxy.Client, s rmc.Settings) rmc.StationURL {
	t.Helper()
	w := rmc.NewWriter(s)
	w.ListLen(1)
	u, _ := rmc.ParseStationURL(fmt.Sprintf("prudp:/address=%s;port=%d;natf=0;natm=0;pmp=0;sid=15;type=2;upnp=0", c.SecureLocal.Addr(), c.SecureLocal.Port()))
	w.StationURL(u)
	w.AnyDataBegin("NintendoLoginData")
	w.StructBegin(0)
	w.String("nex-token-" + testUser)
	w.StructEnd(nil)
	w.AnyDataEnd()
	m, err := c.Call(ctx, 11, 4, w.Bytes())
	if err != nil {
		t.Fatalf("RegisterEx: %v", err)
	}
	if !m.Success {
		t.Fatalf("RegisterEx: %s", m.Error)
	}
	r := rmc.NewReader(m.Body, s)
	res := r.Result()
	cid := r.U32()
	pub := r.StationURL()
	if r.Err() != nil || res.IsError() || cid == 0 {
		t.Fatalf("RegisterEx response: %v %s cid %d", r.Err(), res, cid)
	}
	return pub
}

func checkPublic(t *testing.T, c *proxy.Client, pub rmc.StationURL) {
	t.Helper()
	addr, _ := pub.Address()
	port, _ := pub.Port()
	if addr != c.SecureLocal.Addr().String() || port != c.SecureLocal.Port() {
		t.Errorf("public station %s, client is at %s", pub.String(), c.SecureLocal)
	}
}

func TestLocalLogin(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	for _, platform := range []string{"wiiu", "3ds", "friends", "switch"} {
		t.Run(platform, func(t *testing.T) {
			rec := &memRecorder{}
			srv, cfg := startServer(t, testGame{platform: platform, upstream: "local", accounts: true}, rec)
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := proxy.Login(ctx, clientConfig(cfg, srv))
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			defer c.Close()
			if port, _ := c.Station.Port(); int(port) != int(portOf(srv.SecureAddr("g"))) {
				t.Errorf("station %s does not name the secure listener %s", c.Station.String(), srv.SecureAddr("g"))
			}
			pub := registerEx(t, ctx, c, cfg.Games[0].RMC)
			checkPublic(t, c, pub)
			m, err := c.Call(ctx, 11, 5, nil)
			if err != nil || !m.Success {
				t.Fatalf("TestConnectivity: %v %v", err, m)
			}
			m, err = c.Call(ctx, 0x7F0, 1, nil)
			if err != nil || m.Success || !strings.Contains(m.Error.String(), "NotImplemented") {
				t.Fatalf("unknown protocol: %v %v", err, m)
			}
			if e := rec.find(11, 4); e == nil || e.Response == nil || e.Request == nil {
				t.Errorf("session log lacks the decoded RegisterEx")
			}
		})
	}
}

func portOf(a net.Addr) uint16 {
	switch v := a.(type) {
	case *net.UDPAddr:
		return uint16(v.Port)
	case *net.TCPAddr:
		return uint16(v.Port)
	}
	return 0
}
