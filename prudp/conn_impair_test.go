package prudp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestLossyExactlyOnce pushes 10,000 messages each way through a network
// that loses 30%, duplicates 10% and reorders datagrams: every message
// must arrive exactly once and in order.
func TestLossyExactlyOnce(t *testing.T) {
	for _, name := range []string{"v1", "v0"} {
		t.Run(name, func(t *testing.T) {
			s := WiiU()
			s.AccessKey = "25dbf96a"
			s.AggregateAck = true
			if name == "v0" {
				s = ThreeDS()
				s.AccessKey = "6181dff1"
			}
			s.Window = 32
			s.ResendLimit = 40
			s.ResendTimeout = 100 * time.Millisecond
			s.ResendFloor = 20 * time.Millisecond
			s.PingTimeout = time.Minute
			s.PaceInterval = 100 * time.Microsecond
			const count = 10000
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				tn := newTestNet(t, 42, Impairment{}, ListenConfig{Games: []Settings{s}})
				cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
				if err != nil {
					t.Fatal(err)
				}
				tn.net.SetImpairment(Impairment{Loss: 0.3, Duplicate: 0.1, Reorder: 0.1, Delay: 5 * time.Millisecond, Jitter: 5 * time.Millisecond})
				msgs := make([][]byte, count)
				for i := range msgs {
					msgs[i] = []byte(fmt.Sprintf("message %d %s", i, testMessage(i, i%300)))
				}
				errc := make(chan error, 1)
				go func() { errc <- exchange(ctx, srv, cli, 0, msgs) }()
				if err := exchange(ctx, cli, srv, 0, msgs); err != nil {
					t.Fatal("client->server:", err)
				}
				if err := <-errc; err != nil {
					t.Fatal("server->client:", err)
				}
				cs, ss := cli.Stats(), srv.Stats()
				if cs.Resent == 0 || ss.Duplicates == 0 {
					t.Errorf("impairment had no effect: client %+v server %+v", cs, ss)
				}
				t.Logf("client %+v", cs)
				t.Logf("server %+v", ss)
				tn.net.SetImpairment(Impairment{})
				closeAll(tn.l, cli, srv)
			})
		})
	}
}

// TestVanishedPeerResendLimit: a peer that disappears while data is in
// flight is detected once it has been silent for the dead-peer time.
func TestVanishedPeerResendLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := fastSettings(WiiU())
		s.AccessKey = "25dbf96a"
		tn := newTestNet(t, 3, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})
		cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		tn.net.Disconnect(cli.carrier.LocalAddr())
		start := time.Now()
		if err := srv.Send(ctx, 0, []byte("anyone there?")); err != nil {
			t.Fatal(err)
		}
		<-srv.Done()
		if !errors.Is(srv.Err(), ErrTimeout) || !errors.Is(srv.Err(), ErrClosed) {
			t.Fatalf("server conn ended with %v, want timeout", srv.Err())
		}
		// Given up by time: the peer silent for the dead-peer time (at
		// least two ping timeouts), checked at the next capped resend.
		dead := max(s.ResendTimeout*time.Duration(s.ResendLimit+1), 2*s.PingTimeout)
		if d := time.Since(start); d < dead || d > dead+2*s.ResendTimeout {
			t.Errorf("peer given up after %v, want %v to %v", d, dead, dead+2*s.ResendTimeout)
		}
		if got := tn.l.Stats().Active; got != 0 {
			t.Errorf("listener still holds %d conns", got)
		}
		if _, err := srv.Recv(ctx); !errors.Is(err, ErrClosed) {
			t.Errorf("Recv after timeout: %v", err)
		}
		cli.Abort()
		tn.l.Close()
	})
}

// TestVanishedPeerPingTimeout: an idle connection whose peer is gone is
// freed after the ping timeout, on both sides; a live idle one survives.
func TestVanishedPeerPingTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := Switch()
		s.AccessKey = "fdf6617f"
		tn := newTestNet(t, 4, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})
		cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		// Idle but alive: pings keep it up.
		time.Sleep(time.Minute)
		if cli.Err() != nil || srv.Err() != nil {
			t.Fatalf("idle live connection died: %v / %v", cli.Err(), srv.Err())
		}
		if cli.Stats().Sent < 5 {
			t.Errorf("no keep-alive pings sent: %+v", cli.Stats())
		}
		tn.net.Disconnect(cli.carrier.LocalAddr())
		start := time.Now()
		<-srv.Done()
		<-cli.Done()
		if d := time.Since(start); d > 3*s.PingTimeout+time.Second {
			t.Errorf("dead peer detected after %v", d)
		}
		for _, c := range []*Conn{cli, srv} {
			if !errors.Is(c.Err(), ErrTimeout) {
				t.Errorf("ended with %v, want timeout", c.Err())
			}
		}
		if got := tn.l.Stats().Active; got != 0 {
			t.Errorf("listener still holds %d conns after the ping timeout", got)
		}
		closeAll(tn.l, cli, srv)
	})
}

// TestSilenceTimeout: a 3DS connection keeps a silent peer for the
// preset's 40 s instead of three ping timeouts, idle or with a packet
// waiting for its acknowledgement, and then gives it up.
func TestSilenceTimeout(t *testing.T) {
	for _, inFlight := range []bool{false, true} {
		t.Run(map[bool]string{false: "idle", true: "in flight"}[inFlight], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				s := ThreeDS()
				s.AccessKey = "6181dff1"
				if s.SilenceTimeout != ThreeDSSilenceTimeout || ThreeDSSilenceTimeout <= 3*s.PingTimeout {
					t.Fatalf("3ds silence timeout %v, ping timeout %v", s.SilenceTimeout, s.PingTimeout)
				}
				tn := newTestNet(t, 5, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})
				cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
				if err != nil {
					t.Fatal(err)
				}
				tn.net.Disconnect(cli.carrier.LocalAddr())
				start := time.Now()
				if inFlight {
					if err := srv.Send(ctx, 0, []byte("anyone there?")); err != nil {
						t.Fatal(err)
					}
				}
				// Long past three ping timeouts, short of the silence timeout
				// (less one ping timeout with a packet in flight).
				time.Sleep(s.SilenceTimeout - s.PingTimeout - time.Second)
				if err := srv.Err(); err != nil {
					t.Fatalf("silent peer given up after %v: %v", time.Since(start), err)
				}
				<-srv.Done()
				if d := time.Since(start); d > s.SilenceTimeout+s.ResendTimeout+time.Second {
					t.Errorf("silent peer given up after %v, want about %v", d, s.SilenceTimeout)
				}
				if !errors.Is(srv.Err(), ErrTimeout) {
					t.Errorf("server conn ended with %v, want timeout", srv.Err())
				}
				closeAll(tn.l, cli, srv)
			})
		})
	}
}

// TestSilenceTimeoutBounds: a silence timeout is never negative and
// never shorter than three ping timeouts, so that a live peer always gets
// to answer a PING.
func TestSilenceTimeoutBounds(t *testing.T) {
	s := WiiU()
	s.AccessKey = "25dbf96a"
	s.SilenceTimeout = -time.Second
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "silence_timeout") {
		t.Errorf("negative silence_timeout accepted: %v", err)
	}
	for _, c := range []struct{ silence, want time.Duration }{
		{0, 3 * s.PingTimeout},
		{s.PingTimeout, 3 * s.PingTimeout},
		{time.Minute, time.Minute},
	} {
		s.SilenceTimeout = c.silence
		if err := s.Validate(); err != nil {
			t.Errorf("silence_timeout %v: %v", c.silence, err)
		}
		if got := s.silence(); got != c.want {
			t.Errorf("silence_timeout %v: effective %v, want %v", c.silence, got, c.want)
		}
	}
}
