package rpc

import (
	"context"
	"errors"

	"github.com/nexproxy/nexproxy/rmc"
)

// Call is one RMC request walking a chain.
type Call struct {
	// Session is the console connection the call belongs to.
	Session *Session
	// Direction says who called whom.
	Direction Direction
	// Protocol and Method identify the method.
	Protocol uint16
	Method   uint32
	// CallID is the id the caller chose (for logs; links never reuse it
	// on another connection).
	CallID uint32
	// Body holds the request parameters; a link may replace it.
	Body []byte
}

// Reply is the answer to a call: a success with return values, or an error
// result.
type Reply struct {
	// Error is zero for success, else the result code (bit 31 set).
	Error rmc.Result
	// Body holds the return values of a success.
	Body []byte
}

// Success reports whether r is a success response.
func (r *Reply) Success() bool { return r.Error == 0 }

// ErrorReply builds an error answer; the error bit is forced on.
func ErrorReply(code rmc.Result) *Reply { return &Reply{Error: code | rmc.ResultErrorBit} }

// Handler serves calls. It returns the reply to send back, (nil, nil) for a
// one-way call that gets no answer, or an error when no answer can be made;
// the caller then answers with an error result derived from it (ResultOf).
type Handler interface {
	ServeRMC(ctx context.Context, c *Call) (*Reply, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, c *Call) (*Reply, error)

// ServeRMC calls f.
func (f HandlerFunc) ServeRMC(ctx context.Context, c *Call) (*Reply, error) { return f(ctx, c) }

// Link is one element of a chain: given the rest of the chain it returns a
// handler that answers a call itself, changes it and passes it on, or
// passes it untouched (and may change the reply on the way back).
type Link func(next Handler) Handler

// Chain builds links[0] → links[1] → ... → final; nil links are skipped.
func Chain(final Handler, links ...Link) Handler {
	h := final
	for i := len(links) - 1; i >= 0; i-- {
		if links[i] != nil {
			h = links[i](h)
		}
	}
	return h
}

// Sentinel errors handlers return to steer the caller.
var (
	// ErrDrop makes the session drop the call without any answer.
	ErrDrop = errors.New("rpc: call dropped")
	// ErrUpstreamGone means the upstream connection is closed or failed.
	ErrUpstreamGone = errors.New("rpc: upstream connection gone")
)

// ResultError is an error that carries the RMC result the caller should
// see. Services return it (usually through Fail) for every refusal that
// the protocol defines.
type ResultError struct {
	Result rmc.Result
	Err    error
}

func (e *ResultError) Error() string {
	if e.Err == nil {
		return "rpc: " + e.Result.String()
	}
	return "rpc: " + e.Result.String() + ": " + e.Err.Error()
}

// Unwrap exposes the cause.
func (e *ResultError) Unwrap() error { return e.Err }

// Fail returns the error that answers a call with result code r.
func Fail(r rmc.Result) error { return &ResultError{Result: r} }

// Failf is Fail with a cause for the logs (never sent to the console).
func Failf(r rmc.Result, cause error) error { return &ResultError{Result: r, Err: cause} }

// ResultOf maps a handler error to the result code the caller receives.
func ResultOf(err error) rmc.Result {
	var re *ResultError
	switch {
	case errors.As(err, &re):
		return re.Result | rmc.ResultErrorBit
	case errors.Is(err, ErrUpstreamGone):
		return rmc.ResultRendezVousConnectionFailure
	case errors.Is(err, context.DeadlineExceeded):
		return rmc.ResultCoreTimeout
	}
	return rmc.ResultCoreException
}

// NotImplemented is the end of a chain without upstream: every call that
// reached it is unknown.
var NotImplemented Handler = HandlerFunc(func(context.Context, *Call) (*Reply, error) {
	return ErrorReply(rmc.ResultCoreNotImplemented), nil
})

// OneWay reports whether calls of a protocol are never answered (rmc.md
// §1.3): notification events, Nintendo notifications, message delivery.
func OneWay(protocol uint16) bool {
	return protocol == 14 || protocol == 100 || protocol == 27
}
