package prudp

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// batchPair is a batching carrier (a listener's) and a plain peer socket.
func batchPair(t *testing.T, batching string) (*udpCarrier, *net.UDPConn, netip.AddrPort) {
	t.Helper()
	old := udpBatching
	udpBatching = batching
	t.Cleanup(func() { udpBatching = old })
	c, err := ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := c.(*udpCarrier)
	u.enableBatching(2048)
	t.Cleanup(func() { _ = u.Close() })
	peer, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = peer.Close() })
	return u, peer, peer.LocalAddr().(*net.UDPAddr).AddrPort()
}

// readAll reads n datagrams from c (the deadline only guards against a
// hang: no timing is asserted).
func readAll(t *testing.T, c *net.UDPConn, n int) [][]byte {
	t.Helper()
	var got [][]byte
	buf := make([]byte, 4096)
	for len(got) < n {
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		k, _, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("after %d of %d datagrams: %v", len(got), n, err)
		}
		got = append(got, append([]byte(nil), buf[:k]...))
	}
	return got
}

// TestUDPBatchLoneWriteIsImmediate: with no other write under way, a
// datagram is sent by its own WriteTo, before it returns: nothing is
// queued and the socket is free again.
func TestUDPBatchLoneWriteIsImmediate(t *testing.T) {
	u, peer, to := batchPair(t, "w")
	for i := range 3 {
		if err := u.WriteTo([]byte{byte(i)}, to); err != nil {
			t.Fatal(err)
		}
		b := u.batch
		b.mu.Lock()
		busy, st := b.busy, b.stats
		b.mu.Unlock()
		if busy || st.direct != i+1 || st.queued != 0 || st.batches != 0 {
			t.Fatalf("write %d: busy %v, stats %+v: want sent directly", i, busy, st)
		}
		if got := readAll(t, peer, 1); !bytes.Equal(got[0], []byte{byte(i)}) {
			t.Fatalf("write %d: peer got %x", i, got[0])
		}
	}
}

// TestUDPBatchSendsEverythingQueued: datagrams written while another
// write is in its system call are queued (copied: the callers reuse their
// buffers at once) and all leave with the writer's next batch, to their
// own destinations.
func TestUDPBatchSendsEverythingQueued(t *testing.T) {
	u, peer, to := batchPair(t, "w")
	peer2, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer peer2.Close()
	to2 := peer2.LocalAddr().(*net.UDPAddr).AddrPort()
	b := u.batch
	// A writer is in its system call.
	b.mu.Lock()
	b.busy = true
	b.mu.Unlock()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 100)
			for i := range each {
				copy(buf, fmt.Sprintf("%d/%d", w, i))
				dst := to
				if w%2 == 1 {
					dst = to2
				}
				if err := u.WriteTo(buf, dst); err != nil {
					t.Error(err)
				}
				clear(buf) // the carrier must have copied it
			}
		}()
	}
	wg.Wait()
	b.mu.Lock()
	st := b.stats
	b.mu.Unlock()
	if st.queued != writers*each || st.direct != 0 {
		t.Fatalf("stats %+v: want all %d queued", st, writers*each)
	}
	// The writer's system call returns: it sends the queue.
	b.drain(u.c, udpDrainRounds)
	want := map[string]bool{}
	for w := range writers {
		for i := range each {
			want[fmt.Sprintf("%d/%d", w, i)] = w%2 == 1
		}
	}
	got := append(readAll(t, peer, writers/2*each), readAll(t, peer2, writers/2*each)...)
	for i, d := range got {
		key := string(bytes.TrimRight(d, "\x00"))
		second, ok := want[key]
		if !ok || len(d) != 100 || second != (i >= writers/2*each) {
			t.Errorf("unexpected datagram %q (%d bytes) at %d", key, len(d), i)
		}
		delete(want, key)
	}
	if len(want) != 0 {
		t.Errorf("%d datagrams never sent", len(want))
	}
	b.mu.Lock()
	st, busy := b.stats, b.busy
	b.mu.Unlock()
	if st.batches != 1 || busy {
		t.Errorf("stats %+v, busy %v: want one batch, socket free", st, busy)
	}
}

// TestUDPBatchListener: consoles on one batching listener socket (writes
// and reads batched) exchange messages with echoing servers, all of them
// at once, and every message arrives.
func TestUDPBatchListener(t *testing.T) {
	for _, batching := range []string{"w", "r", "rw"} {
		t.Run(batching, func(t *testing.T) {
			old := udpBatching
			udpBatching = batching
			defer func() { udpBatching = old }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s := fastSettings(WiiU())
			s.AccessKey = "25dbf96a"
			l, err := Listen(ctx, "127.0.0.1:0", ListenConfig{Games: []Settings{s}})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if u := l.carrier.(*udpCarrier); u.batch == nil {
				t.Fatal("listener socket does not batch")
			}
			go func() {
				for {
					srv, err := l.Accept(ctx)
					if err != nil {
						return
					}
					echoServer(srv)
				}
			}()
			const clients, calls = 10, 30
			var wg sync.WaitGroup
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					cli, err := Dial(ctx, "udp", l.Addr().String(), DialConfig{Settings: s})
					if err != nil {
						t.Error(err)
						return
					}
					defer cli.Close()
					for i := range calls {
						msg := testMessage(c*calls+i, 20+i*40)
						if err := cli.Send(ctx, 0, msg); err != nil {
							t.Error(err)
							return
						}
						got, err := cli.Recv(ctx)
						if err != nil || !bytes.Equal(got.Data, msg) {
							t.Errorf("client %d call %d: %v", c, i, err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
