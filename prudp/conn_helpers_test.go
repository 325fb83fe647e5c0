package prudp

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// testNet builds a listener and a dialled connection over an in-memory
// network. Call inside synctest.Test for deterministic timers.
type testNet struct {
	t       testing.TB
	net     *MemNetwork
	l       *Listener
	srvAddr netip.AddrPort
	cliN    int
}

func newTestNet(t testing.TB, seed uint64, imp Impairment, cfg ListenConfig) *testNet {
	t.Helper()
	n := NewMemNetwork(seed, imp)
	car, err := n.Listen("10.0.0.1:60000")
	if err != nil {
		t.Fatal(err)
	}
	l, err := ListenCarrier(context.Background(), car, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testNet{t: t, net: n, l: l, srvAddr: netip.MustParseAddrPort("10.0.0.1:60000")}
}

// dial connects a new client and accepts it on the server side.
func (tn *testNet) dial(ctx context.Context, cfg DialConfig) (*Conn, *Conn, error) {
	tn.cliN++
	car, err := tn.net.Listen(fmt.Sprintf("10.0.1.%d:%d", 1+tn.cliN/200, 1000+tn.cliN))
	if err != nil {
		return nil, nil, err
	}
	type res struct {
		c   *Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := tn.l.Accept(ctx)
		ch <- res{c, err}
	}()
	cli, err := DialCarrier(ctx, car, addrPortAddr{"mem", tn.srvAddr}, cfg)
	if err != nil {
		return nil, nil, err
	}
	r := <-ch
	if r.err != nil {
		cli.Abort()
		return nil, nil, r.err
	}
	return cli, r.c, nil
}

// exchange sends msgs from a to b (on substream sub) and checks that b
// receives exactly them, in order.
func exchange(ctx context.Context, a, b *Conn, sub uint8, msgs [][]byte) error {
	errc := make(chan error, 1)
	go func() {
		for _, m := range msgs {
			if err := a.Send(ctx, sub, m); err != nil {
				errc <- fmt.Errorf("send: %w", err)
				return
			}
		}
		errc <- nil
	}()
	for i, want := range msgs {
		got, err := b.Recv(ctx)
		if err != nil {
			return fmt.Errorf("recv %d: %w", i, err)
		}
		if !got.Reliable || got.Substream != sub || !bytes.Equal(got.Data, want) {
			return fmt.Errorf("message %d: got %d bytes on %d (reliable %v), want %d bytes on %d", i, len(got.Data), got.Substream, got.Reliable, len(want), sub)
		}
	}
	return <-errc
}

func testMessage(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*31 + i*7 + i>>8)
	}
	return b
}

// closeAll closes connections and the listener concurrently.
func closeAll(l *Listener, conns ...*Conn) {
	var wg sync.WaitGroup
	for _, c := range conns {
		if c != nil {
			wg.Add(1)
			go func() { defer wg.Done(); c.Close() }()
		}
	}
	wg.Wait()
	if l != nil {
		l.Close()
	}
}

// fastSettings shortens the timers so that synctest runs need little fake
// time and real-network tests stay quick.
func fastSettings(s Settings) Settings {
	s.ResendTimeout = 200 * time.Millisecond
	s.ResendFloor = 50 * time.Millisecond
	s.PaceInterval = 0
	return s
}

// injectFromClient sends p to the server as cli's own packet (its ports
// and signature filled in), bypassing cli's state machine, and waits past
// the link's delay (fake time) until the server has taken it.
func injectFromClient(t *testing.T, tn *testNet, cli *Conn, p Packet) {
	t.Helper()
	cli.mu.Lock()
	p.Source, p.Dest = cli.LocalVPort(), cli.RemoteVPort()
	raw, err := cli.codec.Append(nil, &p, cli.txSig)
	cli.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.carrier.WriteTo(raw, tn.srvAddr); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	synctest.Wait()
}
