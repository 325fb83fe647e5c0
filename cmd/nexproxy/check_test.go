package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
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
	// --no-listen: the bundled ports may be in use on a developer's machine.
	out, errOut, err := runCLI(t, "--log-level", "error", "-c", filepath.Join("..", "..", "config.toml"), "check", "--no-listen")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, errOut)
	}
	if out != "config ok: 4 games, 2 accounts, 0 scripts\n" {
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
	out, errOut, err := runCLI(t, "--log-level", "error", "-c", filepath.Join(dir, "c.toml"), "check", "--no-listen")
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
	writeFile(t, filepath.Join(dir, "hooks", "fails.lua"), "local x = 1\nnex.on_request(\"NoSuchProtocol\", \"X\", function() end)\n")
	writeFile(t, filepath.Join(dir, "hooks", "fine.lua"), "local x = 1\n")
	out, errOut, err := runCLI(t, "--log-level", "error", "-c", filepath.Join(dir, "c.toml"), "check", "--no-listen")
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
		"games[g].prudp.fragment_size: must be between 16 and 65000, not 10",
		filepath.Join(dir, "hooks", "broken.lua") + ":1: ",
		filepath.Join(dir, "hooks", "fails.lua") + ":2: ",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), errOut)
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("output lacks %q:\n%s", w, errOut)
		}
	}
	for _, l := range lines[3:] {
		if strings.Count(l, ".lua") != 1 {
			t.Errorf("script error names its file more than once: %s", l)
		}
	}
}

// TestCheckMissingHooksFolder: an absent scripts.dir means no hooks.
func TestCheckMissingHooksFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.toml"), "advertise = \"127.0.0.1\"\n[scripts]\ndir = \"nowhere\"\n"+checkGame)
	out, errOut, err := runCLI(t, "--log-level", "error", "-c", filepath.Join(dir, "c.toml"), "check", "--no-listen")
	if err != nil || out != "config ok: 1 games, 0 accounts, 0 scripts\n" {
		t.Errorf("check: %v %q %s", err, out, errOut)
	}
	writeFile(t, filepath.Join(dir, "file"), "")
	writeFile(t, filepath.Join(dir, "c.toml"), "advertise = \"127.0.0.1\"\n[scripts]\ndir = \"file\"\n"+checkGame)
	_, errOut, err = runCLI(t, "--log-level", "error", "-c", filepath.Join(dir, "c.toml"), "check", "--no-listen")
	if err == nil || !strings.Contains(errOut, "is not a folder") {
		t.Errorf("scripts.dir naming a file: %v %s", err, errOut)
	}
}

// TestCheckReportsBusyListeners: every listen address that cannot be
// bound is reported with its key, not only the first.
func TestCheckReportsBusyListeners(t *testing.T) {
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.toml"), fmt.Sprintf(`advertise = "127.0.0.1"
metrics = "%s"
[[games]]
name = "busy"
platform = "wiiu"
access_key = "0badf00d"
auth_listen = "%s"
upstream = "local"
`, tcp.Addr(), udp.LocalAddr()))
	_, errOut, err := runCLI(t, "--log-level", "error", "-c", filepath.Join(dir, "c.toml"), "check")
	if !errors.Is(err, errCheckFailed) {
		t.Fatalf("check: %v\n%s", err, errOut)
	}
	for _, want := range []string{"games[busy].auth_listen: cannot listen on udp " + udp.LocalAddr().String(), "metrics: cannot listen on tcp " + tcp.Addr().String()} {
		if !strings.Contains(errOut, want) {
			t.Errorf("missing %q in:\n%s", want, errOut)
		}
	}
	_, errOut, err = runCLI(t, "--log-level", "error", "-c", filepath.Join(dir, "c.toml"), "check", "--no-listen")
	if err != nil {
		t.Errorf("check --no-listen: %v\n%s", err, errOut)
	}
}

// TestCheckWarnsButPasses: an unusual access key is a warning, not a
// failure.
func TestCheckWarnsButPasses(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "c.toml"), "advertise = \"127.0.0.1\"\n"+strings.Replace(checkGame, "0badf00d", "0badf00", 1))
	out, errOut, err := runCLI(t, "--log-level", "error", "-c", filepath.Join(dir, "c.toml"), "check", "--no-listen")
	if err != nil || !strings.HasPrefix(out, "config ok") || !strings.Contains(errOut, "warning: games[g].access_key:") {
		t.Errorf("check: %v\nstdout %q\nstderr %q", err, out, errOut)
	}
}

// TestCompletionNeedsNoConfig: shell completion describes the commands and
// runs where no config.toml is. (Its script goes to the process's standard
// output, which cobra binds when it makes the command.)
func TestCompletionNeedsNoConfig(t *testing.T) {
	stdout := os.Stdout
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	os.Stdout = null
	defer func() { os.Stdout = stdout }()
	absent := filepath.Join(t.TempDir(), "absent.toml")
	if _, errOut, err := runCLI(t, "-c", absent, "completion", "bash"); err != nil {
		t.Fatalf("completion: %v\n%s", err, errOut)
	}
	// The script asks the binary for the candidates at each TAB, from
	// whatever folder the shell is in.
	t.Chdir(t.TempDir())
	out, errOut, err := runCLI(t, cobra.ShellCompRequestCmd, "")
	if err != nil || !strings.Contains(out, "serve") {
		t.Fatalf("completion request: %q %v\n%s", out, err, errOut)
	}
}
