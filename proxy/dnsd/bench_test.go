package dnsd_test

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/nexproxy/nexproxy/proxy/dnsd"
	"github.com/nexproxy/nexproxy/proxy/dnsd/dnstest"
)

// BenchmarkLookup: one table lookup of a name a glob matches, among an
// exact name, two globs and a "*." pattern.
func BenchmarkLookup(b *testing.B) {
	var tb dnsd.Table
	for _, p := range []string{"game.example.net", "*.example.net", "g*-lp1.s.n.srv.nintendo.net", "x*.b.example"} {
		pp, err := dnsd.ParsePattern(p)
		if err != nil {
			b.Fatal(err)
		}
		tb.Add(pp, netip.MustParseAddr("192.0.2.10"))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tb.Lookup("g2b309e01-lp1.s.n.srv.nintendo.net."); !ok {
			b.Fatal("no match")
		}
	}
}

// BenchmarkAnswerUDP: queries answered from the table over loopback UDP,
// one at a time (round trip included).
func BenchmarkAnswerUDP(b *testing.B) {
	up := dnstest.Start(b, nil, dnstest.Options{})
	cfg := dnsd.Defaults()
	cfg.Listen, cfg.Upstream, cfg.Names = "127.0.0.1:0", up.Addr, []string{"g*-lp1.s.n.srv.nintendo.net"}
	table, err := dnsd.BuildTable(&cfg, nil, netip.MustParseAddr("192.0.2.10"))
	if err != nil {
		b.Fatal(err)
	}
	s, err := dnsd.Start(cfg, dnsd.Options{Table: table})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c, err := net.Dial("udp", s.UDPAddr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	m := new(dns.Msg)
	m.SetQuestion("g2b309e01-lp1.s.n.srv.nintendo.net.", dns.TypeA)
	q, _ := m.Pack()
	buf := make([]byte, 512)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(q); err != nil {
			b.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(buf)
		if err != nil || n < 12 {
			b.Fatal(err)
		}
	}
}
