package peer_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/peer/peertest"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// TestPeerCallMatchesResponses: a peer numbers its calls from 1, matches
// each response to its call, restores the method an error response
// leaves out, survives garbage, and fails calls once its connection is
// gone.
func TestPeerCallMatchesResponses(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	clientEnd, serverEnd := peer.Pipe()
	server := peertest.NewEcho(serverEnd)
	client := peer.New(clientEnd, nil, nil)
	var wg sync.WaitGroup
	for _, p := range []*peer.Peer{server.Peer, client} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = p.Run(ctx) }()
	}
	m, err := client.Call(ctx, 11, 1, []byte("x"))
	if err != nil || !m.Success || string(m.Body) != "ok:x" || m.CallID != 1 {
		t.Fatalf("call: %v %+v", err, m)
	}
	m, err = client.Call(ctx, 11, 2, nil)
	if err != nil || m.Success || m.Method != 2 || m.Error != 0x80030064 || m.CallID != 2 {
		t.Fatalf("error call: %v %+v", err, m)
	}
	if r := peer.ReplyOf(m); r.Error != 0x80030064 || r.Success() {
		t.Errorf("ReplyOf(error) = %+v", r)
	}
	// Hostile input: garbage costs the message, not the connection.
	_ = clientEnd.Send(ctx, []byte{1, 2, 3})
	if m, err := client.Call(ctx, 11, 1, nil); err != nil || !m.Success {
		t.Fatalf("call after garbage: %v", err)
	}
	if seen := server.IDs(); len(seen) != 3 || seen[0] != 1 || seen[1] != 2 || seen[2] != 3 {
		t.Errorf("server saw call ids %v, want 1, 2, 3", seen)
	}
	_ = clientEnd.Close()
	wg.Wait()
	if _, err := client.Call(ctx, 1, 1, nil); !errors.Is(err, rpc.ErrUpstreamGone) {
		t.Errorf("call on a stopped peer: %v, want ErrUpstreamGone", err)
	}
	<-client.Done()
	if err := client.Err(); !errors.Is(err, peer.ErrPipeClosed) {
		t.Errorf("Err = %v, want the pipe's end", err)
	}
}
