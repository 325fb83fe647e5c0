package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the nexproxy command line in-process.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRootCommand()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err = root.Execute()
	return out.String(), errOut.String(), err
}

// TestCheckDefaultConfig: the shipped config.toml passes `nexproxy check`.
func TestCheckDefaultConfig(t *testing.T) {
	out, errOut, err := runCLI(t, "--log-level", "error", "-c", filepath.Join("..", "..", "config.toml"), "check")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, errOut)
	}
	if out != "config ok: 4 games, 1 accounts, 0 scripts\n" {
		t.Errorf("output %q", out)
	}
}

const checkGame = `
[[games]]
name = "g"
platform = "wiiu"
access_key = "0badf00d"
auth_listen = ":60000"
upstream = "local"
`

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckCountsScripts: hooks beside the config are compiled and counted.
func TestCheckCountsScripts(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.toml"), "advertise = \"127.0.0.1\"\n[scripts]\ndir = \"hooks\"\n"+checkGame)
	writeFile(t, filepath.Join(dir, "hooks", "a.lua"), "local x = 1\n")
	writeFile(t, filepath.Join(dir, "hooks", "b.lua"), "-- nothing\n")
	out, errOut, err := runCLI(t, "--log-level", "error", "-c", filepath.Join(dir, "c.toml"), "check")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, errOut)
	}
	if out != "config ok: 1 games, 0 accounts, 2 scripts\n" {
		t.Errorf("output %q", out)
	}
}

// TestCheckListsEveryProblem: config errors with their keys and script
// errors with their files, one per line, and a failing exit.
func TestCheckListsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.toml"), `advertise = "127.0.0.1"
[scripts]
dir = "hooks"
timeout = "soon"
[[accounts]]
pid = 0
password = "x"
`+checkGame+`
[games.prudp]
fragment_size = 10
`)
	writeFile(t, filepath.Join(dir, "hooks", "broken.lua"), "function (\n")
	out, errOut, err := runCLI(t, "--log-level", "error", "-c", filepath.Join(dir, "c.toml"), "check")
	if !errors.Is(err, errCheckFailed) {
		t.Fatalf("check error %v", err)
	}
	if out != "" {
		t.Errorf("stdout %q", out)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	want := []string{
		`scripts.timeout: "soon" is not a duration`,
		"accounts[0].pid: must not be 0",
		"games[0].prudp.fragment_size: must be between 16 and 65000, not 10",
		"broken.lua",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), errOut)
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("output lacks %q:\n%s", w, errOut)
		}
	}
	if !strings.Contains(lines[3], filepath.Join(dir, "hooks")) {
		t.Errorf("script error does not name the folder: %s", lines[3])
	}
}

// TestCheckMissingHooksFolder: an absent scripts.dir means no hooks.
func TestCheckMissingHooksFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.toml"), "advertise = \"127.0.0.1\"\n[scripts]\ndir = \"nowhere\"\n"+checkGame)
	out, errOut, err := runCLI(t, "--log-level", "error", "-c", filepath.Join(dir, "c.toml"), "check")
	if err != nil || out != "config ok: 1 games, 0 accounts, 0 scripts\n" {
		t.Errorf("check: %v %q %s", err, out, errOut)
	}
	writeFile(t, filepath.Join(dir, "file"), "")
	writeFile(t, filepath.Join(dir, "c.toml"), "advertise = \"127.0.0.1\"\n[scripts]\ndir = \"file\"\n"+checkGame)
	_, errOut, err = runCLI(t, "--log-level", "error", "-c", filepath.Join(dir, "c.toml"), "check")
	if err == nil || !strings.Contains(errOut, "is not a folder") {
		t.Errorf("scripts.dir naming a file: %v %s", err, errOut)
	}
}
