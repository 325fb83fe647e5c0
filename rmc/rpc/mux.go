package rpc

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/nexproxy/nexproxy/rmc"
)

// Caller sends a request and waits for its answer. Generated protocol
// clients call servers through it; a prudp-backed RMC peer is one.
type Caller interface {
	Call(ctx context.Context, protocol uint16, method uint32, body []byte) (*rmc.Message, error)
}

// MethodFunc answers one method: generated protocol packages make one per
// method of a typed server (decode the request, call the server, encode
// the answer). Returning ErrPass hands the call to the rest of the chain.
type MethodFunc func(ctx context.Context, c *Call) (*Reply, error)

// ErrPass, returned by a MethodFunc, passes the call on to the next link
// as if the method were not served (a method a service serves for some NEX
// versions only, for example).
var ErrPass = errors.New("rpc: call passed on")

// Mux routes console calls by (protocol, method) to the methods
// registered on it and passes every other call to the next link. It is
// built before the first call and read-only after: concurrent use needs
// no locks.
type Mux struct {
	m map[uint64]muxEntry
}

type muxEntry struct {
	fn      MethodFunc
	service string
}

func muxKey(protocol uint16, method uint32) uint64 { return uint64(protocol)<<32 | uint64(method) }

// NewMux returns an empty mux.
func NewMux() *Mux { return &Mux{m: map[uint64]muxEntry{}} }

// Handle registers fn for one method on behalf of service (named in errors
// and in the session logs' "who answered"). A method has one owner: a
// second registration is an error naming both services.
func (m *Mux) Handle(service string, protocol uint16, method uint32, fn MethodFunc) error {
	k := muxKey(protocol, method)
	if e, ok := m.m[k]; ok {
		return fmt.Errorf("rpc: method %d/%d is served by %s and %s", protocol, method, e.service, service)
	}
	m.m[k] = muxEntry{fn: fn, service: service}
	return nil
}

// Serves reports whether a console call of protocol/method is answered by
// the mux rather than passed on.
func (m *Mux) Serves(protocol uint16, method uint32) bool {
	_, ok := m.m[muxKey(protocol, method)]
	return ok
}

// ServiceOf names the service that serves protocol/method, "" for none.
func (m *Mux) ServiceOf(protocol uint16, method uint32) string {
	return m.m[muxKey(protocol, method)].service
}

// Len is the number of methods served.
func (m *Mux) Len() int { return len(m.m) }

// Methods lists the served methods as protocol<<32|method keys, sorted.
func (m *Mux) Methods() []uint64 {
	out := make([]uint64, 0, len(m.m))
	for k := range m.m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Link puts the mux in a chain: console calls of a served method are
// answered by it, everything else (and whatever a method passes with
// ErrPass) goes to next.
func (m *Mux) Link() Link {
	return func(next Handler) Handler { return &muxHandler{m: m.m, next: next} }
}

type muxHandler struct {
	m    map[uint64]muxEntry
	next Handler
}

func (h *muxHandler) ServeRMC(ctx context.Context, c *Call) (*Reply, error) {
	if c.Direction == ToServer {
		if e, ok := h.m[muxKey(c.Protocol, c.Method)]; ok {
			r, err := e.fn(ctx, c)
			if !errors.Is(err, ErrPass) {
				return r, err
			}
		}
	}
	return h.next.ServeRMC(ctx, c)
}

// Answer turns what a typed method returned into the reply: an encoded
// success body, or the error result of err.
func Answer(body []byte, err error) (*Reply, error) {
	if err != nil {
		var re *ResultError
		if errors.As(err, &re) {
			return ErrorReply(re.Result), nil
		}
		return nil, err
	}
	return &Reply{Body: body}, nil
}
