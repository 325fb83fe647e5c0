package proxy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin/auth"
	"github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
)

// startStoreServer starts a server like startServer whose users come from
// accounts (Options.Accounts), logging to log (nil: none).
func startStoreServer(t *testing.T, g testGame, accounts store.Accounts, rec record.Recorder, log *zap.Logger) (*proxy.Server, *config.Config) {
	t.Helper()
	cfg, err := config.LoadTOML(gameTOML(t, g))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	srv, err := proxy.New(cfg, proxy.Options{Logger: log, Accounts: accounts, Recorder: rec,
		Builtins: []proxy.Builtin{servicetest.Host(t).Named(auth.Name, secure.Name)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, cfg
}

// TestProxyInterceptsStoreAccount: a proxy that knows the user's password
// only from its store (none in its configuration) decrypts the upstream's
// tickets and intercepts the secure connection.
func TestProxyInterceptsStoreAccount(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	up, _ := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, nil)
	defer up.Close()
	st := openAccountStore(t)
	mustCreate(t, st, store.Account{PID: 1234567, Username: testUser, Password: testPassword})
	rec := &memRecorder{}
	front, cfg := startStoreServer(t, testGame{platform: "wiiu", upstream: upstreamAddr(up)}, st, rec, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	pub := registerEx(t, ctx, c, cfg.Games[0].RMC)
	checkPublic(t, c, pub)
	if got := rec.loginsString(); got != "[1234567:intercepted]" {
		t.Errorf("logins %s, want the login intercepted", got)
	}
}

// TestLocalLoginFromStore: a local game whose configuration lists no
// account logs in a user of its store, refuses one limited to another
// game, and logs the Switch guest in under its Switch PID.
func TestLocalLoginFromStore(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	for _, platform := range []string{"wiiu", "switch"} {
		t.Run(platform, func(t *testing.T) {
			st := openAccountStore(t)
			mustCreate(t, st,
				store.Account{PID: 1234567, Username: testUser, Password: testPassword, Game: "g"},
				store.Account{PID: 7654321, Username: "7654321", Password: testPassword, Game: "elsewhere"})
			srv, cfg := startStoreServer(t, testGame{platform: platform, upstream: "local"}, st, nil, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cc := clientConfig(cfg, srv)
			c, err := proxy.Login(ctx, cc)
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			c.Close()

			cc.Username = "7654321"
			if _, err := proxy.Login(ctx, cc); !errors.Is(err, proxy.ErrLoginRefused) || !strings.Contains(err.Error(), "InvalidUsername") {
				t.Errorf("another game's account: %v, want InvalidUsername", err)
			}

			cc.Username, cc.Password = config.Guest.Username, config.Guest.Password
			c, err = proxy.Login(ctx, cc)
			if err != nil {
				t.Fatalf("guest login: %v", err)
			}
			c.Close()
			want := uint64(100)
			if platform == "switch" {
				want = switchGuestPID
			}
			if c.PID != want {
				t.Errorf("guest PID %d, want %d", c.PID, want)
			}
		})
	}
}

// TestLocalLoginStoreDown: when the store fails, the login is refused with
// Core::SystemError (not "unknown user") and the failure is logged with
// the connection.
func TestLocalLoginStoreDown(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	core, logs := observer.New(zapcore.InfoLevel)
	srv, cfg := startStoreServer(t, testGame{platform: "wiiu", upstream: "local"}, failingAccounts{}, nil, zap.New(core))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := proxy.Login(ctx, clientConfig(cfg, srv))
	if !errors.Is(err, proxy.ErrLoginRefused) || !strings.Contains(err.Error(), "Core::SystemError") {
		t.Errorf("login with the store down: %v, want a refusal with Core::SystemError", err)
	}
	lines := logs.FilterMessageSnippet("account lookup failed").All()
	if len(lines) != 1 {
		t.Fatalf("%d log lines about the failed lookup, want 1: %v", len(lines), logs.All())
	}
	fields := lines[0].ContextMap()
	if fields["conn"] == nil || fields["user"] != testUser || !strings.Contains(lines[0].ContextMap()["error"].(string), "store down") {
		t.Errorf("log line fields %v", fields)
	}
}
