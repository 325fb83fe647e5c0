package builtin_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/utility"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// idServer is the smallest typed service: one method, no state.
type idServer struct{ next uint64 }

func (s *idServer) AcquireNexUniqueId(context.Context, *rpc.Call, *utility.AcquireNexUniqueIdRequest) (*utility.AcquireNexUniqueIdResponse, error) {
	s.next++
	return &utility.AcquireNexUniqueIdResponse{UniqueID: s.next}, nil
}

// BenchmarkBuiltinDispatch compares what a built-in call costs through the
// typed mux (method lookup, typed decode, the server's method, typed
// encode) with the hand-written dispatch the built-in handlers used before
// (a protocol and method switch, rmc.Reader and rmc.Writer by hand), for
// the same method, answered the same way. The difference is what the mux
// adds to a call (target: at most 100 ns).
//
//	go test ./proxy/builtin -run XXX -bench BuiltinDispatch -benchmem
func BenchmarkBuiltinDispatch(b *testing.B) {
	s := rmc.Settings{NEXVersion: 30504, PIDSize: 4, StructHeader: true}
	sess := rpc.NewSession("b", "g", rpc.LegSecure, netip.AddrPort{}, s)
	next := rpc.NotImplemented
	call := func() *rpc.Call {
		return &rpc.Call{Session: sess, Protocol: utility.ProtocolID, Method: utility.MethodAcquireNexUniqueId}
	}
	b.Run("hand", func(b *testing.B) {
		var n uint64
		h := rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
			if c.Protocol != utility.ProtocolID || c.Method != utility.MethodAcquireNexUniqueId || c.Direction != rpc.ToServer {
				return next.ServeRMC(ctx, c)
			}
			if rmc.NewReader(c.Body, c.Session.Settings).Remaining() != 0 {
				return rpc.ErrorReply(rmc.ResultCoreInvalidArgument), nil
			}
			n++
			w := rmc.NewWriter(c.Session.Settings)
			w.U64(n)
			return &rpc.Reply{Body: w.Bytes()}, nil
		})
		b.ReportAllocs()
		for b.Loop() {
			if r, err := h.ServeRMC(context.Background(), call()); err != nil || len(r.Body) != 8 {
				b.Fatal(r, err)
			}
		}
	})
	b.Run("typed-mux", func(b *testing.B) {
		m := rpc.NewMux()
		if err := utility.Register(m, "utility", &idServer{}); err != nil {
			b.Fatal(err)
		}
		h := m.Link()(next)
		b.ReportAllocs()
		for b.Loop() {
			if r, err := h.ServeRMC(context.Background(), call()); err != nil || len(r.Body) != 8 {
				b.Fatal(r, err)
			}
		}
	})
}
