package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"sort"
	"strings"

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
	if err != nil {
		g.log.Info("secure connect refused", zap.Stringer("remote", req.RemoteAddr), zap.Error(err))
		return prudp.ConnectResponse{}, err
	}
	a := &accepted{g: g, leg: rpc.LegSecure, pid: res.PID, cid: res.CID}
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
