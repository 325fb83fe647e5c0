package config

import (
	"os"
	"reflect"
	"testing"

	"github.com/nexproxy/nexproxy/prudp"
)

// TestEveryKnobOverrides guards the mapping from keys to settings: the
// every_knob file sets each PRUDP, Kerberos and RMC knob away from the 3ds
// preset, so a settings field that no key reaches (for instance one added
// to prudp.Settings later) shows up here as unchanged.
func TestEveryKnobOverrides(t *testing.T) {
	text, err := os.ReadFile("testdata/valid/every_knob.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadTOML(string(text))
	if err != nil {
		t.Fatal(err)
	}
	p, err := preset("3ds")
	if err != nil {
		t.Fatal(err)
	}
	p.prudp.AccessKey = "set on the game"
	g := cfg.Games[0]
	for _, c := range []struct {
		name      string
		got, base any
	}{
		{"prudp", g.PRUDP, p.prudp},
		{"kerberos", g.Kerberos, p.kerberos},
		{"rmc", g.RMC, p.rmc},
	} {
		got, base := reflect.ValueOf(c.got), reflect.ValueOf(c.base)
		for i := 0; i < got.NumField(); i++ {
			if reflect.DeepEqual(got.Field(i).Interface(), base.Field(i).Interface()) {
				t.Errorf("%s.%s: no key of every_knob.toml changed it from the preset (%v): does it have a config key?",
					c.name, got.Type().Field(i).Name, base.Field(i).Interface())
			}
		}
	}
}

// TestPresets pins the platform defaults that prudp.md §14 and kerberos.md
// prescribe and that consoles fail on silently when wrong.
func TestPresets(t *testing.T) {
	for _, c := range []struct {
		platform  string
		keySize   int
		pidSize   int
		newDerive bool
		structHdr bool
		nex       int
		transport string
	}{
		{"friends", 16, 4, false, false, 20000, TransportUDP},
		{"3ds", 32, 4, false, false, 30400, TransportUDP},
		{"wiiu", 32, 4, false, true, 30504, TransportUDP},
		{"switch", 32, 8, true, true, 40605, TransportWebSocket},
	} {
		cfg, err := LoadTOML(`advertise = "127.0.0.1"
[[games]]
name = "g"
platform = "` + c.platform + `"
access_key = "0badf00d"
auth_listen = ":60000"
upstream = "local"
`)
		if err != nil {
			t.Fatalf("%s: %v", c.platform, err)
		}
		g := cfg.Games[0]
		if g.Kerberos.KeySize != c.keySize || g.Kerberos.PIDSize != c.pidSize || g.RMC.PIDSize != c.pidSize ||
			(g.Kerberos.Derivation == 1) != c.newDerive || g.RMC.StructHeader != c.structHdr ||
			g.RMC.NEXVersion != c.nex || g.Transport != c.transport || g.Kerberos.TicketVersion != 1 {
			t.Errorf("%s: got kerberos %+v rmc %+v transport %s", c.platform, g.Kerberos, g.RMC, g.Transport)
		}
	}
}

// TestStructHeaderFollowsMinorVersion checks the NintendoClients rule:
// lowering a v1 game's minor version below 3 turns structure headers off
// unless struct_header is set explicitly.
func TestStructHeaderFollowsMinorVersion(t *testing.T) {
	base := `advertise = "127.0.0.1"
[[games]]
name = "g"
platform = "wiiu"
access_key = "0badf00d"
auth_listen = ":60000"
upstream = "local"
[games.prudp]
minor_version = 2
`
	cfg, err := LoadTOML(base)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Games[0].RMC.StructHeader {
		t.Error("minor_version 2: struct headers on")
	}
	cfg, err = LoadTOML(base + "[games.rmc]\nstruct_header = true\n")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Games[0].RMC.StructHeader {
		t.Error("explicit struct_header = true ignored")
	}
}

// TestStructHeaderFollowsNEXVersionOnV0: v0 connections negotiate no
// minor version, so a v0 title's NEX version decides (headers from 3.5.0),
// unless struct_header is set explicitly.
func TestStructHeaderFollowsNEXVersionOnV0(t *testing.T) {
	for _, c := range []struct {
		extra string
		want  bool
	}{
		{"", false}, // the 3ds preset: NEX 3.4.0
		{"[games.rmc]\nnex_version = 30500\n", true},
		{"[games.rmc]\nnex_version = 30900\n", true},
		{"[games.rmc]\nnex_version = 30900\nstruct_header = false\n", false},
	} {
		cfg, err := LoadTOML(`advertise = "127.0.0.1"
[[games]]
name = "g"
platform = "3ds"
access_key = "0badf00d"
auth_listen = ":60000"
upstream = "local"
` + c.extra)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.Games[0].RMC.StructHeader; got != c.want {
			t.Errorf("%q: struct headers %v, want %v", c.extra, got, c.want)
		}
	}
	for _, c := range []struct {
		v     prudp.Variant
		minor uint8
		nex   int
		want  bool
	}{
		{prudp.V0, 0, 0, false},
		{prudp.V0, 0, 30499, false},
		{prudp.V0, 0, 30500, true},
		{prudp.V1, 2, 30504, false}, // v1 follows its negotiation
		{prudp.V1, 3, 30000, true},
		{prudp.Lite, 3, 0, true},
	} {
		if got := StructHeaderRule(c.v, c.minor, c.nex); got != c.want {
			t.Errorf("StructHeaderRule(%v, %d, %d) = %v, want %v", c.v, c.minor, c.nex, got, c.want)
		}
	}
}
