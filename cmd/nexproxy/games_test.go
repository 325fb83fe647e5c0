package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/internal/titles"
)

// TestGamesCommand: `nexproxy games` lists the whole table without a
// configuration file; a filter keeps the matching rows, by name, short
// name, platform or game server id, ignoring case.
func TestGamesCommand(t *testing.T) {
	out, errOut, err := runCLI(t, "-c", filepath.Join(t.TempDir(), "absent.toml"), "games")
	if err != nil {
		t.Fatalf("games: %v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != len(titles.All())+1 || !strings.HasPrefix(lines[0], "TITLE") {
		t.Fatalf("%d lines, want a header and %d titles:\n%s", len(lines), len(titles.All()), out)
	}
	for q, want := range map[string][]string{
		"Mario KART": {"mk7", "mk8", "mk8d"},
		"0X1010EB00": {"mk8"},
		"3DS":        {"mk7", "badge-arcade", "pokemon-xy", "tfh"},
	} {
		out, _, err := runCLI(t, "games", q)
		if err != nil {
			t.Fatalf("games %q: %v", q, err)
		}
		rows := strings.Split(strings.TrimRight(out, "\n"), "\n")[1:]
		var got []string
		for _, r := range rows {
			got = append(got, strings.Fields(r)[0])
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("games %q: %v, want %v\n%s", q, got, want, out)
		}
	}
	out, _, err = runCLI(t, "games", "mk8")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "mk8    wiiu      0x1010EB00  25dbf96a    3.5.4 (30504)  v1     Mario Kart 8\n") {
		t.Errorf("mk8 row:\n%s", out)
	}
	out, _, err = runCLI(t, "games", "--long", "0x1010EB00")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mk8: Mario Kart 8\n", "access key 25dbf96a, NEX 3.5.4 (30504), PRUDP v1", "variants: mk8\n", "source: https://"} {
		if !strings.Contains(out, want) {
			t.Errorf("--long output lacks %q:\n%s", want, out)
		}
	}
	if _, _, err := runCLI(t, "games", "no such game"); err == nil || !strings.Contains(err.Error(), `no known title matches "no such game"`) {
		t.Errorf("unmatched filter: %v", err)
	}
}

// TestCheckUnknownTitle: check names the game's title key when the title
// is not in the table, and accepts a game filled in from a known one.
func TestCheckUnknownTitle(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.toml")
	writeFile(t, path, "advertise = \"127.0.0.1\"\n[[games]]\nname = \"g\"\ntitle = \"mk9\"\nauth_listen = \":60000\"\nupstream = \"local\"\n")
	_, errOut, err := runCLI(t, "--log-level", "error", "-c", path, "check", "--no-listen")
	if err == nil {
		t.Fatal("check accepted an unknown title")
	}
	if !strings.Contains(errOut, `games[g].title: "mk9" is not a known title`) {
		t.Errorf("stderr:\n%s", errOut)
	}
	writeFile(t, path, "advertise = \"127.0.0.1\"\n[[games]]\ntitle = \"mk8\"\nauth_listen = \":60000\"\nupstream = \"local\"\n")
	out, errOut, err := runCLI(t, "--log-level", "error", "-c", path, "check", "--no-listen")
	if err != nil || out != "config ok: 1 games, 0 accounts, 0 scripts\n" {
		t.Errorf("check: %v\n%s%s", err, out, errOut)
	}
}
