package titles

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

var (
	hexKey    = regexp.MustCompile(`^[0-9a-f]{8}$`)
	shortName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// knownProtocols are the NEX service libraries a title's Protocols may
// name.
var knownProtocols = []string{"datastore", "matchmaking", "messaging", "ranking", "ranking2", "utility"}

// TestTable checks every entry: unique ids, short names and access keys,
// keys of NEX's 8-hex-digit shape, a valid platform and PRUDP variant, a
// NEX version that parses, variants the schema describes, and a source.
func TestTable(t *testing.T) {
	all := All()
	if len(all) < 40 {
		t.Errorf("%d titles, want at least 40", len(all))
	}
	perPlatform := map[string]int{}
	ids := map[uint32]string{}
	shorts := map[string]string{}
	keys := map[string]string{}
	variants := schema.Default().Variants()
	for _, ti := range all {
		perPlatform[ti.Platform]++
		if ti.Name == "" {
			t.Errorf("%s: no name", ti.Short)
		}
		if !shortName.MatchString(ti.Short) {
			t.Errorf("%s: short name %q is not lowercase letters, digits and '-'", ti.Name, ti.Short)
		}
		if _, isID := parseID(ti.Short); isID {
			t.Errorf("%s: short name %q reads as a game server id", ti.Name, ti.Short)
		}
		if o, dup := shorts[ti.Short]; dup {
			t.Errorf("%s and %s share short name %q", o, ti.Name, ti.Short)
		}
		shorts[ti.Short] = ti.Name
		if ti.ServerID == 0 {
			t.Errorf("%s: no game server id", ti.Name)
		}
		if o, dup := ids[ti.ServerID]; dup {
			t.Errorf("%s and %s share game server id %s", o, ti.Name, ti.ID())
		}
		ids[ti.ServerID] = ti.Name
		if !hexKey.MatchString(ti.AccessKey) {
			t.Errorf("%s: access key %q is not 8 lowercase hex digits", ti.Name, ti.AccessKey)
		}
		if o, dup := keys[ti.AccessKey]; dup {
			t.Errorf("%s and %s share access key %q", o, ti.Name, ti.AccessKey)
		}
		keys[ti.AccessKey] = ti.Name
		if !slices.Contains(Platforms, ti.Platform) {
			t.Errorf("%s: platform %q (want one of %v)", ti.Name, ti.Platform, Platforms)
		}
		if n, err := ParseNEX(ti.NEX); err != nil {
			t.Errorf("%s: %v", ti.Name, err)
		} else if n != ti.NEXVersion() {
			t.Errorf("%s: NEXVersion %d, ParseNEX %d", ti.Name, ti.NEXVersion(), n)
		}
		// Switch titles link NEX 4, the others NEX 2 or 3.
		if major := ti.NEXVersion() / 10000; (ti.Platform == "switch") != (major == 4) {
			t.Errorf("%s: NEX %s on %s", ti.Name, ti.NEX, ti.Platform)
		}
		switch v := ti.Variant(); v {
		case "v0", "v1":
			if ti.Platform == "switch" {
				t.Errorf("%s: PRUDP %s on Switch", ti.Name, v)
			}
		case "lite":
			if ti.Platform != "switch" {
				t.Errorf("%s: PRUDPLite on %s", ti.Name, ti.Platform)
			}
		default:
			t.Errorf("%s: PRUDP variant %q", ti.Name, v)
		}
		if ps, ok := ti.PRUDPSettings(); !ok || ps.AccessKey != ti.AccessKey || ps.Variant.String() != ti.Variant() {
			t.Errorf("%s: PRUDP settings %+v, %v", ti.Name, ps, ok)
		}
		for _, v := range ti.Variants {
			if !slices.Contains(variants, v) {
				t.Errorf("%s: variant %q is not in the schema (%v)", ti.Name, v, variants)
			}
		}
		for _, p := range ti.Protocols {
			if !slices.Contains(knownProtocols, p) {
				t.Errorf("%s: protocol %q (want one of %v)", ti.Name, p, knownProtocols)
			}
		}
		if len(ti.Sources) == 0 {
			t.Errorf("%s: no source", ti.Name)
		}
		for _, s := range ti.Sources {
			if !strings.HasPrefix(s, "https://") {
				t.Errorf("%s: source %q is not a URL", ti.Name, s)
			}
		}
	}
	for _, p := range Platforms {
		if perPlatform[p] == 0 {
			t.Errorf("no %s title", p)
		}
	}
}

func TestParseNEX(t *testing.T) {
	for s, want := range map[string]int{"3.5.4": 30504, "4.6.25": 40625, "2.4.3": 20403, "3.10.0": 31000} {
		if got, err := ParseNEX(s); err != nil || got != want {
			t.Errorf("ParseNEX(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "3.5", "3.5.4.1", "3.x.4", "3.100.0", "0.1.0", "10.0.0", "3.-1.0", "3.+5.4", "3.05.4"} {
		if n, err := ParseNEX(s); err == nil {
			t.Errorf("ParseNEX(%q) = %d, want an error", s, n)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range []string{"mk8", "MK8", " mk8 ", "0x1010EB00", "1010eb00", "0X1010eb00"} {
		ti, ok := Lookup(name)
		if !ok || ti.Short != "mk8" || ti.AccessKey != "25dbf96a" || ti.NEXVersion() != 30504 {
			t.Errorf("Lookup(%q) = %+v, %v", name, ti, ok)
		}
	}
	for _, name := range []string{"", "mk9", "0x1010EB01", "1010EB0", "mario kart 8"} {
		if ti, ok := Lookup(name); ok {
			t.Errorf("Lookup(%q) = %s, want none", name, ti.Short)
		}
	}
	if got := ByAccessKey("6181dff1"); len(got) != 1 || got[0].Short != "mk7" {
		t.Errorf("ByAccessKey(6181dff1) = %+v", got)
	}
	if got := ByAccessKey("00000000"); got != nil {
		t.Errorf("ByAccessKey(00000000) = %+v", got)
	}
}

func TestFilter(t *testing.T) {
	if got := len(Filter("")); got != len(table) {
		t.Errorf("Filter(\"\") = %d titles, want %d", got, len(table))
	}
	names := func(ts []Title) []string {
		var out []string
		for _, ti := range ts {
			out = append(out, ti.Short)
		}
		return out
	}
	for q, want := range map[string][]string{
		"MARIO KART":  {"mk7", "mk8", "mk8d"},
		"0x1010eb":    {"mk8"},
		"2e471600":    {"pacman99"},
		"smm":         {"smm", "smm2"},
		"no such one": nil,
	} {
		if got := names(Filter(q)); !slices.Equal(got, want) {
			t.Errorf("Filter(%q) = %v, want %v", q, got, want)
		}
	}
	for _, p := range Platforms {
		for _, ti := range Filter(p) {
			if ti.Platform != p && !strings.Contains(strings.ToLower(ti.Name+ti.Short), p) {
				t.Errorf("Filter(%q) returned %s (%s)", p, ti.Short, ti.Platform)
			}
		}
	}
	// All sorts by platform, then name.
	all := All()
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if platformRank(a.Platform) > platformRank(b.Platform) || a.Platform == b.Platform && a.Name > b.Name {
			t.Errorf("All: %s (%s) before %s (%s)", a.Name, a.Platform, b.Name, b.Platform)
		}
	}
}

// TestPretendoV1ThreeDSTitles: the 3DS titles whose consoles Pretendo
// served over PRUDPv1 only (minor version 3) speak v1, with the rest of
// the 3DS preset.
func TestPretendoV1ThreeDSTitles(t *testing.T) {
	for _, short := range []string{"pokemon-xy", "tfh", "badge-arcade"} {
		ti, ok := Lookup(short)
		if !ok {
			t.Fatalf("%s: not in the table", short)
		}
		s, ok := ti.PRUDPSettings()
		if !ok || ti.Variant() != "v1" || s.Variant != prudp.V1 || s.MinorVersion != 3 || s.FragmentSize != prudp.ThreeDS().FragmentSize {
			t.Errorf("%s: PRUDP %s, settings %+v", short, ti.Variant(), s)
		}
	}
}
