package proxy

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// relayIdle closes a blind relay (or one of its console mappings) after
// this long without a datagram.
const relayIdle = 2 * time.Minute

// maxRelays bounds the UDP sockets blind relays may hold.
const maxRelays = 1024

// relays owns the blind relays of a server.
type relays struct {
	srv *Server
	mu  sync.Mutex
	set map[*relay]struct{}
	wg  sync.WaitGroup
}

func newRelays(s *Server) *relays { return &relays{srv: s, set: map[*relay]struct{}{}} }

// relay forwards datagrams unchanged between consoles and one upstream
// secure server when nexproxy cannot read the secure leg (unknown
// password): each console address gets its own upstream socket, so the
// upstream sees one stable peer per console.
type relay struct {
	rs       *relays
	pc       *net.UDPConn
	upstream *net.UDPAddr
	log      *zap.Logger
	mu       sync.Mutex
	peers    map[netip.AddrPort]*relayPeer
	closed   bool
}

type relayPeer struct {
	up   *net.UDPConn
	last time.Time
}

// open starts a relay towards the upstream secure station of a login and
// returns the address consoles send to.
func (rs *relays) open(g *game, sess *rpc.Session, up rmc.StationURL) (netip.AddrPort, error) {
	if g.cfg.Transport == "websocket" {
		return netip.AddrPort{}, errors.New("proxy: blind relay over WebSocket is not supported (the Switch login carries its key)")
	}
	addr, _, _, err := secureTarget(up, g.upAddr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	rs.mu.Lock()
	if len(rs.set) >= maxRelays || rs.srv.isClosed() {
		rs.mu.Unlock()
		return netip.AddrPort{}, errors.New("proxy: no blind relay available")
	}
	host, _, _ := net.SplitHostPort(g.cfg.SecureListen)
	la, err := net.ResolveUDPAddr("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		rs.mu.Unlock()
		return netip.AddrPort{}, err
	}
	pc, err := net.ListenUDP("udp", la)
	if err != nil {
		rs.mu.Unlock()
		return netip.AddrPort{}, err
	}
	r := &relay{rs: rs, pc: pc, upstream: ua, peers: map[netip.AddrPort]*relayPeer{},
		log: g.log.With(zap.String("conn", sess.ID), zap.String("relay", pc.LocalAddr().String()))}
	rs.set[r] = struct{}{}
	rs.wg.Add(1)
	rs.mu.Unlock()
	go func() {
		defer rs.wg.Done()
		r.run()
	}()
	r.log.Info("blind relay opened", zap.Stringer("upstream", ua))
	return pc.LocalAddr().(*net.UDPAddr).AddrPort(), nil
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// run forwards console datagrams upstream until the relay idles out.
func (r *relay) run() {
	defer r.close()
	buf := make([]byte, 65535)
	for {
		_ = r.pc.SetReadDeadline(time.Now().Add(relayIdle))
		n, from, err := r.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && r.sweep() {
				continue
			}
			return
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		p := r.peer(from)
		if p == nil {
			continue
		}
		_, _ = p.up.Write(buf[:n])
	}
}

// sweep drops idle console mappings and reports whether any remain.
func (r *relay) sweep() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for a, p := range r.peers {
		if time.Since(p.last) > relayIdle {
			_ = p.up.Close()
			delete(r.peers, a)
		}
	}
	return len(r.peers) > 0
}

func (r *relay) peer(from netip.AddrPort) *relayPeer {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	if p := r.peers[from]; p != nil {
		p.last = time.Now()
		return p
	}
	if len(r.peers) >= 16 {
		return nil
	}
	up, err := net.DialUDP("udp", nil, r.upstream)
	if err != nil {
		r.log.Warn("blind relay: upstream socket", zap.Error(err))
		return nil
	}
	p := &relayPeer{up: up, last: time.Now()}
	r.peers[from] = p
	r.rs.wg.Add(1)
	go func() {
		defer r.rs.wg.Done()
		buf := make([]byte, 65535)
		for {
			n, err := up.Read(buf)
			if err != nil {
				return
			}
			_, _ = r.pc.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	return p
}

func (r *relay) close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	for a, p := range r.peers {
		_ = p.up.Close()
		delete(r.peers, a)
	}
	r.mu.Unlock()
	_ = r.pc.Close()
	r.rs.mu.Lock()
	delete(r.rs.set, r)
	r.rs.mu.Unlock()
	r.log.Info("blind relay closed")
}

// closeAll stops every relay and waits for their goroutines.
func (rs *relays) closeAll() {
	rs.mu.Lock()
	all := make([]*relay, 0, len(rs.set))
	for r := range rs.set {
		all = append(all, r)
	}
	rs.mu.Unlock()
	for _, r := range all {
		r.close()
	}
	rs.wg.Wait()
}
