package scripts

import (
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// Direction says which side initiated a call: hooks for console calls and
// for server calls are registered separately (nex.on_request versus
// nex.on_server_request), because the same protocol id can carry unrelated
// methods in the two directions (notifications, NAT probes).
type Direction uint8

const (
	// ConsoleToServer is a call made by the console; its response travels
	// from the server (or a built-in handler) back to the console.
	ConsoleToServer Direction = iota
	// ServerToConsole is a call made by the server (notifications, probe
	// requests); its response travels from the console to the server.
	ServerToConsole
)

// String returns "console" or "server" (the initiating side), the spelling
// scripts see in call.direction.
func (d Direction) String() string {
	if d == ServerToConsole {
		return "server"
	}
	return "console"
}

// Call is one RMC request or response as hooks see it. The proxy fills what
// it knows; everything but Protocol, Method and CallID may be zero.
type Call struct {
	// Game is the game profile name (config.toml), for hooks that serve
	// several games.
	Game string
	// PID is the console user's principal id (0 before login).
	PID uint64
	// ConnID is the proxy's id of the console connection.
	ConnID uint64
	// Protocol and Method are the RMC ids.
	Protocol uint16
	Method   uint32
	// ProtocolName and MethodName are the schema names ("" when unknown);
	// the engine fills them from its registry when they are empty.
	ProtocolName, MethodName string
	// CallID is the RMC call id on the leg the message was received on.
	CallID uint32
	// Direction tells who initiated the call.
	Direction Direction
	// Settings are the game's RMC settings. With a non-zero PIDSize the
	// engine can decode Body lazily (only when a hook reads call.params)
	// and encode changed parameters and answers to bytes itself; without
	// them it can only hand back value trees.
	Settings rmc.Settings
	// Params is the decoded request parameters or response values, or nil
	// when the proxy did not decode them (the engine then decodes Body on
	// demand) or the method is not described.
	Params *schema.Value
	// Body is the raw parameter bytes (after the RMC header).
	Body []byte
	// Result is the response's result: 0 for a success response,
	// the error code (bit 31 set) for an error response. Unused for requests.
	Result rmc.Result
	// Session is the console connection's session, or nil.
	Session *Session
}

// Action is what the proxy does with a call after its hooks ran.
type Action uint8

const (
	// Continue passes the call on (with the changes in the Verdict, if any).
	Continue Action = iota
	// Answer returns a success response to the caller without passing the
	// call on; for a response hook, the response is replaced.
	Answer
	// Fail returns an error response with Verdict.Error to the caller (or
	// turns a response into that error).
	Fail
	// Drop discards the message: no response, nothing forwarded.
	Drop
)

// String returns the action name for logs.
func (a Action) String() string {
	switch a {
	case Answer:
		return "answer"
	case Fail:
		return "fail"
	case Drop:
		return "drop"
	}
	return "continue"
}

// Verdict is the outcome of a call's hooks.
//
// For Continue, Body non-nil means "forward these bytes instead of the
// received body"; it is set whenever a hook changed the parameters and the
// engine could encode them (Call.Settings given), or replaced call.body.
// Params non-nil means the parameters changed; it is the new tree, for logs,
// or for the proxy to encode when Body is nil (no settings). Unchanged
// subtrees are shared with Call.Params: treat both as read-only.
//
// For Answer, ResponseBody is the encoded success body (always set when the
// engine could encode it; nex.answer_raw sets only it) and Response the
// tree it came from. For Fail, Error is the result with bit 31 set.
//
// ChangedBy names, in the order they ran, the script files whose hooks
// changed the call or decided the verdict (for session logs); nil when
// no hook changed anything.
type Verdict struct {
	Action       Action
	Params       *schema.Value
	Body         []byte
	Response     *schema.Value
	ResponseBody []byte
	Error        rmc.Result
	ChangedBy    []string
}

// Changed reports whether the proxy has to do anything but pass the
// message on unchanged.
func (v Verdict) Changed() bool {
	return v.Action != Continue || v.Params != nil || v.Body != nil
}

// Event is a connection event (OnConnect, OnLogin, OnDisconnect).
type Event struct {
	// Game is the game profile name.
	Game string
	// PID is the user's principal id (0 on connect before login).
	PID uint64
	// ConnID is the proxy's id of the console connection.
	ConnID uint64
	// Mode is how the proxy handles the session: "intercepted" (keys
	// known), "blind-relay" (the secure leg is relayed unread), "relay-decoded"
	// (Switch without a key: relayed through nexproxy, readable) or "local"
	// (no upstream).
	Mode string
	// Addr is the console's address ("ip:port").
	Addr string
	// Session is the connection's session, or nil.
	Session *Session
}
