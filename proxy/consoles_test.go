package proxy_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// TestReconnectReplacesStaleSession: a console that logs in again while
// its old secure session is still up (a crash, a quick relog) replaces it:
// the old connection is ended at once, with its OnClose work done, and
// the services find the new session by PID. Guests, whom many consoles
// share, never replace one another.
func TestReconnectReplacesStaleSession(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	rec := newLegRecorder()
	srv, cfg := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, rec)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	first, err := proxy.Login(ctx, clientConfig(cfg, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := proxy.Login(ctx, clientConfig(cfg, srv))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	select {
	case <-first.Secure.Done():
	case <-ctx.Done():
		t.Fatal("the stale session's secure connection is still up")
	}
	if !rec.waitFor(func() bool { return len(rec.endedOn(rpc.LegSecure)) == 1 }) {
		t.Fatalf("ended secure sessions: %v, want the stale one", rec.endedOn(rpc.LegSecure))
	}
	if m, err := second.Call(ctx, 11, 5, nil); err != nil || !m.Success {
		t.Fatalf("the new session: %v %v", err, m)
	}
	if s := srv.ConsoleSession("g", first.PID); s == nil || s.RemoteAddr != second.SecureLocal {
		t.Errorf("the PID's session is %v, want the new one from %v", s, second.SecureLocal)
	}

	// Two guests at once: both stay.
	guest := clientConfig(cfg, srv)
	guest.Username, guest.Password = config.Guest.Username, config.Guest.Password
	g1, err := proxy.Login(ctx, guest)
	if err != nil {
		t.Fatal(err)
	}
	defer g1.Close()
	g2, err := proxy.Login(ctx, guest)
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	for _, g := range []*proxy.Client{g1, g2} {
		if m, err := g.Call(ctx, 11, 5, nil); err != nil || !m.Success {
			t.Errorf("a guest's session: %v %v", err, m)
		}
	}
}
