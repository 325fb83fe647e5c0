package proxy

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// pipeWire is one end of an in-memory message pipe.
type pipeWire struct {
	in, out chan []byte
	once    *sync.Once
	done    chan struct{}
}

func newPipe() (*pipeWire, *pipeWire) {
	a, b := make(chan []byte, 16), make(chan []byte, 16)
	once, done := &sync.Once{}, make(chan struct{})
	return &pipeWire{in: a, out: b, once: once, done: done}, &pipeWire{in: b, out: a, once: once, done: done}
}

func (p *pipeWire) Send(ctx context.Context, m []byte) error {
	select {
	case p.out <- append([]byte(nil), m...):
		return nil
	case <-p.done:
		return errPeerClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *pipeWire) Recv(ctx context.Context) ([]byte, error) {
	select {
	case m := <-p.in:
		return m, nil
	case <-p.done:
		return nil, errPeerClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *pipeWire) Close() error { p.once.Do(func() { close(p.done) }); return nil }

// TestPeerForwardMapsCallIDs runs console → proxy → upstream over pipes:
// the upstream sees the proxy's own call ids, the console gets its own
// back, and an error response keeps its method through the mapping.
func TestPeerForwardMapsCallIDs(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	consoleEnd, proxyConsoleEnd := newPipe()
	proxyUpEnd, upstreamEnd := newPipe()

	var seenIDs []uint32
	var mu sync.Mutex
	upstream := NewPeer(upstreamEnd, nil, nil)
	upstream.serve = func(ctx context.Context, m *rmc.Message) {
		mu.Lock()
		seenIDs = append(seenIDs, m.CallID)
		mu.Unlock()
		r := &Reply{Body: append([]byte("ok:"), m.Body...)}
		if m.Method == 2 {
			r = ErrorReply(0x00030064)
		}
		_ = upstream.Respond(ctx, m, r)
	}
	upPeer := NewPeer(proxyUpEnd, nil, nil)
	sess := rpc.NewSession("t", "", LegAuth, netip.AddrPort{}, rmc.Settings{})
	d := &dispatcher{sess: sess, chain: Forward(upPeer), rec: &recorder{}, log: upPeer.log}
	consolePeer := NewPeer(proxyConsoleEnd, nil, d.serve)
	d.peer = consolePeer
	console := NewPeer(consoleEnd, nil, nil)
	console.nextID = 1000 // the console numbers its calls differently

	var wg sync.WaitGroup
	for _, p := range []*Peer{upstream, upPeer, consolePeer, console} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
	}
	m, err := console.Call(ctx, 11, 1, []byte("x"))
	if err != nil || !m.Success || string(m.Body) != "ok:x" || m.CallID != 1001 {
		t.Fatalf("call: %v %+v", err, m)
	}
	m, err = console.Call(ctx, 11, 2, nil)
	if err != nil || m.Success || m.Method != 2 || m.Error != 0x80030064 || m.CallID != 1002 {
		t.Fatalf("error call: %v %+v", err, m)
	}
	mu.Lock()
	if len(seenIDs) != 2 || seenIDs[0] != 1 || seenIDs[1] != 2 {
		t.Errorf("upstream saw call ids %v, want the proxy's own 1, 2", seenIDs)
	}
	mu.Unlock()
	// Hostile input: garbage costs the message, not the connection.
	_ = consoleEnd.Send(ctx, []byte{1, 2, 3})
	if m, err := console.Call(ctx, 11, 1, nil); err != nil || !m.Success {
		t.Fatalf("call after garbage: %v", err)
	}
	consoleEnd.Close()
	proxyUpEnd.Close()
	if _, err := upPeer.Call(ctx, 1, 1, nil); err == nil {
		t.Error("call on a closed peer succeeded")
	}
	wg.Wait()
}
