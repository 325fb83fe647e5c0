package proxy

import (
	"sync"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Env is what the server hands the built-in handlers of one game: the
// game, its accounts, nexproxy's own ticket issuer and the station URL of
// its secure endpoint. It is shared by every session of the game.
type Env struct {
	// Game is the configured game.
	Game *config.Game
	// Accounts resolves user names, PIDs and passwords for this game.
	Accounts *Accounts
	// Issuer issues tickets sealed with nexproxy's own secure key.
	Issuer *kerberos.Issuer
	// Keys caches derived user keys.
	Keys *kerberos.KeyCache
	// SecureStation returns the station URL consoles connect to for the
	// secure server (address = advertise, port = secure listener).
	SecureStation func() rmc.StationURL
	// Log is the game's logger.
	Log *zap.Logger
	// Console returns the current secure session of a PID connected to
	// this instance (nil when it is not): where services send the
	// console notifications and probe requests.
	Console func(pid uint64) *rpc.Session
	// Disconnect ends the console connection of a secure session (a
	// forced DISCONNECT; the session then ends as on any disconnect) when
	// it is still its PID's current session here, and reports whether it
	// did: for a console that connected again to another instance.
	Disconnect func(s *rpc.Session) bool

	loggedIn func(s *rpc.Session, pid uint64) // reports a login; nil outside a server

	startMu     sync.Mutex
	secureStart []func(s *rpc.Session) // OnSecureStart's functions
}

// OnSecureStart registers fn to run when a console's secure session of
// the game starts (a local game's), once the session is its PID's and can
// be sent to, before its first call is served: the secure service takes
// the console's presence lease there, so that every instance sharing the
// stores knows the console is connected from its login on, not only once
// it registers its stations. Services register while they are built; fn
// runs on the connection's goroutine and must not block for long (a store
// round trip at most).
func (e *Env) OnSecureStart(fn func(s *rpc.Session)) {
	e.startMu.Lock()
	e.secureStart = append(e.secureStart, fn)
	e.startMu.Unlock()
}

// secureStarted runs the OnSecureStart functions for s.
func (e *Env) secureStarted(s *rpc.Session) {
	e.startMu.Lock()
	fns := e.secureStart
	e.startMu.Unlock()
	for _, fn := range fns {
		fn(s)
	}
}

// LoggedIn records that the console of s logged in as pid: built-in
// authentication calls it after each successful login, so that the login
// is reported where it happens rather than guessed from the session's PID
// after every call. Only logins on the authentication leg are reported,
// as the hooks' on_login does.
func (e *Env) LoggedIn(s *rpc.Session, pid uint64) {
	s.SetPID(pid)
	if e.loggedIn != nil && s.Leg == rpc.LegAuth {
		e.loggedIn(s, pid)
	}
}

// UserKey returns the Kerberos key of pid for this game, or false when the
// password is unknown.
func (e *Env) UserKey(pid uint64) ([]byte, bool) {
	pw, ok := e.Accounts.Password(pid)
	if !ok {
		return nil, false
	}
	k, err := e.Keys.Key(e.Game.Kerberos.Derivation, pid, pw)
	if err != nil {
		return nil, false
	}
	return k, true
}

// Builtin makes the built-in handler link of one game (local mode). The
// returned link answers the protocols it implements and passes the rest on.
// The link is applied once per game: the handler it returns serves every
// connection of the game at once, so what it keeps of a connection belongs
// in the Session (Call.Session).
type Builtin func(env *Env) (LinkSpec, error)

// SecureServerPID is the target PID of the tickets nexproxy issues and
// the PID of its secure station URL.
const SecureServerPID = 2
