package dnsd_test

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/proxy/dnsd"
	"github.com/nexproxy/nexproxy/proxy/dnsd/dnstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startResponder runs a responder on a free loopback port whose table
// holds names (answered with advertise) and records.
func startResponder(t *testing.T, upstream string, mod func(*dnsd.Config), names ...string) *dnsd.Server {
	t.Helper()
	cfg := dnsd.Defaults()
	cfg.Enabled = true
	cfg.Listen = "127.0.0.1:0"
	cfg.Upstream = upstream
	cfg.Names = names
	if mod != nil {
		mod(&cfg)
	}
	table, err := dnsd.BuildTable(&cfg, nil, netip.MustParseAddr("192.0.2.10"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := dnsd.Start(cfg, dnsd.Options{Table: table})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// ask sends one query with a real DNS client over network.
func ask(t *testing.T, s *dnsd.Server, network, name string, qtype uint16) *dns.Msg {
	t.Helper()
	addr := s.UDPAddr().String()
	if network == "tcp" {
		addr = s.TCPAddr().String()
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: network, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("%s %s %s: %v", network, name, dns.TypeToString[qtype], err)
	}
	if r.Id != m.Id {
		t.Fatalf("reply id %d, want %d", r.Id, m.Id)
	}
	return r
}

// addrsOf lists the A and AAAA addresses of an answer.
func addrsOf(r *dns.Msg) []string {
	var out []string
	for _, rr := range r.Answer {
		switch v := rr.(type) {
		case *dns.A:
			out = append(out, v.A.String())
		case *dns.AAAA:
			out = append(out, v.AAAA.String())
		}
	}
	return out
}

func TestAnswersAndForwards(t *testing.T) {
	up := dnstest.Start(t, map[string]string{"other.example": "10.0.0.7", "wild.example": "10.0.0.8"}, dnstest.Options{})
	s := startResponder(t, up.Addr, func(c *dnsd.Config) {
		c.Records = []dnsd.Record{{Name: "account.example", Address: "2001:db8::5"}, {Name: "account.example", Address: "198.51.100.5"}}
	}, "game.example.net", "*.wild.example", "g*-lp1.s.n.srv.nintendo.net")

	type want struct {
		name   string
		qtype  uint16
		rcode  int
		addrs  []string
		local  bool // answered by the responder (authoritative), not the upstream
		upName string
	}
	cases := []want{
		{name: "game.example.net", qtype: dns.TypeA, addrs: []string{"192.0.2.10"}, local: true},
		{name: "GAME.Example.NET", qtype: dns.TypeA, addrs: []string{"192.0.2.10"}, local: true},
		{name: "game.example.net", qtype: dns.TypeAAAA, local: true},
		{name: "game.example.net", qtype: dns.TypeTXT, local: true},
		{name: "a.wild.example", qtype: dns.TypeA, addrs: []string{"192.0.2.10"}, local: true},
		{name: "x.y.wild.example", qtype: dns.TypeA, addrs: []string{"192.0.2.10"}, local: true},
		{name: "g2b309e01-lp1.s.n.srv.nintendo.net", qtype: dns.TypeA, addrs: []string{"192.0.2.10"}, local: true},
		{name: "account.example", qtype: dns.TypeAAAA, addrs: []string{"2001:db8::5"}, local: true},
		{name: "account.example", qtype: dns.TypeA, addrs: []string{"198.51.100.5"}, local: true},
		// Not in the table: the upstream's answers.
		{name: "wild.example", qtype: dns.TypeA, addrs: []string{"10.0.0.8"}, upName: "wild.example"},
		{name: "other.example", qtype: dns.TypeA, addrs: []string{"10.0.0.7"}, upName: "other.example"},
		{name: "missing.example", qtype: dns.TypeA, rcode: dns.RcodeNameError, upName: "missing.example"},
		{name: "friends.lp1.s.n.srv.nintendo.net", qtype: dns.TypeA, rcode: dns.RcodeNameError, upName: "friends.lp1.s.n.srv.nintendo.net"},
		{name: "g1-dd1.s.n.srv.nintendo.net", qtype: dns.TypeA, rcode: dns.RcodeNameError, upName: "g1-dd1.s.n.srv.nintendo.net"},
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, c := range cases {
			before := 0
			if c.upName != "" {
				before = up.Queries("", c.upName)
			}
			r := ask(t, s, network, c.name, c.qtype)
			got := addrsOf(r)
			if r.Rcode != c.rcode || len(got) != len(c.addrs) || r.Authoritative != c.local {
				t.Errorf("%s %s %s: rcode %s, answers %v, authoritative %v; want %s, %v, %v", network, c.name, dns.TypeToString[c.qtype],
					dns.RcodeToString[r.Rcode], got, r.Authoritative, dns.RcodeToString[c.rcode], c.addrs, c.local)
				continue
			}
			for i := range got {
				if got[i] != c.addrs[i] {
					t.Errorf("%s %s: answer %v, want %v", network, c.name, got, c.addrs)
				}
			}
			if c.upName != "" && up.Queries("", c.upName) != before+1 {
				t.Errorf("%s %s: the upstream got %d queries, want 1", network, c.name, up.Queries("", c.upName)-before)
			}
		}
	}
	for _, n := range []string{"game.example.net", "a.wild.example", "account.example", "g2b309e01-lp1.s.n.srv.nintendo.net"} {
		if q := up.Queries("", n); q != 0 {
			t.Errorf("%s reached the upstream %d times: the responder answers it", n, q)
		}
	}
	st := s.Stats()
	if st.Answered != 18 || st.Forwarded != 10 || st.Failed != 0 || st.Refused != 0 {
		t.Errorf("stats %+v, want 18 answered and 10 forwarded", st)
	}
}

// TestForwardTruncatedRetriesTCP: an upstream whose UDP answers are
// truncated is asked again over TCP, and the client gets the full answer.
func TestForwardTruncatedRetriesTCP(t *testing.T) {
	up := dnstest.Start(t, map[string]string{"big.example": "10.0.0.9"}, dnstest.Options{Truncate: true})
	s := startResponder(t, up.Addr, nil)
	for _, network := range []string{"udp", "tcp"} {
		r := ask(t, s, network, "big.example", dns.TypeA)
		if got := addrsOf(r); r.Rcode != dns.RcodeSuccess || r.Truncated || len(got) != 1 || got[0] != "10.0.0.9" {
			t.Errorf("%s: rcode %s truncated %v answers %v, want 10.0.0.9", network, dns.RcodeToString[r.Rcode], r.Truncated, got)
		}
	}
	if u, tc := up.Queries("udp", "big.example"), up.Queries("tcp", "big.example"); u != 2 || tc != 2 {
		t.Errorf("upstream queries: %d over UDP, %d over TCP; want 2 and 2", u, tc)
	}
}

// TestUpstreamFailureServfail: an upstream that does not answer, or is
// not there, makes a SERVFAIL; the names of the table still work.
func TestUpstreamFailureServfail(t *testing.T) {
	silent := dnstest.Start(t, nil, dnstest.Options{Drop: true})
	gone := func() string {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().String()
	}()
	for name, addr := range map[string]string{"silent": silent.Addr, "gone": gone} {
		t.Run(name, func(t *testing.T) {
			s := startResponder(t, addr, func(c *dnsd.Config) { c.Timeout = 300 * time.Millisecond }, "game.example.net")
			for _, network := range []string{"udp", "tcp"} {
				if r := ask(t, s, network, "other.example", dns.TypeA); r.Rcode != dns.RcodeServerFailure {
					t.Errorf("%s: rcode %s, want SERVFAIL", network, dns.RcodeToString[r.Rcode])
				}
				if r := ask(t, s, network, "game.example.net", dns.TypeA); r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
					t.Errorf("%s: table name with the upstream down: rcode %s, %d answers", network, dns.RcodeToString[r.Rcode], len(r.Answer))
				}
			}
			if st := s.Stats(); st.Failed != 2 {
				t.Errorf("stats %+v, want 2 failed", st)
			}
		})
	}
}

// TestInflightBound: with max_inflight queries waiting on the upstream,
// the next one is refused at once instead of queued.
func TestInflightBound(t *testing.T) {
	silent := dnstest.Start(t, nil, dnstest.Options{Drop: true})
	s := startResponder(t, silent.Addr, func(c *dnsd.Config) { c.MaxInflight = 1; c.Timeout = 3 * time.Second })
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m := new(dns.Msg)
		m.SetQuestion("slow.example.", dns.TypeA)
		c := &dns.Client{Net: "udp", Timeout: 10 * time.Second}
		_, _, _ = c.Exchange(m, s.UDPAddr().String())
	}()
	deadline := time.Now().Add(5 * time.Second)
	for silent.Queries("", "slow.example") == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if r := ask(t, s, "udp", "next.example", dns.TypeA); r.Rcode != dns.RcodeRefused {
		t.Errorf("query past max_inflight: rcode %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	wg.Wait()
	if st := s.Stats(); st.Refused != 1 || st.Failed != 1 {
		t.Errorf("stats %+v, want 1 refused and 1 failed", st)
	}
}

// TestCloseAbortsForwarding: Close does not wait for the upstream's
// timeout, and leaves no goroutine behind (TestMain checks).
func TestCloseAbortsForwarding(t *testing.T) {
	silent := dnstest.Start(t, nil, dnstest.Options{Drop: true})
	cfg := dnsd.Defaults()
	cfg.Listen, cfg.Upstream, cfg.Timeout = "127.0.0.1:0", silent.Addr, time.Minute
	s, err := dnsd.Start(cfg, dnsd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", s.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	m := new(dns.Msg)
	m.SetQuestion("slow.example.", dns.TypeA)
	b, _ := m.Pack()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for silent.Queries("", "slow.example") == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("close: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close waited for the forwarded query's minute-long timeout")
	}
}

// TestResolverAsksUpstreamOnly: the resolver nexproxy looks its upstream
// game servers up with asks the upstream resolver, never the responder,
// even for a name the responder redirects.
func TestResolverAsksUpstreamOnly(t *testing.T) {
	up := dnstest.Start(t, map[string]string{"game.example.net": "127.0.0.1"}, dnstest.Options{})
	s := startResponder(t, up.Addr, nil, "game.example.net")
	r, err := dnsd.Resolver(up.Addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip4", "game.example.net")
	if err != nil || len(addrs) != 1 || addrs[0] != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("lookup: %v %v, want the upstream's 127.0.0.1", addrs, err)
	}
	if st := s.Stats(); st.Answered+st.Forwarded+st.Failed+st.Refused != 0 {
		t.Errorf("the responder got queries from the resolver: %+v", st)
	}
	if up.Queries("", "game.example.net") == 0 {
		t.Error("the upstream got no query")
	}
	// A console asking the responder gets nexproxy's address.
	if got := addrsOf(ask(t, s, "udp", "game.example.net", dns.TypeA)); len(got) != 1 || got[0] != "192.0.2.10" {
		t.Errorf("console's answer %v, want 192.0.2.10", got)
	}
}

// TestStartRefusesSelfAsUpstream: an upstream that is the responder's own
// address would loop.
func TestStartRefusesSelfAsUpstream(t *testing.T) {
	for _, c := range [][2]string{{"127.0.0.1:5353", "127.0.0.1:5353"}, {"0.0.0.0:5353", "127.0.0.1:5353"}, {"127.0.0.1:53", "127.0.0.1"}} {
		cfg := dnsd.Defaults()
		cfg.Listen, cfg.Upstream = c[0], c[1]
		if s, err := dnsd.Start(cfg, dnsd.Options{}); err == nil {
			_ = s.Close()
			t.Errorf("listen %s upstream %s: started", c[0], c[1])
		}
	}
}

// TestHostileQueries: malformed datagrams and TCP frames get no reply or
// an error reply, and the responder keeps answering.
func TestHostileQueries(t *testing.T) {
	up := dnstest.Start(t, map[string]string{"other.example": "10.0.0.7"}, dnstest.Options{})
	s := startResponder(t, up.Addr, nil, "game.example.net")
	valid := new(dns.Msg)
	valid.SetQuestion("game.example.net.", dns.TypeA)
	vb, _ := valid.Pack()
	two := valid.Copy()
	two.Question = append(two.Question, dns.Question{Name: "other.example.", Qtype: dns.TypeA, Qclass: dns.ClassINET})
	tb, _ := two.Pack()
	resp := valid.Copy()
	resp.Response = true
	rb, _ := resp.Pack()
	loop := append([]byte{}, vb[:12]...)
	loop = append(loop, 0xC0, 12, 0, 1, 0, 1) // a name pointing at itself
	inputs := [][]byte{
		nil, {0}, vb[:5], vb[:len(vb)-3], tb, rb, loop,
		append(append([]byte{}, vb...), make([]byte, 3000)...),
		func() []byte {
			b := make([]byte, 512)
			for i := range b {
				b[i] = byte(i * 7)
			}
			return b
		}(),
	}
	c, err := net.Dial("udp", s.UDPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, in := range inputs {
		if _, err := c.Write(in); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range inputs {
		tc, err := net.Dial("tcp", s.TCPAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		frame := append([]byte{byte(len(in) >> 8), byte(len(in))}, in...)
		_, _ = tc.Write(frame)
		_ = tc.Close()
	}
	// A length prefix promising more than is sent, then silence: the
	// responder must not hold anything for it beyond its read timeout.
	tc, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = tc.Write([]byte{0xFF, 0xFF, 1, 2})
	defer tc.Close()
	notify := new(dns.Msg)
	notify.SetNotify("game.example.net.")
	if r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(notify, s.UDPAddr().String()); err != nil || r.Rcode != dns.RcodeNotImplemented {
		t.Errorf("NOTIFY: %v %v, want NOTIMP", r, err)
	}
	for _, network := range []string{"udp", "tcp"} {
		if got := addrsOf(ask(t, s, network, "game.example.net", dns.TypeA)); len(got) != 1 {
			t.Errorf("%s: after hostile input, answers %v", network, got)
		}
		if got := addrsOf(ask(t, s, network, "other.example", dns.TypeA)); len(got) != 1 {
			t.Errorf("%s: after hostile input, forwarded answers %v", network, got)
		}
	}
}

// TestForwardHonoursTimeout: an upstream slower than miekg/dns's own 2 s
// default still answers within a longer configured timeout.
func TestForwardHonoursTimeout(t *testing.T) {
	up := dnstest.Start(t, map[string]string{"slow.example": "10.0.0.7"}, dnstest.Options{Delay: 2500 * time.Millisecond})
	s := startResponder(t, up.Addr, func(c *dnsd.Config) { c.Timeout = 6 * time.Second })
	r := ask(t, s, "udp", "slow.example", dns.TypeA)
	if got := addrsOf(r); r.Rcode != dns.RcodeSuccess || len(got) != 1 || got[0] != "10.0.0.7" {
		t.Errorf("rcode %s, answers %v; want the upstream's 10.0.0.7 within the 6s timeout", dns.RcodeToString[r.Rcode], got)
	}
}

// TestForwardCutTruncatedRetriesTCP: a UDP answer truncated the RFC 1035
// way, cut inside a record with TC set, is asked again over TCP rather
// than failing to parse into a SERVFAIL.
func TestForwardCutTruncatedRetriesTCP(t *testing.T) {
	up := dnstest.Start(t, map[string]string{"big.example": "10.0.0.9"}, dnstest.Options{Cut: true})
	s := startResponder(t, up.Addr, nil)
	r := ask(t, s, "udp", "big.example", dns.TypeA)
	if got := addrsOf(r); r.Rcode != dns.RcodeSuccess || r.Truncated || len(got) != 1 || got[0] != "10.0.0.9" {
		t.Errorf("rcode %s truncated %v answers %v, want 10.0.0.9", dns.RcodeToString[r.Rcode], r.Truncated, got)
	}
	if u, tc := up.Queries("udp", "big.example"), up.Queries("tcp", "big.example"); u != 1 || tc != 1 {
		t.Errorf("upstream queries: %d over UDP, %d over TCP; want 1 and 1", u, tc)
	}
}

// TestErrorRepliesKeepEDNS: a SERVFAIL or NOTIMP to a query with an OPT
// record carries one too (RFC 6891 6.1.1), and a SERVFAIL says recursion
// is available, like every forwarded answer.
func TestErrorRepliesKeepEDNS(t *testing.T) {
	s := startResponder(t, "127.0.0.1:9", func(c *dnsd.Config) { c.Timeout = 300 * time.Millisecond })
	q := new(dns.Msg)
	q.SetQuestion("other.example.", dns.TypeA)
	q.SetEdns0(1232, false)
	notify := new(dns.Msg)
	notify.SetNotify("other.example.")
	notify.SetEdns0(1232, false)
	for _, c := range []struct {
		m     *dns.Msg
		rcode int
		ra    bool
	}{{q, dns.RcodeServerFailure, true}, {notify, dns.RcodeNotImplemented, false}} {
		r, _, err := (&dns.Client{Timeout: 5 * time.Second}).Exchange(c.m, s.UDPAddr().String())
		if err != nil {
			t.Fatal(err)
		}
		if r.Rcode != c.rcode || r.IsEdns0() == nil || r.RecursionAvailable != c.ra {
			t.Errorf("%s: rcode %s, OPT %v, RA %v; want %s, an OPT record, RA %v", dns.OpcodeToString[c.m.Opcode],
				dns.RcodeToString[r.Rcode], r.IsEdns0() != nil, r.RecursionAvailable, dns.RcodeToString[c.rcode], c.ra)
		}
	}
}
