package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/sqlite"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// switchGuestPID is the guest's PID on Switch servers (kerberos.md).
const switchGuestPID = 564330319085596911

// openAccountStore opens an SQLite accounts store in a temporary folder,
// closed when the test ends.
func openAccountStore(t testing.TB) store.Accounts {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "nexproxy.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db.Accounts()
}

func mustCreate(t testing.TB, st store.Accounts, accs ...store.Account) {
	t.Helper()
	for _, a := range accs {
		if _, err := st.Create(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
}

// wantAccount checks a lookup's outcome: the PID, username and password of
// the account found, or (pid 0) ErrNoAccount.
func wantAccount(t *testing.T, what string, acc proxy.Account, err error, pid uint64, name, pw string) {
	t.Helper()
	if pid == 0 {
		if !errors.Is(err, proxy.ErrNoAccount) {
			t.Errorf("%s = %+v, %v; want ErrNoAccount", what, acc, err)
		}
		return
	}
	if err != nil || acc.PID != pid || acc.Username != name || acc.Password != pw {
		t.Errorf("%s = %+v, %v; want %d %q %q", what, acc, err, pid, name, pw)
	}
}

// TestStoreAccountsScope: stored accounts are found by PID and by name
// (case-insensitively), and one limited to a game only on that game.
func TestStoreAccountsScope(t *testing.T) {
	ctx := context.Background()
	st := openAccountStore(t)
	mustCreate(t, st,
		store.Account{PID: 1001, Username: "1001", Password: "pw1"},
		store.Account{PID: 1002, Username: "Bob", Password: "pw2", Game: "g"},
		store.Account{PID: 1003, Username: "1003", Password: "pw3", Game: "other"})
	g := proxy.NewStoreAccounts(&config.Game{Name: "g", Platform: "wiiu"}, st, nil, nil)
	other := proxy.NewStoreAccounts(&config.Game{Name: "other", Platform: "wiiu"}, st, nil, nil)

	acc, err := g.LookupName(ctx, "1001")
	wantAccount(t, "g 1001", acc, err, 1001, "1001", "pw1")
	for _, name := range []string{"Bob", "bob", "BOB"} {
		acc, err = g.LookupName(ctx, name)
		wantAccount(t, "g "+name, acc, err, 1002, "Bob", "pw2")
	}
	acc, err = g.LookupPID(ctx, 1002)
	wantAccount(t, "g pid 1002", acc, err, 1002, "Bob", "pw2")
	acc, err = g.LookupName(ctx, "1003")
	wantAccount(t, "g 1003", acc, err, 0, "", "")
	acc, err = g.LookupPID(ctx, 1003)
	wantAccount(t, "g pid 1003", acc, err, 0, "", "")
	acc, err = g.LookupName(ctx, "nobody")
	wantAccount(t, "g nobody", acc, err, 0, "", "")

	acc, err = other.LookupName(ctx, "bob")
	wantAccount(t, "other bob", acc, err, 0, "", "")
	acc, err = other.LookupPID(ctx, 1003)
	wantAccount(t, "other pid 1003", acc, err, 1003, "1003", "pw3")
	acc, err = other.LookupPID(ctx, 1001)
	wantAccount(t, "other pid 1001", acc, err, 1001, "1001", "pw1")
	if pw, ok := g.Password(1001); !ok || pw != "pw1" {
		t.Errorf("Password(1001) = %q, %v", pw, ok)
	}
	if _, ok := g.Password(1003); ok {
		t.Error("Password(1003) found on a game the account is not for")
	}
}

// TestStoreAccountsLive: lookups read the store every time, so accounts
// added, changed and removed while the server runs take effect at once.
func TestStoreAccountsLive(t *testing.T) {
	ctx := context.Background()
	st := openAccountStore(t)
	a := proxy.NewStoreAccounts(&config.Game{Name: "g", Platform: "3ds"}, st, nil, nil)
	if _, ok := a.ByName("2001"); ok {
		t.Fatal("2001 found before it exists")
	}
	mustCreate(t, st, store.Account{PID: 2001, Username: "2001", Password: "old"})
	acc, err := a.LookupName(ctx, "2001")
	wantAccount(t, "after create", acc, err, 2001, "2001", "old")
	if err := st.SetPassword(ctx, 2001, "new"); err != nil {
		t.Fatal(err)
	}
	acc, err = a.LookupPID(ctx, 2001)
	wantAccount(t, "after passwd", acc, err, 2001, "2001", "new")
	if err := st.Delete(ctx, 2001); err != nil {
		t.Fatal(err)
	}
	acc, err = a.LookupName(ctx, "2001")
	wantAccount(t, "after delete", acc, err, 0, "", "")
}

// TestStoreAccountsGuest: the built-in guest is PID 100 except on Switch
// (564330319085596911), is found by either, and gives way to a stored
// account that takes its name or its PID on the game.
func TestStoreAccountsGuest(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		platform  string
		pid, miss uint64
	}{{"wiiu", 100, switchGuestPID}, {"3ds", 100, switchGuestPID}, {"friends", 100, switchGuestPID}, {"switch", switchGuestPID, 100}} {
		t.Run(tc.platform, func(t *testing.T) {
			game := &config.Game{Name: "g", Platform: tc.platform}
			st := openAccountStore(t)
			a := proxy.NewStoreAccounts(game, st, nil, nil)
			for _, name := range []string{"guest", "Guest"} {
				acc, err := a.LookupName(ctx, name)
				wantAccount(t, name, acc, err, tc.pid, "guest", config.Guest.Password)
			}
			acc, err := a.LookupPID(ctx, tc.pid)
			wantAccount(t, "guest pid", acc, err, tc.pid, "guest", config.Guest.Password)
			acc, err = a.LookupPID(ctx, tc.miss)
			wantAccount(t, "other platform's guest pid", acc, err, 0, "", "")

			// The same answers without a store, from config.Load's
			// accounts (which hold the PID-100 guest).
			cfg := loadOneGame(t, tc.platform)
			c := proxy.NewAccounts(&cfg.Games[0], cfg.Accounts, nil)
			acc, err = c.LookupName(ctx, "guest")
			wantAccount(t, "config guest", acc, err, tc.pid, "guest", config.Guest.Password)
			acc, err = c.LookupPID(ctx, tc.miss)
			wantAccount(t, "config: other platform's guest pid", acc, err, 0, "", "")

			// A stored guest for another game leaves the built-in one.
			mustCreate(t, st, store.Account{PID: 5000, Username: "GUEST", Password: "elsewhere", Game: "other"})
			acc, err = a.LookupName(ctx, "guest")
			wantAccount(t, "guest beside another game's", acc, err, tc.pid, "guest", config.Guest.Password)
			// A stored account on the guest's PID replaces it...
			mustCreate(t, st, store.Account{PID: tc.pid, Username: "alice", Password: "a"})
			acc, err = a.LookupName(ctx, "guest")
			wantAccount(t, "guest with its pid taken", acc, err, 0, "", "")
			acc, err = a.LookupPID(ctx, tc.pid)
			wantAccount(t, "taken guest pid", acc, err, tc.pid, "alice", "a")
			// ...and so does a stored account named guest.
			if err := st.Delete(ctx, tc.pid); err != nil {
				t.Fatal(err)
			}
			if err := st.Delete(ctx, 5000); err != nil {
				t.Fatal(err)
			}
			mustCreate(t, st, store.Account{PID: 6000, Username: "Guest", Password: "mine"})
			acc, err = a.LookupName(ctx, "guest")
			wantAccount(t, "stored guest", acc, err, 6000, "Guest", "mine")
			acc, err = a.LookupPID(ctx, tc.pid)
			wantAccount(t, "guest pid with the name taken", acc, err, 0, "", "")
		})
	}
}

// loadOneGame loads a configuration of one local game of platform.
func loadOneGame(t *testing.T, platform string) *config.Config {
	t.Helper()
	extra := ""
	if platform == "switch" {
		extra = "transport = \"websocket\"\n"
	}
	cfg, err := config.LoadTOML(fmt.Sprintf("advertise = \"127.0.0.1\"\n[[games]]\nname = \"g\"\nplatform = %q\naccess_key = %q\nauth_listen = \"127.0.0.1:1\"\nupstream = \"local\"\n%s",
		platform, platformKeys[platform], extra))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestConfigAccountsPrecedence: without a store, an account for this game
// wins over one for every game whatever the order in the file.
func TestConfigAccountsPrecedence(t *testing.T) {
	game := &config.Game{Name: "g", Platform: "wiiu"}
	a := proxy.NewAccounts(game, []config.Account{
		{PID: 1001, Username: "mine", Password: "scoped", Game: "g"},
		{PID: 1001, Username: "1001", Password: "global"},
		{PID: 1002, Username: "1002", Password: "other", Game: "h"},
	}, nil)
	ctx := context.Background()
	acc, err := a.LookupPID(ctx, 1001)
	wantAccount(t, "pid 1001", acc, err, 1001, "mine", "scoped")
	acc, err = a.LookupName(ctx, "1001")
	wantAccount(t, "name 1001", acc, err, 0, "", "")
	acc, err = a.LookupPID(ctx, 1002)
	wantAccount(t, "pid 1002", acc, err, 0, "", "")
}

// TestStoreAccountsPasswordFor: the password_for hook answers for users the
// store does not have for the game, never over a stored account.
func TestStoreAccountsPasswordFor(t *testing.T) {
	ctx := context.Background()
	st := openAccountStore(t)
	mustCreate(t, st,
		store.Account{PID: 1001, Username: "1001", Password: "stored"},
		store.Account{PID: 1003, Username: "1003", Password: "elsewhere", Game: "other"})
	hook := map[uint64]string{1001: "hook1", 1003: "hook3", 777: "hook7"}
	var asked []uint64
	a := proxy.NewStoreAccounts(&config.Game{Name: "g", Platform: "wiiu"}, st, func(pid uint64) (string, bool) {
		asked = append(asked, pid)
		pw, ok := hook[pid]
		return pw, ok
	}, nil)
	acc, err := a.LookupName(ctx, "1001")
	wantAccount(t, "stored 1001", acc, err, 1001, "1001", "stored")
	acc, err = a.LookupPID(ctx, 1001)
	wantAccount(t, "stored pid 1001", acc, err, 1001, "1001", "stored")
	if len(asked) != 0 {
		t.Errorf("hook asked for %v although the store knows the user", asked)
	}
	acc, err = a.LookupName(ctx, "777")
	wantAccount(t, "hook 777", acc, err, 777, "777", "hook7")
	acc, err = a.LookupPID(ctx, 777)
	wantAccount(t, "hook pid 777", acc, err, 777, "777", "hook7")
	acc, err = a.LookupPID(ctx, 1003)
	wantAccount(t, "hook pid 1003 (stored for another game)", acc, err, 1003, "1003", "hook3")
	acc, err = a.LookupName(ctx, "778")
	wantAccount(t, "unknown 778", acc, err, 0, "", "")
}

// failingAccounts is a store whose reads fail.
type failingAccounts struct{ store.Accounts }

var errStoreDown = errors.New("store down")

func (failingAccounts) Get(context.Context, uint64) (store.Account, error) {
	return store.Account{}, errStoreDown
}
func (failingAccounts) GetByName(context.Context, string) (store.Account, error) {
	return store.Account{}, errStoreDown
}

// TestStoreAccountsStoreError: a failing store refuses the lookup with its
// error (not ErrNoAccount, and not by asking the hook, which could answer
// for a user the store would refuse), and the context-free lookups log it.
func TestStoreAccountsStoreError(t *testing.T) {
	ctx := context.Background()
	core, logs := observer.New(zapcore.InfoLevel)
	hookAsked := false
	a := proxy.NewStoreAccounts(&config.Game{Name: "g", Platform: "wiiu"}, failingAccounts{}, func(uint64) (string, bool) {
		hookAsked = true
		return "pw", true
	}, zap.New(core))
	for _, lookup := range []func() (proxy.Account, error){
		func() (proxy.Account, error) { return a.LookupName(ctx, "1001") },
		func() (proxy.Account, error) { return a.LookupPID(ctx, 1001) },
		func() (proxy.Account, error) { return a.LookupName(ctx, "guest") },
	} {
		if _, err := lookup(); !errors.Is(err, errStoreDown) || errors.Is(err, proxy.ErrNoAccount) {
			t.Errorf("lookup error %v, want the store's", err)
		}
	}
	if _, ok := a.ByPID(1001); ok {
		t.Error("ByPID succeeded with the store down")
	}
	if _, ok := a.Password(1001); ok {
		t.Error("Password succeeded with the store down")
	}
	if hookAsked {
		t.Error("password_for asked while the store was down")
	}
	if n := logs.FilterMessage("account lookup failed").FilterField(zap.Uint64("pid", 1001)).Len(); n != 2 {
		t.Errorf("%d log lines for the failed lookups, want 2: %v", n, logs.All())
	}
}
