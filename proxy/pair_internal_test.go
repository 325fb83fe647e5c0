package proxy

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/prudp"
)

// TestAbortWhileUpstreamDials: a reconnecting console's claim aborts its
// stale session, which may still be dialling its upstream. The upstream
// connection attached after the abort is aborted at once; it used to stay
// open, kept alive by the server's pings, so the session never ended and
// Server.Close waited for it forever.
func TestAbortWhileUpstreamDials(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s := prudp.WiiU()
	s.AccessKey = "76f26496"
	l, err := prudp.Listen(ctx, "127.0.0.1:0", prudp.ListenConfig{Games: []prudp.Settings{s}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dial := func() (dialled, accepted *prudp.Conn) {
		t.Helper()
		acc := make(chan *prudp.Conn, 1)
		go func() { c, _ := l.Accept(ctx); acc <- c }()
		d, err := prudp.Dial(ctx, "udp", l.Addr().String(), prudp.DialConfig{Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		a := <-acc
		if a == nil {
			t.Fatal("no connection accepted")
		}
		return d, a
	}
	consoleSide, console := dial()
	defer consoleSide.Close()
	up, upServerSide := dial() // stands for the upstream connection being dialled
	defer upServerSide.Close()

	p := &pair{console: console}
	p.abort() // the claim, before the dial returns
	select {
	case <-console.Done():
	case <-ctx.Done():
		t.Fatal("the console connection was not aborted")
	}
	p.setUp(up) // the dial returns
	select {
	case <-up.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream connection attached after the abort is still open")
	}
	p.closeBoth() // what the session's end does: nothing left to close
}
