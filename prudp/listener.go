package prudp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"go.uber.org/zap"
)

// ListenConfig configures a Listener.
type ListenConfig struct {
	// Games are the candidate profiles. A multi-game listener tells the
	// access key from the first packets: v1 by the SYN's HMAC, v0 by the
	// checksum and then the first signed packet, Lite by CONNECT's Lite
	// signature. A packet matching none is dropped and counted. A v0 or
	// v1 game is also served to consoles of the other UDP format
	// (Settings.ForVariant): each connection takes the format of its
	// handshake and keeps it.
	Games []Settings
	// Connect is called once per new connection when its CONNECT arrives
	// (from its own goroutine; the client retransmits meanwhile). Its error
	// refuses the connection (no reply is sent). Nil accepts only empty
	// CONNECT payloads (authentication server).
	Connect func(ConnectRequest) (ConnectResponse, error)
	// Logger receives debug logs of dropped input; nil logs nothing.
	Logger *zap.Logger
	// MaxConns caps live connections (0: 10000).
	MaxConns int
	// Backlog caps connections established but not yet returned by Accept
	// (0: 64). CONNECTs beyond it are dropped; the client retransmits.
	Backlog int
	// Serves says which of this side's virtual ports (stream type and
	// port) the listener serves: a SYN or CONNECT to any other is dropped
	// unanswered and counted (ListenerStats.UnservedPort), so a scanner
	// learns nothing. Nil serves every port.
	Serves func(VPort) bool
	// Known are profiles of titles the listener does not serve but can
	// name: an opening packet (SYN or CONNECT) that no game accepts is
	// tried against them (at a bounded rate) and dropped as before, and a
	// match is reported to Unserved.
	Known []Settings
	// Unserved is told of each opening packet that matched Known
	// profiles. It runs on the read loop: it must not block.
	Unserved func(KnownMatch)
}

// ConnectRequest is what the Connect callback gets.
type ConnectRequest struct {
	// Settings is the matched game profile (for an ambiguous v0 key, the
	// first candidate; the first signed DATA settles the connection's own).
	// A console of the game's other UDP format gets the game's profile in
	// that format (Settings.ForVariant).
	Settings *Settings
	// Local and Remote are the virtual ports (Local tells a Switch listener's
	// authentication port 1 from its secure port 2).
	Local, Remote VPort
	// RemoteAddr is the peer's carrier address.
	RemoteAddr net.Addr
	// Payload is the CONNECT payload (empty, or the Kerberos ticket and
	// request of a secure connection).
	Payload []byte
}

// ConnectResponse is what the Connect callback returns.
type ConnectResponse struct {
	// Payload goes back in the CONNECT reply (secure: Buffer(check+1)).
	Payload []byte
	// SessionKey is installed for signatures and RC4 (nil: authentication).
	SessionKey []byte
	// Value is stored in the Conn (e.g. the user PID), see Conn.Value.
	Value any
}

type game struct {
	s     Settings
	codec Codec
}

// gameSet holds game profiles by how their packets are told apart: v1 by
// signature, Lite by CONNECT, the rest (v0, Rendez-Vous) by checksum.
type gameSet struct {
	v0, v1, lite []game
}

// add files profile s, with its codec, under its variant.
func (gs *gameSet) add(s Settings) error {
	codec, err := NewCodec(&s)
	if err != nil {
		return err
	}
	g := game{s: s, codec: codec}
	switch s.Variant {
	case V1:
		gs.v1 = append(gs.v1, g)
	case Lite:
		gs.lite = append(gs.lite, g)
	default:
		gs.v0 = append(gs.v0, g)
	}
	return nil
}

// addOtherVariants files every v0 and v1 profile a second time, under the
// other UDP format (prudp.md §1: a v1 server accepts v0, and consoles of
// some 3DS titles speak v1), unless a profile of that format and key is
// there already. They come after the configured profiles, which decode
// first. Which one a connection gets is settled by its handshake (the v1
// magic EA D0 01 picks the format of each datagram), so a live
// connection's packets cost nothing more.
func (gs *gameSet) addOtherVariants(profiles []Settings) error {
	type kv struct {
		key string
		v   Variant
	}
	have := map[kv]bool{}
	for i := range profiles {
		have[kv{profiles[i].AccessKey, profiles[i].Variant}] = true
	}
	for i := range profiles {
		s := &profiles[i]
		v, ok := OtherUDPVariant(s.Variant)
		if !ok || have[kv{s.AccessKey, v}] {
			continue
		}
		have[kv{s.AccessKey, v}] = true
		if err := gs.add(s.ForVariant(v)); err != nil {
			return fmt.Errorf("%s as %s: %w", s.AccessKey, v, err)
		}
	}
	return nil
}

type connKey struct {
	addr netip.AddrPort
	port VPort
}

// Listener is the server side: one carrier, many connections keyed by
// (address, virtual port). SYNs are answered without keeping state; a
// connection exists only after a CONNECT that echoes the connection
// signature this listener computed for the sender's address.
type Listener struct {
	cfg     ListenConfig
	carrier Carrier
	gameSet
	sigKey   []byte
	known    *knownSet // nil without ListenConfig.Known; the read loop's
	log      *zap.Logger
	maxConns int
	backlog  int
	stopCtx  func() bool

	stats listenerStats

	mu      sync.Mutex
	conns   map[connKey]*Conn
	pending int // accepted by the handshake, not yet by Accept
	closed  bool
	acceptQ chan *Conn
	done    chan struct{}
	wg      sync.WaitGroup
	closeMu sync.Mutex
}

// Listen serves PRUDP (v0/v1/RV profiles) on a UDP address.
func Listen(ctx context.Context, addr string, cfg ListenConfig) (*Listener, error) {
	c, err := ListenUDP(addr)
	if err != nil {
		return nil, fmt.Errorf("prudp: listen %s: %w", addr, err)
	}
	l, err := ListenCarrier(ctx, c, cfg)
	if err != nil {
		_ = c.Close()
	}
	return l, err
}

// ListenWebSocket serves PRUDPLite on a WebSocket server at addr (path
// "/", subprotocol NEX): ws:// when tlsCfg is nil, wss:// otherwise.
func ListenWebSocket(ctx context.Context, addr string, tlsCfg *tls.Config, cfg ListenConfig) (*Listener, error) {
	for i := range cfg.Games {
		if cfg.Games[i].Variant != Lite {
			return nil, fmt.Errorf("prudp: listen websocket: game %d is %s, want lite", i, cfg.Games[i].Variant)
		}
	}
	c, err := ListenWebSocketCarrier(addr, tlsCfg)
	if err != nil {
		return nil, err
	}
	l, err := ListenCarrier(ctx, c, cfg)
	if err != nil {
		_ = c.Close()
	}
	return l, err
}

// ListenCarrier serves PRUDP on any carrier; the Listener owns it and
// closes it in Close. Cancelling ctx closes the Listener.
func ListenCarrier(ctx context.Context, c Carrier, cfg ListenConfig) (*Listener, error) {
	if len(cfg.Games) == 0 {
		return nil, errors.New("prudp: listen: no game profiles")
	}
	key, err := NewConnSigKey()
	if err != nil {
		return nil, err
	}
	l := &Listener{cfg: cfg, carrier: c, sigKey: key, log: cfg.Logger, conns: map[connKey]*Conn{}, done: make(chan struct{})}
	if l.log == nil {
		l.log = zap.NewNop()
	}
	l.maxConns, l.backlog = cfg.MaxConns, cfg.Backlog
	if l.maxConns <= 0 {
		l.maxConns = 10000
	}
	if l.backlog <= 0 {
		l.backlog = 64
	}
	l.acceptQ = make(chan *Conn, l.backlog)
	for i := range cfg.Games {
		s := cfg.Games[i]
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("prudp: listen: game %d (%s): %w", i, s.AccessKey, err)
		}
		if err := l.add(s); err != nil {
			return nil, err
		}
	}
	if err := l.addOtherVariants(cfg.Games); err != nil {
		return nil, fmt.Errorf("prudp: listen: %w", err)
	}
	if len(cfg.Known) > 0 {
		if l.known, err = newKnownSet(cfg.Known); err != nil {
			return nil, fmt.Errorf("prudp: listen: known profile: %w", err)
		}
	}
	if u, ok := c.(*udpCarrier); ok {
		slot := 0
		for i := range cfg.Games {
			slot = max(slot, readBufferSize(c, &cfg.Games[i]))
		}
		u.enableBatching(slot)
	}
	l.stopCtx = context.AfterFunc(ctx, func() { _ = l.Close() })
	l.wg.Add(1)
	go l.readLoop()
	return l, nil
}

// Addr is the carrier's local address.
func (l *Listener) Addr() net.Addr { return l.carrier.LocalAddr() }

// Accept returns the next established connection.
func (l *Listener) Accept(ctx context.Context) (*Conn, error) {
	for {
		select {
		case c := <-l.acceptQ:
			l.mu.Lock()
			l.pending--
			l.mu.Unlock()
			select {
			case <-c.done:
				continue // died while waiting
			default:
			}
			return c, nil
		case <-l.done:
			return nil, ErrListenerClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Stats returns a snapshot of the listener's counters.
func (l *Listener) Stats() ListenerStats {
	l.mu.Lock()
	active := len(l.conns)
	l.mu.Unlock()
	s := &l.stats
	return ListenerStats{
		Datagrams: s.datagrams.Load(), Malformed: s.malformed.Load(), BadSignature: s.badSig.Load(),
		NoConnection: s.noConn.Load(), Refused: s.refused.Load(), SynReplies: s.synReplies.Load(), UnservedPort: s.unservedPort.Load(),
		Accepted: s.accepted.Load(), Active: active,
	}
}

// Close stops accepting, closes every connection gracefully (in parallel,
// each with a bounded wait), then the carrier, and returns when every
// goroutine of the listener has ended.
func (l *Listener) Close() error {
	l.closeMu.Lock()
	defer l.closeMu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.done)
	conns := make([]*Conn, 0, len(l.conns))
	for _, c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	l.stopCtx()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Close()
		}()
	}
	wg.Wait()
	err := l.carrier.Close()
	l.wg.Wait()
	for {
		select {
		case c := <-l.acceptQ:
			c.Abort()
			continue
		default:
		}
		break
	}
	return err
}

// forget removes a closed connection (called with c.mu held).
func (l *Listener) forget(c *Conn) {
	l.mu.Lock()
	k := connKey{c.remote, c.remoteVP}
	if l.conns[k] == c {
		delete(l.conns, k)
	}
	l.mu.Unlock()
}

func (l *Listener) readLoop() {
	defer l.wg.Done()
	buf := make([]byte, maxDatagram)
	// One packet for the loop's life: handed on by pointer (through the
	// codec interface), a Packet per datagram would escape to the heap.
	pkt := new(Packet)
	for {
		n, from, err := l.carrier.ReadFrom(buf)
		if err != nil {
			select {
			case <-l.done:
				return
			default:
			}
			if errors.Is(err, ErrPeerClosed) {
				// Checked first: its cause may be the peer socket's
				// net.ErrClosed, which is not the carrier's.
				l.peerClosed(from, err)
				continue
			}
			if isCarrierClosed(err) {
				return
			}
			l.log.Debug("prudp: read", zap.Error(err))
			continue
		}
		l.stats.datagrams.Add(1)
		l.datagram(buf[:n], from, pkt)
	}
}

func (l *Listener) drop(reason string, from netip.AddrPort, err error) {
	if ce := l.log.Check(zap.DebugLevel, "prudp: drop datagram"); ce != nil {
		ce.Write(zap.String("reason", reason), zap.Stringer("from", from), zap.Error(err))
	}
}

// gamesFor picks the profiles whose wire format a datagram can be in.
func (l *Listener) gamesFor(data []byte) []game {
	switch {
	case IsV1(data):
		return l.v1
	case len(data) >= 1 && data[0] == 0x80 && len(l.lite) > 0:
		return l.lite
	}
	return l.v0
}

// datagram decodes every packet of one datagram into p, in turn, and
// routes it. A datagram whose bytes do not all form whole packets is
// dropped whole: coalesced packets come from one sender in one write, so
// garbage after a valid packet means the datagram is not what it seems.
// Nothing keeps p past the call.
func (l *Listener) datagram(data []byte, from netip.AddrPort, p *Packet) {
	games := l.gamesFor(data)
	if len(games) == 0 {
		l.stats.malformed.Add(1)
		l.drop("no game of this wire format", from, nil)
		l.identify(data, from)
		return
	}
	first := true
	for len(data) > 0 {
		gi, n, err := l.decode(games, data, p)
		if err != nil {
			l.stats.malformed.Add(1)
			l.drop("decode", from, err)
			if first {
				l.identify(data, from)
			}
			return
		}
		if first && n < len(data) {
			// Several packets: check that the rest decodes before any
			// of them is acted on (one datagram in a hundred; the cost
			// is a second decode of its tail).
			if err := l.wholePackets(games, data[n:]); err != nil {
				l.stats.malformed.Add(1)
				l.drop("trailing bytes after a packet", from, err)
				return
			}
		}
		first = false
		raw := data[:n]
		data = data[n:]
		l.packet(games, gi, p, raw, from)
	}
}

// decode decodes the packet at the start of data with the first profile
// that accepts it.
func (l *Listener) decode(games []game, data []byte, p *Packet) (gi, n int, err error) {
	for gi = range games {
		if *p, n, err = games[gi].codec.Decode(data); err == nil {
			return gi, n, nil
		}
	}
	return 0, 0, err
}

// wholePackets reports whether data is a sequence of whole packets.
func (l *Listener) wholePackets(games []game, data []byte) error {
	var q Packet
	for len(data) > 0 {
		_, n, err := l.decode(games, data, &q)
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

func (l *Listener) packet(games []game, gi int, p *Packet, raw []byte, from netip.AddrPort) {
	l.mu.Lock()
	c := l.conns[connKey{from, p.Source}]
	l.mu.Unlock()
	if c != nil {
		if p.Type == TypeConnect && !p.Flags.Has(FlagAck) && !c.isRetransmittedConnect(p) {
			// A new connection attempt from the same address and port:
			// the peer restarted (see the package documentation).
			l.acceptConnect(games[gi:], p, raw, from, c)
			return
		}
		l.connPacket(c, games[gi].codec, p, raw)
		return
	}
	opening := (p.Type == TypeSyn || p.Type == TypeConnect) && !p.Flags.Has(FlagAck)
	if opening && l.cfg.Serves != nil && !l.cfg.Serves(p.Dest) {
		l.stats.unservedPort.Add(1)
		l.drop("virtual port not served", from, nil)
		return
	}
	switch {
	case p.Type == TypeSyn && !p.Flags.Has(FlagAck):
		l.answerSyn(games[gi:], p, raw, from)
	case p.Type == TypeConnect && !p.Flags.Has(FlagAck):
		l.acceptConnect(games[gi:], p, raw, from, nil)
	default:
		l.stats.noConn.Add(1)
		l.drop("no connection", from, nil)
	}
}

// connPacket routes a packet to its live connection, in one critical
// section of the connection's lock. Handshake packets that arrive again
// never disturb it: a SYN gets the same stateless reply, a CONNECT the
// stored reply.
func (l *Listener) connPacket(c *Conn, decodedWith Codec, p *Packet, raw []byte) {
	c.mu.Lock()
	if len(c.candidates) > 1 {
		c.settleGameLocked(raw)
	}
	if c.codec != decodedWith {
		q, n, err := c.codec.Decode(raw)
		if err != nil || n != len(raw) {
			c.dropLocked(p, "decode with the connection's profile", err)
			c.mu.Unlock()
			return
		}
		*p = q
	}
	switch {
	case p.Type == TypeSyn && !p.Flags.Has(FlagAck):
		g := game{s: c.settings, codec: c.codec}
		c.mu.Unlock()
		l.answerSyn([]game{g}, p, raw, c.remote)
	case p.Type == TypeConnect && !p.Flags.Has(FlagAck):
		c.duplicateConnectLocked(p, raw)
		c.mu.Unlock()
	default:
		c.inputUnlock(p, raw)
	}
}

// settleGameLocked narrows an ambiguous v0 connection's candidate
// profiles to those whose key verifies this packet's signature.
func (c *Conn) settleGameLocked(raw []byte) {
	var keep []game
	for _, g := range c.candidates {
		q, n, err := g.codec.Decode(raw)
		if err != nil || n != len(raw) {
			continue
		}
		if g.codec.Verify(&q, raw, c.rxSig) == nil {
			keep = append(keep, g)
		}
	}
	if len(keep) == 0 {
		return // the packet is bad; input drops it
	}
	c.candidates = keep
	if len(keep) == 1 || keep[0].codec != c.codec {
		g := keep[0]
		fragSize := c.settings.FragmentSize
		c.settings, c.codec = g.s, g.codec
		c.settings.FragmentSize = fragSize // queued fragments already used it
		if len(keep) == 1 {
			c.candidates = nil
		}
	}
}

// duplicateConnectLocked answers a CONNECT for a live connection with the
// stored reply, after checking that it is the same client's CONNECT.
func (c *Conn) duplicateConnectLocked(p *Packet, raw []byte) {
	if c.connectReply == nil || c.state == stateClosed {
		return // still in the Connect callback
	}
	if err := c.codec.Verify(p, raw, SigContext{ConnSig: c.sigSent}); err != nil || (c.settings.Variant != Lite && p.SessionID != c.peerSession) {
		c.dropLocked(p, "CONNECT for a live connection from another client", err)
		return
	}
	c.writeLocked(c.connectReply)
}
