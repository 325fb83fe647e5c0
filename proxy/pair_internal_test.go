package proxy

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// testConns listens on loopback and returns a function that opens one
// more connection: the dialled side and the listener's. Both close when
// the test ends.
func testConns(t *testing.T, ctx context.Context) func() (dialled, accepted *prudp.Conn) {
	t.Helper()
	s := prudp.WiiU()
	s.AccessKey = "76f26496"
	l, err := prudp.Listen(ctx, "127.0.0.1:0", prudp.ListenConfig{Games: []prudp.Settings{s}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return func() (*prudp.Conn, *prudp.Conn) {
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
		t.Cleanup(func() { _ = d.Close(); _ = a.Close() })
		return d, a
	}
}

// TestAbortWhileUpstreamDials: a reconnecting console's claim aborts its
// stale session, which may still be dialling its upstream. The upstream
// connection attached after the abort is aborted at once; it used to stay
// open, kept alive by the server's pings, so the session never ended and
// Server.Close waited for it forever.
func TestAbortWhileUpstreamDials(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := testConns(t, ctx)
	_, console := dial()
	up, _ := dial() // stands for the upstream connection being dialled

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

// TestClaimKeepsTheNewerConnection: the sessions of one PID are ordered
// by when their CONNECTs were accepted, not by which session goroutine
// claims the PID first. A console that logs in and at once connects
// again must keep its second connection even when the first one's
// session claims the PID last; that older session is the one to end.
func TestClaimKeepsTheNewerConnection(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := testConns(t, ctx)
	newPair := func(seq uint64) *pair {
		_, console := dial()
		sess := rpc.NewSession("s", "g", rpc.LegSecure, console.RemoteAddrPort(), rmc.Settings{})
		sess.SetPID(1234567)
		return &pair{sess: sess, log: zap.NewNop(), console: console, seq: seq, done: make(chan struct{})}
	}
	older, newer := newPair(1), newPair(2)
	var cs consoles
	if !cs.claim(newer) {
		t.Fatal("the first claim of a PID was refused")
	}
	if cs.claim(older) {
		t.Fatal("an older connection took the PID from a newer one")
	}
	if got := cs.session(1234567); got != newer.sess {
		t.Fatal("the PID's session is not the newer connection's")
	}
	select {
	case <-newer.console.Done():
		t.Fatal("the newer connection was ended")
	case <-time.After(100 * time.Millisecond):
	}
}

// endRecorder keeps how each session ended.
type endRecorder struct {
	mu    sync.Mutex
	ended map[string]error
}

func (r *endRecorder) Connect(*rpc.Session, string)         {}
func (r *endRecorder) Login(*rpc.Session, uint64, string)   {}
func (r *endRecorder) Call(*rpc.Session, *record.CallEvent) {}
func (r *endRecorder) Disconnect(s *rpc.Session, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended == nil {
		r.ended = map[string]error{}
	}
	r.ended[s.ID] = err
}

// TestSupersededSessionEnds: a secure session whose console's newer
// connection already serves the PID ends at once, recorded as
// superseded, and leaves the newer one the PID's session. It never dials
// the upstream (its accepted carries no upstream login: a dial would
// fail the test).
func TestSupersededSessionEnds(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg, err := config.LoadTOML(`advertise = "127.0.0.1"

[[games]]
name = "g"
platform = "wiiu"
access_key = "76f26496"
auth_listen = "127.0.0.1:1"
secure_listen = "127.0.0.1:2"
upstream = "127.0.0.1:3"
`)
	if err != nil {
		t.Fatal(err)
	}
	rec := &endRecorder{}
	s, err := New(cfg, Options{Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	g := s.games[0]
	dial := testConns(t, ctx)
	_, newerConsole := dial()
	_, olderConsole := dial()
	newer := s.newPair(&accepted{g: g, leg: rpc.LegSecure, pid: 7, seq: 2}, newerConsole, rpc.LegSecure)
	newer.sess.SetPID(7)
	if !g.consoles.claim(newer) {
		t.Fatal("the first claim of a PID was refused")
	}

	s.runSecure(&accepted{g: g, leg: rpc.LegSecure, pid: 7, seq: 1}, olderConsole)
	select {
	case <-olderConsole.Done():
	case <-ctx.Done():
		t.Fatal("the older connection is still open")
	}
	rec.mu.Lock()
	var ends []error
	for _, err := range rec.ended {
		ends = append(ends, err)
	}
	rec.mu.Unlock()
	if len(ends) != 1 || !errors.Is(ends[0], errSuperseded) {
		t.Fatalf("sessions ended with %v, want one superseded", ends)
	}
	if got := g.consoles.session(7); got != newer.sess {
		t.Fatal("the PID's session is no longer the newer connection's")
	}
}
