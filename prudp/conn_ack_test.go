package prudp

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// TestAggregateAckFormats checks which acknowledgement form the receiver
// sends per negotiated minor version, and that the sender understands it.
func TestAggregateAckFormats(t *testing.T) {
	cases := []struct {
		minor     uint8
		lite      bool
		wantMulti bool
		wantNew   bool
	}{{0, false, false, false}, {1, false, true, false}, {2, false, true, true}, {4, false, true, true}, {5, true, true, true}}
	for _, tc := range cases {
		s := WiiU()
		s.AccessKey = "25dbf96a"
		if tc.lite {
			s = Switch()
			s.AccessKey = "fdf6617f"
		}
		s.MinorVersion = tc.minor
		s.AggregateAck = true
		s.Window = 32
		synctest.Test(t, func(t *testing.T) {
			ctx := context.Background()
			n := NewMemNetwork(7, Impairment{Delay: time.Millisecond})
			car, _ := n.Listen("10.0.0.1:1")
			spy := &spyCarrier{Carrier: car}
			l, err := ListenCarrier(ctx, spy, ListenConfig{Games: []Settings{s}})
			if err != nil {
				t.Fatal(err)
			}
			cc, _ := n.Listen("10.0.0.2:2")
			go func() {
				srv, err := l.Accept(ctx)
				if err != nil {
					return
				}
				for {
					if _, err := srv.Recv(ctx); err != nil {
						return
					}
				}
			}()
			cli, err := DialCarrier(ctx, cc, car.LocalAddr(), DialConfig{Settings: s})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 50 {
				if err := cli.Send(ctx, 0, testMessage(i, 3000)); err != nil {
					t.Fatal(err)
				}
			}
			// Everything acknowledged: the window drains.
			time.Sleep(time.Second)
			cli.mu.Lock()
			inflight := len(cli.inflight) + len(cli.queue)
			cli.mu.Unlock()
			if inflight != 0 {
				t.Errorf("minor %d: %d packets still unacknowledged", tc.minor, inflight)
			}
			codec, _ := NewCodec(&s)
			multi, newFmt, individual := 0, 0, 0
			for _, p := range spy.packets(codec) {
				if p.Type != TypeData {
					continue
				}
				switch {
				case p.Flags.Has(FlagMultiAck):
					multi++
					if p.Substream == 1 || tc.lite {
						newFmt++
					}
				case p.Flags.Has(FlagAck):
					individual++
				}
			}
			if (multi > 0) != tc.wantMulti || (tc.wantMulti && (newFmt == multi) != tc.wantNew) || (!tc.wantMulti && individual == 0) {
				t.Errorf("minor %d lite %v: %d MULTI_ACK (%d new format), %d individual", tc.minor, tc.lite, multi, newFmt, individual)
			}
			if tc.wantMulti && individual != 0 {
				t.Errorf("minor %d: %d individual DATA acks despite aggregation", tc.minor, individual)
			}
			closeAll(l, cli)
		})
	}
}
