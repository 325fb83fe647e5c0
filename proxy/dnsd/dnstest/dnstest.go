// Package dnstest runs a small DNS server for tests: the upstream
// resolver a test points nexproxy's DNS responder (or its resolver) at.
package dnstest

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Server answers A queries from a fixed table over UDP and TCP on one
// port and counts the queries it gets. Names not in the table are
// answered NXDOMAIN.
type Server struct {
	// Addr is host:port of both listeners.
	Addr string

	records  map[string]string
	truncate bool
	cut      bool
	drop     bool
	delay    time.Duration
	udp, tcp *dns.Server

	mu      sync.Mutex
	queries map[string]int // "udp name" / "tcp name" -> count
}

// Options change how the server answers.
type Options struct {
	// Truncate answers every UDP query with an empty, truncated (TC) reply,
	// so that only TCP gets the answer.
	Truncate bool
	// Cut answers every UDP query with its answer cut short inside its
	// last record and TC set, as RFC 1035's truncation at 512 bytes may
	// leave a message; TCP gets the whole answer.
	Cut bool
	// Drop never answers.
	Drop bool
	// Delay is how long every answer waits.
	Delay time.Duration
}

// Start runs a server answering records (name -> IPv4 address) until the
// test ends.
func Start(tb testing.TB, records map[string]string, opts Options) *Server {
	tb.Helper()
	s := &Server{records: map[string]string{}, truncate: opts.Truncate, cut: opts.Cut, drop: opts.Drop, delay: opts.Delay, queries: map[string]int{}}
	for n, a := range records {
		s.records[dns.Fqdn(strings.ToLower(n))] = a
	}
	var pc net.PacketConn
	var l net.Listener
	for i := 0; l == nil; i++ {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port))
		if err != nil {
			_ = pc.Close()
			if i > 20 {
				tb.Fatal(err)
			}
		}
	}
	s.Addr = pc.LocalAddr().String()
	s.udp = &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(s.serve)}
	s.tcp = &dns.Server{Listener: l, Handler: dns.HandlerFunc(s.serve)}
	var wg sync.WaitGroup
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = srv.ActivateAndServe()
		}()
		<-started
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.udp.ShutdownContext(ctx)
		_ = s.tcp.ShutdownContext(ctx)
		wg.Wait()
	})
	return s
}

func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	network := "tcp"
	if _, ok := w.RemoteAddr().(*net.UDPAddr); ok {
		network = "udp"
	}
	q := req.Question[0]
	s.mu.Lock()
	s.queries[network+" "+strings.ToLower(q.Name)]++
	s.mu.Unlock()
	if s.drop {
		return
	}
	time.Sleep(s.delay)
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	if network == "udp" && s.truncate {
		m.Truncated = true
		_ = w.WriteMsg(m)
		return
	}
	a, ok := s.records[strings.ToLower(q.Name)]
	switch {
	case !ok:
		m.Rcode = dns.RcodeNameError
	case q.Qtype == dns.TypeA:
		m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 30}, A: net.ParseIP(a).To4()})
	}
	if network == "udp" && s.cut && len(m.Answer) > 0 {
		b, err := m.Pack()
		if err != nil {
			return
		}
		b[2] |= 0x02 // TC
		_, _ = w.Write(b[:len(b)-2])
		return
	}
	_ = w.WriteMsg(m)
}

// Queries is how many queries for name arrived over network ("udp",
// "tcp", or "" for both).
func (s *Server) Queries(network, name string) int {
	name = dns.Fqdn(strings.ToLower(name))
	s.mu.Lock()
	defer s.mu.Unlock()
	if network == "" {
		return s.queries["udp "+name] + s.queries["tcp "+name]
	}
	return s.queries[network+" "+name]
}
