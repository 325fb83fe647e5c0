package prudp

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestLossyLinkConsoleDefaults runs 200 request/response sessions of 30
// calls each through a link that loses 20% of datagrams each way,
// duplicates 5% and reorders 10%, with the console defaults (window,
// resend_timeout 1 s, resend_limit 2): every session must complete. With
// a give-up decided by a count of resends that the round-trip estimate
// had shrunk to the 100 ms floor, about half of such sessions died with
// "peer not responding" while both sides were still talking.
func TestLossyLinkConsoleDefaults(t *testing.T) {
	for _, variant := range []string{"v0", "v1"} {
		for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
			t.Run(fmt.Sprintf("%s/%v", variant, delay), func(t *testing.T) {
				s := WiiU()
				s.AccessKey = "25dbf96a"
				if variant == "v0" {
					s = ThreeDS()
					s.AccessKey = "6181dff1"
				}
				runLossySessions(t, s, Impairment{Loss: 0.2, Duplicate: 0.05, Reorder: 0.1, Delay: delay, Jitter: delay / 4})
			})
		}
	}
}

func runLossySessions(t *testing.T, s Settings, imp Impairment) {
	const sessions, calls = 200, 30
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		tn := newTestNet(t, 11, Impairment{}, ListenConfig{Games: []Settings{s}})
		// The handshakes go over a clean link: what is under test is that
		// live connections stay up.
		type pair struct{ cli, srv *Conn }
		pairs := make([]pair, sessions)
		for i := range pairs {
			cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
			if err != nil {
				t.Fatal(err)
			}
			pairs[i] = pair{cli, srv}
		}
		tn.net.SetImpairment(imp)
		var wg sync.WaitGroup
		type failure struct {
			session int
			err     error
		}
		errs := make(chan failure, 2*sessions)
		for i, p := range pairs {
			wg.Add(2)
			go func() { // the server answers each call with its echo
				defer wg.Done()
				for range calls {
					m, err := p.srv.Recv(ctx)
					if err != nil {
						errs <- failure{i, fmt.Errorf("session %d: server recv: %w", i, err)}
						return
					}
					if err := p.srv.Send(ctx, 0, append([]byte("re:"), m.Data...)); err != nil {
						errs <- failure{i, fmt.Errorf("session %d: server send: %w", i, err)}
						return
					}
				}
			}()
			go func() { // the console calls and waits for each answer
				defer wg.Done()
				for c := range calls {
					req := testMessage(i*calls+c, 40+(i+c)%400)
					if err := p.cli.Send(ctx, 0, req); err != nil {
						errs <- failure{i, fmt.Errorf("session %d call %d: send: %w", i, c, err)}
						return
					}
					m, err := p.cli.Recv(ctx)
					if err != nil {
						errs <- failure{i, fmt.Errorf("session %d call %d: recv: %w", i, c, err)}
						return
					}
					if !bytes.Equal(m.Data, append([]byte("re:"), req...)) {
						errs <- failure{i, fmt.Errorf("session %d call %d: wrong answer", i, c)}
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		failed, shown := map[int]bool{}, 0
		for f := range errs {
			if failed[f.session] = true; shown < 5 {
				shown++
				t.Error(f.err)
			}
		}
		if len(failed) > 0 {
			t.Errorf("%d of %d sessions failed", len(failed), sessions)
		}
		var resent uint64
		for _, p := range pairs {
			resent += p.cli.Stats().Resent + p.srv.Stats().Resent
		}
		if resent == 0 {
			t.Error("the impairment caused no resend")
		}
		tn.net.SetImpairment(Impairment{})
		conns := make([]*Conn, 0, 2*sessions)
		for _, p := range pairs {
			conns = append(conns, p.cli, p.srv)
		}
		closeAll(tn.l, conns...)
	})
}

// TestGiveUpDisconnectsAndLogs: a connection nexproxy gives up on sends
// the peer a DISCONNECT (it may still hear us) and says so at info level
// with the reason and the counters.
func TestGiveUpDisconnectsAndLogs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := fastSettings(WiiU())
		s.AccessKey = "25dbf96a"
		core, logs := observer.New(zapcore.InfoLevel)
		n := NewMemNetwork(5, Impairment{Delay: time.Millisecond})
		inner, err := n.Listen("10.0.0.1:60000")
		if err != nil {
			t.Fatal(err)
		}
		spy := &spyCarrier{Carrier: inner}
		l, err := ListenCarrier(ctx, spy, ListenConfig{Games: []Settings{s}, Logger: zap.New(core)})
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
		n.Disconnect(cliCar.LocalAddr())
		if err := srv.Send(ctx, 0, []byte("anyone there?")); err != nil {
			t.Fatal(err)
		}
		<-srv.Done()
		codec, err := NewCodec(&s)
		if err != nil {
			t.Fatal(err)
		}
		pkts := spy.packets(codec)
		if last := pkts[len(pkts)-1]; last.Type != TypeDisconnect {
			t.Errorf("last packet the server wrote: %v, want a DISCONNECT", last.Type)
		}
		lines := logs.FilterMessage("prudp: peer not responding, connection closed").All()
		if len(lines) != 1 {
			t.Fatalf("%d give-up lines at info, want 1 (all: %v)", len(lines), logs.All())
		}
		m := lines[0].ContextMap()
		if m["reason"] != "packet unacknowledged" || m["conn"] != srv.ID() || m["resent"] == uint64(0) || m["in_flight"] != int64(1) {
			t.Errorf("give-up line fields %v", m)
		}
	})
}
