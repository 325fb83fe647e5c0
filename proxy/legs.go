package proxy

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/prudp"
)

// dialTimeout bounds the upstream handshake of one console.
const dialTimeout = 10 * time.Second

// pair is one console connection and, when proxying, its upstream.
type pair struct {
	srv     *Server
	g       *game
	sess    *Session
	log     *zap.Logger
	console *prudp.Conn
	up      *prudp.Conn
}

// runAuth serves an authentication connection: built-in handlers in local
// mode, otherwise a fresh upstream authentication connection.
func (s *Server) runAuth(a *accepted, conn *prudp.Conn) {
	p := s.newPair(a, conn, LegAuth)
	final := tagFinal(HandlerBuiltin, NotImplemented)
	links := []Link{tagLink(HandlerHook, s.opts.Hooks)}
	if a.g.cfg.Local() {
		links = append(links, tagLinks(HandlerBuiltin, a.g.builtin)...)
	} else {
		up, err := p.dial(prudp.DialConfig{Settings: a.g.upstreamSettings(conn), Remote: conn.LocalVPort(), TLSConfig: a.g.upTLS, Logger: s.log}, a.g.upAddr)
		if err != nil {
			p.log.Warn("upstream authentication server unreachable", zap.String("upstream", a.g.upAddr), zap.Error(err))
			final = tagFinal(HandlerUpstream, failing(&ResultError{Result: resultConnFailure, Err: err}))
		} else {
			p.up = up
		}
		links = append(links, func(next Handler) Handler { return &authRewriter{srv: s, g: a.g, next: next} })
	}
	p.run(final, links)
}

// runSecure serves a secure connection whose CONNECT nexproxy verified:
// built-in handlers in local mode, otherwise nexproxy's own connection to
// the upstream secure server, opened with the upstream ticket.
func (s *Server) runSecure(a *accepted, conn *prudp.Conn) {
	p := s.newPair(a, conn, LegSecure)
	p.sess.SetPID(a.pid)
	final := tagFinal(HandlerBuiltin, NotImplemented)
	links := []Link{tagLink(HandlerHook, s.opts.Hooks)}
	if a.g.cfg.Local() {
		links = append(links, tagLinks(HandlerBuiltin, a.g.builtin)...)
	} else {
		up, err := p.dialSecure(a.login)
		if err != nil {
			p.log.Warn("upstream secure server unreachable; disconnecting console", zap.Error(err))
			s.rec.connect(p.sess, "")
			_ = conn.Close()
			s.rec.disconnect(p.sess, err)
			p.sess.end()
			return
		}
		p.up = up
		links = append(links, func(next Handler) Handler { return &urlRewriter{srv: s, log: p.log, next: next} })
	}
	p.run(final, links)
}

func (s *Server) newPair(a *accepted, conn *prudp.Conn, leg Leg) *pair {
	sess := newSession(s.nextConnID(), a.g.cfg.Name, leg, conn, a.g.rmcSettingsFor(conn))
	sess.LocalAddr = s.listenerSide(a.g, leg)
	log := a.g.log.With(zap.String("conn", sess.ID), zap.String("leg", leg.String()), zap.Stringer("remote", sess.RemoteAddr))
	return &pair{srv: s, g: a.g, sess: sess, log: log, console: conn}
}

func (p *pair) dial(cfg prudp.DialConfig, addr string) (*prudp.Conn, error) {
	ctx, cancel := context.WithTimeout(p.srv.ctx, dialTimeout)
	defer cancel()
	return prudp.Dial(ctx, p.g.upNetwork, addr, cfg)
}

// dialSecure opens the upstream secure connection of an intercepted
// login: the upstream internal ticket and session key, the console's PID
// and the CID of the upstream station.
func (p *pair) dialSecure(l *upstreamLogin) (*prudp.Conn, error) {
	network, addr, vp, err := p.g.upstreamSecure(l.station)
	if err != nil {
		return nil, err
	}
	_ = network
	var cid uint32
	if v, ok := l.station.Int("CID"); ok && v >= 0 && v <= 1<<32-1 {
		cid = uint32(v)
	}
	check := rand.Uint32()
	payload, err := kerberos.BuildConnectPayload(l.internal, l.sessionKey, kerberos.ConnectRequest{PID: l.pid, CID: cid, Check: check}, p.g.cfg.Kerberos)
	if err != nil {
		return nil, fmt.Errorf("proxy: upstream connect payload: %w", err)
	}
	return p.dial(prudp.DialConfig{
		Settings:          p.g.upstreamSettings(p.console),
		Remote:            vp,
		ConnectPayload:    payload,
		SessionKey:        l.sessionKey,
		CheckConnectReply: func(b []byte) error { return kerberos.ParseConnectReply(b, check) },
		TLSConfig:         p.g.upTLS,
		Logger:            p.srv.log,
	}, addr)
}

// run connects the console and, when proxying, the upstream connection
// to their peers and returns: the connections hand their messages to the
// peers on their read goroutines (push mode), so an idle session holds no
// goroutine. When either side disconnects or the server closes, the other
// side is disconnected and the session ends on the goroutine that noticed.
func (p *pair) run(final Handler, links []Link) {
	s := p.srv
	ctx, cancel := context.WithCancel(s.ctx)
	upName := ""
	if p.up != nil {
		upName = p.up.RemoteAddr().String()
	}
	var closeOnce sync.Once
	closeBoth := func() {
		closeOnce.Do(func() {
			var wg sync.WaitGroup
			for _, c := range []*prudp.Conn{p.console, p.up} {
				if c == nil {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					_ = c.Close()
				}()
			}
			wg.Wait()
		})
	}
	live := &liveConn{closeFn: closeBoth, console: p.console, up: p.up}
	if !s.track(live) {
		cancel()
		closeBoth()
		p.sess.end()
		return
	}
	s.rec.connect(p.sess, upName)
	p.log.Info("console connected", zap.Uint64("pid", p.sess.PID()), zap.String("upstream", upName))

	consoleD := &dispatcher{sess: p.sess, dir: ToServer, log: p.log, rec: s.rec, local: p.g.cfg.Local()}
	consolePeer := NewPeer(prudpWire{p.console}, p.log, consoleD.serve)
	consoleD.peer = consolePeer
	consolePeer.SetTracer(s.rec.tracer(p.sess, false, p.sess.LocalAddr, p.sess.RemoteAddr))
	p.sess.SetValue(consolePeerKey{}, consolePeer)
	var upPeer *Peer
	if p.up != nil {
		upD := &dispatcher{sess: p.sess, dir: ToConsole, log: p.log, rec: s.rec}
		upPeer = NewPeer(prudpWire{p.up}, p.log, upD.serve)
		upD.peer = upPeer
		if s.rec.messages() {
			remote := p.up.RemoteAddrPort()
			upPeer.SetTracer(s.rec.tracer(p.sess, true, upstreamLocal(p.up), remote))
		}
		mirror := []Link{tagLink(HandlerHook, s.opts.Hooks)}
		var url *urlRewriter
		if p.sess.Leg == LegSecure {
			url = &urlRewriter{srv: s, log: p.log}
			mirror = append(mirror, func(next Handler) Handler { return &urlRewriter{srv: s, log: p.log, next: next} })
		}
		upD.chain = Chain(tagFinal(HandlerConsole, Forward(consolePeer)), mirror...)
		final = tagFinal(HandlerUpstream, Forward(upPeer))
		upD.fast = s.newFastPath(consolePeer, HandlerConsole, url, false)
		consoleD.fast = s.newFastPath(upPeer, HandlerUpstream, url, p.sess.Leg == LegAuth)
		if upD.fast != nil {
			upPeer.fast = upD.serveFast
		}
		if consoleD.fast != nil {
			consolePeer.fast = consoleD.serveFast
		}
	}
	consoleD.chain = Chain(final, links...)

	// The session ends once every peer stopped: the last one to stop
	// finishes it.
	peers := []*Peer{consolePeer}
	if upPeer != nil {
		peers = append(peers, upPeer)
	}
	var running atomic.Int32
	running.Store(int32(len(peers)))
	s.wg.Add(1)
	var first atomic.Pointer[Peer] // the side that ended the session
	ended := func(pr *Peer) {
		first.CompareAndSwap(nil, pr)
		closeBoth()
		if running.Add(-1) != 0 {
			return
		}
		defer s.wg.Done()
		for _, pr := range peers {
			pr.wait()
		}
		cancel()
		consoleErr := consolePeer.Err()
		cause := first.Load().Err()
		var upErr error
		if upPeer != nil {
			upErr = upPeer.Err()
		}
		p.sess.end()
		s.rec.disconnect(p.sess, cause)
		p.log.Info("console disconnected", zap.Uint64("pid", p.sess.PID()), zap.NamedError("console", consoleErr), zap.NamedError("upstream", upErr))
		s.retire(live)
	}
	consolePeer.startPush(ctx, cancel, p.console, func() { ended(consolePeer) })
	if upPeer != nil {
		upPeer.startPush(ctx, cancel, p.up, func() { ended(upPeer) })
	}
}
