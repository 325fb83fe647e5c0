package wireshark_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/wsgen"
	"github.com/nexproxy/nexproxy/rmc/schema"
	"github.com/nexproxy/nexproxy/tools/wireshark"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDissectorUpToDate regenerates the dissector from the descriptions
// and compares it with the committed (and embedded) file.
func TestDissectorUpToDate(t *testing.T) {
	want, err := wsgen.Generate(schema.Default(), wsgen.Config{Source: "rmc/schema/protocols"})
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := os.ReadFile("nexproxy.lua")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, want) || !bytes.Equal(wireshark.Dissector, want) {
		t.Fatal("tools/wireshark/nexproxy.lua is out of date with the descriptions: run go generate ./tools/wireshark")
	}
}

func TestPluginDir(t *testing.T) {
	env := map[string]string{"APPDATA": `C:\Users\u\AppData\Roaming`}
	getenv := func(k string) string { return env[k] }
	home := func() (string, error) { return "/home/u", nil }
	for goos, want := range map[string]string{
		"linux":   filepath.Join("/home/u", ".local", "lib", "wireshark", "plugins"),
		"darwin":  filepath.Join("/home/u", ".local", "lib", "wireshark", "plugins"),
		"windows": filepath.Join(`C:\Users\u\AppData\Roaming`, "Wireshark", "plugins"),
	} {
		got, err := wireshark.PluginDir(goos, getenv, home)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", goos, got, err, want)
		}
	}
	if _, err := wireshark.PluginDir("windows", func(string) string { return "" }, home); err == nil {
		t.Error("windows without APPDATA: no error")
	}
	if _, err := wireshark.PluginDir("linux", getenv, func() (string, error) { return "", errors.New("no home") }); err == nil {
		t.Error("no home folder: no error")
	}
}

// TestInstall: the folder is created, the dissector written, and a
// second install replaces an older file.
func TestInstall(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "plugins")
	p, err := wireshark.Install(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if p2, err := wireshark.Install(dir); err != nil || p2 != p {
		t.Fatalf("second install: %q, %v", p2, err)
	}
	got, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(got, wireshark.Dissector) {
		t.Fatalf("installed file differs from the dissector (%v)", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("plugins folder holds %d files, want only %s", len(ents), wireshark.FileName)
	}
	if _, err := wireshark.Install(filepath.Join(p, "sub")); err == nil {
		t.Error("install below a file: no error")
	}
}
