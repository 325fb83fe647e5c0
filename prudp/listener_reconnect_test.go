package prudp

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// muteCarrier stops writing once muted: a client that vanishes without a
// word (a console that crashed or lost power).
type muteCarrier struct {
	Carrier
	muted atomic.Bool
}

func (m *muteCarrier) WriteTo(p []byte, to netip.AddrPort) error {
	if m.muted.Load() {
		return nil
	}
	return m.Carrier.WriteTo(p, to)
}

// reconnectNet is a listener on the in-memory network whose Connect
// callback accepts any payload and records what it saw.
type reconnectNet struct {
	n   *MemNetwork
	sc  Carrier
	l   *Listener
	s   Settings
	mu  sync.Mutex
	got [][]byte // CONNECT payloads, in callback order
}

func newReconnectNet(t *testing.T, profile string) *reconnectNet {
	t.Helper()
	rn := &reconnectNet{s: fastSettings(variantProfiles()[profile])}
	rn.s.PingTimeout = 30 * time.Second
	rn.n = NewMemNetwork(11, Impairment{Delay: time.Millisecond})
	rn.sc, _ = rn.n.Listen("10.0.0.1:1")
	var err error
	rn.l, err = ListenCarrier(context.Background(), rn.sc, ListenConfig{Games: []Settings{rn.s}, Connect: func(r ConnectRequest) (ConnectResponse, error) {
		rn.mu.Lock()
		rn.got = append(rn.got, r.Payload)
		rn.mu.Unlock()
		return ConnectResponse{Payload: []byte("ok"), Value: string(r.Payload)}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return rn
}

// forReconnectProfiles runs fn in a synctest bubble, on a fresh
// reconnectNet, for each profile whose reconnection rules differ.
func forReconnectProfiles(t *testing.T, fn func(t *testing.T, rn *reconnectNet, profile string)) {
	for _, profile := range []string{"v0", "v1-minor4", "lite"} {
		t.Run(profile, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { fn(t, newReconnectNet(t, profile), profile) })
		})
	}
}

// serverAddr is the listener's carrier address.
func (rn *reconnectNet) serverAddr() netip.AddrPort { return rn.sc.LocalAddr().(addrPortAddr).ap }

// checkUntouched checks that what (injected handshake packets) left the
// connection srv alone: still open, Connect not called again, and msgs
// still go through from cli.
func (rn *reconnectNet) checkUntouched(t *testing.T, what string, cli, srv *Conn, msgs ...[]byte) {
	t.Helper()
	select {
	case <-srv.Done():
		t.Fatalf("%s ended the connection: %v", what, srv.Err())
	default:
	}
	if rn.calls() != 1 {
		t.Errorf("Connect called %d times", rn.calls())
	}
	if err := exchange(context.Background(), cli, srv, 0, msgs); err != nil {
		t.Fatal(err)
	}
}

func (rn *reconnectNet) calls() int {
	rn.mu.Lock()
	defer rn.mu.Unlock()
	return len(rn.got)
}

// dial connects from addr with payload and accepts the connection.
func (rn *reconnectNet) dial(t *testing.T, addr string, payload []byte) (*Conn, *Conn, *muteCarrier, *spyCarrier) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cc, err := rn.n.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	spy := &spyCarrier{Carrier: cc}
	mute := &muteCarrier{Carrier: spy}
	acc := make(chan *Conn, 1)
	go func() { c, _ := rn.l.Accept(ctx); acc <- c }()
	cli, err := DialCarrier(ctx, mute, rn.sc.LocalAddr(), DialConfig{Settings: rn.s, ConnectPayload: payload})
	if err != nil {
		t.Fatalf("dial from %s: %v", addr, err)
	}
	srv := <-acc
	if srv == nil {
		t.Fatalf("no connection accepted from %s", addr)
	}
	return cli, srv, mute, spy
}

// vanish ends a client without telling the server.
func vanish(cli *Conn, m *muteCarrier) {
	m.muted.Store(true)
	cli.Abort()
}

// payloads is what the clients of one profile put in their CONNECTs: a
// Lite CONNECT differs from a retransmission only by its payload (a
// secure connection's ticket), v0 and v1 by their session id and
// connection signature too, so these connect without one.
func payloads(profile string) (first, second []byte) {
	if profile == "lite" {
		return []byte("ticket-1"), []byte("ticket-2")
	}
	return nil, nil
}

// TestReconnectFromSameAddress: a client that restarts and connects again
// from the same address and port replaces its old connection at once
// instead of waiting for the old one's ping timeout.
func TestReconnectFromSameAddress(t *testing.T) {
	forReconnectProfiles(t, func(t *testing.T, rn *reconnectNet, profile string) {
		ctx := context.Background()
		p1, p2 := payloads(profile)
		cliA, srvA, muteA, _ := rn.dial(t, "10.0.0.2:2", p1)
		if err := exchange(ctx, cliA, srvA, 0, [][]byte{[]byte("first life")}); err != nil {
			t.Fatal(err)
		}
		vanish(cliA, muteA)
		select {
		case <-srvA.Done():
			t.Fatal("the server noticed the silent client")
		default:
		}

		start := time.Now()
		cliB, srvB, _, _ := rn.dial(t, "10.0.0.2:2", p2)
		if took := time.Since(start); took >= rn.s.PingTimeout {
			t.Errorf("reconnect took %v, the ping timeout is %v", took, rn.s.PingTimeout)
		}
		select {
		case <-srvA.Done():
		default:
			t.Fatal("old connection still open after the new one was accepted")
		}
		err := srvA.Err()
		if !errors.Is(err, ErrClosed) || !errors.Is(err, ErrReplaced) {
			t.Errorf("old Err = %v, want ErrClosed and ErrReplaced", err)
		} else if !strings.Contains(err.Error(), "replaced by a new connection from the same address") {
			t.Errorf("old Err = %q", err)
		}
		if srvB.Err() != nil || srvB == srvA {
			t.Fatalf("new connection: %v", srvB.Err())
		}
		if rn.calls() != 2 {
			t.Errorf("Connect called %d times, want 2", rn.calls())
		}
		if srvB.Value() != string(p2) {
			t.Errorf("new connection's Value = %q, want the second Connect's", srvB.Value())
		}
		if err := exchange(ctx, cliB, srvB, 0, [][]byte{[]byte("second"), []byte("life")}); err != nil {
			t.Fatal(err)
		}
		if err := exchange(ctx, srvB, cliB, 0, [][]byte{[]byte("back")}); err != nil {
			t.Fatal(err)
		}
		if st := rn.l.Stats(); st.Active != 1 || st.Accepted != 2 {
			t.Errorf("listener stats %+v, want 1 active of 2 accepted", st)
		}
		closeAll(rn.l, cliB, srvB)
	})
}

// TestReconnectRetransmissionKeepsConnection replays the live connection's
// own SYN and CONNECT, as a client whose CONNECT reply was lost does: the
// connection is neither replaced nor reset, and the replies are resent.
func TestReconnectRetransmissionKeepsConnection(t *testing.T) {
	forReconnectProfiles(t, func(t *testing.T, rn *reconnectNet, profile string) {
		p1, _ := payloads(profile)
		cli, srv, _, spy := rn.dial(t, "10.0.0.2:2", p1)
		hs := spy.raw()[:2]
		for range 3 {
			for _, d := range hs {
				_ = spy.Carrier.WriteTo(d, rn.serverAddr())
			}
		}
		time.Sleep(50 * time.Millisecond)
		rn.checkUntouched(t, "retransmitted CONNECT", cli, srv, []byte("same"), []byte("connection"))
		if err := exchange(context.Background(), srv, cli, 0, [][]byte{[]byte("still")}); err != nil {
			t.Fatal(err)
		}
		closeAll(rn.l, cli, srv)
	})
}

// TestReconnectNeedsValidConnect: a CONNECT for a live connection's address
// and port that differs from the original (new session id, payload) but
// does not carry the connection signature computed for the address is
// dropped; the live connection stays.
func TestReconnectNeedsValidConnect(t *testing.T) {
	forReconnectProfiles(t, func(t *testing.T, rn *reconnectNet, profile string) {
		p1, _ := payloads(profile)
		cli, srv, _, spy := rn.dial(t, "10.0.0.2:2", p1)
		codec, err := NewCodec(&rn.s)
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := codec.Decode(spy.raw()[1])
		if err != nil || p.Type != TypeConnect {
			t.Fatalf("captured CONNECT: %v %v", p.Type, err)
		}
		p.Options = nil
		p.SessionID++
		p.UnreliableStart++
		p.Payload = append(bytes.Clone(p.Payload), "forged"...)
		wrongSig := bytes.Repeat([]byte{0xAA}, connSigLen(rn.s.Variant))
		forged, err := codec.Append(nil, &p, SigContext{ConnSig: wrongSig})
		if err != nil {
			t.Fatal(err)
		}
		before := rn.l.Stats().BadSignature
		_ = spy.Carrier.WriteTo(forged, rn.serverAddr())
		time.Sleep(50 * time.Millisecond)
		if got := rn.l.Stats().BadSignature - before; got != 1 {
			t.Errorf("BadSignature grew by %d, want 1", got)
		}
		rn.checkUntouched(t, "forged CONNECT", cli, srv, []byte("untouched"))
		closeAll(rn.l, cli, srv)
	})
}

// TestReconnectDuringConnectCallback: the client restarts while the
// server's Connect callback for its first attempt is still running. The
// first attempt is dropped (its callback's outcome discarded, its backlog
// slot returned) and the second is accepted.
func TestReconnectDuringConnectCallback(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := fastSettings(variantProfiles()["v1-minor4"])
		n := NewMemNetwork(12, Impairment{Delay: time.Millisecond})
		sc, _ := n.Listen("10.0.0.1:1")
		release := make(chan struct{})
		var calls atomic.Int32
		l, err := ListenCarrier(ctx, sc, ListenConfig{Games: []Settings{s}, Backlog: 1, Connect: func(r ConnectRequest) (ConnectResponse, error) {
			if calls.Add(1) == 1 {
				<-release // the first attempt's callback hangs
			}
			return ConnectResponse{Value: string(r.Payload)}, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		ccA, _ := n.Listen("10.0.0.2:2")
		muteA := &muteCarrier{Carrier: ccA}
		dctx, cancel := context.WithCancel(ctx)
		dialA := make(chan error, 1)
		go func() {
			_, err := DialCarrier(dctx, muteA, sc.LocalAddr(), DialConfig{Settings: s, ConnectPayload: []byte("a")})
			dialA <- err
		}()
		time.Sleep(20 * time.Millisecond)
		synctest.Wait()
		if calls.Load() != 1 {
			t.Fatalf("first Connect not running (%d calls)", calls.Load())
		}
		muteA.muted.Store(true)
		cancel()
		if err := <-dialA; err == nil {
			t.Fatal("first dial succeeded")
		}

		ccB, _ := n.Listen("10.0.0.2:2")
		acc := make(chan *Conn, 1)
		go func() { c, _ := l.Accept(ctx); acc <- c }()
		cliB, err := DialCarrier(ctx, ccB, sc.LocalAddr(), DialConfig{Settings: s, ConnectPayload: []byte("b")})
		if err != nil {
			t.Fatal(err)
		}
		srvB := <-acc
		if srvB.Value() != "b" {
			t.Errorf("accepted Value %q, want the second attempt's", srvB.Value())
		}
		close(release) // the first callback returns: its outcome is dropped
		time.Sleep(10 * time.Millisecond)
		synctest.Wait()
		if st := l.Stats(); st.Active != 1 || st.Accepted != 1 {
			t.Errorf("listener stats %+v", st)
		}
		if err := exchange(ctx, cliB, srvB, 0, [][]byte{[]byte("x")}); err != nil {
			t.Fatal(err)
		}
		// The backlog slot of the replaced attempt came back: one more
		// client can connect although Backlog is 1.
		cli2, srv2, err := func() (*Conn, *Conn, error) {
			cc, _ := n.Listen("10.0.0.3:3")
			go func() { c, _ := l.Accept(ctx); acc <- c }()
			c, err := DialCarrier(ctx, cc, sc.LocalAddr(), DialConfig{Settings: s, ConnectPayload: []byte("c")})
			return c, <-acc, err
		}()
		if err != nil {
			t.Fatal(err)
		}
		closeAll(l, cliB, srvB, cli2, srv2)
	})
}
