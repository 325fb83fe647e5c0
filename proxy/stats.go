package proxy

import (
	"net"
	"net/netip"

	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Stats is a snapshot of a server's counters for metrics.
type Stats struct {
	// Listeners has one entry per bound listener.
	Listeners []ListenerStats
	// Conns sums the counters of every PRUDP connection the server has
	// run, console and upstream side, open or ended. SRTT and RTO are not
	// summed (zero).
	Conns prudp.Stats
	// Sessions is the number of console connections open now.
	Sessions int
	// BlindRelays is the number of blind relays open now (one listening
	// socket each, shared by the logins of a game naming the same
	// upstream secure station), BlindRelayConsoles the consoles they
	// forward for (one upstream socket each).
	BlindRelays, BlindRelayConsoles int
	// BlindRelaysRefused counts relays not opened because a cap was
	// reached (per game or in all).
	BlindRelaysRefused uint64
}

// ListenerStats is one listener's counters.
type ListenerStats struct {
	// Addr is the bound address.
	Addr string
	// WebSocket is true for a PRUDPLite (WebSocket) listener.
	WebSocket bool
	// Games names the games the listener serves, sorted and joined by
	// commas ("friends,wiiu").
	Games string
	prudp.ListenerStats
}

// Stats returns the current counters. It is cheap enough to call on every
// metrics scrape.
func (s *Server) Stats() Stats {
	var st Stats
	for _, l := range s.listeners {
		st.Listeners = append(st.Listeners, ListenerStats{Addr: l.l.Addr().String(), WebSocket: l.ws, Games: l.gameNames(), ListenerStats: l.l.Stats()})
	}
	s.mu.Lock()
	st.Conns = s.retired
	st.Sessions = len(s.running)
	live := make([]*liveConn, 0, len(s.running))
	for c := range s.running {
		live = append(live, c)
	}
	s.mu.Unlock()
	for _, c := range live {
		addConnStats(&st.Conns, c.console)
		addConnStats(&st.Conns, c.up)
	}
	st.BlindRelays, st.BlindRelayConsoles = s.relays.count()
	st.BlindRelaysRefused = s.relays.refused.Load()
	return st
}

// retire forgets a connection pair at its end, adding its counters to the
// totals in the same step so that Stats never counts it twice or not at
// all.
func (s *Server) retire(c *liveConn) {
	s.mu.Lock()
	delete(s.running, c)
	addConnStats(&s.retired, c.console)
	addConnStats(&s.retired, c.up)
	s.mu.Unlock()
}

func addConnStats(sum *prudp.Stats, c *prudp.Conn) {
	if c == nil {
		return
	}
	st := c.Stats()
	sum.Sent += st.Sent
	sum.Resent += st.Resent
	sum.Received += st.Received
	sum.Dropped += st.Dropped
	sum.Duplicates += st.Duplicates
	sum.MessagesSent += st.MessagesSent
	sum.MessagesReceived += st.MessagesReceived
}

// listenerSide is nexproxy's address on a console connection of game g's
// leg: the listener's, with an unspecified host replaced by the advertised
// address when that is an IP, so that captures show where consoles sent.
func (s *Server) listenerSide(g *game, leg rpc.Leg) netip.AddrPort {
	l := g.authL
	if leg == rpc.LegSecure {
		l = g.secureL
	}
	if l == nil || l.l == nil {
		return netip.AddrPort{}
	}
	ap, err := netip.ParseAddrPort(l.l.Addr().String())
	if err != nil {
		return netip.AddrPort{}
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if ap.Addr().IsUnspecified() {
		if adv, err := netip.ParseAddr(s.advertiseHost()); err == nil {
			ap = netip.AddrPortFrom(adv.Unmap(), ap.Port())
		}
	}
	return ap
}

// upstreamLocal is nexproxy's address on a dialled upstream connection,
// for captures: the socket's own port and, when the socket is bound to
// every interface, the address the system routes to the server from.
func upstreamLocal(c *prudp.Conn) netip.AddrPort {
	local := c.LocalAddrPort()
	if local.Addr().IsValid() && !local.Addr().IsUnspecified() {
		return local
	}
	return netip.AddrPortFrom(localTowards(c.RemoteAddrPort()).Addr(), local.Port())
}

// localTowards is the local address the system routes to remote from
// (port 0). A UDP "dial" sends nothing.
func localTowards(remote netip.AddrPort) netip.AddrPort {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(remote))
	if err != nil {
		return netip.AddrPort{}
	}
	defer c.Close()
	la := c.LocalAddr().(*net.UDPAddr).AddrPort()
	return netip.AddrPortFrom(la.Addr().Unmap(), 0)
}
