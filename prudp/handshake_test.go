package prudp

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestDuplicateHandshakeAfterConnect replays the client's SYN and CONNECT
// once the connection is up: the server answers with the same replies,
// does not call Connect again and the connection keeps working.
func TestDuplicateHandshakeAfterConnect(t *testing.T) {
	for _, name := range []string{"v0", "v1", "lite"} {
		t.Run(name, func(t *testing.T) {
			s := variantProfiles()[map[string]string{"v0": "v0", "v1": "v1-minor4", "lite": "lite"}[name]]
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				var calls atomic.Int32
				n := NewMemNetwork(5, Impairment{Delay: time.Millisecond})
				sc, _ := n.Listen("10.0.0.1:1")
				l, err := ListenCarrier(ctx, sc, ListenConfig{Games: []Settings{s}, Connect: func(r ConnectRequest) (ConnectResponse, error) {
					calls.Add(1)
					return ConnectResponse{Payload: []byte("ok"), Value: 7}, nil
				}})
				if err != nil {
					t.Fatal(err)
				}
				cc, _ := n.Listen("10.0.0.2:2")
				spy := &spyCarrier{Carrier: cc}
				acc := make(chan *Conn, 1)
				go func() { c, _ := l.Accept(ctx); acc <- c }()
				cli, err := DialCarrier(ctx, spy, sc.LocalAddr(), DialConfig{Settings: s})
				if err != nil {
					t.Fatal(err)
				}
				srv := <-acc
				if srv.Value() != 7 {
					t.Errorf("Value = %v", srv.Value())
				}
				hs := spy.raw()[:2] // SYN, CONNECT
				before := l.Stats().SynReplies
				for range 3 {
					for _, d := range hs {
						if err := cc.WriteTo(d, sc.LocalAddr().(addrPortAddr).ap); err != nil {
							t.Fatal(err)
						}
					}
				}
				time.Sleep(100 * time.Millisecond)
				if calls.Load() != 1 {
					t.Errorf("Connect called %d times", calls.Load())
				}
				if got := l.Stats().SynReplies - before; got != 3 {
					t.Errorf("%d SYN replies to duplicates, want 3", got)
				}
				if err := exchange(ctx, cli, srv, 0, [][]byte{[]byte("still"), []byte("alive")}); err != nil {
					t.Fatal(err)
				}
				if err := exchange(ctx, srv, cli, 0, [][]byte{[]byte("both"), []byte("ways")}); err != nil {
					t.Fatal(err)
				}
				if l.Stats().Active != 1 || l.Stats().Accepted != 1 {
					t.Errorf("listener stats %+v", l.Stats())
				}
				closeAll(l, cli, srv)
			})
		})
	}
}

// TestDuplicateConnectGetsStoredReply drops the first CONNECT reply so the
// client resends its CONNECT; the stored reply answers it.
func TestDuplicateConnectGetsStoredReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := fastSettings(WiiU())
		s.AccessKey = "25dbf96a"
		var calls atomic.Int32
		n := NewMemNetwork(6, Impairment{Delay: time.Millisecond})
		sc, _ := n.Listen("10.0.0.1:1")
		drop := &dropNth{Carrier: sc, n: 2} // SYN reply, then CONNECT reply (dropped)
		l, _ := ListenCarrier(ctx, drop, ListenConfig{Games: []Settings{s}, Connect: func(ConnectRequest) (ConnectResponse, error) {
			calls.Add(1)
			return ConnectResponse{}, nil
		}})
		cc, _ := n.Listen("10.0.0.2:2")
		cli, err := DialCarrier(ctx, cc, sc.LocalAddr(), DialConfig{Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		srv, _ := l.Accept(ctx)
		if calls.Load() != 1 || cli.Stats().Resent == 0 {
			t.Errorf("calls %d, client resent %d", calls.Load(), cli.Stats().Resent)
		}
		if err := exchange(ctx, cli, srv, 0, [][]byte{[]byte("x")}); err != nil {
			t.Fatal(err)
		}
		closeAll(l, cli, srv)
	})
}

// dropNth drops the n-th datagram written (1-based).
type dropNth struct {
	Carrier
	n, i int
}

func (d *dropNth) WriteTo(p []byte, to netip.AddrPort) error {
	d.i++
	if d.i == d.n {
		return nil
	}
	return d.Carrier.WriteTo(p, to)
}

// TestSecureSubstreams connects 500 times with max_substream_id 1 and a
// session key from the Connect callback, exchanging data on both
// substreams each time: every substream's RC4 key must match exactly.
func TestSecureSubstreams(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := fastSettings(WiiU())
		s.AccessKey = "25dbf96a"
		s.MaxSubstream = 1
		keys := map[string][]byte{}
		tn := newTestNet(t, 8, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}, MaxConns: 1000,
			Connect: func(r ConnectRequest) (ConnectResponse, error) {
				// Payload: "ticket" = the key, then a u32 check.
				if len(r.Payload) != 36 {
					return ConnectResponse{}, fmt.Errorf("bad payload")
				}
				check := binary.LittleEndian.Uint32(r.Payload[32:])
				reply := binary.LittleEndian.AppendUint32([]byte{4, 0, 0, 0}, check+1)
				return ConnectResponse{Payload: reply, SessionKey: r.Payload[:32], Value: r.Remote}, nil
			}})
		_ = keys
		for i := range 500 {
			key := make([]byte, 32)
			rand.Read(key)
			check := uint32(i * 77)
			payload := binary.LittleEndian.AppendUint32(append([]byte(nil), key...), check)
			cli, srv, err := tn.dial(ctx, DialConfig{Settings: s, ConnectPayload: payload, SessionKey: key,
				CheckConnectReply: func(b []byte) error {
					if len(b) != 8 || binary.LittleEndian.Uint32(b[4:]) != check+1 {
						return errors.New("bad check")
					}
					return nil
				}})
			if err != nil {
				t.Fatalf("connect %d: %v", i, err)
			}
			if !bytes.Equal(srv.SessionKey(), key) || !bytes.Equal(cli.SessionKey(), key) {
				t.Fatalf("connect %d: session keys differ", i)
			}
			if minor, _, sub := cli.Negotiated(); sub != 1 || minor != 4 {
				t.Fatalf("negotiated minor %d sub %d", minor, sub)
			}
			for sub := uint8(0); sub <= 1; sub++ {
				m := [][]byte{testMessage(i, 40), testMessage(i+1, 1500)}
				if err := exchange(ctx, cli, srv, sub, m); err != nil {
					t.Fatalf("connect %d sub %d c->s: %v", i, sub, err)
				}
				if err := exchange(ctx, srv, cli, sub, m); err != nil {
					t.Fatalf("connect %d sub %d s->c: %v", i, sub, err)
				}
			}
			closeAll(nil, cli, srv)
		}
		if a := tn.l.Stats().Active; a != 0 {
			t.Errorf("%d connections left", a)
		}
		tn.l.Close()
	})
}

// TestConnectRefused: a failing callback leaves no state and the client
// gives up after its resend limit.
func TestConnectRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := fastSettings(WiiU())
		s.AccessKey = "25dbf96a"
		tn := newTestNet(t, 9, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s},
			Connect: func(ConnectRequest) (ConnectResponse, error) { return ConnectResponse{}, errors.New("no ticket") }})
		car, _ := tn.net.Listen("10.0.3.1:5")
		_, err := DialCarrier(ctx, car, addrPortAddr{"mem", tn.srvAddr}, DialConfig{Settings: s})
		if !errors.Is(err, ErrTimeout) {
			t.Fatalf("dial: %v", err)
		}
		st := tn.l.Stats()
		if st.Active != 0 || st.Refused == 0 {
			t.Errorf("stats %+v", st)
		}
		tn.l.Close()
	})
}

// TestMultiGame: one listener, several access keys; each client gets the
// profile of its own key.
func TestMultiGame(t *testing.T) {
	mk := func(s Settings, key string) Settings { s = fastSettings(s); s.AccessKey = key; return s }
	games := []Settings{
		mk(WiiU(), "25dbf96a"), mk(WiiU(), "6f599f81"),
		mk(ThreeDS(), "6181dff1"), mk(ThreeDS(), "1681dff6"), // same byte sum: ambiguous until signed DATA
		mk(Switch(), "fdf6617f"), mk(Switch(), "00000000"),
	}
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		tn := newTestNet(t, 10, Impairment{Delay: time.Millisecond}, ListenConfig{Games: games})
		for _, g := range games {
			cli, srv, err := tn.dial(ctx, DialConfig{Settings: g})
			if err != nil {
				t.Fatalf("%s: %v", g.AccessKey, err)
			}
			if err := exchange(ctx, cli, srv, 0, [][]byte{[]byte("hello")}); err != nil {
				t.Fatalf("%s: %v", g.AccessKey, err)
			}
			if err := exchange(ctx, srv, cli, 0, [][]byte{[]byte("hi")}); err != nil {
				t.Fatalf("%s: %v", g.AccessKey, err)
			}
			if got := srv.Settings().AccessKey; got != g.AccessKey {
				t.Errorf("server picked %s for %s", got, g.AccessKey)
			}
			closeAll(nil, cli, srv)
		}
		// A key no game has is dropped and counted.
		other := mk(WiiU(), "deadbeef")
		car, _ := tn.net.Listen("10.0.3.1:5")
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := DialCarrier(dctx, car, addrPortAddr{"mem", tn.srvAddr}, DialConfig{Settings: other})
		cancel()
		if err == nil || tn.l.Stats().BadSignature == 0 {
			t.Errorf("unknown key: err %v, stats %+v", err, tn.l.Stats())
		}
		tn.l.Close()
	})
}
