// Package utility is nexproxy's built-in Utility protocol (110). For now it
// hands out NEX unique ids; the other methods pass on (NotImplemented).
package utility

import (
	"context"
	"sync/atomic"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Protocol is the Utility protocol id.
const Protocol = 110

// MethodAcquireNexUniqueID returns a fresh u64 id.
const MethodAcquireNexUniqueID = 1

type handler struct {
	next rpc.Handler
	ids  *atomic.Uint64
}

// New is the proxy.Builtin of the Utility protocol. Ids are unique per
// process and game; they start high so they never collide with small
// hand-written ids.
func New(*proxy.Env) (rpc.Link, error) {
	ids := new(atomic.Uint64)
	ids.Store(1 << 44)
	return func(next rpc.Handler) rpc.Handler { return &handler{next: next, ids: ids} }, nil
}

// ServeRMC answers AcquireNexUniqueId and passes everything else on.
func (h *handler) ServeRMC(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
	if c.Protocol != Protocol || c.Method != MethodAcquireNexUniqueID || c.Direction != rpc.ToServer {
		return h.next.ServeRMC(ctx, c)
	}
	w := rmc.NewWriter(c.Session.Settings)
	w.U64(h.ids.Add(1))
	return &rpc.Reply{Body: w.Bytes()}, nil
}
