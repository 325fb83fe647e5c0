package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/prudp"
)

// TestDefaultConfig loads the config.toml shipped at the repository root:
// it must stay valid and keep the interop profiles the harness logs in with.
func TestDefaultConfig(t *testing.T) {
	cfg, err := LoadFile(filepath.Join("..", "..", "config.toml"))
	if err != nil {
		t.Fatalf("config.toml: %v", err)
	}
	want := []struct {
		name, key, auth, secure, transport string
		variant                            prudp.Variant
		nex, keySize                       int
	}{
		{"friends", "ridfebb9", "0.0.0.0:60000", "0.0.0.0:60001", TransportUDP, prudp.V0, 20000, 16},
		{"wiiu", "25dbf96a", "0.0.0.0:60010", "0.0.0.0:60011", TransportUDP, prudp.V1, 30504, 32},
		{"3ds", "6181dff1", "0.0.0.0:60020", "0.0.0.0:60021", TransportUDP, prudp.V0, 30400, 32},
		{"switch", "fdf6617f", "0.0.0.0:60030", "0.0.0.0:60030", TransportWebSocket, prudp.Lite, 40605, 32},
	}
	if len(cfg.Games) != len(want) {
		t.Fatalf("%d games, want %d", len(cfg.Games), len(want))
	}
	for i, w := range want {
		g := cfg.Games[i]
		if g.Name != w.name || g.PRUDP.AccessKey != w.key || g.AuthListen != w.auth || g.SecureListen != w.secure ||
			g.Transport != w.transport || g.PRUDP.Variant != w.variant || g.RMC.NEXVersion != w.nex ||
			g.Kerberos.KeySize != w.keySize || !g.Local() {
			t.Errorf("games[%d] = %+v", i, g)
		}
	}
	if wiiu, _ := cfg.Game("wiiu"); wiiu.PRUDP.MaxSubstream != 1 {
		t.Errorf("wiiu max_substream_id = %d, want 1 like the harness", wiiu.PRUDP.MaxSubstream)
	}
	if sw, _ := cfg.Game("switch"); sw.TLSCert != "" || sw.Kerberos.PIDSize != 8 || sw.Kerberos.Derivation != 1 {
		t.Errorf("switch = %+v", sw)
	}
	if a, ok := cfg.Account("wiiu", 1234567); !ok || a.Password != "testpassword" || a.Username != "1234567" {
		t.Errorf("account 1234567 = %+v, %v", a, ok)
	}
	if a, ok := cfg.AccountByName("3ds", "guest"); !ok || a.PID != 100 || a.Password != "MMQea3n!fsik" || !a.Builtin {
		t.Errorf("guest = %+v, %v", a, ok)
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	if got, _ := filepath.Abs(cfg.Log.Sessions); got != filepath.Join(root, "sessions") {
		t.Errorf("sessions folder %s, want it beside config.toml", cfg.Log.Sessions)
	}
	if cfg.Log.Secrets || filepath.Base(cfg.Scripts.Dir) != "hooks" || cfg.Scripts.Timeout != 50*time.Millisecond {
		t.Errorf("log %+v scripts %+v", cfg.Log, cfg.Scripts)
	}
}

// TestEnvOverrides checks NEXPROXY_* variables both for keys the file sets
// and for keys it leaves out.
func TestEnvOverrides(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.toml")
	err := os.WriteFile(path, []byte(`advertise = "127.0.0.1"
[log]
level = "info"
[[games]]
name = "g"
platform = "wiiu"
access_key = "0badf00d"
auth_listen = ":60000"
upstream = "local"
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("NEXPROXY_LOG_LEVEL", "debug")
	t.Setenv("NEXPROXY_ADVERTISE", "192.168.1.20")
	t.Setenv("NEXPROXY_LOG_SECRETS", "true")
	t.Setenv("NEXPROXY_SCRIPTS_TIMEOUT", "20ms")
	t.Setenv("NEXPROXY_METRICS", "127.0.0.1:9100")
	cfg, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Log.Level != "debug" || cfg.Advertise != "192.168.1.20" || !cfg.Log.Secrets ||
		cfg.Scripts.Timeout != 20*time.Millisecond || cfg.Metrics != "127.0.0.1:9100" {
		t.Errorf("overrides not applied: advertise %q log %+v scripts %+v metrics %q", cfg.Advertise, cfg.Log, cfg.Scripts, cfg.Metrics)
	}

	t.Setenv("NEXPROXY_LOG_SECRETS", "maybe")
	t.Setenv("NEXPROXY_SCRIPTS_TIMEOUT", "fast")
	_, err = LoadFile(path)
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("bad env values: %v", err)
	}
	got := err.Error()
	for _, want := range []string{`log.secrets: must be true or false, not the string "maybe"`, `scripts.timeout: "fast" is not a duration`} {
		if !strings.Contains(got, want) {
			t.Errorf("errors %q lack %q", got, want)
		}
	}
	if EnvName("log.level") != "NEXPROXY_LOG_LEVEL" {
		t.Errorf("EnvName = %s", EnvName("log.level"))
	}
}

// TestAccountPrecedence: a game-specific account wins over one for every
// game, and a configured guest for every game replaces the built-in one.
func TestAccountPrecedence(t *testing.T) {
	cfg, err := LoadTOML(`advertise = "127.0.0.1"
[[games]]
name = "a"
platform = "wiiu"
access_key = "0badf00d"
auth_listen = ":60000"
upstream = "local"
[[accounts]]
pid = 7
password = "general"
[[accounts]]
pid = 7
password = "special"
game = "a"
[[accounts]]
pid = 100
username = "guest"
password = "changed"
`)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := cfg.Account("a", 7); a.Password != "special" {
		t.Errorf("game a: %+v", a)
	}
	if a, _ := cfg.Account("b", 7); a.Password != "general" {
		t.Errorf("game b: %+v", a)
	}
	if a, _ := cfg.AccountByName("a", "guest"); a.Password != "changed" || a.Builtin {
		t.Errorf("guest: %+v", a)
	}
	if len(cfg.Accounts) != 3 {
		t.Errorf("%d accounts, want 3 (no built-in guest)", len(cfg.Accounts))
	}
	if _, ok := cfg.Account("a", 8); ok {
		t.Error("unknown PID found")
	}
}

// TestLoadTOMLSyntax: a TOML syntax error is reported as such, not as a
// list of missing keys.
func TestLoadTOMLSyntax(t *testing.T) {
	_, err := LoadTOML("advertise = \n")
	var es Errors
	if err == nil || errors.As(err, &es) {
		t.Fatalf("syntax error: %v", err)
	}
}

// FuzzLoadTOML: no configuration text makes Load panic, and Load returns
// either a Config or errors, never both or neither.
func FuzzLoadTOML(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.toml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := LoadTOML(text)
		if (cfg == nil) == (err == nil) {
			t.Fatalf("cfg %v, err %v", cfg, err)
		}
	})
}

// TestDefaultConfigTLSLines: the commented tls_cert/tls_key lines of
// config.toml, once uncommented, configure the Switch game (and not the
// table before it).
func TestDefaultConfigTLSLines(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "..", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(text), `#tls_cert = "/tmp/interop/tls/server.crt"`, `tls_cert = "testdata/tls/cert.pem"`, 1)
	s = strings.Replace(s, `#tls_key = "/tmp/interop/tls/server.key"`, `tls_key = "testdata/tls/key.pem"`, 1)
	if s == string(text) {
		t.Fatal("config.toml no longer has the commented tls lines")
	}
	cfg, err := LoadTOML(s)
	if err != nil {
		t.Fatal(err)
	}
	if sw, _ := cfg.Game("switch"); sw.TLSCert != "testdata/tls/cert.pem" || sw.TLSKey != "testdata/tls/key.pem" {
		t.Errorf("switch TLS %q %q", sw.TLSCert, sw.TLSKey)
	}
}

// TestUpstreamScheme: a WebSocket game's upstream may name its scheme
// (ws:// for a plain upstream, as the proxy dials it), a UDP game's may not.
func TestUpstreamScheme(t *testing.T) {
	game := func(platform, upstream string) string {
		return fmt.Sprintf("advertise = \"127.0.0.1\"\n[[games]]\nname = \"g\"\nplatform = %q\naccess_key = \"0badf00d\"\nauth_listen = \":60000\"\nupstream = %q\n", platform, upstream)
	}
	for _, up := range []string{"127.0.0.1:6000", "ws://127.0.0.1:6000", "wss://example.net:443"} {
		if _, err := LoadTOML(game("switch", up)); err != nil {
			t.Errorf("switch upstream %q: %v", up, err)
		}
	}
	for _, c := range []struct{ platform, upstream string }{
		{"wiiu", "ws://127.0.0.1:6000"},
		{"switch", "ws://"},
		{"switch", "http://127.0.0.1:6000"},
		{"switch", "ws://wss://127.0.0.1:6000"},
	} {
		_, err := LoadTOML(game(c.platform, c.upstream))
		var es Errors
		if !errors.As(err, &es) || len(es) != 1 || es[0].Key != "games[g].upstream" {
			t.Errorf("%s upstream %q: %v", c.platform, c.upstream, err)
		}
	}
}

// TestAccessKeyShapes: any key of 1 to 128 printable characters is valid
// (some titles' keys are not hex); one that is not 8 lowercase hex digits
// (nor the friends server's) is reported as a warning.
func TestAccessKeyShapes(t *testing.T) {
	gameWithKey := func(key string) string {
		return "advertise = \"127.0.0.1\"\n[[games]]\nname = \"g\"\nplatform = \"wiiu\"\nauth_listen = \"127.0.0.1:60000\"\nupstream = \"local\"\naccess_key = \"" + key + "\"\n"
	}
	for _, c := range []struct {
		key      string
		valid    bool
		warnings int
	}{
		{"25dbf96a", true, 0},
		{"ridfebb9", true, 0},
		{"25dbf96", true, 1},
		{"25DBF96A", true, 1},
		{strings.Repeat("k", 128), true, 1},
		{strings.Repeat("k", 129), false, 0},
		{"has space", false, 0},
	} {
		cfg, err := LoadTOML(gameWithKey(c.key))
		if (err == nil) != c.valid {
			t.Errorf("key %q: err %v, want valid %v", c.key, err, c.valid)
			continue
		}
		if err != nil {
			continue
		}
		if len(cfg.Warnings) != c.warnings {
			t.Errorf("key %q: warnings %v, want %d", c.key, cfg.Warnings, c.warnings)
		}
		for _, w := range cfg.Warnings {
			if w.Key != "games[g].access_key" {
				t.Errorf("warning key %q", w.Key)
			}
		}
	}
}

// TestStoreSection: [store] selects the backends over the store's
// defaults, its data folder is relative to the file, and its problems are
// reported with their keys.
func TestStoreSection(t *testing.T) {
	base := "advertise = \"127.0.0.1\"\n[[games]]\nname = \"g\"\nplatform = \"wiiu\"\naccess_key = \"25dbf96a\"\nauth_listen = \"127.0.0.1:60000\"\nupstream = \"local\"\n"
	cfg, err := LoadTOML(base)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Backends.Accounts != "sqlite" || cfg.Store.Backends.Objects != "files" || cfg.Store.DataDir != "data" {
		t.Errorf("defaults: %+v", cfg.Store)
	}
	cfg, err = LoadTOML(base + `
[store]
data_dir = "/var/lib/nexproxy"
[store.backends]
accounts = "postgres"
stations = "redis"
[store.postgres]
url = "postgres://db/nex"
[store.redis]
url = "redis://cache:6379"
`)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Store.Backends.Accounts != "postgres" || cfg.Store.Postgres.URL != "postgres://db/nex" || cfg.Store.Backends.Stations != "redis" || cfg.Store.DataDir != "/var/lib/nexproxy" {
		t.Errorf("decoded: %+v", cfg.Store)
	}
	_, err = LoadTOML(base + "[store.backends]\naccounts = \"mongodb\"\nbus = \"redis\"\n[store.sqlite]\nreadrs = 2\n")
	got := fmt.Sprint(err)
	for _, want := range []string{`store.backends.accounts: backend "mongodb" is not one of sqlite, postgres`, "store.redis.url: must be set", "store.sqlite.readrs: unknown key"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

// TestVariants: a game names the schema's variants it uses; an unknown
// name is reported with its position.
func TestVariants(t *testing.T) {
	base := "advertise = \"127.0.0.1\"\n[[games]]\nname = \"mk8\"\nplatform = \"wiiu\"\naccess_key = \"25dbf96a\"\nauth_listen = \"127.0.0.1:60000\"\nupstream = \"local\"\n"
	cfg, err := LoadTOML(base + "variants = [\"mk8\"]\n")
	if err != nil || len(cfg.Games[0].Variants) != 1 || cfg.Games[0].Variants[0] != "mk8" {
		t.Fatalf("variants: %+v, %v", cfg, err)
	}
	_, err = LoadTOML(base + "variants = [\"mk8\", \"mk9\"]\n")
	if err == nil || !strings.Contains(err.Error(), "games[mk8].variants[1]: mk9 is not a known variant (want one of legacy, mk8)") {
		t.Errorf("unknown variant: %v", err)
	}
}
