package prudp

import (
	"context"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
)

// connectPair listens with listen, dials network to the listener's port
// on 127.0.0.1 and returns both ends.
func connectPair(t *testing.T, ctx context.Context, s Settings, network string, listen func(ListenConfig) (*Listener, error)) (*Listener, *Conn, *Conn) {
	t.Helper()
	l, err := listen(ListenConfig{Games: []Settings{s}})
	if err != nil {
		t.Fatal(err)
	}
	port := netip.MustParseAddrPort(l.Addr().String()).Port()
	acc := make(chan *Conn, 1)
	go func() { c, _ := l.Accept(ctx); acc <- c }()
	cli, err := Dial(ctx, network, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port).String(), DialConfig{Settings: s})
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	return l, cli, <-acc
}

// TestLocalAddrPortUDP: the listener's side reports the listener's
// socket, the dialled side its own socket's port (what the server sees as
// its remote port).
func TestLocalAddrPortUDP(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := fastSettings(variantProfiles()["v1-minor4"])
	l, cli, srv := connectPair(t, ctx, s, "udp", func(cfg ListenConfig) (*Listener, error) {
		return Listen(ctx, "127.0.0.1:0", cfg)
	})
	defer closeAll(l, cli, srv)
	if got, want := srv.LocalAddrPort().String(), l.Addr().String(); got != want {
		t.Errorf("listener side LocalAddrPort = %s, want %s", got, want)
	}
	local := cli.LocalAddrPort()
	if local.Port() == 0 || local.Port() != srv.RemoteAddrPort().Port() {
		t.Errorf("dial side LocalAddrPort = %s, the server sees the client at %s", local, srv.RemoteAddrPort())
	}
	if !local.Addr().IsUnspecified() && local.Addr() != srv.RemoteAddrPort().Addr() {
		t.Errorf("dial side LocalAddrPort = %s, neither unspecified nor the client's address", local)
	}
}

// TestLocalAddrPortWebSocket: both ends report their TCP connection's
// local address; on a listener bound to every interface that is the
// concrete address the console connected to.
func TestLocalAddrPortWebSocket(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := Switch()
	s.AccessKey = "fdf6617f"
	l, cli, srv := connectPair(t, ctx, s, "ws", func(cfg ListenConfig) (*Listener, error) {
		return ListenWebSocket(ctx, "0.0.0.0:0", nil, cfg)
	})
	defer closeAll(l, cli, srv)
	port := netip.MustParseAddrPort(l.Addr().String()).Port()
	if got, want := srv.LocalAddrPort(), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port); got != want {
		t.Errorf("listener side LocalAddrPort = %s, want %s", got, want)
	}
	if got, want := cli.LocalAddrPort(), srv.RemoteAddrPort(); got != want {
		t.Errorf("dial side LocalAddrPort = %s, want the server's view of it, %s", got, want)
	}
}

// TestLocalAddrPortMem: in-memory carriers report their endpoint.
func TestLocalAddrPortMem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tn := newTestNet(t, 1, Impairment{}, ListenConfig{Games: []Settings{fastSettings(variantProfiles()["v0"])}})
		cli, srv, err := tn.dial(context.Background(), DialConfig{Settings: fastSettings(variantProfiles()["v0"])})
		if err != nil {
			t.Fatal(err)
		}
		if srv.LocalAddrPort() != tn.srvAddr {
			t.Errorf("listener side %s, want %s", srv.LocalAddrPort(), tn.srvAddr)
		}
		if cli.LocalAddrPort() != srv.RemoteAddrPort() {
			t.Errorf("dial side %s, want %s", cli.LocalAddrPort(), srv.RemoteAddrPort())
		}
		closeAll(tn.l, cli, srv)
	})
}
