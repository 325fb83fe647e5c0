package proxy

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/peer/peertest"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// rawCall sends one request on w as a peer numbering its calls its own
// way would, and returns the message that comes back.
func rawCall(t *testing.T, ctx context.Context, w peer.Wire, protocol uint16, method, id uint32, body []byte) *rmc.Message {
	t.Helper()
	if err := w.Send(ctx, rmc.NewRequest(protocol, method, id, body).Encode()); err != nil {
		t.Fatal(err)
	}
	b, err := w.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := rmc.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestForwardMapsCallIDs runs console → proxy → upstream over pipes:
// the upstream sees the proxy's own call ids, the console gets its own
// back, error responses included.
func TestForwardMapsCallIDs(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	consoleEnd, proxyConsoleEnd := peer.Pipe()
	proxyUpEnd, upstreamEnd := peer.Pipe()

	upstream := peertest.NewEcho(upstreamEnd)
	upPeer := peer.New(proxyUpEnd, nil, nil)
	sess := rpc.NewSession("t", "", rpc.LegAuth, netip.AddrPort{}, rmc.Settings{})
	d := &dispatcher{sess: sess, chain: newChain(chainEnd{name: record.HandlerUpstream, h: Forward(upPeer)}), rec: &recorder{}, log: zap.NewNop()}
	consolePeer := peer.New(proxyConsoleEnd, nil, d.serve)
	d.peer = consolePeer

	var wg sync.WaitGroup
	for _, p := range []*peer.Peer{upstream.Peer, upPeer, consolePeer} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
	}
	// The console numbers its calls differently.
	m := rawCall(t, ctx, consoleEnd, 11, 1, 1001, []byte("x"))
	if !m.Success || string(m.Body) != "ok:x" || m.CallID != 1001 {
		t.Fatalf("call: %+v", m)
	}
	m = rawCall(t, ctx, consoleEnd, 11, 2, 1002, nil)
	// The method of an error response is not on the wire (the peer
	// restores it; rmc/peer tests that).
	if m.Success || m.Error != 0x80030064 || m.CallID != 1002 {
		t.Fatalf("error call: %+v", m)
	}
	if ids := upstream.IDs(); len(ids) != 2 || ids[0] != 1 || ids[1] != 2 {
		t.Errorf("upstream saw call ids %v, want the proxy's own 1, 2", ids)
	}
	// Hostile input: garbage costs the message, not the connection.
	_ = consoleEnd.Send(ctx, []byte{1, 2, 3})
	if m := rawCall(t, ctx, consoleEnd, 11, 1, 1003, nil); !m.Success || m.CallID != 1003 {
		t.Fatalf("call after garbage: %+v", m)
	}
	consoleEnd.Close()
	proxyUpEnd.Close()
	if _, err := upPeer.Call(ctx, 1, 1, nil); err == nil {
		t.Error("call on a closed peer succeeded")
	}
	wg.Wait()
}

// TestFastPathToConsole: calls the server makes on the console cross the
// fast path: a notification (one-way) is passed on without waiting, a
// call gets the console's answer back under the server's call id, and
// the recorder sees both with the console as their handler.
func TestFastPathToConsole(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		serverEnd, proxyUpEnd := peer.Pipe()
		proxyConsoleEnd, consoleEnd := peer.Pipe()

		got := make(chan *rmc.Message, 4)
		var console *peer.Peer
		console = peer.New(consoleEnd, nil, func(ctx context.Context, m *rmc.Message) {
			got <- m
			if !rpc.OneWay(m.Protocol) {
				_ = console.Respond(ctx, m, &rpc.Reply{Body: []byte("pong")})
			}
		})
		consolePeer := peer.New(proxyConsoleEnd, nil, nil)
		sink := &callSink{}
		sess := rpc.NewSession("1", "", rpc.LegAuth, netip.AddrPort{}, rmc.Settings{})
		d := &dispatcher{sess: sess, dir: rpc.ToConsole, rec: newRecorder(sink, schema.Default(), nil), log: zap.NewNop()}
		upPeer := peer.New(proxyUpEnd, nil, d.serve)
		d.peer = upPeer
		// A chain whose walk answers nothing: the fast path must answer.
		d.chain = &chain{h: rpc.NotImplemented, end: forwardTo(record.HandlerConsole, consolePeer), fast: true}
		upPeer.SetFast(d.serveFast)
		var wg sync.WaitGroup
		for _, p := range []*peer.Peer{upPeer, consolePeer, console} {
			wg.Add(1)
			go func() { defer wg.Done(); _ = p.Run(ctx) }()
		}

		// The server numbers its calls its own way (from 500).
		if err := serverEnd.Send(ctx, rmc.NewRequest(14, 1, 501, []byte("event")).Encode()); err != nil {
			t.Fatal(err)
		}
		if m := <-got; m.Protocol != 14 || string(m.Body) != "event" {
			t.Errorf("notification: %+v", m)
		}
		synctest.Wait()
		if e := sink.last; e == nil || e.Protocol != 14 || e.Handler != record.HandlerConsole || e.Response != nil {
			t.Errorf("notification recorded as %+v", e)
		}
		m := rawCall(t, ctx, serverEnd, 0x7E4, 1, 502, []byte("ping"))
		if !m.Success || string(m.Body) != "pong" || m.CallID != 502 {
			t.Fatalf("call: %+v", m)
		}
		if m := <-got; m.CallID == 502 {
			t.Errorf("the console saw the server's call id %d, not the proxy's", m.CallID)
		}
		synctest.Wait()
		if e := sink.last; e == nil || e.CallID != 502 || e.ForwardedCallID == 0 || e.Handler != record.HandlerConsole {
			t.Errorf("call recorded as %+v", e)
		}
		_ = serverEnd.Close()
		_ = consoleEnd.Close()
		wg.Wait()
	})
}
