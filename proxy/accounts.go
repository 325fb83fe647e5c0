package proxy

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// Account is one user nexproxy knows.
type Account struct {
	PID      uint64
	Username string
	Password string
}

// ErrNoAccount is the error of a lookup that found no user valid for the
// game (unknown, or limited to another game).
var ErrNoAccount = errors.New("no such account")

// guestPIDSwitch is the guest's PID on Switch servers (kerberos.md, special
// accounts): Switch titles log the guest in as 564330319085596911, every
// other platform as 100. The guest account itself (name, password, PID
// elsewhere) is config.Guest.
const guestPIDSwitch = 564330319085596911

// accountLookupTimeout bounds one store read of a login, so that a store
// that hangs refuses the login instead of holding the console forever.
const accountLookupTimeout = 5 * time.Second

// Accounts resolves the users of one game. With a store (NewStoreAccounts)
// the store is the source of truth and is read at every lookup, so an
// account added while nexproxy runs logs in at once; without one
// (NewAccounts) the configured accounts are a table built once. Either way
// the built-in guest and then the password_for hook answer for users the
// accounts do not list.
type Accounts struct {
	game        string
	guest       Account
	passwordFor func(pid uint64) (string, bool)
	log         *zap.Logger

	// store mode
	st store.Accounts

	// configuration mode
	byName map[string]Account
	byPID  map[uint64]Account
}

// guestOf is the built-in guest of a game: config.Guest, under the Switch
// guest PID on Switch games.
func guestOf(game *config.Game) Account {
	g := Account{PID: config.Guest.PID, Username: config.Guest.Username, Password: config.Guest.Password}
	if game.Platform == "switch" {
		g.PID = guestPIDSwitch
	}
	return g
}

// NewAccounts builds the account table of game from the configured
// accounts (those for every game and those for this one; one for this game
// wins over one for every game) plus the built-in guest, unless an account
// takes its name or its PID on this platform. The Builtin entries that
// config.Load appends are skipped: the guest's PID depends on the platform.
func NewAccounts(game *config.Game, accounts []config.Account, passwordFor func(pid uint64) (string, bool)) *Accounts {
	a := &Accounts{game: game.Name, guest: guestOf(game), passwordFor: passwordFor, log: zap.NewNop(),
		byName: map[string]Account{}, byPID: map[uint64]Account{}}
	// Every-game accounts first, so that this game's own ones replace them.
	for _, scoped := range []bool{false, true} {
		for _, c := range accounts {
			if c.Builtin || (c.Game != "") != scoped || (scoped && c.Game != game.Name) {
				continue
			}
			acc := Account{PID: c.PID, Username: c.Username, Password: c.Password}
			if acc.Username == "" {
				acc.Username = strconv.FormatUint(c.PID, 10)
			}
			if old, ok := a.byPID[acc.PID]; ok {
				delete(a.byName, strings.ToLower(old.Username))
			}
			a.byName[strings.ToLower(acc.Username)] = acc
			a.byPID[acc.PID] = acc
		}
	}
	_, nameTaken := a.byName[strings.ToLower(a.guest.Username)]
	_, pidTaken := a.byPID[a.guest.PID]
	if !nameTaken && !pidTaken {
		a.byName[strings.ToLower(a.guest.Username)] = a.guest
		a.byPID[a.guest.PID] = a.guest
	}
	return a
}

// NewStoreAccounts resolves the users of game from st at every lookup: an
// account limited to another game (store.Account.Game) is not valid here.
// The built-in guest answers for its name and its PID on this platform
// unless a stored account valid here takes either; the password_for hook
// (nil: none) answers last. Store failures are logged on log and refuse
// the lookup. config.toml's accounts reach st through SeedAccounts.
func NewStoreAccounts(game *config.Game, st store.Accounts, passwordFor func(pid uint64) (string, bool), log *zap.Logger) *Accounts {
	if log == nil {
		log = zap.NewNop()
	}
	return &Accounts{game: game.Name, guest: guestOf(game), passwordFor: passwordFor, log: log, st: st}
}

// usable converts a stored account, or reports ErrNoAccount when it is
// limited to another game.
func (a *Accounts) usable(s store.Account) (Account, error) {
	if s.Game != "" && s.Game != a.game {
		return Account{}, ErrNoAccount
	}
	return Account{PID: s.PID, Username: s.Username, Password: s.Password.Reveal()}, nil
}

// storeGet reads one account valid for the game: by PID when byName is
// empty, else by name. Missing is ErrNoAccount; a store failure is wrapped.
func (a *Accounts) storeGet(ctx context.Context, pid uint64, byName string) (Account, error) {
	ctx, cancel := context.WithTimeout(ctx, accountLookupTimeout)
	defer cancel()
	var s store.Account
	var err error
	if byName != "" {
		s, err = a.st.GetByName(ctx, byName)
	} else {
		s, err = a.st.Get(ctx, pid)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Account{}, ErrNoAccount
	case err != nil:
		return Account{}, fmt.Errorf("account store: %w", err)
	}
	return a.usable(s)
}

// LookupName finds a user by name, case-insensitively: a stored (or
// configured) account valid for the game, else the built-in guest, else a
// decimal name of a PID the password_for hook knows. It fails with
// ErrNoAccount for an unknown user, or with the store's error (wrapped).
func (a *Accounts) LookupName(ctx context.Context, name string) (Account, error) {
	if a.st == nil {
		if acc, ok := a.byName[strings.ToLower(name)]; ok {
			return acc, nil
		}
	} else if name != "" {
		acc, err := a.storeGet(ctx, 0, name)
		if !errors.Is(err, ErrNoAccount) {
			return acc, err
		}
		if strings.EqualFold(name, a.guest.Username) {
			// The guest's name is free here; its PID must be too.
			switch _, err := a.storeGet(ctx, a.guest.PID, ""); {
			case errors.Is(err, ErrNoAccount):
				return a.guest, nil
			case err != nil:
				return Account{}, err
			}
		}
	}
	if pid, err := strconv.ParseUint(name, 10, 64); err == nil && a.passwordFor != nil {
		if pw, ok := a.passwordFor(pid); ok {
			return Account{PID: pid, Username: name, Password: pw}, nil
		}
	}
	return Account{}, ErrNoAccount
}

// LookupPID finds a user by PID: a stored (or configured) account valid
// for the game, else the built-in guest, else the password_for hook. Errors
// are those of LookupName.
func (a *Accounts) LookupPID(ctx context.Context, pid uint64) (Account, error) {
	if a.st == nil {
		if acc, ok := a.byPID[pid]; ok {
			return acc, nil
		}
	} else {
		acc, err := a.storeGet(ctx, pid, "")
		if !errors.Is(err, ErrNoAccount) {
			return acc, err
		}
		if pid == a.guest.PID {
			// The guest's PID is free here; its name must be too.
			switch _, err := a.storeGet(ctx, 0, a.guest.Username); {
			case errors.Is(err, ErrNoAccount):
				return a.guest, nil
			case err != nil:
				return Account{}, err
			}
		}
	}
	if a.passwordFor != nil {
		if pw, ok := a.passwordFor(pid); ok {
			return Account{PID: pid, Username: strconv.FormatUint(pid, 10), Password: pw}, nil
		}
	}
	return Account{}, ErrNoAccount
}

// ByName is LookupName for callers without a context that only need to
// know whether the user exists; a store failure is logged and counts as
// unknown.
func (a *Accounts) ByName(name string) (Account, bool) {
	acc, err := a.LookupName(context.Background(), name)
	if err != nil && !errors.Is(err, ErrNoAccount) {
		a.log.Error("account lookup failed", zap.String("user", name), zap.Error(err))
	}
	return acc, err == nil
}

// ByPID is LookupPID for callers without a context, as ByName.
func (a *Accounts) ByPID(pid uint64) (Account, bool) {
	acc, err := a.LookupPID(context.Background(), pid)
	if err != nil && !errors.Is(err, ErrNoAccount) {
		a.log.Error("account lookup failed", zap.Uint64("pid", pid), zap.Error(err))
	}
	return acc, err == nil
}

// Password returns the NEX password of pid.
func (a *Accounts) Password(pid uint64) (string, bool) {
	acc, ok := a.ByPID(pid)
	return acc.Password, ok
}
