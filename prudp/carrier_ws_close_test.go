package prudp

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

// wsPeerOf returns the WebSocket a carrier holds for addr.
func wsPeerOf(t *testing.T, car Carrier, addr netip.AddrPort) *websocket.Conn {
	t.Helper()
	var c *wsCarrier
	switch v := car.(type) {
	case *wsServerCarrier:
		c = v.wsCarrier
	case *wsClientCarrier:
		c = v.wsCarrier
	default:
		t.Fatalf("carrier %T is not a WebSocket carrier", car)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.peers[addr]
	if p == nil {
		t.Fatalf("no WebSocket for %s", addr)
	}
	return p.ws
}

// endsPromptly waits for c to end well before its ping timeout could have
// ended it, and checks that the error says the carrier closed the peer.
func endsPromptly(t *testing.T, side string, c *Conn) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: connection still open after its WebSocket closed", side)
	}
	err := c.Err()
	if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrPeerClosed) || errors.Is(err, ErrTimeout) {
		t.Errorf("%s: Err = %v, want ErrClosed caused by ErrPeerClosed", side, err)
	}
	if err != nil && !strings.Contains(err.Error(), "carrier closed") {
		t.Errorf("%s: Err %q does not say the carrier closed", side, err)
	}
	if _, rerr := c.Recv(context.Background()); !errors.Is(rerr, ErrClosed) {
		t.Errorf("%s: Recv after the end = %v", side, rerr)
	}
}

// listenWebSocketForClose serves the Switch profile on a WebSocket
// listener ("ws", or "wss" with a test certificate) and returns the
// DialConfig that reaches it. The ping timeout is a minute, so that
// nothing but the WebSocket's end can end a connection within a test.
func listenWebSocketForClose(t *testing.T, ctx context.Context, network string) (*Listener, DialConfig) {
	t.Helper()
	s := Switch()
	s.AccessKey = "fdf6617f"
	s.PingTimeout = time.Minute
	var srvTLS *tls.Config
	dc := DialConfig{Settings: s}
	if network == "wss" {
		cfg, roots := testCert(t)
		srvTLS = cfg
		dc.TLSConfig = &tls.Config{RootCAs: roots}
	}
	l, err := ListenWebSocket(ctx, "127.0.0.1:0", srvTLS, ListenConfig{Games: []Settings{s}})
	if err != nil {
		t.Fatal(err)
	}
	return l, dc
}

// TestWebSocketCloseEndsConnections drops the TCP connection under a
// WebSocket, from either end, without any PRUDP DISCONNECT: both the
// listener's and the dialled connection end at once (the ping timeout is
// a minute, so nothing else can end them within the wait).
func TestWebSocketCloseEndsConnections(t *testing.T) {
	for _, tc := range []struct {
		name, network   string
		closeServerSide bool
	}{
		{"ws console closes", "ws", false},
		{"ws server closes", "ws", true},
		{"wss console closes", "wss", false},
		{"wss server closes", "wss", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			l, dc := listenWebSocketForClose(t, ctx, tc.network)
			defer l.Close()
			acc := make(chan *Conn, 1)
			go func() { c, _ := l.Accept(ctx); acc <- c }()
			cli, err := Dial(ctx, tc.network, l.Addr().String(), dc)
			if err != nil {
				t.Fatal(err)
			}
			defer cli.Close()
			srv := <-acc
			if srv == nil {
				t.Fatal("no connection accepted")
			}
			if err := exchange(ctx, cli, srv, 0, [][]byte{[]byte("before")}); err != nil {
				t.Fatal(err)
			}
			// Close the socket itself: no close frame, no DISCONNECT, as
			// when a console loses power or its network.
			if tc.closeServerSide {
				_ = wsPeerOf(t, l.carrier, srv.RemoteAddrPort()).NetConn().Close()
			} else {
				_ = wsPeerOf(t, cli.carrier, cli.RemoteAddrPort()).NetConn().Close()
			}
			endsPromptly(t, "listener side", srv)
			endsPromptly(t, "dial side", cli)
			if st := l.Stats(); st.Active != 0 {
				t.Errorf("listener still tracks %d connections", st.Active)
			}
			// The listener keeps serving: the console comes back.
			go func() { c, _ := l.Accept(ctx); acc <- c }()
			again, err := Dial(ctx, tc.network, l.Addr().String(), dc)
			if err != nil {
				t.Fatal("dial after the close:", err)
			}
			defer again.Close()
			srv2 := <-acc
			if err := exchange(ctx, again, srv2, 0, [][]byte{[]byte("after")}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestWebSocketCloseFrameEndsConnections closes the console's WebSocket
// cleanly (close frame, as a browser or console does on shutdown): the
// listener's connection ends at once.
func TestWebSocketCloseFrameEndsConnections(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, dc := listenWebSocketForClose(t, ctx, "ws")
	defer l.Close()
	acc := make(chan *Conn, 1)
	go func() { c, _ := l.Accept(ctx); acc <- c }()
	cli, err := Dial(ctx, "ws", l.Addr().String(), dc)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	srv := <-acc
	ws := wsPeerOf(t, cli.carrier, cli.RemoteAddrPort())
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye"), time.Now().Add(time.Second))
	endsPromptly(t, "listener side", srv)
	endsPromptly(t, "dial side", cli)
}

// peerCloseCarrier turns a datagram "peer-closed <addr>" into the
// ErrPeerClosed report a per-peer carrier makes, so that the listener's
// side can be tested on the in-memory network with synthetic time.
type peerCloseCarrier struct {
	Carrier
}

func (p *peerCloseCarrier) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	n, from, err := p.Carrier.ReadFrom(b)
	if err == nil {
		if a, ok := strings.CutPrefix(string(b[:n]), "peer-closed "); ok {
			ap := netip.MustParseAddrPort(a)
			return 0, ap, errors.Join(ErrPeerClosed, errors.New("test: stream of "+a+" closed"))
		}
	}
	return n, from, err
}

// TestListenerPeerClosed: a peer-closed report ends every connection with
// that peer at once (in the backlog too) and no other.
func TestListenerPeerClosed(t *testing.T) {
	for _, name := range []string{"v0", "v1-minor4", "lite"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				s := fastSettings(variantProfiles()[name])
				s.PingTimeout = time.Minute
				n := NewMemNetwork(9, Impairment{Delay: time.Millisecond})
				sc, _ := n.Listen("10.0.0.1:1")
				l, err := ListenCarrier(ctx, &peerCloseCarrier{sc}, ListenConfig{Games: []Settings{s}})
				if err != nil {
					t.Fatal(err)
				}
				srvAddr := sc.LocalAddr().(addrPortAddr).ap
				dial := func(addr string) *Conn {
					cc, _ := n.Listen(addr)
					c, err := DialCarrier(ctx, cc, sc.LocalAddr(), DialConfig{Settings: s})
					if err != nil {
						t.Fatal(err)
					}
					return c
				}
				cliA, cliB := dial("10.0.0.2:2"), dial("10.0.0.3:3")
				srvA, _ := l.Accept(ctx)
				srvB, _ := l.Accept(ctx)
				if srvA.RemoteAddrPort() != netip.MustParseAddrPort("10.0.0.2:2") {
					srvA, srvB = srvB, srvA
				}
				// A third connection waits in the backlog (not accepted).
				cliC := dial("10.0.0.2:4")
				_ = cliC

				start := time.Now()
				reporter, _ := n.Listen("10.0.0.9:9")
				for _, a := range []string{"10.0.0.2:2", "10.0.0.2:4"} {
					_ = reporter.WriteTo([]byte("peer-closed "+a), srvAddr)
				}
				time.Sleep(2 * time.Millisecond) // the network's delay
				synctest.Wait()
				select {
				case <-srvA.Done():
				default:
					t.Fatal("connection with the closed peer still open")
				}
				if time.Since(start) > s.PingTimeout/2 {
					t.Errorf("ended after %v", time.Since(start))
				}
				if err := srvA.Err(); !errors.Is(err, ErrClosed) || !errors.Is(err, ErrPeerClosed) {
					t.Errorf("Err = %v", err)
				}
				if got := l.Stats().Active; got != 1 {
					t.Errorf("Active = %d, want 1 (the other peer's)", got)
				}
				if err := exchange(ctx, cliB, srvB, 0, [][]byte{[]byte("unaffected")}); err != nil {
					t.Fatal(err)
				}
				// The backlogged connection died too: Accept skips it.
				actx, cancel := context.WithTimeout(ctx, time.Second)
				if c, err := l.Accept(actx); err == nil {
					t.Errorf("Accept returned %s, closed by the peer report", c.RemoteAddrPort())
				}
				cancel()
				reporter.Close()
				cliA.Abort()
				cliC.Abort()
				closeAll(l, cliB, srvB)
			})
		})
	}
}

// TestWebSocketCloseWaitsForReply: closing the listener sends a close
// frame and keeps the TCP connection open until the peer's close frame
// comes back (RFC 6455 §7.1.1), so the peer never writes its reply into a
// closed socket.
func TestWebSocketCloseWaitsForReply(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, _ := listenWebSocketForClose(t, ctx, "ws")
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+l.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// The listener only knows a WebSocket once it has read from it: send
	// a SYN so that it is registered.
	s := Switch()
	s.AccessKey = "fdf6617f"
	if err := ws.WriteMessage(websocket.BinaryMessage, synWire(t, s, VPort{StreamRVSecure, 1})); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ws.ReadMessage(); err != nil {
		t.Fatal("no SYN reply:", err)
	}
	type closeSeen struct {
		openDuringClose bool
		replyErr        error
	}
	seen := make(chan closeSeen, 1)
	ws.SetCloseHandler(func(code int, _ string) error {
		// Before replying, the server must still hold the socket open: a
		// raw read waits (times out) instead of seeing EOF.
		nc := ws.NetConn()
		_ = nc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, rerr := nc.Read(make([]byte, 1))
		var ne interface{ Timeout() bool }
		open := errors.As(rerr, &ne) && ne.Timeout()
		_ = nc.SetReadDeadline(time.Time{})
		werr := ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
		seen <- closeSeen{openDuringClose: open, replyErr: werr}
		return nil
	})
	readDone := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				readDone <- err
				return
			}
		}
	}()
	start := time.Now()
	l.Close()
	took := time.Since(start)
	got := <-seen
	if !got.openDuringClose {
		t.Error("the listener closed the TCP connection before the console's close reply")
	}
	if got.replyErr != nil {
		t.Errorf("close reply: %v", got.replyErr)
	}
	if took > 3*time.Second {
		t.Errorf("Close took %v", took)
	}
	var ce *websocket.CloseError
	if err := <-readDone; !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		t.Errorf("console read ended with %v, want a normal close", err)
	}
}

// TestWebSocketWriteToDroppedPeer: a write to a peer whose reader has
// just dropped it ends like the reader's report (ErrPeerClosed), so that
// whichever of the two a connection sees first, it ends for the same
// reason; after Close, writes say the carrier is closed instead.
func TestWebSocketWriteToDroppedPeer(t *testing.T) {
	c := newWSCarrier(nil)
	to := netip.MustParseAddrPort("127.0.0.1:9")
	if err := c.WriteTo([]byte{0}, to); !errors.Is(err, ErrPeerClosed) {
		t.Errorf("write to a dropped peer = %v, want ErrPeerClosed", err)
	}
	c.closePeers()
	if err := c.WriteTo([]byte{0}, to); errors.Is(err, ErrPeerClosed) || !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after Close = %v, want net.ErrClosed only", err)
	}
}
