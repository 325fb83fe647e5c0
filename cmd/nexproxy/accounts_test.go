package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/stores"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// runCLIIn runs the command line in-process with stdin.
func runCLIIn(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRootCommand()
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(append([]string{"--log-level", "error"}, args...))
	err = root.Execute()
	return out.String(), errOut.String(), err
}

// accountsConfig writes a configuration of one local wiiu game whose
// store is the data folder beside it; metricsAddr (may be "") tells when
// serve is up. fileAccount adds [[accounts]] 1234567 "testpassword".
func accountsConfig(t *testing.T, dir, metricsAddr string, fileAccount bool) string {
	t.Helper()
	path := filepath.Join(dir, "config.toml")
	text := fmt.Sprintf(`advertise = "127.0.0.1"
metrics = %q

[log]
level = "error"

[store]
data_dir = "data"

[[games]]
name = "wiiu"
platform = "wiiu"
access_key = "0badf00d"
auth_listen = %q
secure_listen = %q
upstream = "local"

[[games]]
name = "other"
platform = "3ds"
access_key = "6181dff1"
auth_listen = %q
upstream = "local"
`, metricsAddr, freeAddr(t, "udp"), freeAddr(t, "udp"), freeAddr(t, "udp"))
	if fileAccount {
		text += "\n[[accounts]]\npid = 1234567\npassword = \"testpassword\"\n"
	}
	writeFile(t, path, text)
	return path
}

// mustCLI runs a command that must succeed and returns its stdout.
func mustCLI(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := runCLIIn(t, stdin, args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut)
	}
	return out
}

// failCLI runs a command that must fail with an error containing want.
func failCLI(t *testing.T, want, stdin string, args ...string) {
	t.Helper()
	out, _, err := runCLIIn(t, stdin, args...)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%v: error %v (output %q), want one containing %q", args, err, out, want)
	}
}

// TestAccountsCLI: add, list, passwd and remove with their refusals, on
// the store config.toml names, while another Stores (a running serve's)
// has it open.
func TestAccountsCLI(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	path := accountsConfig(t, dir, "", true)
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	held, err := stores.Open(ctx, cfg.Store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	c := []string{"-c", path, "accounts"}
	cli := func(args ...string) []string { return append(append([]string(nil), c...), args...) }

	if out := mustCLI(t, "pw1\n", cli("add", "--pid", "2001", "--password-stdin")...); out != "account 2001 added (username \"2001\", every game)\n" {
		t.Errorf("add output %q", out)
	}
	mustCLI(t, "pw2\r\n", cli("add", "--pid", "2002", "--username", "Bob", "--game", "other", "--password-stdin")...)
	failCLI(t, "account 2001 exists", "x\n", cli("add", "--pid", "2001", "--password-stdin")...)
	failCLI(t, `username "bob" is taken by account 2002`, "x\n", cli("add", "--pid", "2003", "--username", "bob", "--password-stdin")...)
	failCLI(t, `no game is named "nope"`, "x\n", cli("add", "--pid", "2003", "--game", "nope", "--password-stdin")...)
	failCLI(t, "does not fit the 4-byte PIDs", "x\n", cli("add", "--pid", "4294967296", "--game", "other", "--password-stdin")...)
	failCLI(t, "--pid is required", "x\n", cli("add", "--password-stdin")...)
	failCLI(t, "empty password", "\n", cli("add", "--pid", "2003", "--password-stdin")...)
	failCLI(t, "longer than", strings.Repeat("x", 300), cli("add", "--pid", "2003", "--password-stdin")...)
	// No terminal and no --password-stdin: nothing to prompt on.
	failCLI(t, "--password-stdin", "pw\n", cli("add", "--pid", "2003")...)
	failCLI(t, "unknown flag: --password", "", cli("add", "--pid", "2003", "--password", "pw")...)

	// The other Stores sees the CLI's accounts at once.
	if a, err := held.Accounts.Get(ctx, 2002); err != nil || a.Username != "Bob" || a.Game != "other" || a.Password.Reveal() != "pw2" {
		t.Errorf("account 2002 seen by the open store: %+v, %v", a, err)
	}

	out := mustCLI(t, "", cli("list")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "PID") || !strings.HasPrefix(lines[1], "2001  2001      *      20") ||
		!strings.HasPrefix(lines[2], "2002  Bob       other  20") {
		t.Errorf("list:\n%s", out)
	}
	if strings.Contains(out, "pw1") || strings.Contains(out, "pw2") {
		t.Errorf("list shows passwords:\n%s", out)
	}
	out = mustCLI(t, "", cli("list", "--game", "wiiu")...)
	if strings.Contains(out, "Bob") || !strings.Contains(out, "2001") {
		t.Errorf("list --game wiiu:\n%s", out)
	}
	out = mustCLI(t, "", cli("list", "--json")...)
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if list[1]["pid"] != float64(2002) || list[1]["username"] != "Bob" || list[1]["game"] != "other" || list[1]["created"] == "" {
		t.Errorf("list --json entry %v", list[1])
	}
	if strings.Contains(strings.ToLower(out), "password") || strings.Contains(out, "pw1") {
		t.Errorf("list --json shows passwords:\n%s", out)
	}

	mustCLI(t, "new1\n", cli("passwd", "--pid", "2001", "--password-stdin")...)
	mustCLI(t, "new2\n", cli("passwd", "--username", "BOB", "--password-stdin")...)
	for pid, want := range map[uint64]string{2001: "new1", 2002: "new2"} {
		if a, err := held.Accounts.Get(ctx, pid); err != nil || a.Password.Reveal() != want {
			t.Errorf("password of %d after passwd: %v", pid, err)
		}
	}
	failCLI(t, "no account 9999", "x\n", cli("passwd", "--pid", "9999", "--password-stdin")...)
	failCLI(t, `no account named "nobody"`, "x\n", cli("passwd", "--username", "nobody", "--password-stdin")...)
	failCLI(t, "either --pid or --username", "x\n", cli("passwd", "--pid", "2001", "--username", "2001", "--password-stdin")...)

	// config.toml's account: changing it works, with a note that the file
	// wins at the next start.
	if _, err := held.Accounts.Create(ctx, store.Account{PID: 1234567, Username: "1234567", Password: "testpassword"}); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := runCLIIn(t, "y\n", cli("passwd", "--pid", "1234567", "--password-stdin")...); err != nil || !strings.Contains(errOut, "wins when serve next starts") {
		t.Errorf("passwd of a file account: %v, stderr %q", err, errOut)
	}

	if out := mustCLI(t, "", cli("remove", "--username", "bob")...); out != "account 2002 removed\n" {
		t.Errorf("remove output %q", out)
	}
	failCLI(t, "no account 2002", "", cli("remove", "--pid", "2002")...)
	failCLI(t, `no account named "bob"`, "", cli("remove", "--username", "bob")...)
	if _, err := held.Accounts.Get(ctx, 2002); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("2002 after remove: %v", err)
	}
}

// TestReadPasswordLine: the first line, without its ending, bounded.
func TestReadPasswordLine(t *testing.T) {
	for in, want := range map[string]string{"pw\n": "pw", "pw\r\nmore\n": "pw", "pw": "pw", "p w!\n": "p w!"} {
		if got, err := readPasswordLine(strings.NewReader(in)); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "\n", "a\x00b\n", "a\tb\n", strings.Repeat("x", maxPasswordLen+1) + "\n", strings.Repeat("x", 1<<20)} {
		if got, err := readPasswordLine(strings.NewReader(in)); err == nil {
			t.Errorf("%.20q: accepted as %.20q", in, got)
		}
	}
	if _, err := readPasswordLine(strings.NewReader(strings.Repeat("x", maxPasswordLen) + "\n")); err != nil {
		t.Errorf("a password of the longest length: %v", err)
	}
}

// serveInProcess runs `nexproxy serve` with path until stop, which sends
// SIGINT and waits for it to end.
func serveInProcess(t *testing.T, ctx context.Context, path, metricsAddr string) (stop func()) {
	t.Helper()
	served := make(chan error, 1)
	go func() {
		_, errOut, err := runCLIIn(t, "", "-c", path, "serve")
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, errOut)
		}
		served <- err
	}()
	waitServing(t, ctx, metricsAddr, served)
	return func() {
		t.Helper()
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Fatalf("serve: %v", err)
			}
		case <-ctx.Done():
			t.Fatal("serve did not stop on SIGINT")
		}
	}
}

// login logs a simulated console in as pid with password and reports the
// error of a refusal.
func login(t *testing.T, ctx context.Context, path, user, password string) error {
	t.Helper()
	cc := clientFor(t, path)
	cc.Username, cc.Password = user, password
	c, err := proxy.Login(ctx, cc)
	if err == nil {
		registerEx(t, ctx, c, cc.RMC)
		c.Close()
	}
	return err
}

// TestAccountsServeEndToEnd: accounts that exist only in the store (added
// with `nexproxy accounts` while serve runs) log in without a restart,
// passwd and remove apply at the next login, config.toml's account wins
// over a stale stored password when serve starts, and everything survives
// a restart of serve (the stores closed and opened again).
func TestAccountsServeEndToEnd(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreTopFunction("os/signal.signal_recv"), goleak.IgnoreTopFunction("os/signal.loop"))
	dir := t.TempDir()
	metricsAddr := freeAddr(t, "tcp")
	path := accountsConfig(t, dir, metricsAddr, true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cli := func(args ...string) []string { return append([]string{"-c", path, "accounts"}, args...) }

	// A stale password for config.toml's account, stored before serve.
	mustCLI(t, "stale\n", cli("add", "--pid", "1234567", "--password-stdin")...)

	stop := serveInProcess(t, ctx, path, metricsAddr)
	if err := login(t, ctx, path, "1234567", "testpassword"); err != nil {
		t.Errorf("config.toml's account with the file's password: %v", err)
	}
	if err := login(t, ctx, path, "1234567", "stale"); err == nil {
		t.Error("config.toml's account logged in with the stale stored password")
	}
	if err := login(t, ctx, path, "7654321", "pw"); !errors.Is(err, proxy.ErrLoginRefused) {
		t.Errorf("unknown user: %v, want a refusal", err)
	}
	mustCLI(t, "pw\n", cli("add", "--pid", "7654321", "--password-stdin")...)
	if err := login(t, ctx, path, "7654321", "pw"); err != nil {
		t.Errorf("account added while serving: %v", err)
	}
	mustCLI(t, "pw2\n", cli("passwd", "--pid", "7654321", "--password-stdin")...)
	if err := login(t, ctx, path, "7654321", "pw2"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := login(t, ctx, path, "7654321", "pw"); err == nil {
		t.Error("the old password still logs in")
	}
	// An account limited to the other game does not log in here.
	mustCLI(t, "pw\n", cli("add", "--pid", "5555", "--game", "other", "--password-stdin")...)
	if err := login(t, ctx, path, "5555", "pw"); !errors.Is(err, proxy.ErrLoginRefused) {
		t.Errorf("another game's account: %v, want a refusal", err)
	}
	mustCLI(t, "pw\n", cli("add", "--pid", "6666", "--password-stdin")...)
	mustCLI(t, "", cli("remove", "--pid", "6666")...)
	if err := login(t, ctx, path, "6666", "pw"); !errors.Is(err, proxy.ErrLoginRefused) {
		t.Errorf("removed account: %v, want a refusal", err)
	}
	stop()

	// Restart: the store keeps what the CLI wrote.
	stop = serveInProcess(t, ctx, path, metricsAddr)
	defer stop()
	if err := login(t, ctx, path, "7654321", "pw2"); err != nil {
		t.Errorf("after restart: %v", err)
	}
	if err := login(t, ctx, path, "1234567", "testpassword"); err != nil {
		t.Errorf("config.toml's account after restart: %v", err)
	}
}
