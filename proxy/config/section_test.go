package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// testService is a section as a built-in service would register it.
type testService struct {
	Limit      int           `mapstructure:"limit"`
	Lifetime   time.Duration `mapstructure:"lifetime"`
	Names      []string      `mapstructure:"names"`
	Categories []struct {
		ID    uint32 `mapstructure:"id"`
		Order string `mapstructure:"order"`
	} `mapstructure:"categories"`
}

func (s *testService) Validate(p *Problems) {
	if s.Limit < 0 {
		p.Add("limit", "must not be negative")
	}
	for i, c := range s.Categories {
		if c.Order != "" && c.Order != "asc" && c.Order != "desc" {
			p.Add(sprintf("categories[%d].order", i), "%q must be asc or desc", c.Order)
		}
	}
}

type testStore struct {
	Backend string `mapstructure:"backend"`
}

func init() {
	RegisterGameSection(Section{Name: "testsvc", Choosable: true, New: func() any { return &testService{Limit: 5, Lifetime: time.Minute} }})
	RegisterGameSection(Section{Name: "nosettings", Choosable: true})
	RegisterGameSection(Section{Name: "coresvc", New: func() any { return &testService{} }})
	RegisterSection(Section{Name: "teststore", New: func() any { return &testStore{Backend: "sqlite"} }})
}

const sectionGame = `
advertise = "127.0.0.1"
[[games]]
name = "g"
platform = "wiiu"
access_key = "25dbf96a"
auth_listen = "127.0.0.1:60000"
upstream = "example.net:60000"
`

func TestSectionDefaultsAndValues(t *testing.T) {
	cfg, err := LoadTOML(sectionGame)
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Games[0]
	svc, err := SectionOf[*testService](g.Sections, "testsvc")
	if err != nil || svc.Limit != 5 || svc.Lifetime != time.Minute {
		t.Fatalf("defaults: %+v, %v", svc, err)
	}
	if st, err := SectionOf[*testStore](cfg.Sections, "teststore"); err != nil || st.Backend != "sqlite" {
		t.Fatalf("top-level defaults: %+v, %v", st, err)
	}
	if _, err := SectionOf[*testStore](g.Sections, "testsvc"); err == nil {
		t.Error("SectionOf with the wrong type succeeded")
	}
	if _, err := SectionOf[*testService](g.Sections, "nosettings"); err == nil {
		t.Error("a section without a table has a value")
	}

	cfg, err = LoadTOML(sectionGame + `
[games.testsvc]
limit = 7
lifetime = "15m"
names = ["a", "b"]
categories = [{id = 1, order = "asc"}, {id = 2, order = "desc"}]
[teststore]
backend = "postgres"
`)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ = SectionOf[*testService](cfg.Games[0].Sections, "testsvc")
	if svc.Limit != 7 || svc.Lifetime != 15*time.Minute || strings.Join(svc.Names, ",") != "a,b" || len(svc.Categories) != 2 || svc.Categories[1].Order != "desc" {
		t.Errorf("decoded %+v", svc)
	}
	if st, _ := SectionOf[*testStore](cfg.Sections, "teststore"); st.Backend != "postgres" {
		t.Errorf("store %+v", st)
	}
}

// TestSectionProblems: every problem of a section is reported with its
// full key, as the configuration's own keys are.
func TestSectionProblems(t *testing.T) {
	_, err := LoadTOML(sectionGame + `
[games.testsvc]
limit = -1
lifetime = "soon"
colour = "red"
categories = [{id = 1, order = "up"}]
[games.protocols]
testsvc = "sometimes"
coresvc = "local"
nosuch = "local"
[teststore]
backnd = "x"
`)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	got := err.Error()
	for _, want := range []string{
		"games[g].testsvc.limit: must not be negative",
		"games[g].testsvc.lifetime:",
		"games[g].testsvc.colour: unknown key",
		`games[g].testsvc.categories[0].order: "up" must be asc or desc`,
		`games[g].protocols.testsvc: "sometimes" must be "local" or "upstream"`,
		"games[g].protocols.coresvc: not a service a game can serve locally (want one of nosettings, ",
		"games[g].protocols.nosuch: not a service",
		"teststore.backnd: unknown key",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if _, err := LoadTOML(sectionGame + "testsvc = 3\n"); err == nil || !strings.Contains(err.Error(), "games[g].testsvc: must be a table") {
		t.Errorf("non-table section: %v", err)
	}
}

// TestServesLocally: a proxied game serves what [games.protocols] sets to
// local and forwards the rest; a local game serves everything and cannot
// send a service upstream.
func TestServesLocally(t *testing.T) {
	cfg, err := LoadTOML(sectionGame + `
[games.protocols]
testsvc = "local"
nosettings = "upstream"
`)
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Games[0]
	if !g.ServesLocally("testsvc") || g.ServesLocally("nosettings") || g.ServesLocally("coresvc") {
		t.Errorf("proxied game: testsvc %v nosettings %v coresvc %v", g.ServesLocally("testsvc"), g.ServesLocally("nosettings"), g.ServesLocally("coresvc"))
	}
	local := strings.Replace(sectionGame, `upstream = "example.net:60000"`, `upstream = "local"`, 1)
	cfg, err = LoadTOML(local)
	if err != nil {
		t.Fatal(err)
	}
	if g := cfg.Games[0]; !g.ServesLocally("testsvc") || !g.ServesLocally("coresvc") {
		t.Error("a local game does not serve everything itself")
	}
	if _, err := LoadTOML(local + "[games.protocols]\ntestsvc = \"upstream\"\n"); err == nil || !strings.Contains(err.Error(), "needs an upstream server") {
		t.Errorf("upstream service of a local game: %v", err)
	}
}

func TestRegisterSectionMisuse(t *testing.T) {
	for name, fn := range map[string]func(){
		"duplicate": func() { RegisterGameSection(Section{Name: "testsvc", New: func() any { return &testService{} }}) },
		"reserved":  func() { RegisterGameSection(Section{Name: "prudp", New: func() any { return &testService{} }}) },
		"top":       func() { RegisterSection(Section{Name: "games", New: func() any { return &testStore{} }}) },
		"unnamed":   func() { RegisterSection(Section{New: func() any { return &testStore{} }}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}
