package scripts

import (
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// Sender delivers a message a hook asked for with call.session:send. The
// proxy implements it on the console connection; it is called after the
// hook chain of the current call has finished (never from inside a hook),
// so it may block or call back into the Engine.
type Sender interface {
	SendToConsole(protocol uint16, method uint32, body []byte) error
}

// Session is the per-connection state scripts see as call.session: a
// store table that lives as long as the connection, and the Sender. The
// proxy creates one per console connection with NewSession and passes it in
// every Call and Event of that connection.
type Session struct {
	// Sender is set by the proxy; nil makes session:send fail.
	Sender Sender
	// Log, when set, receives every line nex.log writes while a hook runs
	// for this session, besides the process log: the script's name, the
	// level ("debug", "info", "warn", "error") and the text. The proxy
	// writes them into the session log. It must not block.
	Log func(script, level, text string)

	// mu is held while a call's hook chain runs, so the store table (a
	// plain Lua table, not goroutine-safe) is never touched by two runs at
	// once even if a proxy called the engine concurrently for one session.
	mu    sync.Mutex
	store *lua.LTable
}

// NewSession returns a session that sends with s (which may be nil).
func NewSession(s Sender) *Session { return &Session{Sender: s} }

// pendingSend is a session:send queued until the call's hooks are done.
type pendingSend struct {
	session  *Session
	protocol uint16
	method   uint32
	body     []byte
}
