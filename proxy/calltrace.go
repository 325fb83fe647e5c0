package proxy

import "context"

// callTrace collects, while a call walks its chain, what only the links
// know: who answered and which id the forwarded copy carried. It travels
// in the context rather than in Call so that a link building a fresh Call
// for the rest of the chain does not lose it.
type callTrace struct {
	handler   string
	forwarded uint32
}

type callTraceKey struct{}

func withCallTrace(ctx context.Context, t *callTrace) context.Context {
	return context.WithValue(ctx, callTraceKey{}, t)
}

func callTraceOf(ctx context.Context) *callTrace {
	t, _ := ctx.Value(callTraceKey{}).(*callTrace)
	return t
}

// answered marks kind as the handler of the call unless a link further
// down the chain already answered it: links return inside out, so the
// first to mark is the one that made the answer.
func answered(ctx context.Context, kind string) {
	if t := callTraceOf(ctx); t != nil && t.handler == "" {
		t.handler = kind
	}
}

// tagLink attributes the answers l makes itself (without the rest of the
// chain) to kind.
func tagLink(kind string, l Link) Link {
	if l == nil {
		return nil
	}
	return func(next Handler) Handler {
		h := l(next)
		return HandlerFunc(func(ctx context.Context, c *Call) (*Reply, error) {
			r, err := h.ServeRMC(ctx, c)
			answered(ctx, kind)
			return r, err
		})
	}
}

// tagLinks applies tagLink to every link.
func tagLinks(kind string, links []Link) []Link {
	out := make([]Link, len(links))
	for i, l := range links {
		out[i] = tagLink(kind, l)
	}
	return out
}

// tagFinal attributes the answers of a chain end to kind.
func tagFinal(kind string, h Handler) Handler {
	return HandlerFunc(func(ctx context.Context, c *Call) (*Reply, error) {
		r, err := h.ServeRMC(ctx, c)
		answered(ctx, kind)
		return r, err
	})
}
