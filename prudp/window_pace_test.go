package prudp

import (
	"bytes"
	"context"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func TestPacerBurstThenInterval(t *testing.T) {
	s := WiiU()
	s.PaceInterval = 2 * time.Millisecond
	p := newPacer(&s)
	t0 := time.Unix(1000, 0)
	burst := paceBurst(&s)
	if burst < 1 || burst > s.Window {
		t.Fatalf("burst %d outside 1..window %d", burst, s.Window)
	}
	for i := range burst {
		if !p.ready(t0) {
			t.Fatalf("packet %d of the burst held back on an idle connection", i)
		}
		p.take(t0)
	}
	if p.ready(t0) {
		t.Fatal("packet beyond the burst sent at once")
	}
	if got := p.readyAt(); !got.Equal(t0.Add(s.PaceInterval)) {
		t.Fatalf("next packet at %v, want one interval later", got.Sub(t0))
	}
	if !p.ready(t0.Add(s.PaceInterval)) {
		t.Fatal("token not refilled after one interval")
	}
}

func TestPacerAcknowledgementReturnsToken(t *testing.T) {
	s := WiiU()
	s.PaceInterval = 2 * time.Millisecond
	p := newPacer(&s)
	t0 := time.Unix(1000, 0)
	for range paceBurst(&s) {
		p.take(t0)
	}
	now := t0.Add(10 * time.Microsecond)
	if p.ready(now) {
		t.Fatal("bucket should be empty")
	}
	p.acked(now)
	if !p.ready(now) {
		t.Fatal("an acknowledgement did not return a token")
	}
	// A stream acknowledged as fast as it is sent never waits.
	for i := range 1000 {
		now = now.Add(time.Microsecond)
		if !p.ready(now) {
			t.Fatalf("acknowledged stream held back at packet %d", i)
		}
		p.take(now)
		p.acked(now)
	}
}

func TestPacerDrainAfterTimeout(t *testing.T) {
	s := WiiU()
	s.PaceInterval = 2 * time.Millisecond
	p := newPacer(&s)
	t0 := time.Unix(1000, 0)
	p.take(t0)
	p.drain(t0)
	if p.ready(t0) || p.ready(t0.Add(s.PaceInterval-time.Nanosecond)) {
		t.Fatal("a resend after a timeout may be followed by another before one interval")
	}
	if !p.ready(t0.Add(s.PaceInterval)) {
		t.Fatal("drained bucket not refilled after one interval")
	}
}

func TestPacerOff(t *testing.T) {
	s := WiiU()
	s.PaceInterval = 0
	p := newPacer(&s)
	t0 := time.Unix(1000, 0)
	for range 100 {
		p.take(t0)
	}
	p.drain(t0)
	if !p.ready(t0) || !p.readyAt().IsZero() {
		t.Fatal("pacing off still holds packets back")
	}
}

// timedCarrier records when each datagram longer than minLen was written.
type timedCarrier struct {
	Carrier
	minLen int
	mu     sync.Mutex
	at     []time.Time
}

func (c *timedCarrier) WriteTo(p []byte, to netip.AddrPort) error {
	if len(p) > c.minLen {
		c.mu.Lock()
		c.at = append(c.at, time.Now())
		c.mu.Unlock()
	}
	return c.Carrier.WriteTo(p, to)
}

// TestFragmentBurstPaced: the fragments of one large message leave in a
// burst of paceBurst packets, then one per PaceInterval until the peer's
// acknowledgements come back, and the message arrives whole.
func TestFragmentBurstPaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := WiiU()
		s.AccessKey = "25dbf96a"
		s.FragmentSize = 100
		s.PaceInterval = 2 * time.Millisecond
		const delay = 10 * time.Millisecond
		tn := newTestNet(t, 5, Impairment{Delay: delay}, ListenConfig{Games: []Settings{s}})
		car, err := tn.net.Listen("10.0.9.1:4000")
		if err != nil {
			t.Fatal(err)
		}
		spy := &timedCarrier{Carrier: car, minLen: s.FragmentSize}
		acc := make(chan *Conn, 1)
		go func() { c, _ := tn.l.Accept(ctx); acc <- c }()
		cli, err := DialCarrier(ctx, spy, addrPortAddr{"mem", tn.srvAddr}, DialConfig{Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		srv := <-acc
		msg := testMessage(7, 10*s.FragmentSize)
		t0 := time.Now()
		if err := cli.Send(ctx, 0, msg); err != nil {
			t.Fatal(err)
		}
		m, err := srv.Recv(ctx)
		if err != nil || !bytes.Equal(m.Data, msg) {
			t.Fatalf("message not delivered whole: %v", err)
		}
		spy.mu.Lock()
		at := append([]time.Time(nil), spy.at...)
		spy.mu.Unlock()
		burst := paceBurst(&s)
		if len(at) < burst+1 {
			t.Fatalf("only %d fragments seen", len(at))
		}
		for i, ts := range at {
			if !ts.Before(t0.Add(2 * delay)) {
				break // acknowledgements clock the rest
			}
			if i < burst {
				if !ts.Equal(t0) {
					t.Errorf("fragment %d of the burst sent %v late", i, ts.Sub(t0))
				}
				continue
			}
			if gap := ts.Sub(at[i-1]); gap < s.PaceInterval {
				t.Errorf("fragment %d sent %v after the previous one, want >= %v", i, gap, s.PaceInterval)
			}
		}
		closeAll(tn.l, cli, srv)
	})
}
