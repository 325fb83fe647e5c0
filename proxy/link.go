package proxy

import (
	"context"

	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// LinkSpec describes one link of a chain: the name of whoever answers the
// calls it answers itself, which calls it acts on, and the link. From the
// descriptions of a chain's links the session derives both the chain a
// call walks and the fast path that forwards the calls no link blocks on
// without a goroutine waiting for the answer.
//
// A link is given either as a chain element (Link), or, when it never
// blocks and never answers by itself, as the two halves it runs around
// the rest of the chain (Request, Response): those run inline on the
// fast path. A LinkSpec with neither is no link at all.
type LinkSpec struct {
	// Name is who answered (record.CallEvent.Handler) when the link
	// answers a call itself: record.HandlerHook, HandlerBuiltin, ...
	Name string
	// Wants reports whether the link may act on c: answer it, change it
	// or change its answer. A link passes the calls it does not want on
	// untouched. Nil means every call, so that the fast path never takes
	// a call past a Link that cannot tell.
	Wants func(c *rpc.Call) bool
	// Link is the link as an element of the chain.
	Link rpc.Link
	// Request changes a call on its way in (c.Body). Response changes the
	// return values of a success on the way back: it returns the body to
	// answer with and true, or false to leave body as it is. (Bodies
	// rather than Replies, so that the fast path's answer stays off the
	// heap.) Neither may block. Calls the link does not want skip both.
	Request  func(c *rpc.Call)
	Response func(c *rpc.Call, body []byte) ([]byte, bool)
}

// present reports whether s describes a link.
func (s *LinkSpec) present() bool { return s.Link != nil || s.Request != nil || s.Response != nil }

// inline reports whether s is given by its halves.
func (s *LinkSpec) inline() bool { return s.Link == nil && s.present() }

// wants reports whether s acts on c.
func (s *LinkSpec) wants(c *rpc.Call) bool { return s.Wants == nil || s.Wants(c) }

// link is s as a chain element that records s.Name as the answerer of
// the calls it answers itself. A link given by its halves never answers
// by itself, so it needs no recording (and an idle session no wrapper).
func (s *LinkSpec) link() rpc.Link {
	if s.inline() {
		return func(next rpc.Handler) rpc.Handler { return &halves{s: s, next: next} }
	}
	inner := s.Link
	name := s.Name
	return func(next rpc.Handler) rpc.Handler {
		h := inner(next)
		return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
			r, err := h.ServeRMC(ctx, c)
			answered(ctx, name)
			return r, err
		})
	}
}

// halves runs a LinkSpec given by its halves as a chain element.
type halves struct {
	s    *LinkSpec
	next rpc.Handler
}

func (h *halves) ServeRMC(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
	if !h.s.wants(c) {
		return h.next.ServeRMC(ctx, c)
	}
	if h.s.Request != nil {
		h.s.Request(c)
	}
	r, err := h.next.ServeRMC(ctx, c)
	if err != nil || h.s.Response == nil || r == nil || r.Error != 0 {
		return r, err
	}
	if body, ok := h.s.Response(c, r.Body); ok {
		return &rpc.Reply{Body: body}, nil
	}
	return r, nil
}

// chainEnd is what answers the calls every link passed on.
type chainEnd struct {
	name string      // who answered: record.HandlerUpstream, ...
	h    rpc.Handler // the end itself
	to   *peer.Peer  // h is Forward(to); nil: it is not, and no fast path
}

// forwardTo is the chain end that forwards every call to to.
func forwardTo(name string, to *peer.Peer) chainEnd {
	return chainEnd{name: name, h: Forward(to), to: to}
}

// maxFastLinks is how many links a chain on the fast path may have: the
// links a call runs inline are a bit each.
const maxFastLinks = 64

// chain is what a dispatcher serves calls with: the Handler built from
// the links' descriptions and its end, and what the fast path needs of
// the same descriptions.
type chain struct {
	h     rpc.Handler
	links []LinkSpec // present links, in order
	end   chainEnd
	fast  bool // the end forwards and every link says what it wants or runs inline
}

// newChain builds links[0] → links[1] → ... → end; absent links are left
// out.
func newChain(end chainEnd, links ...LinkSpec) *chain {
	ch := &chain{end: end, fast: end.to != nil}
	var ls []rpc.Link
	for i := range links {
		if !links[i].present() {
			continue
		}
		ch.links = append(ch.links, links[i])
	}
	for i := range ch.links {
		s := &ch.links[i]
		ls = append(ls, s.link())
		if s.Wants == nil && !s.inline() {
			ch.fast = false
		}
	}
	if len(ch.links) > maxFastLinks {
		ch.fast = false
	}
	final := (&LinkSpec{Name: end.name, Link: func(rpc.Handler) rpc.Handler { return end.h }}).link()(nil)
	ch.h = rpc.Chain(final, ls...)
	return ch
}

// inlineFor tells how c may cross the fast path: the links whose halves
// it runs (bit i for links[i]), or false when a link that has to run on
// a worker wants it.
func (ch *chain) inlineFor(c *rpc.Call) (uint64, bool) {
	var run uint64
	for i := range ch.links {
		s := &ch.links[i]
		if !s.wants(c) {
			continue
		}
		if !s.inline() {
			return 0, false
		}
		run |= 1 << i
	}
	return run, true
}

// request runs the request halves of the links in run, in chain order.
func (ch *chain) request(c *rpc.Call, run uint64) {
	for i := range ch.links {
		if run&(1<<i) != 0 && ch.links[i].Request != nil {
			ch.links[i].Request(c)
		}
	}
}

// response runs the response halves of the links in run on a success,
// the innermost first, as the answer walks back; it returns r itself when
// none changed it.
func (ch *chain) response(c *rpc.Call, r *rpc.Reply, run uint64) *rpc.Reply {
	if r.Error != 0 {
		return r
	}
	body, changed := r.Body, false
	for i := len(ch.links) - 1; i >= 0; i-- {
		if run&(1<<i) != 0 && ch.links[i].Response != nil {
			if b, ok := ch.links[i].Response(c, body); ok {
				body, changed = b, true
			}
		}
	}
	if changed {
		return &rpc.Reply{Body: body}
	}
	return r
}

// answer is what only the chain knows of a call once it is answered: the
// name of the link (or end) that answered and the id the forwarded copy
// carried. It travels in the context rather than in Call so that a link
// building a fresh Call for the rest of the chain does not lose it.
type answer struct {
	by        string
	forwarded uint32
	changed   *Changed // what links reported changing (NoteChanged); nil: nothing
}

// Changed is what a link reports of a call it changed, for the session
// logs (NoteChanged): who changed it, what it passed on instead of what
// it received, and the answer it received before it changed that.
type Changed struct {
	// By names who made the change: the hooks' script files.
	By []string
	// Sent is the body the link passed on in place of the request it
	// received, when SentSet.
	Sent    []byte
	SentSet bool
	// Received is the answer the link got from the rest of the chain
	// before it replaced it; nil when the answer was not changed.
	Received *rpc.Reply
}

// NoteChanged records, for the session log of the call being served on
// ctx, that a link changed the call: a link that passes a changed copy of
// the call on, or changes or makes its answer, reports it here. Several
// reports add up (the names in order, the latest Sent, the innermost
// Received). Outside a chain it does nothing.
func NoteChanged(ctx context.Context, ch Changed) {
	a := answerOf(ctx)
	if a == nil {
		return
	}
	if a.changed == nil {
		a.changed = &Changed{}
	}
	c := a.changed
	c.By = append(c.By, ch.By...)
	if ch.SentSet {
		c.Sent, c.SentSet = ch.Sent, true
	}
	if ch.Received != nil && c.Received == nil {
		c.Received = ch.Received
	}
}

type answerKey struct{}

func withAnswer(ctx context.Context, a *answer) context.Context {
	return context.WithValue(ctx, answerKey{}, a)
}

func answerOf(ctx context.Context) *answer {
	a, _ := ctx.Value(answerKey{}).(*answer)
	return a
}

// answered names the answerer of the call unless a link further down the
// chain already answered it: links return inside out, so the first to
// name itself is the one that made the answer.
func answered(ctx context.Context, name string) {
	if a := answerOf(ctx); a != nil && a.by == "" {
		a.by = name
	}
}
