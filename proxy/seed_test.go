package proxy_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// storedAccounts lists a store as "pid username password game" lines.
func storedAccounts(t *testing.T, st store.Accounts) string {
	t.Helper()
	all, err := st.List(context.Background(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, a := range all {
		b.WriteString(strings.TrimSpace(strings.Join([]string{strconv.FormatUint(a.PID, 10), a.Username, a.Password.Reveal(), a.Game}, " ")))
		b.WriteString("\n")
	}
	return b.String()
}

// TestSeedAccounts: the file's accounts are created, a changed password is
// set (logged without the password), a changed username or game replaces
// the stored account, accounts only in the store are left alone, the
// built-in guest is not stored, and seeding twice changes nothing.
func TestSeedAccounts(t *testing.T) {
	ctx := context.Background()
	st := openAccountStore(t)
	mustCreate(t, st,
		store.Account{PID: 1001, Username: "1001", Password: "old"},
		store.Account{PID: 1002, Username: "1002", Password: "same"},
		store.Account{PID: 1003, Username: "old-name", Password: "p3"},
		store.Account{PID: 9000, Username: "cli-only", Password: "p9"})
	file := []config.Account{
		{PID: 1001, Username: "1001", Password: "fresh"},
		{PID: 1002, Username: "1002", Password: "same"},
		{PID: 1003, Username: "new-name", Password: "p3", Game: "g"},
		{PID: 1004, Username: "1004", Password: "p4"},
		config.Guest,
	}
	core, logs := observer.New(zapcore.InfoLevel)
	if err := proxy.SeedAccounts(ctx, st, file, zap.New(core)); err != nil {
		t.Fatal(err)
	}
	want := "1001 1001 fresh\n1002 1002 same\n1003 new-name p3 g\n1004 1004 p4\n9000 cli-only p9\n"
	if got := storedAccounts(t, st); got != want {
		t.Errorf("stored:\n%s\nwant:\n%s", got, want)
	}
	for _, e := range logs.All() {
		for _, f := range e.Context {
			if strings.Contains(f.String, "fresh") || strings.Contains(e.Message, "fresh") {
				t.Errorf("a log line shows the password: %s %v", e.Message, e.Context)
			}
		}
	}
	if n := logs.FilterMessageSnippet("password updated").FilterField(zap.Uint64("pid", 1001)).Len(); n != 1 {
		t.Errorf("%d lines about 1001's new password, want 1: %v", n, logs.All())
	}
	if n := logs.FilterMessageSnippet("replaced").FilterField(zap.Uint64("pid", 1003)).Len(); n != 1 {
		t.Errorf("%d lines about 1003's replacement, want 1", n)
	}
	if n := logs.FilterMessageSnippet("created").FilterField(zap.Uint64("pid", 1004)).Len(); n != 1 {
		t.Errorf("%d lines about 1004's creation, want 1", n)
	}
	if n := logs.FilterField(zap.Uint64("pid", 1002)).Len(); n != 0 {
		t.Errorf("lines about the unchanged 1002: %v", logs.FilterField(zap.Uint64("pid", 1002)).All())
	}

	// Again: nothing to do, nothing logged.
	core, logs = observer.New(zapcore.InfoLevel)
	if err := proxy.SeedAccounts(ctx, st, file, zap.New(core)); err != nil {
		t.Fatal(err)
	}
	if logs.Len() != 0 {
		t.Errorf("second seeding logged %v", logs.All())
	}
	if got := storedAccounts(t, st); got != want {
		t.Errorf("after the second seeding:\n%s", got)
	}
}

// TestSeedAccountsConflicts: entries the store cannot hold beside others
// (a PID listed for every game and again for one game, a username taken by
// another PID) are skipped with a warning; the every-game entry is kept
// whatever the order, and a stored account whose new username is taken
// stays as it was.
func TestSeedAccountsConflicts(t *testing.T) {
	ctx := context.Background()
	st := openAccountStore(t)
	mustCreate(t, st,
		store.Account{PID: 9000, Username: "alice", Password: "p9"},
		store.Account{PID: 1003, Username: "1003", Password: "p3"})
	file := []config.Account{
		{PID: 1001, Username: "scoped", Password: "s", Game: "g"},
		{PID: 1001, Username: "1001", Password: "every"},
		{PID: 1002, Username: "ALICE", Password: "a"},
		{PID: 1003, Username: "Alice", Password: "p3"},
	}
	core, logs := observer.New(zapcore.InfoLevel)
	if err := proxy.SeedAccounts(ctx, st, file, zap.New(core)); err != nil {
		t.Fatal(err)
	}
	want := "1001 1001 every\n1003 1003 p3\n9000 alice p9\n"
	if got := storedAccounts(t, st); got != want {
		t.Errorf("stored:\n%s\nwant:\n%s", got, want)
	}
	for _, pid := range []uint64{1001, 1002, 1003} {
		if n := logs.FilterLevelExact(zapcore.WarnLevel).FilterField(zap.Uint64("pid", pid)).Len(); n != 1 {
			t.Errorf("%d warnings about %d, want 1: %v", n, pid, logs.All())
		}
	}
}

// TestSeedAccountsStoreError: a store failure is an error naming the PID.
func TestSeedAccountsStoreError(t *testing.T) {
	err := proxy.SeedAccounts(context.Background(), failingAccounts{}, []config.Account{{PID: 1001, Username: "1001", Password: "x"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "1001") {
		t.Errorf("error %v, want one naming the account", err)
	}
}
