package replay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/proxy/config"
	_ "github.com/nexproxy/nexproxy/proxy/webview" // config.toml's [web]
)

// TestShippedReplayExample uncomments the [replay] example of the shipped
// config.toml: it must load, and mean what its comments say.
func TestShippedReplayExample(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "..", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	found := 0
	for _, l := range strings.Split(string(text), "\n") {
		for _, p := range []string{"#[replay]", "#error = ", "#ignore = ", "#local = "} {
			if strings.HasPrefix(l, p) {
				l = l[1:]
				found++
			}
		}
		out = append(out, l)
	}
	if found != 4 {
		t.Fatalf("config.toml has %d of the 4 commented [replay] lines", found)
	}
	// The example sits before the games, so the lines after it stay in
	// the games' tables only if [replay] ends first: LoadTOML would report
	// games keys as unknown [replay] keys otherwise.
	cfg, err := config.LoadTOML(strings.Join(out, "\n"))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := config.SectionOf[*Config](cfg.Sections, "replay")
	if err != nil {
		t.Fatal(err)
	}
	if rc.Error != "Core::NotImplemented" || len(rc.Ignore) != 2 || strings.Join(rc.Local, ",") != "authentication,secure" {
		t.Errorf("[replay] %+v", rc)
	}
	for _, r := range rc.Ignore {
		if _, err := ParseRule(r); err != nil {
			t.Error(err)
		}
	}
}

// TestConfigProblems: a bad [replay] table is reported by key.
func TestConfigProblems(t *testing.T) {
	base := "advertise = \"127.0.0.1\"\n[[games]]\nname = \"g\"\nplatform = \"wiiu\"\naccess_key = \"25dbf96a\"\nauth_listen = \"127.0.0.1:1234\"\nupstream = \"local\"\n"
	for text, key := range map[string]string{
		"[replay]\nerror = \"Core::Nope\"\n":       "replay.error",
		"[replay]\nignore = [\"Ranking\"]\n":       "replay.ignore[0]",
		"[replay]\nspeed = 2\n":                    "replay.speed",
		"[replay]\nignore = [\"a.b:x\", \"a:\"]\n": "replay.ignore[1]",
	} {
		_, err := config.LoadTOML(base + text)
		if err != nil && strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%q: more than the one problem: %v", text, err)
		}
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: error %v, want one naming %s", text, err, key)
		}
	}
	cfg, err := config.LoadTOML(base)
	if err != nil {
		t.Fatal(err)
	}
	if rc, err := config.SectionOf[*Config](cfg.Sections, "replay"); err != nil || rc.Error != "Core::NotImplemented" || len(rc.Local) != 2 {
		t.Errorf("defaults %+v %v", rc, err)
	}
}
