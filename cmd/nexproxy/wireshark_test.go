package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/tools/wireshark"
)

// TestWiresharkCommands: print writes the dissector, install copies it
// into the given folder (and, without --dir, into the personal plugins
// folder under HOME); neither needs a configuration file.
func TestWiresharkCommands(t *testing.T) {
	out, errOut, err := runCLI(t, "-c", "/nonexistent/config.toml", "wireshark", "print")
	if err != nil || out != string(wireshark.Dissector) {
		t.Fatalf("print: %v (%d bytes)\n%s", err, len(out), errOut)
	}
	dir := filepath.Join(t.TempDir(), "plugins")
	out, errOut, err = runCLI(t, "-c", "/nonexistent/config.toml", "wireshark", "install", "--dir", dir)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, errOut)
	}
	p := filepath.Join(dir, wireshark.FileName)
	if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, wireshark.Dissector) {
		t.Fatalf("installed file: %v", err)
	}
	if !strings.Contains(out, p) {
		t.Errorf("install says %q, want the path %s", out, p)
	}

	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("APPDATA", filepath.Join(home, "AppData"))
	if _, errOut, err := runCLI(t, "wireshark", "install"); err != nil {
		t.Fatalf("install: %v\n%s", err, errOut)
	}
	want, err := wireshark.PluginDir(runtime.GOOS, os.Getenv, os.UserHomeDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(want, wireshark.FileName)); err != nil {
		t.Errorf("default install: %v", err)
	}
}
