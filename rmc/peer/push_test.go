package peer

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// pipe is Pipe with its ends' type, for tests that fill a buffer.
func pipe() (*pipeWire, *pipeWire) {
	a, b := Pipe()
	return a.(*pipeWire), b.(*pipeWire)
}

// asyncResult is what a CallAsync callback got.
type asyncResult struct {
	m   *rmc.Message
	err error
}

// runPeers runs each peer's Run until the test ends.
func runPeers(t *testing.T, ctx context.Context, peers ...*Peer) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	for _, p := range peers {
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
	}
	return &wg
}

// TestPeerCallAsync: the callback gets the answer (an error response
// with its method restored), a silent server's call times out after
// CallTimeout, and the calls still pending when the connection ends fail
// with rpc.ErrUpstreamGone; each callback runs exactly once.
func TestPeerCallAsync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, b := pipe()
		server := New(b, nil, nil)
		server.serve = func(ctx context.Context, m *rmc.Message) {
			switch m.Method {
			case 1:
				_ = server.Respond(ctx, m, &rpc.Reply{Body: []byte("ok")})
			case 2:
				_ = server.Respond(ctx, m, rpc.ErrorReply(0x00010001))
			}
			// Method 3 is never answered.
		}
		client := New(a, nil, nil)
		wg := runPeers(t, ctx, server, client)

		results := make(chan asyncResult, 8)
		var calls atomic.Int32
		cb := func(m *rmc.Message, err error) {
			calls.Add(1)
			results <- asyncResult{m, err}
		}
		for _, method := range []uint32{1, 2} {
			if err := client.CallAsync(11, method, nil, cb); err != nil {
				t.Fatal(err)
			}
			r := <-results
			if r.err != nil || r.m.Method != method {
				t.Fatalf("method %d: %v %+v", method, r.err, r.m)
			}
			if method == 1 && (!r.m.Success || string(r.m.Body) != "ok") || method == 2 && (r.m.Success || r.m.Error != 0x80010001) {
				t.Errorf("method %d: answer %+v", method, r.m)
			}
		}

		start := time.Now()
		if err := client.CallAsync(11, 3, nil, cb); err != nil {
			t.Fatal(err)
		}
		r := <-results
		if !errors.Is(r.err, context.DeadlineExceeded) || time.Since(start) != CallTimeout {
			t.Errorf("silent call: %v after %s", r.err, time.Since(start))
		}

		if err := client.CallAsync(11, 3, nil, cb); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		_ = a.Close()
		r = <-results
		if !errors.Is(r.err, rpc.ErrUpstreamGone) {
			t.Errorf("call pending at the end: %v", r.err)
		}
		wg.Wait()
		if err := client.CallAsync(11, 1, nil, cb); !errors.Is(err, rpc.ErrUpstreamGone) {
			t.Errorf("call after the end: %v", err)
		}
		time.Sleep(2 * CallTimeout)
		if n := calls.Load(); n != 4 {
			t.Errorf("%d callbacks, want 4", n)
		}
	})
}

// TestPeerWorkersBounded: requests that block are served by at most
// maxInflight workers at once; the rest wait (the reader stops taking
// messages once the backlog is full) and are all answered once the
// handler lets go, and the workers end after lingering.
func TestPeerWorkersBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		a, b := pipe()
		release := make(chan struct{})
		var running, peak atomic.Int32
		var server *Peer
		server = New(b, nil, func(ctx context.Context, m *rmc.Message) {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-release
			running.Add(-1)
			_ = server.Respond(ctx, m, &rpc.Reply{Body: m.Body})
		})
		client := New(a, nil, nil)
		wg := runPeers(t, ctx, server, client)

		const n = maxInflight + maxBacklog + 100
		var answered atomic.Int32
		var calls sync.WaitGroup
		for i := range n {
			calls.Add(1)
			go func() {
				defer calls.Done()
				m, err := client.Call(ctx, 11, 1, []byte{byte(i)})
				if err == nil && m.Success && len(m.Body) == 1 && m.Body[0] == byte(i) {
					answered.Add(1)
				}
			}()
		}
		synctest.Wait()
		if got := running.Load(); got != maxInflight {
			t.Errorf("%d requests served at once, want %d", got, maxInflight)
		}
		server.mu.Lock()
		backlog := len(server.backlog) - server.backHead
		paused := server.paused
		server.mu.Unlock()
		if backlog > maxBacklog || !paused {
			t.Errorf("backlog %d (paused %v), want at most %d and paused", backlog, paused, maxBacklog)
		}
		close(release)
		calls.Wait()
		if got := answered.Load(); got != n {
			t.Errorf("%d of %d calls answered", got, n)
		}
		if p := peak.Load(); p > maxInflight {
			t.Errorf("peak %d requests at once", p)
		}
		time.Sleep(2 * workerLinger)
		server.mu.Lock()
		workers, idle := server.workers, server.idle
		server.mu.Unlock()
		if workers != 0 || idle != 0 {
			t.Errorf("after lingering: %d workers, %d idle", workers, idle)
		}
		_ = a.Close()
		wg.Wait()
	})
}

// sinkWire takes every message, at once, and never delivers one.
type sinkWire struct{ done chan struct{} }

func (sinkWire) Send(context.Context, []byte) error { return nil }
func (sinkWire) TrySend([]byte) error               { return nil }
func (w sinkWire) Recv(ctx context.Context) ([]byte, error) {
	select {
	case <-w.done:
		return nil, ErrPipeClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
func (w sinkWire) Close() error { close(w.done); return nil }

// TestPeerAsyncBounded: when the connection takes nothing more, at most
// maxInflight sends wait on goroutines and further calls fail at once;
// past maxAsyncPending unanswered calls the fast path steps aside.
func TestPeerAsyncBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		a, _ := pipe() // nobody reads the other end
		for range cap(a.out) {
			_ = a.Send(ctx, []byte{0})
		}
		p := New(a, nil, nil)
		p.start(ctx, nil)
		var backlog, gone atomic.Int32
		cb := func(_ *rmc.Message, err error) {
			switch {
			case errors.Is(err, errSendBacklog):
				backlog.Add(1)
			case errors.Is(err, ErrPipeClosed), errors.Is(err, rpc.ErrUpstreamGone):
				gone.Add(1)
			default:
				t.Errorf("callback: %v", err)
			}
		}
		const n = maxInflight + 20
		for range n {
			if err := p.CallAsync(11, 1, nil, cb); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if got := backlog.Load(); got != 20 {
			t.Errorf("%d calls failed for the send backlog, want 20", got)
		}
		_ = a.Close()
		synctest.Wait()
		p.stop(ErrPipeClosed)
		p.Wait()
		if got := gone.Load(); got != maxInflight {
			t.Errorf("%d calls failed when the connection closed, want %d", got, maxInflight)
		}

		// A server that takes every call and never answers.
		b := sinkWire{done: make(chan struct{})}
		q := New(b, nil, nil)
		q.start(ctx, nil)
		for range maxAsyncPending {
			if !q.CanTakeAsync() {
				t.Fatal("fast path closed early")
			}
			if err := q.CallAsync(11, 1, nil, func(*rmc.Message, error) {}); err != nil {
				t.Fatal(err)
			}
		}
		if q.CanTakeAsync() {
			t.Errorf("fast path open with %d calls pending", maxAsyncPending)
		}
		_ = b.Close()
		q.stop(ErrPipeClosed)
		q.Wait()
	})
}

// blockOnceWire refuses TrySend while blocked is set and records the order
// in which messages leave.
type blockOnceWire struct {
	mu      sync.Mutex
	blocked bool
	sent    [][]byte
	release chan struct{}
	done    chan struct{}
}

func (w *blockOnceWire) TrySend(b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.blocked {
		return errWouldBlock
	}
	w.sent = append(w.sent, append([]byte(nil), b...))
	return nil
}

func (w *blockOnceWire) Send(ctx context.Context, b []byte) error {
	select {
	case <-w.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sent = append(w.sent, append([]byte(nil), b...))
	return nil
}

func (w *blockOnceWire) Recv(ctx context.Context) ([]byte, error) {
	select {
	case <-w.done:
		return nil, ErrPipeClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (w *blockOnceWire) Close() error { close(w.done); return nil }

// TestPeerAsyncKeepsOrder: once one message had to wait for room, later
// messages queue behind it even when the connection has room again, so
// nothing overtakes.
func TestPeerAsyncKeepsOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &blockOnceWire{blocked: true, release: make(chan struct{}), done: make(chan struct{})}
		p := New(w, nil, nil)
		p.start(context.Background(), nil)
		p.sendAsync(rmc.NewRequest(11, 1, 1, nil), sendFailure{}) // waits for room
		w.mu.Lock()
		w.blocked = false // room again: a TrySend would now succeed at once
		w.mu.Unlock()
		p.sendAsync(rmc.NewRequest(11, 1, 2, nil), sendFailure{})
		p.sendAsync(rmc.NewRequest(11, 1, 3, nil), sendFailure{})
		close(w.release)
		synctest.Wait()
		var ids []uint32
		for _, b := range w.sent {
			m, err := rmc.Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, m.CallID)
		}
		if len(ids) != 3 || ids[0] != 1 || ids[1] != 2 || ids[2] != 3 {
			t.Errorf("messages left in the order %v, want [1 2 3]", ids)
		}
		_ = w.Close()
		p.stop(ErrPipeClosed)
		p.Wait()
	})
}

// TestPeerAsyncQueuedMessageOwnsItsBytes: sendAsync encodes into pooled
// buffers; a message that has to wait for room keeps a copy of its own,
// so the encoding of later messages (of any peer) cannot change it.
func TestPeerAsyncQueuedMessageOwnsItsBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := &blockOnceWire{blocked: true, release: make(chan struct{}), done: make(chan struct{})}
		p := New(w, nil, nil)
		p.start(context.Background(), nil)
		other := &blockOnceWire{release: make(chan struct{}), done: make(chan struct{})}
		q := New(other, nil, nil)
		q.start(context.Background(), nil)

		want := bytes.Repeat([]byte{0xAA}, 100)
		p.sendAsync(rmc.NewRequest(11, 1, 1, want), sendFailure{}) // waits for room
		for i := range 20 {
			q.sendAsync(rmc.NewRequest(11, 1, uint32(100+i), bytes.Repeat([]byte{0x55}, 100)), sendFailure{})
		}
		close(w.release)
		synctest.Wait()
		if len(w.sent) != 1 {
			t.Fatalf("%d messages sent, want 1", len(w.sent))
		}
		m, err := rmc.Parse(w.sent[0])
		if err != nil || m.CallID != 1 || !bytes.Equal(m.Body, want) {
			t.Errorf("the queued message left as %v (err %v), not as sent", m, err)
		}
		for _, pe := range []*Peer{p, q} {
			pe.stop(ErrPipeClosed)
			pe.Wait()
		}
		_ = w.Close()
		_ = other.Close()
	})
}
