package prudp

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"
)

// TestRepliesToControlPackets: what a connection answers to a PING or a
// DISCONNECT the peer sends outside the reliable stream. Whatever asks
// for an acknowledgement gets one, a DISCONNECT three over UDP (prudp.md
// §10.2: the references acknowledge any DISCONNECT with NEED_ACK, reliable
// or not) and one over Lite's lossless stream; a forced DISCONNECT (no
// flags) gets nothing.
func TestRepliesToControlPackets(t *testing.T) {
	cases := []struct {
		name    string
		typ     PacketType
		flags   Flags
		replies uint64
		closed  error // nil: the connection stays
		aborted bool
	}{
		{"PING NEED_ACK", TypePing, FlagNeedAck, 1, nil, false},
		{"PING", TypePing, 0, 0, nil, false},
		{"DISCONNECT NEED_ACK", TypeDisconnect, FlagNeedAck, 3, ErrClosed, false},
		{"DISCONNECT forced", TypeDisconnect, 0, 0, ErrClosed, true},
	}
	for _, name := range []string{"v0", "friends", "v1-minor4", "lite"} {
		for _, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ctx := context.Background()
					s := fastSettings(variantProfiles()[name])
					tn := newTestNet(t, 7, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})
					cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { closeAll(tn.l, cli, srv) })
					synctest.Wait()

					cli.mu.Lock()
					session := cli.localSession
					cli.mu.Unlock()
					before := cli.Stats().Received
					injectFromClient(t, tn, cli, Packet{Type: tc.typ, Flags: tc.flags, SessionID: session, Sequence: 7})
					want := tc.replies
					if name == "lite" && tc.typ == TypeDisconnect && want > 0 {
						want = 1
					}
					if got := cli.Stats().Received - before; got != want {
						t.Errorf("%d replies, want %d", got, want)
					}
					err = srv.Err()
					switch {
					case tc.closed == nil && err != nil:
						t.Errorf("server connection ended: %v", err)
					case tc.closed != nil && (!errors.Is(err, tc.closed) || errors.Is(err, ErrAborted) != tc.aborted):
						t.Errorf("server connection: %v, want %v (aborted %v)", err, tc.closed, tc.aborted)
					}
				})
			})
		}
	}
}

// TestAbortSendsForcedDisconnect: Abort says goodbye with a forced
// DISCONNECT, three times over UDP (one may be lost), once over Lite
// (its transport loses nothing, and a peer that closes after the first
// would answer the others with an error); the peer ends aborted.
func TestAbortSendsForcedDisconnect(t *testing.T) {
	for _, name := range []string{"v0", "friends", "v1-minor4", "lite"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := fastSettings(variantProfiles()[name])
				tn := newTestNet(t, 7, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})
				cli, srv, err := tn.dial(context.Background(), DialConfig{Settings: s})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { closeAll(tn.l, cli, srv) })
				synctest.Wait()
				before := srv.Stats().Sent
				srv.Abort()
				want := uint64(3)
				if name == "lite" {
					want = 1
				}
				if got := srv.Stats().Sent - before; got != want {
					t.Errorf("Abort sent %d datagrams, want %d", got, want)
				}
				time.Sleep(10 * time.Millisecond) // past the link's delay (fake time)
				synctest.Wait()
				if err := cli.Err(); !errors.Is(err, ErrAborted) {
					t.Errorf("the peer ended with %v, want %v", err, ErrAborted)
				}
			})
		})
	}
}

// TestReliablePing: a PING with RELIABLE and NEED_ACK, as NintendoClients
// sends it (prudp.md §11), takes a sequence id of substream 0 and goes
// through the receive window like a packet without payload: it is
// acknowledged (again when repeated), a DATA sent behind it waits for it,
// and the messages around it arrive in order, each once. An unreliable
// PING whose own counter matches the next reliable id is only answered.
func TestReliablePing(t *testing.T) {
	for _, name := range []string{"v0", "friends", "v1-minor4", "lite"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				s := fastSettings(variantProfiles()[name])
				n := NewMemNetwork(7, Impairment{Delay: time.Millisecond})
				car, err := n.Listen("10.0.0.1:60000")
				if err != nil {
					t.Fatal(err)
				}
				spy := &spyCarrier{Carrier: car}
				l, err := ListenCarrier(ctx, spy, ListenConfig{Games: []Settings{s}})
				if err != nil {
					t.Fatal(err)
				}
				tn := &testNet{t: t, net: n, l: l, srvAddr: netip.MustParseAddrPort("10.0.0.1:60000")}
				cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { closeAll(tn.l, cli, srv) })
				synctest.Wait()
				codec, err := NewCodec(&s)
				if err != nil {
					t.Fatal(err)
				}

				cli.mu.Lock()
				session := cli.localSession
				cli.mu.Unlock()
				// reserve takes the client's next reliable id of substream 0
				// for a PING injected behind its back.
				reserve := func() uint16 {
					cli.mu.Lock()
					defer cli.mu.Unlock()
					seq := cli.txSeq[0]
					cli.txSeq[0]++
					return seq
				}
				nextSeq := func() uint16 {
					cli.mu.Lock()
					defer cli.mu.Unlock()
					return cli.txSeq[0]
				}
				ping := func(flags Flags, seq uint16) {
					injectFromClient(t, tn, cli, Packet{Type: TypePing, Flags: flags, SessionID: session, Sequence: seq})
				}
				acks := func(seq uint16) int {
					k := 0
					for _, p := range spy.packets(codec) {
						if p.Type == TypePing && p.Flags.Has(FlagAck) && p.Substream == 0 && p.Sequence == seq {
							k++
						}
					}
					return k
				}
				pending := func() int {
					srv.mu.Lock()
					defer srv.mu.Unlock()
					return len(srv.msgs) - srv.msgHead
				}
				msg := 0
				send := func() {
					t.Helper()
					msg++
					if err := cli.Send(ctx, 0, testMessage(msg, 100)); err != nil {
						t.Fatal(err)
					}
				}
				recv := func(want int) {
					t.Helper()
					time.Sleep(10 * time.Millisecond)
					synctest.Wait()
					// Bounded (fake time): a message held back for good
					// fails the test instead of hanging it.
					rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					defer cancel()
					m, err := srv.Recv(rctx)
					if err != nil {
						t.Fatalf("message %d: %v", want, err)
					}
					if !m.Reliable || m.Substream != 0 || !bytes.Equal(m.Data, testMessage(want, 100)) {
						t.Fatalf("got %d bytes on %d (reliable %v), want message %d", len(m.Data), m.Substream, m.Reliable, want)
					}
				}
				reliable := FlagReliable | FlagNeedAck

				send()
				recv(1)
				// In order.
				seq := reserve()
				ping(reliable, seq)
				if got := acks(seq); got != 1 {
					t.Errorf("reliable PING %d: %d acknowledgements, want 1", seq, got)
				}
				send()
				recv(2)
				// Out of order: the DATA behind the PING waits for it.
				seq = reserve()
				send()
				time.Sleep(10 * time.Millisecond)
				synctest.Wait()
				if got := pending(); got != 0 {
					t.Fatalf("%d messages delivered before the reliable PING ahead of them", got)
				}
				ping(reliable, seq)
				recv(3)
				if got := acks(seq); got != 1 {
					t.Errorf("reliable PING %d: %d acknowledgements, want 1", seq, got)
				}
				// A repeat (the acknowledgement was lost) is acknowledged
				// again and changes nothing else.
				ping(reliable, seq)
				if got := acks(seq); got != 2 {
					t.Errorf("repeated reliable PING %d: %d acknowledgements, want 2", seq, got)
				}
				// An unreliable PING keeps out of the reliable window even
				// when its id is the next reliable one.
				seq = nextSeq()
				ping(FlagNeedAck, seq)
				if got := acks(seq); got != 1 {
					t.Errorf("unreliable PING %d: %d acknowledgements, want 1", seq, got)
				}
				send()
				recv(4)
				send()
				recv(5)
				time.Sleep(time.Second) // past any resend (fake time)
				synctest.Wait()
				if got := pending(); got != 0 {
					t.Errorf("%d messages delivered more than once", got)
				}
				if err := srv.Err(); err != nil {
					t.Errorf("server connection ended: %v", err)
				}
			})
		})
	}
}
