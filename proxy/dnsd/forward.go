package dnsd

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/miekg/dns"
)

// forward asks the upstream resolver req's question over UDP, and again
// over TCP when the UDP answer comes back truncated. The upstream sees a
// query id of its own, and the reply carries req's.
func (s *Server) forward(ctx context.Context, req *dns.Msg) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	q := req.Copy()
	q.Id = dns.Id()
	addr := s.upstream.String()
	resp, err := exchange(ctx, "udp", q, addr)
	if err == nil && resp.Truncated {
		resp, err = exchange(ctx, "tcp", q, addr)
	}
	if err != nil {
		return nil, fmt.Errorf("dnsd: upstream %s: %w", addr, err)
	}
	resp.Id = req.Id
	return resp, nil
}

// exchange makes one query on a connection of its own that ctx's end
// interrupts (miekg/dns only applies a context's deadline, so Close
// would otherwise wait out every forwarded query).
func exchange(ctx context.Context, network string, q *dns.Msg, addr string) (*dns.Msg, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	c := &dns.Client{Net: network, UDPSize: dns.MaxMsgSize}
	if d, ok := ctx.Deadline(); ok {
		// Without a Timeout miekg/dns gives up reading after 2 s, short
		// of a longer [dns] timeout.
		c.Timeout = time.Until(d)
	}
	resp, _, err := c.ExchangeWithConnContext(ctx, q, &dns.Conn{Conn: conn, UDPSize: dns.MaxMsgSize})
	if err == nil {
		return resp, nil
	}
	if network == "udp" && resp != nil && resp.Id == q.Id && resp.Response && resp.Truncated {
		// RFC 1035 truncation may cut a record in half, which does not
		// parse; the TC bit still says to ask again over TCP.
		return resp, nil
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return nil, err
}

// Resolver is a Go resolver that sends every lookup to upstream (an IP
// address with an optional port, as [dns] upstream), over UDP and over
// TCP when an answer is truncated: what nexproxy looks up its own
// upstream game servers with while the responder runs, so that it never
// asks itself, even when this machine's resolver is the responder. Names
// in /etc/hosts are still found there first.
func Resolver(upstream string) (*net.Resolver, error) {
	ap, err := UpstreamAddr(upstream)
	if err != nil {
		return nil, fmt.Errorf("dnsd: upstream: %w", err)
	}
	addr := ap.String()
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}, nil
}
