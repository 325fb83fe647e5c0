package prudp

import (
	"bytes"
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// datagramPackets decodes each datagram of a spy into its packets.
func datagramPackets(t *testing.T, codec Codec, raw [][]byte) [][]Packet {
	t.Helper()
	out := make([][]Packet, 0, len(raw))
	for _, d := range raw {
		var ps []Packet
		for len(d) > 0 {
			p, n, err := codec.Decode(d)
			if err != nil {
				t.Fatalf("datagram does not decode: %v", err)
			}
			ps = append(ps, p)
			d = d[n:]
		}
		out = append(out, ps)
	}
	return out
}

// spiedNet is a listener whose carrier records what the server writes.
func spiedNet(t *testing.T, s Settings) (*spyCarrier, *Listener, *MemNetwork) {
	t.Helper()
	n := NewMemNetwork(3, Impairment{Delay: 100 * time.Microsecond})
	car, err := n.Listen("10.0.0.1:60000")
	if err != nil {
		t.Fatal(err)
	}
	spy := &spyCarrier{Carrier: car}
	l, err := ListenCarrier(context.Background(), spy, ListenConfig{Games: []Settings{s}})
	if err != nil {
		t.Fatal(err)
	}
	return spy, l, n
}

// dialSpied connects a client to the spied listener and accepts it.
func dialSpied(t *testing.T, n *MemNetwork, l *Listener, s Settings) (cli, srv *Conn) {
	t.Helper()
	ctx := context.Background()
	cc, err := n.Listen("10.0.0.2:1000")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan *Conn, 1)
	go func() {
		c, _ := l.Accept(ctx)
		accepted <- c
	}()
	cli, err = DialCarrier(ctx, cc, l.Addr(), DialConfig{Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	srv = <-accepted
	if srv == nil {
		t.Fatal("not accepted")
	}
	return cli, srv
}

// handler answers each request after think, from a goroutine of its own
// with Recv and Send, the way a built-in protocol handler does.
func handler(srv *Conn, think time.Duration) {
	go func() {
		ctx := context.Background()
		for {
			m, err := srv.Recv(ctx)
			if err != nil {
				return
			}
			time.Sleep(think)
			if err := srv.Send(ctx, 0, append([]byte("re:"), m.Data...)); err != nil {
				return
			}
		}
	}()
}

// TestDelayedAckRidesWithResponse: with the v1 and Lite presets' defaults,
// a handler's answer and the acknowledgement of its request leave the
// server as one datagram, the acknowledgement first: one datagram per
// call instead of two.
func TestDelayedAckRidesWithResponse(t *testing.T) {
	for name, s := range map[string]Settings{"wiiu": WiiU(), "switch": Switch()} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s.AccessKey = "25dbf96a"
				s = fastSettings(s)
				if !s.CoalesceAcks {
					t.Fatalf("%s preset does not coalesce by default", name)
				}
				spy, l, n := spiedNet(t, s)
				cli, srv := dialSpied(t, n, l, s)
				defer closeAll(l, cli, srv)
				handler(srv, 300*time.Microsecond) // well within the hold
				base := len(spy.raw())
				const calls = 5
				ctx := context.Background()
				for i := range calls {
					req := testMessage(i, 50)
					if err := cli.Send(ctx, 0, req); err != nil {
						t.Fatal(err)
					}
					got, err := cli.Recv(ctx)
					if err != nil || !bytes.Equal(got.Data, append([]byte("re:"), req...)) {
						t.Fatalf("call %d: %v", i, err)
					}
				}
				time.Sleep(100 * time.Millisecond)
				codec, _ := NewCodec(&s)
				dgs := datagramPackets(t, codec, spy.raw()[base:])
				if len(dgs) != calls {
					t.Fatalf("server wrote %d datagrams for %d calls, want %d", len(dgs), calls, calls)
				}
				for i, ps := range dgs {
					if len(ps) != 2 || !ps[0].Flags.Has(FlagAck) || ps[0].Type != TypeData ||
						ps[1].Type != TypeData || !ps[1].Flags.Has(FlagReliable) || ps[0].Sequence != dgs[0][0].Sequence+uint16(i) {
						t.Errorf("datagram %d: %v, want the request's ACK and the answer", i, ps)
					}
				}
				if r := cli.Stats().Resent + srv.Stats().Resent; r != 0 {
					t.Errorf("%d resends", r)
				}
			})
		})
	}
}

// TestDelayedAckLoneLeavesAfterBound: an acknowledgement with nothing to
// travel with leaves alone once CoalesceDelay has passed, not earlier
// (it waited for company) and not later (the peer must not resend).
func TestDelayedAckLoneLeavesAfterBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := fastSettings(WiiU())
		s.AccessKey = "25dbf96a"
		s.CoalesceDelay = 5 * time.Millisecond
		spy, l, n := spiedNet(t, s)
		cli, srv := dialSpied(t, n, l, s)
		defer closeAll(l, cli, srv)
		got := make(chan Message, 1)
		go func() {
			m, err := srv.Recv(context.Background())
			if err == nil {
				got <- m
			}
		}()
		base := len(spy.raw())
		start := time.Now()
		if err := cli.Send(context.Background(), 0, []byte("no answer")); err != nil {
			t.Fatal(err)
		}
		<-got
		time.Sleep(s.CoalesceDelay / 2)
		if k := len(spy.raw()) - base; k != 0 {
			t.Fatalf("acknowledgement left after %s, before its hold of %s ended", time.Since(start), s.CoalesceDelay)
		}
		for cli.Stats().SRTT == 0 {
			time.Sleep(50 * time.Microsecond)
		}
		// Sent at the hold's end, heard by the client a network delay later.
		if d := time.Since(start); d < s.CoalesceDelay || d > s.CoalesceDelay+time.Millisecond {
			t.Errorf("lone acknowledgement heard after %s, want %s plus the network delay", d, s.CoalesceDelay)
		}
		codec, _ := NewCodec(&s)
		dgs := datagramPackets(t, codec, spy.raw()[base:])
		if len(dgs) != 1 || len(dgs[0]) != 1 || !dgs[0][0].Flags.Has(FlagAck) {
			t.Errorf("server wrote %v, want one lone ACK", dgs)
		}
		if r := cli.Stats().Resent; r != 0 {
			t.Errorf("%d resends", r)
		}
	})
}

// TestV0DefaultNotCoalesced: the v0 presets (and Rendez-Vous) keep
// acknowledgements in datagrams of their own unless configured: a v0
// peer's decoder may not read a second packet from a datagram.
func TestV0DefaultNotCoalesced(t *testing.T) {
	for _, v := range []Variant{V0, RV} {
		if CoalescesByDefault(v) {
			t.Errorf("%s coalesces by default", v)
		}
	}
	for name, s := range map[string]Settings{"friends": Friends(), "3ds": ThreeDS()} {
		t.Run(name, func(t *testing.T) {
			if s.CoalesceAcks {
				t.Fatalf("%s preset coalesces", name)
			}
			synctest.Test(t, func(t *testing.T) {
				if name == "3ds" {
					s.AccessKey = "6181dff1"
				}
				s = fastSettings(s)
				spy, l, n := spiedNet(t, s)
				cli, srv := dialSpied(t, n, l, s)
				defer closeAll(l, cli, srv)
				handler(srv, 300*time.Microsecond)
				base := len(spy.raw())
				const calls = 3
				for i := range calls {
					if err := cli.Send(context.Background(), 0, testMessage(i, 40)); err != nil {
						t.Fatal(err)
					}
					if _, err := cli.Recv(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(100 * time.Millisecond)
				codec, _ := NewCodec(&s)
				dgs := datagramPackets(t, codec, spy.raw()[base:])
				if len(dgs) != 2*calls {
					t.Errorf("server wrote %d datagrams for %d calls, want %d (ACK and answer apart)", len(dgs), calls, 2*calls)
				}
				for i, ps := range dgs {
					if len(ps) != 1 {
						t.Errorf("datagram %d holds %d packets", i, len(ps))
					}
				}
			})
		})
	}
}

// TestCoalesceDelayValidate: the configurable hold is bounded.
func TestCoalesceDelayValidate(t *testing.T) {
	s := fastSettings(WiiU())
	s.AccessKey = "25dbf96a"
	s.ResendFloor = 100 * time.Millisecond
	for _, d := range []time.Duration{0, time.Millisecond, MaxCoalesceDelay} {
		s.CoalesceDelay = d
		if err := s.Validate(); err != nil {
			t.Errorf("coalesce delay %s: %v", d, err)
		}
	}
	for _, d := range []time.Duration{-time.Millisecond, MaxCoalesceDelay + 1} {
		s.CoalesceDelay = d
		if err := s.Validate(); err == nil {
			t.Errorf("coalesce delay %s accepted", d)
		}
	}
	s.CoalesceDelay = 15 * time.Millisecond
	s.ResendFloor = 50 * time.Millisecond // under 4 holds
	if err := s.Validate(); err == nil {
		t.Error("hold of more than a quarter of resend_floor accepted")
	}
}
