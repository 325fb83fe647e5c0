package prudp

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

func coalesceSettings(on bool) Settings {
	s := pushSettings()
	s.CoalesceAcks = on
	return s
}

// echoServer answers every message on srv with the same bytes, from the
// read goroutine like the proxy does.
func echoServer(srv *Conn) {
	srv.SetReceiver(func(m Message) bool {
		_ = srv.TrySend(0, m.Data)
		return true
	}, nil)
}

// TestCoalesceAcksRequestResponse: with CoalesceAcks on both sides, a
// request and its answer cost one datagram each way (the acknowledgement
// travels with the next packet), half of what they cost without; every
// message still arrives.
func TestCoalesceAcksRequestResponse(t *testing.T) {
	const calls = 50
	for name, prof := range variantProfiles() {
		for _, on := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/coalesce=%v", name, on), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ctx := context.Background()
					s := fastSettings(prof)
					s.CoalesceAcks = on
					tn := newTestNet(t, 5, Impairment{Delay: 100 * time.Microsecond}, ListenConfig{Games: []Settings{s}})
					cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
					if err != nil {
						t.Fatal(err)
					}
					// Deferred: a failed call must not leave the bubble's
					// goroutines behind.
					defer closeAll(tn.l, cli, srv)
					echoServer(srv)
					srvBase, cliBase := srv.Stats().Sent, cli.Stats().Sent
					for i := range calls {
						msg := testMessage(i, 100+i)
						if err := cli.Send(ctx, 0, msg); err != nil {
							t.Fatal(err)
						}
						got, err := cli.Recv(ctx)
						if err != nil || !bytes.Equal(got.Data, msg) {
							t.Fatalf("call %d: %v", i, err)
						}
					}
					time.Sleep(time.Second) // the last acknowledgements' hold ends
					srvSent, cliSent := srv.Stats().Sent-srvBase, cli.Stats().Sent-cliBase
					switch {
					case s.AggregateAck:
						// Aggregate acknowledgements (MULTI_ACK) are never
						// held: only the absence of losses is checked.
					case on:
						// The server's acknowledgement rides on its answer; the
						// client's on its next request (the last one goes alone).
						if srvSent != calls || cliSent != calls+1 {
							t.Errorf("coalescing: server sent %d datagrams, client %d, want %d and %d", srvSent, cliSent, calls, calls+1)
						}
					case srvSent != 2*calls || cliSent != 2*calls:
						t.Errorf("no coalescing: server sent %d datagrams, client %d, want %d each", srvSent, cliSent, 2*calls)
					}
					// A datagram the peer cannot split into its packets loses
					// the packet behind the acknowledgement: it is resent.
					if r := srv.Stats().Resent + cli.Stats().Resent; r != 0 {
						t.Errorf("%d resends", r)
					}
					if d := srv.Stats().Dropped + cli.Stats().Dropped; d != 0 {
						t.Errorf("%d packets dropped", d)
					}
				})
			})
		}
	}
}

// TestCoalesceAcksHoldEnds: an acknowledgement with nothing to travel
// with goes out alone within DefaultCoalesceDelay, and a burst is acknowledged
// in pairs at once, so the sender never waits on its window for a hold.
func TestCoalesceAcksHoldEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := coalesceSettings(true)
		s.PaceInterval = 0
		tn := newTestNet(t, 6, Impairment{Delay: 100 * time.Microsecond}, ListenConfig{Games: []Settings{s}})
		cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte, 64)
		srv.SetReceiver(func(m Message) bool { got <- m.Data; return true }, nil)

		start := time.Now()
		if err := cli.Send(ctx, 0, []byte("lone")); err != nil {
			t.Fatal(err)
		}
		<-got
		for cli.Stats().SRTT == 0 {
			time.Sleep(100 * time.Microsecond)
		}
		if d := time.Since(start); d > DefaultCoalesceDelay+time.Millisecond {
			t.Errorf("lone message acknowledged after %s, want within %s", d, DefaultCoalesceDelay)
		}

		if r := cli.Stats().Resent; r != 0 {
			t.Errorf("lone: %d resends", r)
		}
		// Four times the window, in fragments sent back to back.
		big := testMessage(1, 16*s.FragmentSize)
		start = time.Now()
		if err := cli.Send(ctx, 0, big); err != nil {
			t.Fatal(err)
		}
		if m := <-got; !bytes.Equal(m, big) {
			t.Fatal("burst message differs")
		}
		// Each pair is acknowledged at once: the window moves every round
		// trip, never waiting for a hold to end.
		if d := time.Since(start); d > 16*time.Millisecond {
			t.Errorf("burst took %s", d)
		}
		closeAll(tn.l, cli, srv)
	})
}

// TestCoalesceAcksValidate: the hold must stay well under the resend
// floor.
func TestCoalesceAcksValidate(t *testing.T) {
	s := coalesceSettings(true)
	if err := s.Validate(); err != nil {
		t.Fatalf("fast settings: %v", err)
	}
	s.ResendFloor = 4 * DefaultCoalesceDelay
	if err := s.Validate(); err == nil {
		t.Error("resend_floor of 4 holds accepted")
	}
}
