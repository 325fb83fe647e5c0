package proxy

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// relayIdle closes a blind relay (or one of its console mappings) after
// this long without a datagram, and without a login handing it out.
const relayIdle = 2 * time.Minute

// maxRelays bounds the UDP sockets blind relays may listen on.
const maxRelays = 1024

// maxRelaysPerGame bounds the relays of one game. A game's logins share
// one relay per upstream secure station (normally one), so more means an
// upstream handing out stations by the hundred: refused and logged.
const maxRelaysPerGame = 16

// maxRelayPeers bounds the consoles (upstream sockets) of one relay.
const maxRelayPeers = 512

// relays owns the blind relays of a server. A relay is shared by every
// login of a game that names the same upstream secure station: a login
// costs no socket of its own, and the per-console upstream sockets are
// opened on a console's first datagram, so logins that never reach the
// secure server (NintendoClients logs in three times per session) leave
// nothing open.
type relays struct {
	srv *Server
	mu  sync.Mutex
	set map[*relay]struct{}
	by  map[relayKey]*relay
	// perGame counts the relays of each game.
	perGame map[string]int
	// refused counts relays not opened for a cap (Stats.BlindRelaysRefused).
	refused atomic.Uint64
	wg      sync.WaitGroup
}

// relayKey names the relay of a game's upstream secure station.
type relayKey struct {
	game     string
	upstream string
}

func newRelays(s *Server) *relays {
	return &relays{srv: s, set: map[*relay]struct{}{}, by: map[relayKey]*relay{}, perGame: map[string]int{}}
}

// relay forwards datagrams unchanged between consoles and one upstream
// secure server when nexproxy cannot read the secure leg (unknown
// password): each console address gets its own upstream socket, so the
// upstream sees one stable peer per console.
type relay struct {
	rs       *relays
	key      relayKey
	pc       *net.UDPConn
	upstream *net.UDPAddr
	log      *zap.Logger
	mu       sync.Mutex
	peers    map[netip.AddrPort]*relayPeer
	lastOpen time.Time // the last login handed the relay out
	closed   bool      // no longer handed out nor forwarding
	once     sync.Once
}

type relayPeer struct {
	up   *net.UDPConn
	last time.Time
}

// open returns the address consoles send to for the upstream secure
// station of a login: the game's relay for that station, started on
// first use.
func (rs *relays) open(g *game, sess *rpc.Session, up rmc.StationURL) (netip.AddrPort, error) {
	if g.cfg.Transport == "websocket" {
		return netip.AddrPort{}, errors.New("proxy: blind relay over WebSocket is not supported (the Switch secure leg is relayed decoded)")
	}
	addr, _, _, err := secureTarget(up, g.upAddr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	ctx, cancel := context.WithTimeout(rs.srv.ctx, dialTimeout)
	ua, err := prudp.ResolveUDP(ctx, rs.srv.opts.Resolver, "udp", addr)
	cancel()
	if err != nil {
		return netip.AddrPort{}, err
	}
	key := relayKey{game: g.cfg.Name, upstream: ua.String()}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if r := rs.by[key]; r != nil && r.handOut() {
		g.log.Debug("blind relay reused", zap.String("conn", sess.ID), zap.Stringer("relay", r.pc.LocalAddr()))
		return r.pc.LocalAddr().(*net.UDPAddr).AddrPort(), nil
	}
	if rs.srv.isClosed() {
		return netip.AddrPort{}, errors.New("proxy: server closing: no blind relay")
	}
	if len(rs.set) >= maxRelays || rs.perGame[key.game] >= maxRelaysPerGame {
		rs.refused.Add(1)
		g.log.Warn("blind relay refused: too many relays", zap.String("conn", sess.ID), zap.Int("game_relays", rs.perGame[key.game]),
			zap.Int("relays", len(rs.set)), zap.Stringer("upstream", ua))
		return netip.AddrPort{}, errors.New("proxy: no blind relay available")
	}
	host, _, _ := net.SplitHostPort(g.cfg.SecureListen)
	la, err := net.ResolveUDPAddr("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		return netip.AddrPort{}, err
	}
	pc, err := net.ListenUDP("udp", la)
	if err != nil {
		return netip.AddrPort{}, err
	}
	r := &relay{rs: rs, key: key, pc: pc, upstream: ua, peers: map[netip.AddrPort]*relayPeer{}, lastOpen: time.Now(),
		log: g.log.With(zap.String("relay", pc.LocalAddr().String()))}
	rs.set[r] = struct{}{}
	rs.by[key] = r
	rs.perGame[key.game]++
	rs.wg.Add(1)
	go func() {
		defer rs.wg.Done()
		r.run()
	}()
	r.log.Info("blind relay opened", zap.String("conn", sess.ID), zap.Stringer("upstream", ua), zap.Int("game_relays", rs.perGame[key.game]))
	return pc.LocalAddr().(*net.UDPAddr).AddrPort(), nil
}

// handOut marks the relay as handed to a login, unless it is closing.
func (r *relay) handOut() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.lastOpen = time.Now()
	return true
}

// snapshot lists the relays open now, so that they can be visited without
// holding rs.mu (each relay takes its own lock).
func (rs *relays) snapshot() []*relay {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	all := make([]*relay, 0, len(rs.set))
	for r := range rs.set {
		all = append(all, r)
	}
	return all
}

// count reports the relays and their console sockets open now.
func (rs *relays) count() (relays, peers int) {
	all := rs.snapshot()
	for _, r := range all {
		r.mu.Lock()
		peers += len(r.peers)
		r.mu.Unlock()
	}
	return len(all), peers
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

// sweep drops idle console mappings and reports whether the relay is
// still in use: a console mapping remains or a login handed it out
// recently. A relay no longer in use is marked closed here, under its
// lock, so that open cannot hand it out while it shuts down.
func (r *relay) sweep() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for a, p := range r.peers {
		if time.Since(p.last) > relayIdle {
			_ = p.up.Close()
			delete(r.peers, a)
		}
	}
	if len(r.peers) > 0 || time.Since(r.lastOpen) < relayIdle {
		return true
	}
	r.closed = true
	return false
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
	if len(r.peers) >= maxRelayPeers {
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
	r.once.Do(func() {
		r.mu.Lock()
		r.closed = true
		for a, p := range r.peers {
			_ = p.up.Close()
			delete(r.peers, a)
		}
		r.mu.Unlock()
		_ = r.pc.Close()
		r.rs.mu.Lock()
		delete(r.rs.set, r)
		if r.rs.by[r.key] == r {
			delete(r.rs.by, r.key)
		}
		r.rs.perGame[r.key.game]--
		if r.rs.perGame[r.key.game] <= 0 {
			delete(r.rs.perGame, r.key.game)
		}
		r.rs.mu.Unlock()
		r.log.Info("blind relay closed")
	})
}

// closeAll stops every relay and waits for their goroutines.
func (rs *relays) closeAll() {
	all := rs.snapshot()
	for _, r := range all {
		r.close()
	}
	rs.wg.Wait()
}
