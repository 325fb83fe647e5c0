package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func loadWithEnv(t *testing.T, text string, env ...string) (*Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	old := environ
	environ = func() []string { return env }
	t.Cleanup(func() { environ = old })
	return LoadFile(path)
}

const envGames = `advertise = "127.0.0.1"
[[games]]
name = "friends"
platform = "friends"
access_key = "ridfebb9"
auth_listen = "0.0.0.0:60000"
upstream = "local"
[[games]]
name = "mk-8"
platform = "wiiu"
access_key = "25dbf96a"
auth_listen = "0.0.0.0:60010"
upstream = "local"
[games.prudp]
window = 8
`

// TestEnvOverridesNestedKeys: keys inside [[games]] (by position or by
// name) and their tables can be set from the environment, including
// tables the file leaves out.
func TestEnvOverridesNestedKeys(t *testing.T) {
	cfg, err := loadWithEnv(t, envGames,
		"NEXPROXY_GAMES_0_ACCESS_KEY=0badf00d",
		"NEXPROXY_GAMES_MK_8_PRUDP_RESEND_LIMIT=10",
		"NEXPROXY_GAMES_1_PRUDP_WINDOW=16",
		"NEXPROXY_GAMES_FRIENDS_PRUDP_PING_TIMEOUT=7s",
		"NEXPROXY_LOG_LEVEL=debug",
		"NEXPROXY_LOCAL_SECURE_PASSWORD=secret",
		"NEXPROXY_VECTORS=/elsewhere",
		"NEXPROXY_TEST_POSTGRES=postgres://x",
		"OTHER_VAR=1",
	)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := cfg.Game("friends")
	mk, _ := cfg.Game("mk-8")
	if f.PRUDP.AccessKey != "0badf00d" || f.PRUDP.PingTimeout != 7*time.Second {
		t.Errorf("friends: key %q ping %v", f.PRUDP.AccessKey, f.PRUDP.PingTimeout)
	}
	if mk.PRUDP.ResendLimit != 10 || mk.PRUDP.Window != 16 {
		t.Errorf("mk-8: resend_limit %d window %d", mk.PRUDP.ResendLimit, mk.PRUDP.Window)
	}
	if cfg.Log.Level != "debug" || cfg.LocalSecurePassword != "secret" {
		t.Errorf("top-level overrides: %q %q", cfg.Log.Level, cfg.LocalSecurePassword)
	}
}

// TestEnvUnknownVariables: a NEXPROXY_* variable that names no key is a
// problem reported by its name, as a misspelt key in the file is.
func TestEnvUnknownVariables(t *testing.T) {
	_, err := loadWithEnv(t, envGames,
		"NEXPROXY_LOG_LEVL=debug",
		"NEXPROXY_GAMES_7_ACCESS_KEY=0badf00d",
		"NEXPROXY_GAMES_NOSUCH_ACCESS_KEY=0badf00d",
		"NEXPROXY_GAMES_1_PRUDP_RESEND_LIMT=3",
		"NEXPROXY_ADVERTIZE=1.2.3.4",
	)
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("err = %v", err)
	}
	got := err.Error()
	for _, want := range []string{
		"log.levl: unknown key (set by NEXPROXY_LOG_LEVL)",
		"NEXPROXY_GAMES_7_ACCESS_KEY: games[7] does not exist (the file has 2)",
		`NEXPROXY_GAMES_NOSUCH_ACCESS_KEY: no game is named "nosuch"`,
		"games[mk-8].prudp.resend_limt: unknown key (set by NEXPROXY_GAMES_1_PRUDP_RESEND_LIMT)",
		"advertize: unknown key (set by NEXPROXY_ADVERTIZE)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
}

// TestErrorsDoNotEchoSecrets: a password written as a number is refused
// without its digits: configuration errors reach terminals and service
// logs.
func TestErrorsDoNotEchoSecrets(t *testing.T) {
	_, err := loadWithEnv(t, envGames+`
[[accounts]]
pid = 1234
password = 13572468
`+"\n", "NEXPROXY_LOCAL_SECURE_PASSWORD=")
	_, err2 := loadWithEnv(t, "local_secure_password = 987654321\n"+envGames)
	for _, e := range []error{err, err2} {
		if e == nil {
			t.Fatal("a password written as a number was accepted")
		}
		msg := e.Error()
		if strings.Contains(msg, "13572468") || strings.Contains(msg, "987654321") {
			t.Errorf("error shows the password: %s", msg)
		}
		if !strings.Contains(msg, "must be a string, not a number") {
			t.Errorf("error does not say what is wrong: %s", msg)
		}
	}
}
