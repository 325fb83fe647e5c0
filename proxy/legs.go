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
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// dialTimeout bounds the upstream handshake of one console.
const dialTimeout = 10 * time.Second

// pair is one console connection and, when proxying, its upstream.
type pair struct {
	srv     *Server
	g       *game
	sess    *rpc.Session
	log     *zap.Logger
	console *prudp.Conn
	up      *prudp.Conn
	chain   *chain // the console's chain when prebuilt (local game)
	seq     uint64 // accepted.seq of a secure session

	// The session's state while it runs, in the pair itself so that an
	// idle session is few allocations.
	done        chan struct{} // closed once the session ended
	live        liveConn
	closeOnce   sync.Once
	upMu        sync.Mutex                // up and ending, between the session's goroutine and abort
	ending      bool                      // abort or closeBoth ran: see setUp
	running     atomic.Int32              // peers not stopped yet
	first       atomic.Pointer[peer.Peer] // the side that ended the session
	consolePeer *peer.Peer
	upPeer      *peer.Peer
}

// runAuth serves an authentication connection: built-in handlers in local
// mode, otherwise a fresh upstream authentication connection.
func (s *Server) runAuth(a *accepted, conn *prudp.Conn) {
	p := s.newPair(a, conn, rpc.LegAuth)
	var final chainEnd
	var links []LinkSpec
	if a.g.cfg.Local() {
		p.chain = a.g.local
	} else {
		up, err := p.dial(prudp.DialConfig{Settings: a.g.upstreamSettings(conn), Remote: conn.LocalVPort(), TLSConfig: a.g.upTLS, Logger: s.log}, a.g.upAddr)
		if err != nil {
			p.warn("upstream authentication server unreachable", zap.String("upstream", a.g.upAddr), zap.Error(err))
			final = chainEnd{name: record.HandlerUpstream, h: failing(&rpc.ResultError{Result: rmc.ResultRendezVousConnectionFailure, Err: err})}
		} else if err := p.checkLegs(up, "refusing the console's calls"); err != nil {
			up.Abort()
			final = chainEnd{name: record.HandlerUpstream, h: failing(&rpc.ResultError{Result: rmc.ResultRendezVousConnectionFailure, Err: err})}
		} else {
			p.setUp(up)
		}
		links = []LinkSpec{s.opts.Hooks, (&authRewriter{srv: s, g: a.g}).spec()}
	}
	p.run(final, links)
}

// runSecure serves a secure connection whose CONNECT nexproxy verified:
// built-in handlers in local mode, otherwise nexproxy's own connection to
// the upstream secure server, opened with the upstream ticket.
func (s *Server) runSecure(a *accepted, conn *prudp.Conn) {
	p := s.newPair(a, conn, rpc.LegSecure)
	p.sess.SetPID(a.pid)
	if !a.g.consoles.claim(p) {
		// The console connected again meanwhile, and that newer session
		// already serves it: this one ends before it dials the upstream
		// (which would end the newer one's upstream session).
		p.info("console connected again meanwhile: ending this older session", zap.Uint64("pid", a.pid))
		p.endUnstarted(errSuperseded, func() {
			p.abort()
			if a.up != nil {
				if up := a.takePassed(s); up != nil {
					p.setUp(up) // aborted at once: the session is ending
				}
			}
		})
		return
	}
	var links []LinkSpec
	if a.g.cfg.Local() {
		p.chain = a.g.local
	} else {
		var up *prudp.Conn
		var err error
		if a.up != nil {
			// A relayed CONNECT: its upstream connection is open already.
			p.sess.SetValue(sessionKeyLoginMode{}, record.ModeRelayDecoded)
			if up = a.takePassed(s); up == nil {
				err = errf("upstream connection of the relayed connect closed before the session started")
			}
		} else {
			p.sess.SetValue(sessionKeyLoginMode{}, record.ModeIntercepted)
			up, err = p.dialSecure(a.login)
		}
		if err != nil {
			p.warn("upstream secure server unreachable; disconnecting console", zap.Error(err))
			p.endUnstarted(err, p.closeBoth)
			return
		}
		p.setUp(up)
		if err := p.checkLegs(up, "disconnecting console"); err != nil {
			p.endUnstarted(err, p.closeBoth)
			return
		}
		// Hooks first, then the services the game serves itself, then the
		// rewriting of what goes upstream.
		links = append(append([]LinkSpec{s.opts.Hooks}, a.g.builtins...), p.g.newURLRewriter(p.log).spec())
	}
	p.run(chainEnd{}, links)
}

// checkLegs warns, with both legs' minor versions, and returns the
// reason when the upstream connection up negotiated another RMC encoding
// than the console's (game.checkLegs); then names what happens next.
func (p *pair) checkLegs(up *prudp.Conn, then string) error {
	err := p.g.checkLegs(p.console, up)
	if err != nil {
		cm, _, _ := p.console.Negotiated()
		um, _, _ := up.Negotiated()
		p.warn("upstream connection negotiated another RMC encoding than the console; "+then,
			zap.Uint64("console_prudp_conn", p.console.ID()), zap.Uint64("upstream_prudp_conn", up.ID()),
			zap.Uint8("console_minor", cm), zap.Uint8("upstream_minor", um), zap.Error(err))
	}
	return err
}

// endUnstarted ends a secure session that never started: the session
// log shows it connected and ended with err, and end closes its
// connections.
func (p *pair) endUnstarted(err error, end func()) {
	p.srv.rec.connect(p.sess, "")
	end()
	p.srv.rec.disconnect(p.sess, err)
	p.finish()
}

func (s *Server) newPair(a *accepted, conn *prudp.Conn, leg rpc.Leg) *pair {
	sess := newSession(s.nextConnID(), a.g.cfg.Name, leg, conn, a.g.rmcSettingsFor(conn))
	sess.LocalAddr = s.listenerSide(a.g, leg)
	return &pair{srv: s, g: a.g, sess: sess, log: a.g.log, console: conn, seq: a.seq, done: make(chan struct{})}
}

// info and warn log with the session's fields. The pair's logger has none
// of its own: a child logger per session would cost every idle session
// its memory (an encoder clone on a real logger).
func (p *pair) info(msg string, fields ...zap.Field) {
	if ce := p.log.Check(zap.InfoLevel, msg); ce != nil {
		ce.Write(append(p.fields(), fields...)...)
	}
}

func (p *pair) warn(msg string, fields ...zap.Field) {
	if ce := p.log.Check(zap.WarnLevel, msg); ce != nil {
		ce.Write(append(p.fields(), fields...)...)
	}
}

func (p *pair) fields() []zap.Field {
	return []zap.Field{zap.String("conn", p.sess.ID), zap.String("leg", p.sess.Leg.String()), zap.Stringer("remote", p.sess.RemoteAddr)}
}

func (p *pair) dial(cfg prudp.DialConfig, addr string) (*prudp.Conn, error) {
	ctx, cancel := context.WithTimeout(p.srv.ctx, dialTimeout)
	defer cancel()
	cfg.Resolver = p.srv.opts.Resolver
	return prudp.Dial(ctx, p.g.upNetwork, addr, cfg)
}

// dialSecure opens the upstream secure connection of an intercepted
// login: the upstream internal ticket and session key, the console's PID
// and the CID of the upstream station.
func (p *pair) dialSecure(l *upstreamLogin) (*prudp.Conn, error) {
	addr, vp, cid, err := secureTarget(l.station, p.g.upAddr)
	if err != nil {
		return nil, err
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
// final and links make the console's chain of a proxied session; its end
// forwards to the upstream once connected.
func (p *pair) run(final chainEnd, links []LinkSpec) {
	s := p.srv
	upName := ""
	if p.up != nil {
		upName = p.up.RemoteAddr().String()
	}
	p.live = liveConn{closeFn: p.closeBoth, console: p.console, up: p.up}
	if !s.track(&p.live) {
		p.closeBoth()
		p.finish()
		return
	}
	s.rec.connect(p.sess, upName)
	if p.sess.Leg == rpc.LegSecure && LoginMode(p.sess) == record.ModeRelayDecoded {
		// The secure session log says how its calls came to be readable.
		s.rec.secureMode(p.sess, p.sess.PID(), record.ModeRelayDecoded)
	}
	p.info("console connected", zap.Uint64("pid", p.sess.PID()), zap.String("upstream", upName))

	consoleD := &dispatcher{sess: p.sess, dir: rpc.ToServer, log: p.log, rec: s.rec}
	consolePeer := peer.New(peer.PRUDPWire(p.console), p.log, consoleD.serve)
	consolePeer.SetConn(p.sess.ID)
	consoleD.peer = consolePeer
	consolePeer.SetTracer(s.rec.tracer(p.sess, false, p.sess.LocalAddr, p.sess.RemoteAddr))
	p.sess.SetConsole(consolePeer)
	p.consolePeer = consolePeer
	var upD *dispatcher
	if p.up != nil {
		upD = &dispatcher{sess: p.sess, dir: rpc.ToConsole, log: p.log, rec: s.rec}
		upPeer := peer.New(peer.PRUDPWire(p.up), p.log, upD.serve)
		upPeer.SetConn(p.sess.ID)
		upD.peer = upPeer
		p.upPeer = upPeer
		if s.rec.messages() {
			remote := p.up.RemoteAddrPort()
			upPeer.SetTracer(s.rec.tracer(p.sess, true, upstreamLocal(p.up), remote))
		}
		// The mirror chain: calls the server makes on the console.
		mirror := []LinkSpec{s.opts.Hooks}
		if p.sess.Leg == rpc.LegSecure {
			mirror = append(mirror, p.g.newURLRewriter(p.log).spec())
		}
		upD.chain = newChain(forwardTo(record.HandlerConsole, consolePeer), mirror...)
		final = forwardTo(record.HandlerUpstream, upPeer)
	}
	consoleD.chain = p.chain
	if consoleD.chain == nil {
		consoleD.chain = newChain(final, links...)
	}
	for _, d := range []*dispatcher{consoleD, upD} {
		if d != nil && d.chain.fast {
			d.peer.SetFast(d.serveFast)
		}
	}

	if p.sess.Leg == rpc.LegSecure && p.g.cfg.Local() {
		// The session can be sent to already (it is its PID's and has
		// its console); what the services do at its start happens
		// before it serves its first call.
		p.g.env.secureStarted(p.sess)
	}

	// The session ends once every peer stopped: the last one to stop
	// finishes it (see ended).
	p.running.Store(1)
	if p.upPeer != nil {
		p.running.Store(2)
	}
	s.wg.Add(1)
	consolePeer.StartPush(s.ctx, p.console, p.ended)
	if p.upPeer != nil {
		p.upPeer.StartPush(s.ctx, p.up, p.ended)
	}
}

// finish ends the session: its OnClose functions run, the game forgets
// it as its PID's session, and whoever waits for its end is told.
func (p *pair) finish() {
	p.sess.End()
	if p.sess.Leg == rpc.LegSecure {
		p.g.consoles.release(p)
	}
	close(p.done)
}

// setUp attaches the upstream connection once it is dialled. A session
// that was told to end meanwhile (a reconnecting console's claim aborts
// its stale session while that one still dials) has it aborted at once:
// it would otherwise outlive the session, and the session never end.
func (p *pair) setUp(up *prudp.Conn) {
	p.upMu.Lock()
	p.up = up
	ending := p.ending
	p.upMu.Unlock()
	if ending {
		up.Abort()
	}
}

// closing marks the session as ending and returns its connections.
func (p *pair) closing() []*prudp.Conn {
	p.upMu.Lock()
	defer p.upMu.Unlock()
	p.ending = true
	if p.up == nil {
		return []*prudp.Conn{p.console}
	}
	return []*prudp.Conn{p.console, p.up}
}

// abort ends a stale session at once: a forced DISCONNECT on both
// connections, without waiting for acknowledgements a vanished console
// would never send.
func (p *pair) abort() {
	p.closeOnce.Do(func() {
		for _, c := range p.closing() {
			c.Abort()
		}
	})
}

// closeBoth disconnects the console and the upstream connection, at the
// same time; it returns once both are closed.
func (p *pair) closeBoth() {
	p.closeOnce.Do(func() {
		var wg sync.WaitGroup
		for _, c := range p.closing() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = c.Close()
			}()
		}
		wg.Wait()
	})
}

// ended runs when a peer stopped (its connection is gone): the other
// side is disconnected, and the last peer to stop ends the session.
func (p *pair) ended(pr *peer.Peer) {
	s := p.srv
	p.first.CompareAndSwap(nil, pr)
	p.closeBoth()
	if p.running.Add(-1) != 0 {
		return
	}
	defer s.wg.Done()
	p.consolePeer.Wait()
	var upErr error
	if p.upPeer != nil {
		p.upPeer.Wait()
		upErr = p.upPeer.Err()
	}
	consoleErr := p.consolePeer.Err()
	p.finish()
	s.rec.disconnect(p.sess, p.first.Load().Err())
	p.info("console disconnected", zap.Uint64("pid", p.sess.PID()), zap.NamedError("console", consoleErr), zap.NamedError("upstream", upErr))
	s.retire(&p.live)
}
