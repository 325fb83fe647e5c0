package prudp

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestWrongSessionIDDropped: after the handshake a packet that is validly
// signed but carries another session id is dropped and counted, for v0 and
// v1; the same packet with the right session id is taken.
func TestWrongSessionIDDropped(t *testing.T) {
	for _, base := range []Settings{ThreeDS(), WiiU()} {
		t.Run(base.Variant.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				s := fastSettings(base)
				s.AccessKey = "6181dff1"
				tn := newTestNet(t, 5, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})
				defer tn.l.Close()
				cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
				if err != nil {
					t.Fatal(err)
				}
				defer cli.Abort()
				synctest.Wait()

				inject := func(session uint8) {
					injectFromClient(t, tn, cli, Packet{Type: TypePing, Flags: FlagNeedAck, SessionID: session, Sequence: 999})
				}
				cli.mu.Lock()
				own := cli.localSession
				cli.mu.Unlock()

				before := srv.Stats()
				inject(own + 1)
				after := srv.Stats()
				if after.Dropped != before.Dropped+1 || after.Received != before.Received {
					t.Errorf("wrong session id: dropped %d→%d, received %d→%d; want one more dropped, none received",
						before.Dropped, after.Dropped, before.Received, after.Received)
				}
				inject(own)
				if got := srv.Stats(); got.Received != after.Received+1 || got.Dropped != after.Dropped {
					t.Errorf("right session id: dropped %d→%d, received %d→%d; want it received",
						after.Dropped, got.Dropped, after.Received, got.Received)
				}
			})
		})
	}
}
