// Package record is what nexproxy keeps of its sessions: the Recorder
// interface the proxy reports connections, logins, calls, messages and
// the hooks' log lines to, and its implementations: File (session logs
// and pcapng captures, written off the packet path), Zap (the process
// log) and Multi (a fan-out). The formats are sessionlog's and pcapng's.
package record

import (
	"net/netip"
	"time"

	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// Recorder receives what a session log shows: connections, logins and
// every call, decoded.
type Recorder interface {
	// Connect reports a console connection; upstream is the upstream
	// address ("" in local mode or when unreachable).
	Connect(s *rpc.Session, upstream string)
	// Login reports a login on the authentication leg and how its secure
	// leg is handled: ModeLocal, ModeIntercepted, ModeBlindRelay or
	// ModeRelayDecoded. A secure session relayed decoded reports its mode
	// the same way on its own session.
	Login(s *rpc.Session, pid uint64, mode string)
	// Call reports one call and its answer.
	Call(s *rpc.Session, e *CallEvent)
	// Disconnect reports the end of a connection.
	Disconnect(s *rpc.Session, err error)
}

// ValueRecorder is a Recorder that tells whether it reads the decoded
// parameters and return values of calls (CallEvent.Request and Response).
// Decoding them costs more than the rest of a forwarded call, so a
// recorder that only counts or names calls implements it and answers
// false; a Recorder without the method gets them decoded.
type ValueRecorder interface {
	Recorder
	// WantsValues reports whether Call reads Request and Response; it is
	// asked once, when the server is made.
	WantsValues() bool
}

// CallFilter is a Recorder that does not always read calls (Zap reads
// them only while its logger logs at debug level): the server builds no
// CallEvent while WantsCalls is false. It is asked on every call, so it
// must be cheap; a Recorder without the method gets every call.
type CallFilter interface {
	Recorder
	WantsCalls() bool
}

// WantsCalls reports whether r reads calls now: false only for a nil
// Recorder and a CallFilter that says so.
func WantsCalls(r Recorder) bool {
	if r == nil {
		return false
	}
	if f, ok := r.(CallFilter); ok {
		return f.WantsCalls()
	}
	return true
}

// WantsValues reports whether r reads decoded calls: false only for a
// ValueRecorder that says so.
func WantsValues(r Recorder) bool {
	if r == nil {
		return false
	}
	if vr, ok := r.(ValueRecorder); ok {
		return vr.WantsValues()
	}
	return true
}

// Login modes (Recorder.Login), as the session logs spell them.
const (
	// ModeLocal: nexproxy's built-in authentication logged the user in.
	ModeLocal = sessionlog.ModeLocal
	// ModeIntercepted: the upstream ticket was opened and reissued, so the
	// secure leg is decrypted.
	ModeIntercepted = sessionlog.ModeIntercepted
	// ModeBlindRelay: the password is unknown; the secure leg is relayed
	// without decryption.
	ModeBlindRelay = sessionlog.ModeBlindRelay
	// ModeRelayDecoded: the key is unknown but the secure leg is not
	// encrypted (PRUDPLite): its CONNECT is passed to the upstream
	// unchanged and its calls are decoded, logged and hookable.
	ModeRelayDecoded = sessionlog.ModeRelayDecoded
)

// Handlers that can answer a call (CallEvent.Handler): the names the
// chain's links give themselves, as the session logs show them.
const (
	// HandlerHook: a Lua hook answered (or dropped) the call itself.
	HandlerHook = "hook"
	// HandlerBuiltin: nexproxy's built-in handlers answered (local mode,
	// or a method no handler knows).
	HandlerBuiltin = "builtin"
	// HandlerUpstream: the call was forwarded to the upstream server.
	HandlerUpstream = "upstream"
	// HandlerConsole: a call of the server was forwarded to the console.
	HandlerConsole = "console"
)

// CallEvent is one call as the console saw it.
type CallEvent struct {
	Direction rpc.Direction
	Protocol  uint16
	Method    uint32
	// CallID is the id the caller chose (the console's for ToServer, the
	// upstream's for ToConsole).
	CallID uint32
	// ForwardedCallID is the id the call carried on the other side when it
	// was forwarded (0 when it was answered without forwarding or the
	// forwarded copy got no answer).
	ForwardedCallID uint32
	// Handler names the link that answered: HandlerHook, HandlerBuiltin,
	// HandlerUpstream or HandlerConsole ("" when unknown).
	Handler string
	// Dropped is true when a hook dropped the call (no answer was sent).
	Dropped      bool
	ProtocolName string
	MethodName   string
	// Request and Response are the decoded parameters and return values
	// (KindRaw when the method is not described); Response is nil for an
	// error, a one-way call or a dropped call. They are only decoded for
	// a recorder whose WantsValues is true.
	Request  *schema.Value
	Response *schema.Value
	// RequestBody and ResponseBody are the same as the raw bodies, always
	// set: ResponseBody is non-nil exactly when Response would be. They
	// are only valid during Call; a recorder that decodes them later (on
	// a goroutine of its own, off the packet path) copies them.
	RequestBody  []byte
	ResponseBody []byte
	// Error is the error result returned, 0 on success.
	Error rmc.Result
	// Duration is the time the chain took.
	Duration time.Duration
	// Err is a handler failure, if any.
	Err error
	// Registry describes the protocols of the call's game (its variants
	// selected); nil means the recorder's own.
	Registry *schema.Registry

	// What a link (a Lua hook) changed; all zero for a call nothing
	// changed. Request, Response and their bodies stay what the caller
	// sent and got.
	//
	// ChangedBy names who changed the call or decided its answer (the
	// hooks' script files).
	ChangedBy []string
	// SentBody is the request as it was passed on in place of the
	// caller's (upstream, or to the console for a server's call), nil
	// when unchanged; Sent is it decoded (only for a recorder whose
	// WantsValues is true).
	SentBody []byte
	Sent     *schema.Value
	// Received is the answer as the changing link got it before it
	// replaced it (nil when the answer was not changed): ReceivedBody
	// non-nil for a success, ReceivedError for an error; ReceivedValue
	// decodes ReceivedBody (only for a recorder whose WantsValues is
	// true).
	Received      bool
	ReceivedBody  []byte
	ReceivedError rmc.Result
	ReceivedValue *schema.Value
}

// ScriptRecorder is a Recorder that also wants the lines Lua hooks log
// (nex.log, print) while they run for a session.
type ScriptRecorder interface {
	Recorder
	// Script reports one line: the hook's script, its level ("debug",
	// "info", "warn", "error") and text. It is called on the goroutine
	// the hook runs on and must not block.
	Script(s *rpc.Session, script, level, text string)
}

// MessageRecorder is a Recorder that also wants every RMC message as it
// crosses either side, decrypted and reassembled (packet captures).
type MessageRecorder interface {
	Recorder
	// Message reports one message; it is called on the connection's
	// goroutines and must not block.
	Message(s *rpc.Session, e *MessageEvent)
}

// MessageEvent is one RMC message on the wire.
type MessageEvent struct {
	// Time is when the message was sent or received.
	Time time.Time
	// Upstream is true on the connection between nexproxy and the upstream server.
	Upstream bool
	// Src and Dst are the endpoints the message travelled between.
	Src, Dst netip.AddrPort
	// Message is the parsed message; Encode gives its bytes.
	Message *rmc.Message
	// ProtocolName and MethodName name the method (numbers when the schema
	// does not describe it).
	ProtocolName, MethodName string
	// Registry describes the protocols of the session's game (its variants
	// selected); nil means none is selected.
	Registry *schema.Registry
}
