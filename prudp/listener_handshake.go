package prudp

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"time"

	"go.uber.org/zap"
)

// answerSyn replies to a SYN without keeping any state: the connection
// signature is recomputed from the sender's address when its CONNECT
// arrives.
func (l *Listener) answerSyn(games []game, p *Packet, raw []byte, from netip.AddrPort) {
	if !p.Flags.Has(FlagNeedAck) || p.SessionID != 0 || p.Sequence != 0 || p.FragmentID != 0 || p.Substream != 0 ||
		!allZero(p.ConnSignature) || p.Source.Type != p.Dest.Type {
		l.stats.malformed.Add(1)
		l.drop("malformed SYN", from, nil)
		return
	}
	var g *game
	for i := range games {
		if games[i].codec.Verify(p, raw, SigContext{}) == nil {
			g = &games[i]
			break
		}
	}
	if g == nil {
		l.stats.badSig.Add(1)
		l.drop("SYN signature matches no game", from, nil)
		l.identify(raw, from)
		return
	}
	v := g.s.Variant
	r := Packet{Source: p.Dest, Dest: p.Source, Type: TypeSyn, Flags: FlagAck}
	r.ConnSignature = ownConnSignature(v, l.sigKey, from)
	if negotiates(v) {
		r.MinorVersion = min(g.s.MinorVersion, p.MinorVersion)
		r.SupportedFunctions = g.s.SupportedFunctions & p.SupportedFunctions
		if v == V1 {
			r.MaxSubstream = min(g.s.MaxSubstream, p.MaxSubstream)
		}
	}
	wire, err := g.codec.Append(nil, &r, SigContext{})
	if err != nil {
		l.drop("encode SYN reply", from, err)
		return
	}
	l.stats.synReplies.Add(1)
	if err := l.carrier.WriteTo(wire, from); err != nil {
		l.drop("write SYN reply", from, err)
	}
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// acceptConnect validates a CONNECT that opens a new connection: it must
// echo the connection signature computed for its sender (proof that the
// sender receives at its address), and negotiate within the profile. Only
// then does a connection exist; the Connect callback runs in its own
// goroutine. A valid CONNECT replaces old, the live connection with the
// same address and virtual port, if any; an invalid one leaves it alone.
func (l *Listener) acceptConnect(games []game, p *Packet, raw []byte, from netip.AddrPort, old *Conn) {
	if !p.Flags.Has(FlagNeedAck) || p.Sequence != 1 || p.FragmentID != 0 || p.Substream != 0 || p.Source.Type != p.Dest.Type {
		l.stats.malformed.Add(1)
		l.drop("malformed CONNECT", from, nil)
		return
	}
	v := games[0].s.Variant
	sigS := ownConnSignature(v, l.sigKey, from)
	var cands []game
	for _, g := range games {
		if g.codec.Verify(p, raw, SigContext{ConnSig: sigS}) == nil {
			cands = append(cands, g)
		}
	}
	if len(cands) == 0 {
		l.stats.badSig.Add(1)
		l.drop("CONNECT signature", from, nil)
		l.identify(raw, from)
		return
	}
	g := cands[0]
	if exceedsProfile(&g.s, p) {
		l.stats.refused.Add(1)
		l.drop("CONNECT negotiates beyond the profile", from, nil)
		return
	}
	var sigC []byte
	if v != Lite {
		if len(p.ConnSignature) != connSigLen(v) {
			l.stats.malformed.Add(1)
			l.drop("CONNECT connection signature", from, nil)
			return
		}
		sigC = append([]byte(nil), p.ConnSignature...)
	}
	key := connKey{from, p.Source}
	if old != nil {
		// Held until old is closed, so that a Connect callback still
		// running for it cannot complete it meanwhile (the lock order is
		// c.mu, then l.mu).
		old.mu.Lock()
		defer old.mu.Unlock()
	}
	l.mu.Lock()
	if l.closed || l.conns[key] != old {
		l.mu.Unlock()
		return
	}
	pending := l.pending
	if old != nil && old.state == stateAccepting {
		pending-- // its slot returns when its callback does; it never reaches Accept
	}
	if (old == nil && len(l.conns) >= l.maxConns) || pending >= l.backlog {
		l.mu.Unlock()
		l.stats.refused.Add(1)
		l.drop("connection limit or backlog", from, nil)
		return
	}
	c := newConn(roleServer, &g.s, g.codec, l.carrier, from, p.Dest, p.Source, l.log)
	c.listener = l
	c.state = stateAccepting
	c.sigSent, c.sigRecv = sigS, sigC
	c.peerSession = p.SessionID
	c.localSession = randomU8()
	// Kept to tell a retransmitted CONNECT from a new connection's.
	c.connectPayload = bytes.Clone(p.Payload)
	c.unrelStart = p.UnreliableStart
	c.adoptNegotiationLocked(p)
	if len(cands) > 1 {
		c.candidates = cands
	}
	l.conns[key] = c
	l.pending++
	l.wg.Add(1)
	l.mu.Unlock()
	if old != nil {
		old.replacedLocked()
	}
	req := ConnectRequest{Settings: &c.settings, Local: p.Dest, Remote: p.Source,
		RemoteAddr: net.UDPAddrFromAddrPort(from), Payload: bytes.Clone(p.Payload)}
	if req.Payload == nil {
		req.Payload = []byte{}
	}
	go l.finishConnect(c, req)
}

// finishConnect runs the Connect callback and completes the handshake.
func (l *Listener) finishConnect(c *Conn, req ConnectRequest) {
	defer l.wg.Done()
	resp, err := l.callConnect(req)
	unpend := func() {
		l.mu.Lock()
		l.pending--
		l.mu.Unlock()
	}
	c.mu.Lock()
	if c.state != stateAccepting {
		c.mu.Unlock()
		unpend()
		return
	}
	if err == nil {
		err = c.completeAcceptLocked(resp)
	}
	if err != nil {
		c.debug("prudp: CONNECT refused", zap.Error(err))
		c.closeLocked(fmt.Errorf("%w: %w", ErrHandshake, err))
		c.mu.Unlock()
		unpend()
		l.stats.refused.Add(1)
		return
	}
	c.mu.Unlock()
	l.stats.accepted.Add(1)
	select {
	case l.acceptQ <- c:
	default: // cannot happen: pending reserved the slot
		unpend()
		c.Abort()
	}
}

func (l *Listener) callConnect(req ConnectRequest) (resp ConnectResponse, err error) {
	if l.cfg.Connect == nil {
		if len(req.Payload) != 0 {
			return resp, fmt.Errorf("prudp: CONNECT payload of %d bytes, but no Connect callback", len(req.Payload))
		}
		return resp, nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("prudp: Connect callback panicked: %v", r)
		}
	}()
	return l.cfg.Connect(req)
}

// completeAcceptLocked installs the callback's outcome, stores and sends
// the CONNECT reply.
func (c *Conn) completeAcceptLocked(resp ConnectResponse) error {
	c.sessionKey = bytes.Clone(resp.SessionKey)
	c.value = resp.Value
	if err := c.setupStreamsLocked(); err != nil {
		return err
	}
	v := c.settings.Variant
	r := c.basePacket(TypeConnect, FlagAck|FlagHasSize)
	r.Sequence = 1
	if v != Lite {
		r.ConnSignature = make([]byte, connSigLen(v))
	}
	c.offerNegotiation(&r, c.minor, c.functions, c.maxSub)
	r.Payload = resp.Payload
	wire, err := c.codec.Append(nil, &r, SigContext{ConnSig: c.sigRecv})
	if err != nil {
		return fmt.Errorf("encode CONNECT reply: %w", err)
	}
	c.connectReply = wire
	c.state = stateConnected
	c.lastHeard = time.Now()
	c.writeLocked(wire)
	c.armLocked(c.lastHeard)
	return nil
}
