package nexgen

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/rmc/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden generates testdata/golden.nexdl (split into two files, so that
// the variant gets its own package) and compares with testdata/golden.
func TestGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "golden.nexdl"))
	if err != nil {
		t.Fatal(err)
	}
	base, variant, ok := strings.Cut(string(src), "protocol 200 Golden variant alt")
	if !ok {
		t.Fatal("golden.nexdl lost its variant")
	}
	reg, err := schema.Parse(map[string]string{"golden.nexdl": base, "golden_alt.nexdl": "protocol 200 Golden variant alt" + variant})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(reg, Config{ImportPrefix: "example.com/gen", Source: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "golden")
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n)+".golden")
		if *update {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, files[n], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%s: %v (run go test ./internal/nexgen -update)", n, err)
		}
		if !bytes.Equal(files[n], want) {
			t.Errorf("%s differs from %s (run go test ./internal/nexgen -update and review the diff)", n, p)
		}
	}
	want := []string{"all/all.go", "golden/protocol.go", "golden/structs.go", "golden/alt/protocol.go"}
	sort.Strings(want)
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("generated %v, want %v", names, want)
	}
}

// TestCommittedUpToDate regenerates rmc/protocols from the built-in
// descriptions and compares with the committed packages: editing a
// description without running go generate fails here.
func TestCommittedUpToDate(t *testing.T) {
	files, err := Generate(schema.Default(), Config{ImportPrefix: "github.com/nexproxy/nexproxy/rmc/protocols", Source: "rmc/schema/protocols"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "rmc", "protocols")
	for n, b := range files {
		have, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			t.Errorf("%s: %v (run go generate ./rmc/...)", n, err)
			continue
		}
		if !bytes.Equal(have, b) {
			t.Errorf("rmc/protocols/%s is stale (run go generate ./rmc/...)", n)
		}
	}
	stale, err := Stale(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Errorf("generated files no description produces: %v (run go generate ./rmc/...)", stale)
	}
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"pid": "PID", "data_ids": "DataIDs", "root_ca_cert": "RootCACert", "AutoMatchmake_Postpone": "AutoMatchmakePostpone",
		"unk_1": "Unk1", "gid_for_participation_check": "GIDForParticipationCheck", "urls": "URLs",
	} {
		if got := goName(in); got != want {
			t.Errorf("goName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	for name, src := range map[string]string{
		"two protocols":   "protocol 1 A { method 1 M () }\nprotocol 2 B { method 1 M () }",
		"field clash":     "struct S { u32 a_b\n u32 aB }",
		"reserved":        "struct S { u32 encode }",
		"type change":     "struct S { nex < 3 { u32 a }\n nex >= 3 { string a } }",
		"bad default":     "struct S { u32 a = \"x\" }",
		"parent shadowed": "struct P {}\nstruct S : P { u32 p }",
	} {
		reg, err := schema.Parse(map[string]string{"x.nexdl": src})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := Generate(reg, Config{ImportPrefix: "example.com/gen"}); err == nil {
			t.Errorf("%s: generated", name)
		}
	}
}
