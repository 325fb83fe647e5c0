package proxy

import (
	"context"
	"testing"

	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// TestChainFromSpecs: the fast path is derived from the links'
// descriptions (a Link that cannot tell what it wants keeps every call on
// the workers; a call a Link wants walks the chain; inline halves run in
// chain order on the way in and inside out on the way back), and the
// session log's "who answered" is the name of the link that answered.
func TestChainFromSpecs(t *testing.T) {
	to := peer.New(nil, nil, nil)
	var order []string
	answering := func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
			if c.Method == 1 {
				return &rpc.Reply{Body: []byte("mine")}, nil
			}
			return next.ServeRMC(ctx, c)
		})
	}
	half := func(name string) LinkSpec {
		return LinkSpec{Name: name,
			Request:  func(*rpc.Call) { order = append(order, name+">") },
			Response: func(*rpc.Call, []byte) ([]byte, bool) { order = append(order, "<"+name); return nil, false }}
	}
	if ch := newChain(forwardTo("end", to), LinkSpec{Name: "blind", Link: answering}); ch.fast {
		t.Error("a link without Wants left the fast path open")
	}
	if ch := newChain(chainEnd{name: "end", h: rpc.NotImplemented}, half("a")); ch.fast {
		t.Error("a chain that does not forward has a fast path")
	}
	ch := newChain(forwardTo("end", to),
		LinkSpec{},
		LinkSpec{Name: "mine", Wants: func(c *rpc.Call) bool { return c.Method == 1 }, Link: answering},
		half("a"), half("b"))
	if !ch.fast || len(ch.links) != 3 {
		t.Fatalf("fast %v with %d links, want a fast chain of 3 (the empty spec left out)", ch.fast, len(ch.links))
	}
	if _, ok := ch.inlineFor(&rpc.Call{Method: 1}); ok {
		t.Error("a call a rpc.Link wants may take the fast path")
	}
	run, ok := ch.inlineFor(&rpc.Call{Method: 2})
	if !ok || run != 0b110 {
		t.Fatalf("inline links %b (%v), want a and b", run, ok)
	}
	c := &rpc.Call{Method: 2}
	ch.request(c, run)
	ch.response(c, &rpc.Reply{}, run)
	if got := order; len(got) != 4 || got[0] != "a>" || got[1] != "b>" || got[2] != "<b" || got[3] != "<a" {
		t.Errorf("halves ran as %v", got)
	}

	// Who answered: the link that made the answer, else the end.
	local := newChain(chainEnd{name: "end", h: rpc.NotImplemented},
		LinkSpec{Name: "mine", Wants: func(c *rpc.Call) bool { return c.Method == 1 }, Link: answering}, half("a"))
	for method, want := range map[uint32]string{1: "mine", 2: "end"} {
		a := &answer{}
		if _, err := local.h.ServeRMC(withAnswer(context.Background(), a), &rpc.Call{Method: method}); err != nil {
			t.Fatal(err)
		}
		if a.by != want {
			t.Errorf("method %d answered by %q, want %q", method, a.by, want)
		}
	}
}
