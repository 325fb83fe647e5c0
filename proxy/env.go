package proxy

import (
	"strconv"
	"strings"

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

	loggedIn func(s *rpc.Session, pid uint64) // reports a login; nil outside a server
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

// Account is one user nexproxy knows.
type Account struct {
	PID      uint64
	Username string
	Password string
}

// guestPIDSwitch is the guest's PID on Switch servers; the guest account
// itself (name, password, PID elsewhere) is config.Guest.
const guestPIDSwitch = 564330319085596911

// SecureServerPID is the target PID of the tickets nexproxy issues and
// the PID of its secure station URL.
const SecureServerPID = 2

// Accounts resolves the users of one game: configured accounts, the guest
// (config.Guest) and, once hooks exist, a PasswordFor function.
type Accounts struct {
	byName      map[string]Account
	byPID       map[uint64]Account
	passwordFor func(pid uint64) (string, bool)
}

// NewAccounts builds the account table of game from the configured
// accounts (those for every game and those for this one) plus the guest
// (unless an account named guest is configured).
func NewAccounts(game *config.Game, accounts []config.Account, passwordFor func(pid uint64) (string, bool)) *Accounts {
	a := &Accounts{byName: map[string]Account{}, byPID: map[uint64]Account{}, passwordFor: passwordFor}
	for _, c := range accounts {
		if c.Game != "" && c.Game != game.Name {
			continue
		}
		acc := Account{PID: c.PID, Username: c.Username, Password: c.Password}
		if acc.Username == "" {
			acc.Username = strconv.FormatUint(c.PID, 10)
		}
		a.add(acc)
	}
	if _, ok := a.byName[config.Guest.Username]; !ok {
		pid := config.Guest.PID
		if game.Platform == "switch" {
			pid = guestPIDSwitch
		}
		if _, taken := a.byPID[pid]; !taken {
			a.add(Account{PID: pid, Username: config.Guest.Username, Password: config.Guest.Password})
		}
	}
	return a
}

func (a *Accounts) add(acc Account) {
	a.byName[strings.ToLower(acc.Username)] = acc
	a.byPID[acc.PID] = acc
}

// ByName finds a user by name; names are case-insensitive, and a decimal
// name of a PID known only through PasswordFor resolves too.
func (a *Accounts) ByName(name string) (Account, bool) {
	if acc, ok := a.byName[strings.ToLower(name)]; ok {
		return acc, true
	}
	if pid, err := strconv.ParseUint(name, 10, 64); err == nil && a.passwordFor != nil {
		if pw, ok := a.passwordFor(pid); ok {
			return Account{PID: pid, Username: name, Password: pw}, true
		}
	}
	return Account{}, false
}

// ByPID finds a user by PID.
func (a *Accounts) ByPID(pid uint64) (Account, bool) {
	if acc, ok := a.byPID[pid]; ok {
		return acc, true
	}
	if a.passwordFor != nil {
		if pw, ok := a.passwordFor(pid); ok {
			return Account{PID: pid, Username: strconv.FormatUint(pid, 10), Password: pw}, true
		}
	}
	return Account{}, false
}

// Password returns the NEX password of pid.
func (a *Accounts) Password(pid uint64) (string, bool) {
	acc, ok := a.ByPID(pid)
	return acc.Password, ok
}
