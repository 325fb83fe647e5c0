package dnsd

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"go.uber.org/zap"
)

// FuzzPattern: any pattern text and name are parsed and matched without
// panicking, a parsed pattern reparses to itself, an exact name matches
// itself and a "*." pattern every name one label below its domain.
func FuzzPattern(f *testing.F) {
	for _, s := range [][2]string{
		{"game.example.net", "GAME.example.net."},
		{"*.example.net", "a.b.example.net"},
		{"g*-lp1.s.n.srv.nintendo.net", "g2b309e01-lp1.s.n.srv.nintendo.net"},
		{"a.*.b", "a.x.b"},
		{"*", "."},
		{"x*y*.example", "xy.example"},
		{"ü.example", "\\046.example"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		p, err := ParsePattern(pattern)
		_ = p.Match(name)
		if err != nil {
			return
		}
		q, err := ParsePattern(p.String())
		if err != nil || q != p {
			t.Fatalf("%q parsed as %q, which reparses as %q (%v)", pattern, p.String(), q.String(), err)
		}
		if !p.glob && !p.Match(strings.ToUpper(p.String())+".") {
			t.Fatalf("%q does not match itself", p.String())
		}
		if p.any && !p.Match("x."+p.suffix) {
			t.Fatalf("%q does not match x.%s", p.String(), p.suffix)
		}
		var tb Table
		tb.Add(p, netip.MustParseAddr("192.0.2.1"))
		if a, ok := tb.Lookup(name); ok != p.Match(name) || (ok && len(a) != 1) {
			t.Fatalf("table lookup of %q: %v %v, pattern match %v", name, a, ok, p.Match(name))
		}
	})
}

// FuzzRespond: any message miekg/dns accepts gets a reply (or none) that
// packs, truncated to the client's size, without panicking. Forwarding is
// refused (the in-flight bound is full), so no network is involved.
func FuzzRespond(f *testing.F) {
	for _, q := range []struct {
		name  string
		qtype uint16
		edns  bool
	}{
		{"game.example.net.", dns.TypeA, false},
		{"x.wild.example.", dns.TypeAAAA, true},
		{"other.example.", dns.TypeA, false},
		{"game.example.net.", dns.TypeANY, true},
	} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		if q.edns {
			m.SetEdns0(1232, true)
		}
		b, _ := m.Pack()
		f.Add(b)
	}
	var tb Table
	for p, a := range map[string]string{"game.example.net": "192.0.2.10", "*.wild.example": "2001:db8::1", "g*-lp1.example": "192.0.2.11"} {
		pp, err := ParsePattern(p)
		if err != nil {
			f.Fatal(err)
		}
		tb.Add(pp, netip.MustParseAddr(a))
	}
	s := &Server{cfg: Defaults(), table: &tb, log: zap.NewNop(), sem: make(chan struct{}, 1)}
	s.sem <- struct{}{}
	remote := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}
	f.Fuzz(func(t *testing.T, b []byte) {
		req := new(dns.Msg)
		if err := req.Unpack(b); err != nil {
			return
		}
		resp := s.respond(req, remote)
		if resp == nil {
			return
		}
		resp.Truncate(int(udpSize(req)))
		out, err := resp.Pack()
		if err != nil {
			t.Fatalf("reply does not pack: %v", err)
		}
		if len(out) > int(udpSize(req)) {
			t.Fatalf("reply of %d bytes exceeds the client's %d", len(out), udpSize(req))
		}
	})
}
