package replay_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/datastore"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/matchmaking"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/nattraversal"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/replay"
)

// TestInteropRecordAndReplay is the acceptance, automated:
// NintendoClients' scripted client (shared/interop/nex_client.py) runs
// against the shipped config.toml's four games served locally with
// session logs on, then against `nexproxy replay` of those logs (the game
// services absent, fresh stores), and must pass every step both times.
// Skipped unless NEXPROXY_INTEROP names the interop environment
// (/tmp/interop, see shared/interop/README.md).
func TestInteropRecordAndReplay(t *testing.T) {
	dir := os.Getenv("NEXPROXY_INTEROP")
	if dir == "" {
		t.Skip("set NEXPROXY_INTEROP=/tmp/interop to run NintendoClients' client against a replay")
	}
	client, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "interop", "nex_client.py"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(client); err != nil {
		t.Fatalf("NEXPROXY_INTEROP is set but the client is missing: %v", err)
	}
	cfg := interopConfig(t, dir)
	logs := t.TempDir()
	profiles := []string{"friends", "wiiu", "3ds", "switch"}

	host := servicetest.Host(t)
	if err := proxy.SeedAccounts(context.Background(), host.Stores.Accounts, cfg.Accounts, nil); err != nil {
		t.Fatal(err)
	}
	files := record.NewFile(record.FileOptions{Dir: logs, Program: "nexproxy test"})
	srv := serve(t, cfg, proxy.Options{Builtins: []proxy.Builtin{host.Builtin}, Accounts: host.Stores.Accounts, Recorder: files})
	recorded := map[string]string{}
	for _, p := range profiles {
		recorded[p] = runClient(t, dir, client, p, srv)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := files.Close(); err != nil {
		t.Fatal(err)
	}

	ix, err := replay.Load([]string{logs}, replay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	host2 := servicetest.Host(t)
	if err := proxy.SeedAccounts(context.Background(), host2.Stores.Accounts, cfg.Accounts, nil); err != nil {
		t.Fatal(err)
	}
	srv2 := serve(t, cfg, proxy.Options{
		Builtins: []proxy.Builtin{host2.Named("authentication", "secure"), ix.Builtin(replay.LinkOptions{})},
		Accounts: host2.Stores.Accounts,
	})
	defer srv2.Close()
	for _, p := range profiles {
		got := runClient(t, dir, client, p, srv2)
		t.Logf("%s: recorded %s, replayed %s", p, recorded[p], got)
	}
}

var listenRE = regexp.MustCompile(`"0\.0\.0\.0:(\d+)"`)

// interopConfig is the shipped config.toml on free loopback ports, with
// the Switch game on wss:// with the interop certificate.
func interopConfig(t *testing.T, dir string) *config.Config {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "..", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	s := listenRE.ReplaceAllStringFunc(string(text), func(string) string {
		return fmt.Sprintf(`"127.0.0.1:%d"`, servicetest.FreePort(t, "tcp"))
	})
	s = strings.Replace(s, `#tls_cert = "/tmp/interop/tls/server.crt"`, fmt.Sprintf("tls_cert = %q", filepath.Join(dir, "tls/server.crt")), 1)
	s = strings.Replace(s, `#tls_key = "/tmp/interop/tls/server.key"`, fmt.Sprintf("tls_key = %q", filepath.Join(dir, "tls/server.key")), 1)
	cfg, err := config.LoadTOML(s)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var passedRE = regexp.MustCompile(`(\d+) passed, (\d+) failed`)

// runClient runs the scripted client of profile against srv's game of the
// same name and returns its "N passed, 0 failed".
func runClient(t *testing.T, dir, client, profile string, srv *proxy.Server) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, port, err := net.SplitHostPort(srv.AuthAddr(profile).String())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "/usr/bin/python3", client, "--profile", profile, "--host", "127.0.0.1", "--port", port)
	cmd.Env = append(os.Environ(),
		"PYTHONPATH="+strings.Join([]string{filepath.Join(dir, "src/NintendoClients"), filepath.Join(dir, "src/anynet"), filepath.Join(dir, "src/anyio/src"), filepath.Join(dir, "shim")}, ":"),
		"PYTHONDONTWRITEBYTECODE=1",
		"SSL_CERT_FILE="+filepath.Join(dir, "tls/ca.crt"))
	out, err := cmd.CombinedOutput()
	m := passedRE.FindStringSubmatch(string(out))
	if err != nil || m == nil || m[2] != "0" {
		t.Fatalf("%s: client failed (%v):\n%s", profile, err, out)
	}
	return m[0]
}
