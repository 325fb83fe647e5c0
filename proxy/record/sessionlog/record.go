package sessionlog

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Format is the header's "format" value that marks a session log.
const Format = "nexproxy-session-log"

// Version is the major format version this package writes and reads.
const Version = 1

// Event types (Record.Type).
const (
	TypeHeader = "header"
	TypeOpen   = "open"
	TypeClose  = "close"
	TypeLogin  = "login"
	TypeCall   = "call"
	TypeScript = "script"
	TypeNote   = "note"
)

// Sides of a proxied session (Record.Side).
const (
	// SideConsole is the connection between the console and nexproxy.
	SideConsole = "console"
	// SideUpstream is the connection nexproxy opened to the upstream server.
	SideUpstream = "upstream"
)

// Login modes (Record.Mode).
const (
	// ModeIntercepted: nexproxy knew the password (or, on Switch, saw the
	// key) and decrypts the secure connection.
	ModeIntercepted = "intercepted"
	// ModeBlindRelay: the password is unknown; the secure connection is
	// relayed without decryption and only connection events are logged.
	ModeBlindRelay = "blind-relay"
	// ModeLocal: nexproxy itself authenticated the user (no upstream).
	ModeLocal = "local"
	// ModeRelayDecoded: the key is unknown, but the secure connection
	// carries no encryption (PRUDPLite, Switch): nexproxy relays the
	// console's CONNECT to the upstream unchanged and its calls decoded
	// (logged and hookable) on connections of its own.
	ModeRelayDecoded = "relay-decoded"
)

// Call directions (Record.Dir).
const (
	// DirConsole marks a call the console made (a request towards the
	// server).
	DirConsole = "c2s"
	// DirServer marks a call the server made to the console
	// (notifications, NAT probes).
	DirServer = "s2c"
)

// Handlers that can answer a call (Record.Handler).
const (
	HandlerHook     = "hook"
	HandlerBuiltin  = "builtin"
	HandlerUpstream = "upstream"
	// HandlerConsole answers calls the server makes to the console.
	HandlerConsole = "console"
)

// Record is one line of a session log. Type selects which fields matter;
// the others stay zero and are left out of the JSON.
type Record struct {
	// Type is one of the Type* constants.
	Type string `json:"type"`
	// Time is when the event happened (for a call: when the request
	// arrived). The Writer fills it in when zero.
	Time time.Time `json:"time"`

	// Header fields.
	Format  string `json:"format,omitempty"`
	Version int    `json:"version,omitempty"`
	Program string `json:"program,omitempty"` // "nexproxy 1.2.0"
	Session string `json:"session,omitempty"` // the console connection id the file is named after
	Secrets bool   `json:"secrets,omitempty"` // secrets were written unredacted

	// Common to connection, login and call events.
	Game string `json:"game,omitempty"`
	Conn string `json:"conn,omitempty"` // connection id
	// Side is SideConsole or SideUpstream. Its key is "leg", as the
	// format has always spelt it; in the code a leg is the
	// authentication or secure connection (rpc.Leg).
	Side string `json:"leg,omitempty"`

	// Open and close.
	Local  string `json:"local,omitempty"`  // nexproxy's address on this connection
	Remote string `json:"remote,omitempty"` // the peer's address
	PRUDP  string `json:"prudp,omitempty"`  // wire format, e.g. "v1 minor 4", "lite"
	Server string `json:"server,omitempty"` // "auth" or "secure"
	Reason string `json:"reason,omitempty"` // why the connection closed

	// Login.
	PID      uint64 `json:"pid,omitempty"`
	Username string `json:"username,omitempty"`
	Mode     string `json:"mode,omitempty"` // Mode* constants

	// Call.
	Dir        string `json:"dir,omitempty"`         // DirConsole or DirServer
	Protocol   string `json:"protocol,omitempty"`    // "" when the schema does not know it
	ProtocolID uint16 `json:"protocol_id,omitempty"` //
	Method     string `json:"method,omitempty"`      // "" when the schema does not know it
	MethodID   uint32 `json:"method_id,omitempty"`   //
	CallID     uint32 `json:"call_id,omitempty"`     // on Side
	// UpstreamCallID is the id the same call carried on the upstream connection.
	UpstreamCallID uint32 `json:"upstream_call_id,omitempty"`
	// Params and Result are the decoded value trees (a schema.Value's
	// JSON, see JSON); ParamsRaw and ResultRaw hold the body in hex when
	// the call is undescribed or did not decode.
	Params    json.RawMessage `json:"params,omitempty"`
	ParamsRaw string          `json:"params_raw,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	ResultRaw string          `json:"result_raw,omitempty"`
	// Error is the error code of a failed call, ErrorName its name
	// ("Core::AccessDenied").
	Error     ResultCode `json:"error,omitempty"`
	ErrorName string     `json:"error_name,omitempty"`
	Duration  Duration   `json:"duration,omitempty"` // request to response
	Handler   string     `json:"handler,omitempty"`  // Handler* constants
	// Status is empty for a call that got its response, else what became
	// of it: "dropped" (by a hook), "timeout", "disconnected".
	Status string `json:"status,omitempty"`
	// A call a Lua hook changed (all empty otherwise; added in format 1
	// without a version bump, readers that do not know them skip them).
	// Params and Result stay what the caller sent and got. ChangedBy names
	// the script files whose hooks changed the call or decided its
	// answer; SentParams (SentParamsRaw) is the request as it went on
	// in place of Params (upstream, or to the console for a server's
	// call); ReceivedResult (ReceivedResultRaw) or ReceivedError is the
	// answer as it came back before a hook replaced it with Result.
	ChangedBy         []string        `json:"changed_by,omitempty"`
	SentParams        json.RawMessage `json:"sent_params,omitempty"`
	SentParamsRaw     string          `json:"sent_params_raw,omitempty"`
	ReceivedResult    json.RawMessage `json:"received_result,omitempty"`
	ReceivedResultRaw string          `json:"received_result_raw,omitempty"`
	ReceivedError     ResultCode      `json:"received_error,omitempty"`

	// Script: the hook file and log level; Text carries the line.
	Script string `json:"script,omitempty"`
	Level  string `json:"level,omitempty"`

	// Text is the message of script and note events.
	Text string `json:"text,omitempty"`
}

// ResultCode is a NEX result code, written as "0x80030064" so that it can
// be searched for as printed everywhere else.
type ResultCode uint32

// String returns the code as 0x-prefixed 8-digit lower-case hex, the way
// decoded value trees print results.
func (c ResultCode) String() string { return fmt.Sprintf("0x%08x", uint32(c)) }

// MarshalJSON writes the hex string.
func (c ResultCode) MarshalJSON() ([]byte, error) {
	return []byte(`"` + c.String() + `"`), nil
}

// UnmarshalJSON accepts the hex string or a plain number.
func (c *ResultCode) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return fmt.Errorf("result code %s: %w", b, err)
	}
	*c = ResultCode(n)
	return nil
}

// Duration is a time.Duration written as Go duration text ("12.5ms").
type Duration time.Duration

// MarshalJSON writes the duration text.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// UnmarshalJSON parses the duration text.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration %s: %w", b, err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// JSON marshals v (typically a *schema.Value) for Record.Params or Result.
// A value that cannot be marshalled becomes a JSON string saying why, so
// that logging never fails a call.
func JSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw
	}
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal("unloggable value: " + err.Error())
	}
	return b
}
