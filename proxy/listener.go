package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// listener is one bound PRUDP listener and the games it serves, by access
// key and role.
type listener struct {
	l      *prudp.Listener
	addr   string
	ws     bool
	shared bool             // authentication on port 1, secure on port 2
	auth   map[string]*game // access key → game
	secure map[string]*game
}

// accepted is the Value a CONNECT leaves on a connection.
type accepted struct {
	g     *game
	leg   rpc.Leg
	pid   uint64
	cid   uint32
	login *upstreamLogin // secure leg in proxy mode
	// seq orders the secure CONNECTs as they were accepted: of two
	// sessions of one PID, the later CONNECT is the console's current one
	// (consoles.claim), whichever session goroutine gets there first.
	seq uint64

	// up is the upstream connection a relayed CONNECT (ModeRelayDecoded)
	// opened with the console's own payload; the session takes it
	// (takePassed), or the timer closes it when the console's handshake
	// never completed.
	up      *prudp.Conn
	upTimer *time.Timer
	upOnce  sync.Once
}

// passedClaim bounds how long the upstream connection of a relayed
// CONNECT waits for the console's connection to start its session.
const passedClaim = 30 * time.Second

// takePassed hands the upstream connection of a relayed CONNECT to the
// session; nil when it was closed meanwhile.
func (a *accepted) takePassed(s *Server) *prudp.Conn {
	var up *prudp.Conn
	a.upOnce.Do(func() {
		a.upTimer.Stop()
		up = a.up
	})
	s.mu.Lock()
	delete(s.passed, a)
	s.mu.Unlock()
	return up
}

// dropPassed closes the upstream connection of a relayed CONNECT that no
// session took.
func (a *accepted) dropPassed() {
	a.upOnce.Do(func() {
		a.upTimer.Stop()
		a.up.Abort()
	})
}

// openListeners binds one listener per distinct address: several games
// may share an authentication address (the SYN's access key tells which).
func (s *Server) openListeners(ctx context.Context) error {
	byAddr := map[string]*listener{}
	var order []*listener
	get := func(addr string, g *game) (*listener, error) {
		ws := g.cfg.Transport == "websocket"
		if l := byAddr[addr]; l != nil {
			if l.ws != ws {
				return nil, fmt.Errorf("proxy: %s is both a UDP and a WebSocket listener", addr)
			}
			return l, nil
		}
		l := &listener{addr: addr, ws: ws, auth: map[string]*game{}, secure: map[string]*game{}}
		byAddr[addr] = l
		order = append(order, l)
		return l, nil
	}
	for _, g := range s.games {
		al, err := get(g.cfg.AuthListen, g)
		if err != nil {
			return err
		}
		sl, err := get(g.cfg.SecureListen, g)
		if err != nil {
			return err
		}
		key := g.cfg.PRUDP.AccessKey
		if al.auth[key] != nil || sl.secure[key] != nil {
			return fmt.Errorf("proxy: games %s and %s share access key %q on one listener", al.auth[key].nameOr(sl.secure[key]), g.cfg.Name, key)
		}
		al.auth[key], sl.secure[key] = g, g
		g.authL, g.secureL = al, sl
		if al == sl {
			al.shared = true
		}
	}
	unserved := newUnservedLog(s.log)
	for _, l := range order {
		var games []prudp.Settings
		seen := map[string]bool{}
		var tlsCfg *tls.Config
		for _, m := range []map[string]*game{l.auth, l.secure} {
			for key, g := range m {
				if seen[key] {
					continue
				}
				seen[key] = true
				games = append(games, g.cfg.PRUDP)
				if l.ws && g.cfg.TLSCert != "" && tlsCfg == nil {
					cert, err := tls.LoadX509KeyPair(g.cfg.TLSCert, g.cfg.TLSKey)
					if err != nil {
						return fmt.Errorf("proxy: game %s: tls: %w", g.cfg.Name, err)
					}
					tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
				}
			}
		}
		lc := prudp.ListenConfig{
			Games:   games,
			Connect: func(req prudp.ConnectRequest) (prudp.ConnectResponse, error) { return s.connect(l, req) },
			Logger:  s.log,
			Serves:  l.serves,
			// Consoles of known titles without a game here are named in
			// the log rather than dropped in silence.
			Known:    knownProfiles(l),
			Unserved: func(m prudp.KnownMatch) { unserved.report(l.addr, m) },
		}
		var err error
		if l.ws {
			l.l, err = prudp.ListenWebSocket(ctx, l.addr, tlsCfg, lc)
		} else {
			l.l, err = prudp.Listen(ctx, l.addr, lc)
		}
		if err != nil {
			return fmt.Errorf("proxy: listen %s: %w", l.addr, err)
		}
		s.listeners = append(s.listeners, l)
		s.log.Info("listening", zap.String("addr", l.l.Addr().String()), zap.Bool("websocket", l.ws), zap.Int("games", len(games)))
	}
	return nil
}

func (g *game) nameOr(o *game) string {
	if g != nil {
		return g.cfg.Name
	}
	return o.cfg.Name
}

// role decides whether a CONNECT on l is for the authentication or the
// secure server of the game with that access key.
func (l *listener) role(key string, port uint8) (*game, rpc.Leg, bool) {
	if l.shared {
		g := l.auth[key]
		if g == nil {
			return nil, 0, false
		}
		if port == sharedSecurePort {
			return g, rpc.LegSecure, true
		}
		return g, rpc.LegAuth, true
	}
	if g := l.auth[key]; g != nil {
		return g, rpc.LegAuth, true
	}
	if g := l.secure[key]; g != nil {
		return g, rpc.LegSecure, true
	}
	return nil, 0, false
}

// serves says which virtual ports the listener answers SYNs on: the
// Rendez-Vous stream, port 1 (and 2 on a shared listener, the secure
// server). A proxied game's secure server keeps the port its upstream
// names in the station URL (sid), so a listener serving one takes any port
// of the stream.
func (l *listener) serves(v prudp.VPort) bool {
	if v.Type != prudp.StreamRVSecure {
		return false
	}
	if v.Port == sharedAuthPort || l.shared && v.Port == sharedSecurePort {
		return true
	}
	for _, g := range l.secure {
		if !g.cfg.Local() {
			return true
		}
	}
	return false
}

// errUnknownGame refuses a CONNECT for no configured game.
var errUnknownGame = errors.New("proxy: no game for this access key on this listener")

// connect runs inside the PRUDP handshake: the authentication leg is
// accepted as is; the secure leg's Kerberos payload is verified with
// nexproxy's own key (and, when proxying, matched to its upstream login).
func (s *Server) connect(l *listener, req prudp.ConnectRequest) (prudp.ConnectResponse, error) {
	g, leg, ok := l.role(req.Settings.AccessKey, req.Local.Port)
	if !ok {
		return prudp.ConnectResponse{}, errUnknownGame
	}
	if leg == rpc.LegAuth {
		return prudp.ConnectResponse{Value: &accepted{g: g, leg: rpc.LegAuth}}, nil
	}
	res, err := g.verifier.Verify(req.Payload)
	if err != nil && g.relaysDecoded() {
		if a, rerr, ok := s.passConnect(g, req); ok {
			if rerr != nil {
				return prudp.ConnectResponse{}, rerr
			}
			return prudp.ConnectResponse{Payload: a.login.connectReply, Value: a}, nil
		}
	}
	if err != nil {
		g.log.Info("secure connect refused", zap.Stringer("remote", req.RemoteAddr), zap.Error(err))
		return prudp.ConnectResponse{}, err
	}
	a := &accepted{g: g, leg: rpc.LegSecure, pid: res.PID, cid: res.CID, seq: s.connects.Add(1)}
	if !g.cfg.Local() {
		login, ok := s.logins.get(res.SessionKey)
		if !ok {
			g.log.Info("secure connect refused: no upstream login for this ticket", zap.Uint64("pid", res.PID), zap.Stringer("remote", req.RemoteAddr))
			return prudp.ConnectResponse{}, fmt.Errorf("proxy: ticket of pid %d: %w", res.PID, kerberos.ErrExpired)
		}
		a.login = login
	}
	return prudp.ConnectResponse{Payload: res.Response, SessionKey: res.SessionKey, Value: a}, nil
}

// passConnect relays the secure CONNECT of a login relayed decoded: a
// ticket nexproxy cannot open, from a console that logged in through it
// without a known key. The console's payload goes to the upstream secure
// server unchanged on a connection of nexproxy's, and the upstream's
// reply (its check value, under the session key nexproxy does not know)
// goes back unchanged: PRUDPLite has no signature or encryption that
// needs the key, so both connections then run as nexproxy's own. ok is
// false when no such login is known for the console's address.
func (s *Server) passConnect(g *game, req prudp.ConnectRequest) (a *accepted, err error, ok bool) {
	ap, perr := netip.ParseAddrPort(req.RemoteAddr.String())
	if perr != nil {
		return nil, nil, false
	}
	login, ok := s.keyless.get(g, ap.Addr())
	if !ok {
		return nil, nil, false
	}
	addr, vp, _, err := secureTarget(login.station, g.upAddr)
	if err != nil {
		return nil, err, true
	}
	// The game's profile, not upstreamSettings: this runs inside the
	// console's handshake, before its connection and what it negotiated
	// exist. runSecure compares the two legs once both are open.
	var reply []byte
	ctx, cancel := context.WithTimeout(s.ctx, dialTimeout)
	defer cancel()
	up, err := prudp.Dial(ctx, g.upNetwork, addr, prudp.DialConfig{
		Settings:          g.cfg.PRUDP,
		Remote:            vp,
		ConnectPayload:    req.Payload,
		CheckConnectReply: func(b []byte) error { reply = bytes.Clone(b); return nil },
		TLSConfig:         g.upTLS,
		Logger:            s.log,
		Resolver:          s.opts.Resolver,
	})
	if err != nil {
		g.log.Info("relayed secure connect refused upstream", zap.Uint64("pid", login.pid), zap.Stringer("remote", req.RemoteAddr), zap.Error(err))
		return nil, fmt.Errorf("proxy: relayed secure connect of pid %d: %w", login.pid, err), true
	}
	l := *login
	l.connectReply = reply
	a = &accepted{g: g, leg: rpc.LegSecure, pid: login.pid, login: &l, up: up, seq: s.connects.Add(1)}
	a.upTimer = time.AfterFunc(passedClaim, a.dropPassed)
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.passed[a] = struct{}{}
	}
	s.mu.Unlock()
	if closed {
		a.dropPassed()
		return nil, errors.New("proxy: server closing"), true
	}
	return a, nil, true
}

// acceptLoop hands every accepted connection to its leg.
func (s *Server) acceptLoop(l *listener) {
	for {
		conn, err := l.l.Accept(s.ctx)
		if err != nil {
			if s.ctx.Err() == nil && !errors.Is(err, prudp.ErrListenerClosed) {
				s.log.Warn("accept", zap.String("addr", l.addr), zap.Error(err))
			}
			return
		}
		a, ok := conn.Value().(*accepted)
		if !ok {
			conn.Abort()
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if a.leg == rpc.LegAuth {
				s.runAuth(a, conn)
			} else {
				s.runSecure(a, conn)
			}
		}()
	}
}

// gameNames lists the games the listener serves, sorted, comma-joined.
func (l *listener) gameNames() string {
	seen := map[string]bool{}
	for _, m := range []map[string]*game{l.auth, l.secure} {
		for _, g := range m {
			seen[g.cfg.Name] = true
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}
