package dnsd_test

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/dnsd"
)

const gamesTOML = `advertise = "192.0.2.10"

[[games]]
name = "wiiu"
platform = "wiiu"
access_key = "25dbf96a"
auth_listen = "127.0.0.1:60000"
upstream = "Game.Example.NET:60000"

[[games]]
name = "switch"
platform = "switch"
access_key = "fdf6617f"
auth_listen = "127.0.0.1:60010"
upstream = "wss://g22306d00-lp1.s.n.srv.nintendo.net:443"
upstream_tls_insecure = true

[[games]]
name = "ip"
platform = "3ds"
access_key = "6181dff1"
auth_listen = "127.0.0.1:60020"
upstream = "203.0.113.4:60000"

[[games]]
name = "local"
platform = "3ds"
access_key = "58a7e494"
auth_listen = "127.0.0.1:60030"
upstream = "local"
`

func section(t *testing.T, cfg *config.Config) *dnsd.Config {
	t.Helper()
	c, err := config.SectionOf[*dnsd.Config](cfg.Sections, dnsd.SectionName)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConfigDefaultsOff(t *testing.T) {
	cfg, err := config.LoadTOML(gamesTOML)
	if err != nil {
		t.Fatal(err)
	}
	c := section(t, cfg)
	want := dnsd.Defaults()
	if !reflect.DeepEqual(*c, want) || c.Enabled {
		t.Errorf("absent [dns]: %+v, want the defaults (off) %+v", *c, want)
	}
}

func TestConfigSection(t *testing.T) {
	cfg, err := config.LoadTOML(gamesTOML + `
[dns]
enabled = true
listen = "0.0.0.0:5353"
upstream = "1.1.1.1"
names = ["*.extra.example", "account.example"]
ttl = "5m"
[[dns.records]]
name = "account.example"
address = "198.51.100.5"
`)
	if err != nil {
		t.Fatal(err)
	}
	c := section(t, cfg)
	if !c.Enabled || c.Listen != "0.0.0.0:5353" || c.Upstream != "1.1.1.1" || c.TTL != 5*time.Minute ||
		len(c.Records) != 1 || c.Records[0].Address != "198.51.100.5" || !c.PlatformNames {
		t.Errorf("decoded %+v", *c)
	}
	if ap, err := dnsd.UpstreamAddr(c.Upstream); err != nil || ap.String() != "1.1.1.1:53" {
		t.Errorf("upstream %v %v, want port 53", ap, err)
	}
	table, err := dnsd.BuildTable(c, cfg.Games, netip.MustParseAddr("192.0.2.10"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"*.extra.example", "account.example", "g*-lp1.s.n.srv.nintendo.net", "g22306d00-lp1.s.n.srv.nintendo.net", "game.example.net"}
	if got := table.Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("table %v, want %v", got, want)
	}
	if a, ok := table.Lookup("account.example."); !ok || len(a) != 1 || a[0].String() != "198.51.100.5" {
		t.Errorf("record: %v %v", a, ok)
	}
	c.PlatformNames = false
	table, _ = dnsd.BuildTable(c, cfg.Games, netip.MustParseAddr("192.0.2.10"))
	if _, ok := table.Lookup("g2b309e01-lp1.s.n.srv.nintendo.net"); ok {
		t.Error("platform_names = false still redirects every Switch game server")
	}
	if _, ok := table.Lookup("g22306d00-lp1.s.n.srv.nintendo.net"); !ok {
		t.Error("the switch game's own upstream name is not redirected")
	}
}

func TestConfigProblems(t *testing.T) {
	cases := map[string]string{
		"upstream = \"\"":                "dns.upstream: required",
		"upstream = \"dns.example.net\"": "dns.upstream: \"dns.example.net\": want an IP address",
		"upstream = \"127.0.0.1:5353\"\nlisten = \"127.0.0.1:5353\"":                     "queries would loop",
		"upstream = \"1.1.1.1\"\nnames = [\"a.*.example\"]":                              "dns.names[0]",
		"upstream = \"1.1.1.1\"\nnames = [\"*\"]":                                        "dns.names[0]",
		"upstream = \"1.1.1.1\"\nadvertise = \"nexproxy.lan\"":                           "dns.advertise",
		"upstream = \"1.1.1.1\"\nttl = \"0s\"":                                           "dns.ttl",
		"upstream = \"1.1.1.1\"\nlisten = \"53\"":                                        "dns.listen",
		"upstream = \"1.1.1.1\"\nmisspelt = 1":                                           "dns.misspelt: unknown key",
		"upstream = \"1.1.1.1\"\n[[dns.records]]\nname = \"a.example\"\naddress = \"x\"": "dns.records[0].address",
	}
	for body, want := range cases {
		_, err := config.LoadTOML(gamesTOML + "\n[dns]\nenabled = true\n" + body + "\n")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", body, err, want)
		}
	}
}

func TestPatterns(t *testing.T) {
	cases := []struct {
		pattern string
		match   []string
		miss    []string
	}{
		{"game.example.net", []string{"game.example.net", "GAME.example.net.", "game.example.net."}, []string{"example.net", "a.game.example.net", "game.example.ne"}},
		{"*.example.net", []string{"a.example.net", "a.b.example.net", "A.Example.Net."}, []string{"example.net", "aexample.net", "a.example.org"}},
		{"g*-lp1.s.n.srv.nintendo.net", []string{"g2b309e01-lp1.s.n.srv.nintendo.net", "g-lp1.s.n.srv.nintendo.net"},
			[]string{"x.g1-lp1.s.n.srv.nintendo.net", "g1-dd1.s.n.srv.nintendo.net", "friends.lp1.s.n.srv.nintendo.net", "s.n.srv.nintendo.net"}},
		{"nex*.example", []string{"nex.example", "nex1.example"}, []string{"ne.example", "a.nex.example"}},
	}
	for _, c := range cases {
		p, err := dnsd.ParsePattern(c.pattern)
		if err != nil {
			t.Fatalf("%s: %v", c.pattern, err)
		}
		for _, n := range c.match {
			if !p.Match(n) {
				t.Errorf("%s does not match %s", c.pattern, n)
			}
		}
		for _, n := range c.miss {
			if p.Match(n) {
				t.Errorf("%s matches %s", c.pattern, n)
			}
		}
	}
	for _, bad := range []string{"", "*", "*.", "a.*.b", "**.example", "a*b*.example", "exa mple.net", strings.Repeat("a", 64) + ".example", strings.Repeat("a.", 130) + "net", "a..b"} {
		if p, err := dnsd.ParsePattern(bad); err == nil {
			t.Errorf("%q parsed as %s", bad, p)
		}
	}
}

// TestTableMostSpecificWins: an exact name beats a glob, a longer domain
// a shorter one.
func TestTableMostSpecificWins(t *testing.T) {
	var tb dnsd.Table
	add := func(p, a string) {
		pp, err := dnsd.ParsePattern(p)
		if err != nil {
			t.Fatal(err)
		}
		tb.Add(pp, netip.MustParseAddr(a))
	}
	add("*.example", "10.0.0.1")
	add("*.b.example", "10.0.0.2")
	add("x*.b.example", "10.0.0.3")
	add("xy.b.example", "10.0.0.4")
	for name, want := range map[string]string{"a.example": "10.0.0.1", "a.b.example": "10.0.0.2", "xa.b.example": "10.0.0.3", "xy.b.example": "10.0.0.4", "q.xa.b.example": "10.0.0.2"} {
		if a, ok := tb.Lookup(name); !ok || len(a) != 1 || a[0].String() != want {
			t.Errorf("%s: %v %v, want %s", name, a, ok, want)
		}
	}
}

// TestShippedExample: the commented [dns] example of config.toml, once
// uncommented, is a valid section.
func TestShippedExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	for _, line := range strings.Split(string(b), "\n") {
		if line == "#[dns]" || (len(block) > 0 && strings.HasPrefix(line, "#")) {
			block = append(block, strings.TrimPrefix(line, "#"))
			continue
		}
		if len(block) > 0 {
			break
		}
	}
	if len(block) < 3 {
		t.Fatalf("config.toml has no commented [dns] example (%d lines)", len(block))
	}
	cfg, err := config.LoadTOML(gamesTOML + "\n" + strings.Join(block, "\n") + "\n")
	if err != nil {
		t.Fatalf("the example:\n%s\n%v", strings.Join(block, "\n"), err)
	}
	if c := section(t, cfg); !c.Enabled || c.Upstream == "" || len(c.Records) != 1 {
		t.Errorf("the example decodes as %+v", *c)
	}
}

// TestEnvironment: NEXPROXY_DNS_* set the section's keys, even when the
// file has no [dns] table.
func TestEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(gamesTOML), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NEXPROXY_DNS_ENABLED", "true")
	t.Setenv("NEXPROXY_DNS_UPSTREAM", "192.0.2.53:5353")
	t.Setenv("NEXPROXY_DNS_PLATFORM_NAMES", "false")
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if c := section(t, cfg); !c.Enabled || c.Upstream != "192.0.2.53:5353" || c.PlatformNames {
		t.Errorf("from the environment: %+v", *c)
	}
}

// TestTitledSwitchGameRedirectsOnlyItsServer: a Switch game with a known
// title redirects its own g<id>-lp1 name, not every Switch game server.
func TestTitledSwitchGameRedirectsOnlyItsServer(t *testing.T) {
	cfg, err := config.LoadTOML(`advertise = "192.0.2.10"

[[games]]
title = "smm2"
auth_listen = "127.0.0.1:60010"
upstream = "local"

[dns]
enabled = true
upstream = "1.1.1.1"
`)
	if err != nil {
		t.Fatal(err)
	}
	table, err := dnsd.BuildTable(section(t, cfg), cfg.Games, netip.MustParseAddr("192.0.2.10"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := table.Lookup("g22306d00-lp1.s.n.srv.nintendo.net."); !ok {
		t.Error("Super Mario Maker 2's server name is not redirected")
	}
	if _, ok := table.Lookup("g2b309e01-lp1.s.n.srv.nintendo.net."); ok {
		t.Error("another Switch game's server is redirected too")
	}
}
