package prudp

import (
	"context"
	"net/netip"
	"testing"
	"testing/synctest"
	"time"
)

// TestResendTimerAdaptsWithFloorAndBackoff: on a 1 ms link the measured
// round trip brings the retransmission timeout down from its initial value
// to the floor, never below it; when the peer vanishes, each resend waits
// at least the floor and twice as long as the one before (no burst), and
// the connection ends once the profile's give-up time has passed.
func TestResendTimerAdaptsWithFloorAndBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := fastSettings(WiiU()) // initial 200 ms, floor 50 ms
		s.AccessKey = "25dbf96a"
		n := NewMemNetwork(7, Impairment{Delay: time.Millisecond})
		inner, err := n.Listen("10.0.0.1:60000")
		if err != nil {
			t.Fatal(err)
		}
		// Only DATA with a payload is longer than 40 bytes (v1 ACKs are 33, PINGs 30).
		car := &timedCarrier{Carrier: inner, minLen: 40}
		l, err := ListenCarrier(ctx, car, ListenConfig{Games: []Settings{s}})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		cliCar, err := n.Listen("10.0.1.1:1000")
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan *Conn, 1)
		go func() { c, _ := l.Accept(ctx); accepted <- c }()
		cli, err := DialCarrier(ctx, cliCar, addrPortAddr{"mem", netip.MustParseAddrPort("10.0.0.1:60000")}, DialConfig{Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Abort()
		srv := <-accepted

		// Round trips of about 2 ms: the timeout falls to the floor.
		for i := range 20 {
			if err := srv.Send(ctx, 0, []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
			if _, err := cli.Recv(ctx); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if rto := srv.Stats().RTO; rto != s.ResendFloor {
			t.Fatalf("RTO after 2 ms round trips = %v, want the floor %v", rto, s.ResendFloor)
		}

		n.Disconnect(cliCar.LocalAddr())
		car.mu.Lock()
		mark := len(car.at)
		car.mu.Unlock()
		if err := srv.Send(ctx, 0, []byte("anyone there?")); err != nil {
			t.Fatal(err)
		}
		<-srv.Done()
		car.mu.Lock()
		sends := append([]time.Time(nil), car.at[mark:]...)
		car.mu.Unlock()
		if len(sends) < 1+s.ResendLimit {
			t.Fatalf("%d transmissions, want at least %d", len(sends), 1+s.ResendLimit)
		}
		// Given up by time, not by the count of fast resends: no sooner
		// than resend_timeout × (resend_limit + 1) after the first send.
		giveUp := s.ResendTimeout * time.Duration(s.ResendLimit+1)
		if ended := time.Since(sends[0]); ended < giveUp {
			t.Errorf("connection given up %v after the first send, before %v", ended, giveUp)
		}
		prev := time.Duration(0)
		for i := 1; i < len(sends); i++ {
			gap := sends[i].Sub(sends[i-1])
			if gap < s.ResendFloor {
				t.Errorf("resend %d after %v: below the floor %v", i, gap, s.ResendFloor)
			}
			if gap >= s.ResendTimeout && i == 1 {
				t.Errorf("first resend after %v: the timeout did not adapt below the initial %v", gap, s.ResendTimeout)
			}
			if i <= s.ResendLimit && gap < 2*prev {
				t.Errorf("resend %d after %v, the previous after %v: no backoff", i, gap, prev)
			}
			if gap > max(s.ResendTimeout, 2*prev) {
				t.Errorf("resend %d after %v: more than the base timeout %v", i, gap, s.ResendTimeout)
			}
			prev = gap
		}
	})
}

// TestRTOEstimator checks the estimator alone: the floor holds for tiny
// samples, backoff doubles per earlier send and is capped.
func TestRTOEstimator(t *testing.T) {
	e := newRTOEstimator(time.Second, 100*time.Millisecond)
	if got := e.timeout(1); got != time.Second {
		t.Errorf("initial timeout %v", got)
	}
	for range 50 {
		e.sample(10 * time.Microsecond)
	}
	if got := e.timeout(1); got != 100*time.Millisecond {
		t.Errorf("timeout after tiny samples %v, want the floor", got)
	}
	if got := e.timeout(3); got != 400*time.Millisecond {
		t.Errorf("third send waits %v, want 400ms", got)
	}
	if got := e.timeout(40); got != maxRTO {
		t.Errorf("backoff not capped: %v", got)
	}
	for range 50 {
		e.sample(300 * time.Millisecond)
	}
	if got := e.timeout(1); got < 300*time.Millisecond {
		t.Errorf("timeout %v below a 300ms round trip", got)
	}
}
