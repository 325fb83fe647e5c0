package dnsd

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"

	"github.com/miekg/dns"

	"github.com/nexproxy/nexproxy/internal/titles"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// PlatformPatterns are the names the game servers of each platform are
// looked up by, which PlatformNames redirects when a configured game
// belongs to the platform.
//
// Only the Switch finds its game servers by DNS, at
// g<game server id>-lp1.s.n.srv.nintendo.net (port 443, PRUDPLite over
// wss://). The 3DS and the Wii U are handed their game server's IP
// address and port by an account server (NASC on 3DS,
// account.nintendo.net's /provider/nex_token/@me on Wii U), so no name
// of theirs leads to a game server.
// Source: the NintendoClients wiki, "Game Server Overview" and
// "Account Server" pages (github.com/kinnay/NintendoClients/wiki).
var PlatformPatterns = map[string][]string{
	"switch": {"g*-lp1.s.n.srv.nintendo.net"},
}

// Limits of a name, from RFC 1035.
const (
	maxNameLen  = 253
	maxLabelLen = 63
)

// Pattern is a parsed name pattern:
//
//	game.example.net       that name only
//	*.example.net          every name below example.net (one label or more)
//	g*-lp1.example.net     one label starting with "g" and ending in "-lp1",
//	                       then example.net
//
// Names compare without regard to ASCII case and to a trailing dot.
type Pattern struct {
	// suffix is the lower-case name after the first label when the first
	// label has a '*', else the whole name; no trailing dot.
	suffix string
	// glob is set when the first label has a '*': any reports a whole
	// "*" label (one label or more), else prefix*suffix of one label.
	glob       bool
	any        bool
	pre, post  string
	normalized string
}

// String is the pattern in canonical form.
func (p Pattern) String() string { return p.normalized }

// ParsePattern reads a name or pattern.
func ParsePattern(s string) (Pattern, error) {
	n := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if n == "" {
		return Pattern{}, errors.New("empty name")
	}
	if len(n) > maxNameLen {
		return Pattern{}, fmt.Errorf("%.40q...: longer than %d characters", n, maxNameLen)
	}
	first, rest, hasRest := strings.Cut(n, ".")
	if strings.Contains(rest, "*") {
		return Pattern{}, fmt.Errorf("%q: '*' is only allowed in the first label", s)
	}
	p := Pattern{normalized: n}
	if strings.Contains(first, "*") {
		if strings.Count(first, "*") > 1 {
			return Pattern{}, fmt.Errorf("%q: at most one '*'", s)
		}
		if !hasRest || rest == "" {
			return Pattern{}, fmt.Errorf("%q: a pattern needs a fixed domain after its first label", s)
		}
		p.glob = true
		p.any = first == "*"
		p.pre, p.post, _ = strings.Cut(first, "*")
		p.suffix = rest
		if !p.any {
			if err := checkLabel(p.pre+"x"+p.post, s); err != nil {
				return Pattern{}, err
			}
		}
		return p, checkName(rest, s)
	}
	p.suffix = n
	return p, checkName(n, s)
}

// checkName accepts host names: labels of letters, digits, '-' and '_'.
func checkName(n, orig string) error {
	for _, l := range strings.Split(n, ".") {
		if err := checkLabel(l, orig); err != nil {
			return err
		}
	}
	if _, ok := dns.IsDomainName(n); !ok {
		return fmt.Errorf("%q is not a domain name", orig)
	}
	return nil
}

func checkLabel(l, orig string) error {
	if l == "" || len(l) > maxLabelLen {
		return fmt.Errorf("%q: empty label or label longer than %d characters", orig, maxLabelLen)
	}
	for _, c := range []byte(l) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%q: %q is not a host name character", orig, c)
		}
	}
	return nil
}

// Match reports whether name (any case, trailing dot or not) matches.
func (p Pattern) Match(name string) bool {
	n := canonical(name)
	if !p.glob {
		return n == p.suffix
	}
	head, ok := strings.CutSuffix(n, "."+p.suffix)
	if !ok || head == "" {
		return false
	}
	if p.any {
		return true
	}
	return !strings.Contains(head, ".") && len(head) >= len(p.pre)+len(p.post) &&
		strings.HasPrefix(head, p.pre) && strings.HasSuffix(head, p.post)
}

// canonical lower-cases an ASCII name and drops its trailing dot.
func canonical(name string) string {
	return strings.ToLower(strings.TrimSuffix(name, "."))
}

// Table maps names to the addresses the responder answers them with. The
// most specific entry wins: an exact name before a one-label glob before
// "*.", and a longer domain before a shorter one. It is read-only once
// built, so it is shared by every query without locks.
type Table struct {
	exact map[string][]netip.Addr
	globs []globEntry // most specific first
}

type globEntry struct {
	p     Pattern
	addrs []netip.Addr
}

// Add makes p answer with addr (several addresses of one pattern add up,
// e.g. an IPv4 and an IPv6 one).
func (t *Table) Add(p Pattern, addr netip.Addr) {
	addr = addr.Unmap()
	if !p.glob {
		if t.exact == nil {
			t.exact = map[string][]netip.Addr{}
		}
		t.exact[p.suffix] = appendAddr(t.exact[p.suffix], addr)
		return
	}
	for i := range t.globs {
		if t.globs[i].p.normalized == p.normalized {
			t.globs[i].addrs = appendAddr(t.globs[i].addrs, addr)
			return
		}
	}
	t.globs = append(t.globs, globEntry{p: p, addrs: []netip.Addr{addr}})
	sort.SliceStable(t.globs, func(i, j int) bool {
		a, b := t.globs[i].p, t.globs[j].p
		if len(a.suffix) != len(b.suffix) {
			return len(a.suffix) > len(b.suffix)
		}
		return !a.any && b.any
	})
}

func appendAddr(list []netip.Addr, a netip.Addr) []netip.Addr {
	for _, x := range list {
		if x == a {
			return list
		}
	}
	return append(list, a)
}

// Lookup returns the addresses of name and whether the table holds it.
func (t *Table) Lookup(name string) ([]netip.Addr, bool) {
	n := canonical(name)
	if a, ok := t.exact[n]; ok {
		return a, true
	}
	for _, g := range t.globs {
		if g.p.Match(n) {
			return g.addrs, true
		}
	}
	return nil, false
}

// Len is the number of entries.
func (t *Table) Len() int { return len(t.exact) + len(t.globs) }

// Names lists the entries in canonical form, sorted.
func (t *Table) Names() []string {
	out := make([]string, 0, t.Len())
	for n := range t.exact {
		out = append(out, n)
	}
	for _, g := range t.globs {
		out = append(out, g.p.normalized)
	}
	sort.Strings(out)
	return out
}

// GameNames are the names the configured games make the responder
// answer: each proxied game's upstream host when it is a name (a console
// looking it up finds nexproxy, while nexproxy looks it up upstream), and
// with platform the PlatformPatterns of the games' platforms.
func GameNames(games []config.Game, platform bool) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for i := range games {
		g := &games[i]
		if platform {
			if n, ok := titleServerName(g); ok {
				// A known title names its own server: only that one is
				// redirected, and other games' servers stay reachable.
				add(n)
			} else {
				for _, n := range PlatformPatterns[g.Platform] {
					add(n)
				}
			}
		}
		if g.Local() {
			continue
		}
		_, addr := g.UpstreamDial()
		host := addr
		if h, _, err := net.SplitHostPort(addr); err == nil {
			host = h
		}
		if _, err := netip.ParseAddr(host); err == nil || host == "" {
			continue
		}
		add(canonical(host))
	}
	return out
}

// titleServerName is the name a Switch game of a known title (its
// title key) looks its game server up by.
func titleServerName(g *config.Game) (string, bool) {
	if g.Platform != "switch" || g.Title == "" {
		return "", false
	}
	t, ok := titles.Lookup(g.Title)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("g%08x-lp1.s.n.srv.nintendo.net", t.ServerID), true
}

// BuildTable makes the table of c for the configured games: the game
// names and c.Names answer with advertise, c.Records with their own
// addresses (a record's name answers with the record's addresses only).
func BuildTable(c *Config, games []config.Game, advertise netip.Addr) (*Table, error) {
	t := &Table{}
	recorded := map[string]bool{}
	for _, r := range c.Records {
		p, err := ParsePattern(r.Name)
		if err != nil {
			return nil, fmt.Errorf("dnsd: record %q: %w", r.Name, err)
		}
		a, err := netip.ParseAddr(r.Address)
		if err != nil {
			return nil, fmt.Errorf("dnsd: record %q: %w", r.Name, err)
		}
		t.Add(p, a)
		recorded[p.normalized] = true
	}
	for _, n := range append(GameNames(games, c.PlatformNames), c.Names...) {
		p, err := ParsePattern(n)
		if err != nil {
			return nil, fmt.Errorf("dnsd: name %q: %w", n, err)
		}
		if !recorded[p.normalized] {
			t.Add(p, advertise)
		}
	}
	return t, nil
}
