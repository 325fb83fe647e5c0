package proxy

import (
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// The call contract lives in rmc/rpc, below both the proxy and the
// protocol packages; these names keep the proxy's own spelling of it.
type (
	// Direction says which way a call travels.
	Direction = rpc.Direction
	// Leg names the connection a call arrived on.
	Leg = rpc.Leg
	// Session describes the console connection a call belongs to.
	Session = rpc.Session
	// Call is one RMC request walking a chain.
	Call = rpc.Call
	// Reply is the answer to a call.
	Reply = rpc.Reply
	// Handler serves calls.
	Handler = rpc.Handler
	// HandlerFunc adapts a function to Handler.
	HandlerFunc = rpc.HandlerFunc
	// Link is one element of a chain.
	Link = rpc.Link
	// ResultError is an error that carries the RMC result the console sees.
	ResultError = rpc.ResultError
)

// Directions and legs.
const (
	ToServer  = rpc.ToServer
	ToConsole = rpc.ToConsole
	LegAuth   = rpc.LegAuth
	LegSecure = rpc.LegSecure
)

// Sentinel errors handlers return to steer the session.
var (
	ErrDrop         = rpc.ErrDrop
	ErrUpstreamGone = rpc.ErrUpstreamGone
)

// ErrorReply builds an error answer; the error bit is forced on.
func ErrorReply(code rmc.Result) *Reply { return rpc.ErrorReply(code) }

// Chain builds links[0] → links[1] → ... → final.
func Chain(final Handler, links ...Link) Handler { return rpc.Chain(final, links...) }

// ResultOf maps a handler error to the result code the caller receives.
func ResultOf(err error) rmc.Result { return rpc.ResultOf(err) }

// NotImplemented is the end of a chain without upstream.
var NotImplemented = rpc.NotImplemented

// oneWay reports whether calls of a protocol are never answered (rmc.md
// §1.3): notification events, Nintendo notifications, message delivery.
func oneWay(protocol uint16) bool { return rpc.OneWay(protocol) }
