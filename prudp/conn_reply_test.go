package prudp

import (
	"context"
	"errors"
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
