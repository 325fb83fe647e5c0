// Package titles is the table of known NEX titles shipped in the binary:
// for each game its name, platform, game server id, access key, NEX
// version and the settings where it departs from its platform's preset.
// A game in config.toml names one with `title = "mk8"` (or its game
// server id) instead of spelling all of that out, `nexproxy games` lists
// the table, and a listener names the title of a console whose access key
// matches no configured game.
//
// Every value comes from public documentation, named in each entry's
// Sources; a title whose access key or NEX version no public source gives
// is left out rather than guessed.
package titles

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/nexproxy/nexproxy/prudp"
)

// Platforms a title can run on, as config.toml's platform key spells them.
var Platforms = []string{"3ds", "wiiu", "switch"}

// Title is one known game.
type Title struct {
	Name     string // as its publisher writes it
	Short    string // what config.toml's title key names it by: lowercase, unique
	Platform string // "3ds", "wiiu" or "switch"
	// ServerID is the game server id consoles ask the account server for
	// (NASC on 3DS, NNAS on Wii U, the g<id>-lp1 host name on Switch).
	ServerID  uint32
	AccessKey string // sandbox access key, 8 hex digits
	// NEX is the version of the NEX library the game links, "3.5.4"; see
	// NEXVersion for the number config.toml's rmc.nex_version takes.
	NEX string
	// PRUDP holds the settings where the title departs from its platform's
	// preset; the zero value keeps the preset.
	PRUDP PRUDP
	// Protocols names the NEX service libraries the game links (ranking,
	// ranking2, datastore, matchmaking, messaging, utility): which game
	// services it may call.
	Protocols []string
	// Variants are the schema's game-specific method sets the title uses
	// (config.toml's variants key).
	Variants []string
	// Sources are the public documents the values come from.
	Sources []string
}

// PRUDP is a title's departure from its platform's PRUDP preset.
type PRUDP struct {
	Variant      string // "v0", "v1" or "lite"; "" keeps the preset's
	MinorVersion int    // highest minor version offered; 0 keeps the preset's
}

// ID is the game server id as written in the sources and accepted by
// config.toml: eight upper-case hex digits.
func (t *Title) ID() string { return fmt.Sprintf("%08X", t.ServerID) }

// NEXVersion is the NEX version as config.toml's rmc.nex_version writes
// it: 3.5.4 is 30504.
func (t *Title) NEXVersion() int {
	n, err := ParseNEX(t.NEX)
	if err != nil {
		return 0 // never for a table entry: TestTable parses each one
	}
	return n
}

// Variant is the PRUDP wire format the title speaks: its own, or its
// platform preset's.
func (t *Title) Variant() string {
	if t.PRUDP.Variant != "" {
		return t.PRUDP.Variant
	}
	s, err := prudp.Preset(t.Platform)
	if err != nil {
		return ""
	}
	return s.Variant.String()
}

// ParseNEX turns a NEX library version written "major.minor.patch" (as
// the libraries name themselves: NEX_3_5_4 is 3.5.4) into the number
// NintendoClients and config.toml use, major*10000 + minor*100 + patch.
func ParseNEX(s string) (int, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return 0, fmt.Errorf("titles: NEX version %q: want major.minor.patch", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || p != strconv.Itoa(v) {
			return 0, fmt.Errorf("titles: NEX version %q: %q is not a number", s, p)
		}
		n[i] = v
	}
	if n[0] < 1 || n[0] > 9 || n[1] > 99 || n[2] > 99 {
		return 0, fmt.Errorf("titles: NEX version %q: out of range (1-9.0-99.0-99)", s)
	}
	return n[0]*10000 + n[1]*100 + n[2], nil
}

// All returns the table, sorted by platform and name. The slice is the
// caller's.
func All() []Title {
	out := make([]Title, len(table))
	copy(out, table)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Platform != out[j].Platform {
			return platformRank(out[i].Platform) < platformRank(out[j].Platform)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func platformRank(p string) int {
	for i, q := range Platforms {
		if p == q {
			return i
		}
	}
	return len(Platforms)
}

// Lookup finds the title that config.toml's title key names: its short
// name (any case) or its game server id, with or without 0x, any case.
func Lookup(name string) (Title, bool) {
	s := strings.ToLower(strings.TrimSpace(name))
	if id, ok := parseID(s); ok {
		for _, t := range table {
			if t.ServerID == id {
				return t, true
			}
		}
	}
	for _, t := range table {
		if t.Short == s {
			return t, true
		}
	}
	return Title{}, false
}

// parseID reads a game server id: 8 hex digits, optionally after 0x.
func parseID(s string) (uint32, bool) {
	s = strings.TrimPrefix(s, "0x")
	if len(s) != 8 {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 32)
	return uint32(v), err == nil
}

// ByAccessKey returns the titles whose access key is key (one for every
// key in the table; the slice allows for titles that share one).
func ByAccessKey(key string) []Title {
	var out []Title
	for _, t := range table {
		if t.AccessKey == key {
			out = append(out, t)
		}
	}
	return out
}

// Filter returns the titles (sorted as All) whose name, short name,
// platform or game server id contains q, ignoring case; "" matches all.
func Filter(q string) []Title {
	q = strings.ToLower(strings.TrimSpace(q))
	q = strings.TrimPrefix(q, "0x")
	var out []Title
	for _, t := range All() {
		for _, f := range []string{t.Name, t.Short, t.Platform, t.ID()} {
			if strings.Contains(strings.ToLower(f), q) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}

// PRUDPSettings are the PRUDP settings a console of the title uses: its
// platform's preset with the title's access key and departures. ok is
// false for a title whose platform or variant has no preset (never for a
// table entry: TestTable checks).
func (t *Title) PRUDPSettings() (s prudp.Settings, ok bool) {
	s, err := prudp.Preset(t.Platform)
	if err != nil {
		return prudp.Settings{}, false
	}
	s.AccessKey = t.AccessKey
	switch t.PRUDP.Variant {
	case "":
	case "v0":
		s.Variant = prudp.V0
	case "v1":
		s.Variant = prudp.V1
	case "lite":
		s.Variant = prudp.Lite
	default:
		return prudp.Settings{}, false
	}
	if t.PRUDP.MinorVersion != 0 {
		s.MinorVersion = uint8(t.PRUDP.MinorVersion)
	}
	return s, s.Validate() == nil
}
