package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/internal/titles"
	"github.com/nexproxy/nexproxy/prudp"
)

// TestTitleEveryEntry: every title of the table, named by short name and
// by game server id, loads as a game and fills in its platform, access
// key, NEX version, PRUDP variant and variants.
func TestTitleEveryEntry(t *testing.T) {
	for _, ti := range titles.All() {
		for _, ref := range []string{ti.Short, "0x" + ti.ID()} {
			cfg, err := LoadTOML(fmt.Sprintf("advertise = \"127.0.0.1\"\n[[games]]\ntitle = %q\nauth_listen = \"127.0.0.1:62000\"\nupstream = \"local\"\n", ref))
			if err != nil {
				t.Errorf("title %q: %v", ref, err)
				continue
			}
			g := cfg.Games[0]
			if g.Name != ti.Short || g.Title != ti.Short || g.Platform != ti.Platform ||
				g.PRUDP.AccessKey != ti.AccessKey || g.RMC.NEXVersion != ti.NEXVersion() ||
				g.PRUDP.Variant.String() != ti.Variant() || !slices.Equal(g.Variants, ti.Variants) {
				t.Errorf("title %q: game %s/%s platform %s key %s NEX %d PRUDP %s variants %v; want %+v",
					ref, g.Name, g.Title, g.Platform, g.PRUDP.AccessKey, g.RMC.NEXVersion, g.PRUDP.Variant, g.Variants, ti)
			}
			if ti.PRUDP.MinorVersion != 0 && int(g.PRUDP.MinorVersion) != ti.PRUDP.MinorVersion {
				t.Errorf("title %q: minor version %d, want %d", ref, g.PRUDP.MinorVersion, ti.PRUDP.MinorVersion)
			}
		}
	}
}

// TestTitleOverrides: the game's own keys win over the title's, key by
// key, inside [games.prudp] and [games.rmc] too; what the game leaves out
// still comes from the title, and what neither sets from the preset.
func TestTitleOverrides(t *testing.T) {
	cfg, err := LoadTOML(`advertise = "127.0.0.1"
[[games]]
title = "badge-arcade"
name = "mine"
access_key = "0badf00d"
auth_listen = "127.0.0.1:62000"
upstream = "local"
variants = ["mk8"]
[games.prudp]
minor_version = 2
window = 9
[games.rmc]
nex_version = 30000
`)
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Games[0]
	preset, _ := prudp.Preset("3ds")
	switch {
	case g.Name != "mine" || g.Title != "badge-arcade":
		t.Errorf("name %q title %q", g.Name, g.Title)
	case g.PRUDP.AccessKey != "0badf00d":
		t.Errorf("access key %q, want the game's", g.PRUDP.AccessKey)
	case g.RMC.NEXVersion != 30000:
		t.Errorf("nex_version %d, want the game's", g.RMC.NEXVersion)
	case g.PRUDP.MinorVersion != 2 || g.PRUDP.Window != 9:
		t.Errorf("minor version %d window %d, want the game's", g.PRUDP.MinorVersion, g.PRUDP.Window)
	case g.PRUDP.Variant != prudp.V1:
		t.Errorf("variant %s, want the title's v1", g.PRUDP.Variant)
	case g.Platform != "3ds" || g.PRUDP.FragmentSize != preset.FragmentSize || g.Kerberos.KeySize != 32:
		t.Errorf("platform %s fragment %d key size %d, want the 3ds preset's", g.Platform, g.PRUDP.FragmentSize, g.Kerberos.KeySize)
	case !slices.Equal(g.Variants, []string{"mk8"}):
		t.Errorf("variants %v, want the game's", g.Variants)
	}

	// The platform too: a Wii U title served with another preset.
	cfg, err = LoadTOML(`advertise = "127.0.0.1"
[[games]]
title = "mk8"
platform = "3ds"
auth_listen = "127.0.0.1:62000"
upstream = "local"
`)
	if err != nil {
		t.Fatal(err)
	}
	if g := cfg.Games[0]; g.Platform != "3ds" || g.PRUDP.Variant != prudp.V0 || g.PRUDP.AccessKey != "25dbf96a" {
		t.Errorf("platform %s variant %s key %s", g.Platform, g.PRUDP.Variant, g.PRUDP.AccessKey)
	}
}

// TestTitleUnknown: a title that names nothing is one error, by key,
// without the missing-key errors it would have prevented.
func TestTitleUnknown(t *testing.T) {
	_, err := LoadTOML(`advertise = "127.0.0.1"
[[games]]
name = "x"
title = "0x12345678"
auth_listen = "127.0.0.1:62000"
upstream = "local"
`)
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 {
		t.Fatalf("errors %v, want one", err)
	}
	if es[0].Key != "games[x].title" || !strings.Contains(es[0].Msg, `"0x12345678" is not a known title`) || !strings.Contains(es[0].Msg, "nexproxy games") {
		t.Errorf("error %v", es[0])
	}
}

// TestTitleEnvByShortName: a game named only by its title is reachable by
// that name from the environment.
func TestTitleEnvByShortName(t *testing.T) {
	cfg, err := loadWithEnv(t, `advertise = "127.0.0.1"
[[games]]
title = "mk8"
auth_listen = "127.0.0.1:62000"
upstream = "local"
`, "NEXPROXY_GAMES_MK8_RMC_NEX_VERSION=30505")
	if err != nil {
		t.Fatal(err)
	}
	if n := cfg.Games[0].RMC.NEXVersion; n != 30505 {
		t.Errorf("nex_version %d, want the environment's 30505", n)
	}
}

func TestMergeOver(t *testing.T) {
	base := map[string]any{"a": 1, "t": map[string]any{"x": 1, "y": 2}, "u": map[string]any{"z": 1}}
	over := map[string]any{"b": 2, "t": map[string]any{"y": 3}, "u": "flat"}
	got := mergeOver(base, over)
	want := fmt.Sprint(map[string]any{"a": 1, "b": 2, "t": map[string]any{"x": 1, "y": 3}, "u": "flat"})
	if fmt.Sprint(got) != want {
		t.Errorf("merge = %v, want %v", got, want)
	}
	if fmt.Sprint(base["t"]) != fmt.Sprint(map[string]any{"x": 1, "y": 2}) || len(over) != 3 {
		t.Errorf("inputs modified: %v %v", base, over)
	}
}

// TestTitleREADMEExample: the README's title example loads, and says
// what it claims (the title's values, the game's nex_version).
func TestTitleREADMEExample(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var block string
	for _, part := range strings.Split(string(text), "```toml\n")[1:] {
		if b, _, ok := strings.Cut(part, "```"); ok && strings.Contains(b, "title = ") {
			block = b
		}
	}
	if block == "" {
		t.Fatal("README.md has no toml example with title =")
	}
	cfg, err := LoadTOML("advertise = \"127.0.0.1\"\n" + block)
	if err != nil {
		t.Fatalf("README example: %v", err)
	}
	if g := cfg.Games[0]; g.Name != "mk8" || g.PRUDP.AccessKey != "25dbf96a" || g.RMC.NEXVersion != 30505 || !slices.Equal(g.Variants, []string{"mk8"}) {
		t.Errorf("README example: %+v", g)
	}
}
