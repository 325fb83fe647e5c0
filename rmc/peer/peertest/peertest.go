// Package peertest has test doubles for code that talks RMC through a
// peer.Peer: the proxy's tests, and those of the built-in services.
package peertest

import (
	"context"
	"sync"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// EchoError is the error Echo answers method 2 with.
const EchoError rmc.Result = 0x00030064

// Echo is a server peer that answers every call with "ok:" and the call's
// body, except method 2, which it answers with EchoError, and remembers
// the call ids it was sent.
type Echo struct {
	*peer.Peer
	mu  sync.Mutex
	ids []uint32
}

// NewEcho returns an Echo serving on w; run it with Run.
func NewEcho(w peer.Wire) *Echo {
	e := &Echo{}
	e.Peer = peer.New(w, nil, e.serve)
	return e
}

func (e *Echo) serve(ctx context.Context, m *rmc.Message) {
	e.mu.Lock()
	e.ids = append(e.ids, m.CallID)
	e.mu.Unlock()
	r := &rpc.Reply{Body: append([]byte("ok:"), m.Body...)}
	if m.Method == 2 {
		r = rpc.ErrorReply(EchoError)
	}
	_ = e.Respond(ctx, m, r)
}

// IDs returns the call ids of the calls served so far, in order.
func (e *Echo) IDs() []uint32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]uint32(nil), e.ids...)
}
