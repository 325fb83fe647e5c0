// Package dnsd is nexproxy's optional DNS responder, which points
// consoles at nexproxy: it answers the names of the configured games'
// servers (and the names config.toml's [dns] section lists) with
// nexproxy's advertised address, and forwards every other query to an
// upstream resolver. nexproxy looks up its own upstream game servers
// through that upstream resolver (Resolver), never through itself, so the
// machine's own resolver may point at the responder without a loop.
//
// Queries are parsed by github.com/miekg/dns; what is bounded here: the
// queries forwarded at once (MaxInflight, beyond which queries are
// answered REFUSED), the open TCP connections (MaxTCPConns) and the time
// a forwarded query may take (Timeout).
package dnsd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/zap"
	"golang.org/x/net/netutil"
)

// Options are what a Server needs beyond its Config.
type Options struct {
	// Table holds the names answered locally (BuildTable).
	Table *Table
	// Logger receives the responder's log; nil = none.
	Logger *zap.Logger
}

// Stats counts the queries a Server handled.
type Stats struct {
	// Answered are the queries answered from the table.
	Answered uint64
	// Forwarded are the queries answered by the upstream resolver.
	Forwarded uint64
	// Failed are the forwarded queries answered SERVFAIL.
	Failed uint64
	// Refused are the queries refused because MaxInflight were being
	// forwarded.
	Refused uint64
}

// Server is a running responder: one UDP and one TCP listener on the
// same address.
type Server struct {
	cfg      Config
	table    *Table
	upstream netip.AddrPort
	log      *zap.Logger

	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}

	udp, tcp *dns.Server
	wg       sync.WaitGroup
	once     sync.Once

	answered, forwarded, failed, refused atomic.Uint64
}

// Start opens the listeners of cfg and serves until Close.
func Start(cfg Config, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Table == nil {
		opts.Table = &Table{}
	}
	up, err := UpstreamAddr(cfg.Upstream)
	if err != nil {
		return nil, fmt.Errorf("dnsd: upstream: %w", err)
	}
	if msg := selfLoop(cfg.Listen, cfg.Upstream, localAddrs()...); msg != "" {
		return nil, fmt.Errorf("dnsd: upstream: %s", msg)
	}
	if cfg.MaxInflight < 1 {
		cfg.MaxInflight = Defaults().MaxInflight
	}
	if cfg.MaxTCPConns < 1 {
		cfg.MaxTCPConns = Defaults().MaxTCPConns
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = Defaults().Timeout
	}
	if cfg.TTL <= 0 {
		cfg.TTL = Defaults().TTL
	}
	pc, l, err := listen(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("dnsd: listen %s: %w", cfg.Listen, err)
	}
	s := &Server{cfg: cfg, table: opts.Table, upstream: up, log: opts.Logger, sem: make(chan struct{}, cfg.MaxInflight)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	h := dns.HandlerFunc(s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: h, UDPSize: dns.MaxMsgSize}
	s.tcp = &dns.Server{Listener: netutil.LimitListener(l, cfg.MaxTCPConns), Handler: h,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, MaxTCPQueries: 128,
		IdleTimeout: func() time.Duration { return 8 * time.Second }}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := srv.ActivateAndServe(); err != nil {
				s.log.Error("dns listener stopped", zap.Error(err))
			}
		}()
		<-started
	}
	s.log.Info("dns responder listening", zap.Stringer("udp", pc.LocalAddr()), zap.Stringer("tcp", l.Addr()),
		zap.Stringer("upstream", up), zap.Strings("names", s.table.Names()))
	return s, nil
}

// listen opens UDP and TCP on one address; with port 0, on one port both
// have free.
func listen(addr string) (net.PacketConn, net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, err
	}
	tries := 1
	if port == "0" {
		tries = 20
	}
	for i := 0; ; i++ {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		p := strconv.Itoa(pc.LocalAddr().(*net.UDPAddr).Port)
		l, err := net.Listen("tcp", net.JoinHostPort(host, p))
		if err == nil {
			return pc, l, nil
		}
		_ = pc.Close()
		if i+1 >= tries {
			return nil, nil, err
		}
	}
}

// localAddrs are this machine's interface addresses.
func localAddrs() []netip.Addr {
	as, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range as {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out
}

// UDPAddr is the address of the UDP listener.
func (s *Server) UDPAddr() net.Addr { return s.udp.PacketConn.LocalAddr() }

// TCPAddr is the address of the TCP listener.
func (s *Server) TCPAddr() net.Addr { return s.tcp.Listener.Addr() }

// Stats returns the counters so far.
func (s *Server) Stats() Stats {
	return Stats{Answered: s.answered.Load(), Forwarded: s.forwarded.Load(), Failed: s.failed.Load(), Refused: s.refused.Load()}
}

// Close stops both listeners, aborts the queries being forwarded and
// waits for every goroutine of the server.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = errors.Join(s.udp.ShutdownContext(ctx), s.tcp.ShutdownContext(ctx))
		s.wg.Wait()
	})
	return err
}

// serve answers one query: from the table when it names an entry, else
// from the upstream resolver.
func (s *Server) serve(w dns.ResponseWriter, req *dns.Msg) {
	resp := s.respond(req, w.RemoteAddr())
	if resp == nil {
		return
	}
	if _, ok := w.RemoteAddr().(*net.UDPAddr); ok {
		resp.Truncate(int(udpSize(req)))
	}
	if err := w.WriteMsg(resp); err != nil {
		s.log.Debug("dns reply not sent", zap.Stringer("remote", w.RemoteAddr()), zap.Error(err))
	}
}

// respond makes the reply to req; nil = none.
func (s *Server) respond(req *dns.Msg, remote net.Addr) *dns.Msg {
	if len(req.Question) != 1 || req.Response {
		// The accept function of miekg/dns already answered these.
		return nil
	}
	if req.Opcode != dns.OpcodeQuery {
		// NOTIFY passes miekg/dns's accept function; it is no query.
		return reply(req, dns.RcodeNotImplemented)
	}
	q := req.Question[0]
	if q.Qclass == dns.ClassINET || q.Qclass == dns.ClassANY {
		if addrs, ok := s.table.Lookup(q.Name); ok {
			s.answered.Add(1)
			s.log.Debug("dns answered", zap.String("name", q.Name), zap.String("type", dns.TypeToString[q.Qtype]), zap.Stringer("remote", remote))
			return s.local(req, q, addrs)
		}
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	default:
		s.refused.Add(1)
		return reply(req, dns.RcodeRefused)
	}
	resp, err := s.forward(s.ctx, req)
	if err != nil {
		s.failed.Add(1)
		s.log.Debug("dns forward failed", zap.String("name", q.Name), zap.Stringer("upstream", s.upstream), zap.Error(err))
		return reply(req, dns.RcodeServerFailure)
	}
	s.forwarded.Add(1)
	return resp
}

// local answers a table name: A records for its IPv4 addresses, AAAA for
// its IPv6 ones, and an empty answer (NOERROR) for every other type, so
// that a console asking for AAAA falls back to A rather than failing.
func (s *Server) local(req *dns.Msg, q dns.Question, addrs []netip.Addr) *dns.Msg {
	m := reply(req, dns.RcodeSuccess)
	m.Authoritative = true
	ttl := uint32(s.cfg.TTL / time.Second)
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
	}
	for _, a := range addrs {
		switch {
		case a.Is4() && (q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY):
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: net.IP(a.AsSlice())})
		case a.Is6() && (q.Qtype == dns.TypeAAAA || q.Qtype == dns.TypeANY):
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: net.IP(a.AsSlice())})
		}
	}
	return m
}

// reply is a reply to req with rcode and no records yet: recursion
// available to a query, since every other name is forwarded, and an OPT
// record when req has one (RFC 6891 6.1.1: a responder that sees one
// must send one).
func reply(req *dns.Msg, rcode int) *dns.Msg {
	m := new(dns.Msg)
	m.SetRcode(req, rcode)
	m.RecursionAvailable = req.Opcode == dns.OpcodeQuery
	if req.IsEdns0() != nil {
		m.SetEdns0(udpSize(req), false)
	}
	return m
}

// udpSize is the largest UDP reply the client of req takes.
func udpSize(req *dns.Msg) uint16 {
	if opt := req.IsEdns0(); opt != nil && opt.UDPSize() > dns.MinMsgSize {
		return min(opt.UDPSize(), 4096)
	}
	return dns.MinMsgSize
}
