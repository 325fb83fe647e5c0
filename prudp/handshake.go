package prudp

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// connSigLen is the size of the connection signature field of a variant.
func connSigLen(v Variant) int {
	if v == V0 || v == RV {
		return 4
	}
	return 16
}

// ownConnSignature is the connection signature this side sends for the
// peer at addr: an HMAC under a secret key, cut to the variant's size, so
// that it cannot be predicted and a listener can recompute (instead of
// store) the value it handed out in a SYN reply.
func ownConnSignature(v Variant, key []byte, addr netip.AddrPort) []byte {
	return ConnSignature(V1, key, addr)[:connSigLen(v)]
}

func randomU8() uint8 {
	var b [1]byte
	_, _ = rand.Read(b[:])
	return b[0]
}

func randomU16() uint16 {
	var b [2]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint16(b[:])
}

// negotiates reports whether the variant carries negotiation options.
func negotiates(v Variant) bool { return v == V1 || v == Lite }

// setupStreamsLocked installs the per-connection state that depends on
// the handshake's outcome: ciphers, counters, receive windows. The CONNECT
// consumed reliable id 1 of the client's substream 0 (prudp.md §10.1).
func (c *Conn) setupStreamsLocked() error {
	n := int(c.maxSub) + 1
	if c.settings.Encryption && c.settings.Variant != RV {
		var err error
		if c.txCipher, err = NewStreamCiphers(c.sessionKey, c.maxSub); err != nil {
			return err
		}
		if c.rxCipher, err = NewStreamCiphers(c.sessionKey, c.maxSub); err != nil {
			return err
		}
		if len(c.sessionKey) > 0 {
			c.unrelBase = UnreliableBaseKey(c.sessionKey)
		}
	}
	c.txSig = SigContext{SessionKey: c.sessionKey, ConnSig: c.sigRecv}
	c.rxSig = SigContext{SessionKey: c.sessionKey, ConnSig: c.sigSent}
	slots := reorderSlots(&c.settings)
	c.txSeq = make([]uint16, n)
	c.rx = make([]recvWindow, n)
	c.reasm = make([]reassembler, n)
	for i := range n {
		c.txSeq[i] = 1
		c.rx[i] = newRecvWindow(1, slots)
		c.reasm[i] = reassembler{max: c.settings.MaxMessageSize}
	}
	if c.role == roleClient {
		c.txSeq[0] = 2
		c.unrelSeq = c.unrelStart
	} else {
		c.rx[0].next = 2
		c.unrelSeq = 1
	}
	c.pingSeq = 1
	c.lastHeard = time.Now()
	return nil
}

// startHandshakeLocked sends the client SYN.
func (c *Conn) startHandshakeLocked() error {
	p := c.basePacket(TypeSyn, FlagNeedAck)
	if c.settings.Variant != Lite {
		p.ConnSignature = make([]byte, connSigLen(c.settings.Variant))
	}
	c.offerNegotiation(&p, c.settings.MinorVersion, c.settings.SupportedFunctions, c.settings.MaxSubstream)
	wire, err := c.codec.Append(nil, &p, SigContext{})
	if err != nil {
		return fmt.Errorf("prudp: encode SYN: %w", err)
	}
	c.state = stateSynSent
	now := time.Now()
	c.hs = &txPacket{typ: TypeSyn, wire: wire, sends: 1, firstSent: now, lastSent: now}
	c.writeLocked(wire)
	c.armLocked(now)
	return nil
}

// exceedsProfile reports whether p's negotiation options ask for more than
// the profile s offers: a higher minor version, functions it lacks, or
// (v1) more substreams. Variants without options never do.
func exceedsProfile(s *Settings, p *Packet) bool {
	return negotiates(s.Variant) && (p.MinorVersion > s.MinorVersion || p.SupportedFunctions&^s.SupportedFunctions != 0 ||
		(s.Variant == V1 && p.MaxSubstream > s.MaxSubstream))
}

// adoptNegotiationLocked records the values p's options settled.
func (c *Conn) adoptNegotiationLocked(p *Packet) {
	if !negotiates(c.settings.Variant) {
		return
	}
	c.minor, c.functions = p.MinorVersion, p.SupportedFunctions
	if c.settings.Variant == V1 {
		c.maxSub = p.MaxSubstream
	}
}

func (c *Conn) offerNegotiation(p *Packet, minor uint8, functions uint32, maxSub uint8) {
	if !negotiates(c.settings.Variant) {
		return
	}
	p.MinorVersion, p.SupportedFunctions = minor, functions
	if c.settings.Variant == V1 {
		p.MaxSubstream = maxSub
	}
}

// handshakeFailLocked ends a client handshake.
func (c *Conn) handshakeFailLocked(p *Packet, why string) {
	c.dropLocked(p, why, nil)
	c.closeLocked(fmt.Errorf("%w: %s", ErrHandshake, why))
}

// handshakeInputLocked processes the server's SYN and CONNECT replies.
func (c *Conn) handshakeInputLocked(p *Packet, raw []byte) {
	if !p.Flags.Has(FlagAck) {
		c.dropLocked(p, "unexpected packet during handshake", nil)
		return
	}
	v := c.settings.Variant
	switch {
	case c.state == stateSynSent && p.Type == TypeSyn:
		if err := c.codec.Verify(p, raw, SigContext{}); err != nil {
			c.dropLocked(p, "SYN reply signature", err)
			return
		}
		if p.SessionID != 0 || p.Sequence != 0 || p.FragmentID != 0 || p.Substream != 0 {
			c.handshakeFailLocked(p, "malformed SYN reply")
			return
		}
		if len(p.ConnSignature) != connSigLen(v) {
			c.handshakeFailLocked(p, "SYN reply without connection signature")
			return
		}
		if exceedsProfile(&c.settings, p) {
			c.handshakeFailLocked(p, "SYN reply negotiates beyond our offer")
			return
		}
		c.adoptNegotiationLocked(p)
		c.sigRecv = append([]byte(nil), p.ConnSignature...)
		cp := c.basePacket(TypeConnect, FlagReliable|FlagNeedAck|FlagHasSize)
		cp.Sequence = 1
		c.offerNegotiation(&cp, c.minor, c.functions, c.maxSub)
		switch v {
		case Lite:
			cp.LiteSignature = LiteSignature(c.settings.AccessKey, c.sigRecv)
		case V1:
			cp.ConnSignature = c.sigSent
			cp.UnreliableStart = c.unrelStart
		default:
			cp.ConnSignature = c.sigSent
		}
		cp.Payload = c.connectPayload
		wire, err := c.codec.Append(nil, &cp, SigContext{ConnSig: c.sigRecv})
		if err != nil {
			c.closeLocked(fmt.Errorf("%w: encode CONNECT: %w", ErrHandshake, err))
			return
		}
		c.state = stateConnectSent
		now := time.Now()
		c.hs = &txPacket{typ: TypeConnect, seq: 1, wire: wire, sends: 1, firstSent: now, lastSent: now}
		c.writeLocked(wire)
		c.armLocked(now)
	case c.state == stateConnectSent && p.Type == TypeConnect:
		if err := c.codec.Verify(p, raw, SigContext{ConnSig: c.sigSent}); err != nil {
			c.dropLocked(p, "CONNECT reply signature", err)
			return
		}
		if p.Sequence != 1 || p.FragmentID != 0 || p.Substream != 0 {
			c.handshakeFailLocked(p, "malformed CONNECT reply")
			return
		}
		if negotiates(v) && (p.MinorVersion != c.minor || p.SupportedFunctions != c.functions || (v == V1 && p.MaxSubstream != c.maxSub)) {
			c.handshakeFailLocked(p, "CONNECT reply changes the negotiated values")
			return
		}
		if c.checkReply != nil {
			if err := c.checkReply(p.Payload); err != nil {
				c.handshakeFailLocked(p, "CONNECT reply rejected: "+err.Error())
				return
			}
		}
		c.hs = nil
		c.peerSession = p.SessionID
		c.sessionKey = c.pendingKey
		if err := c.setupStreamsLocked(); err != nil {
			c.closeLocked(fmt.Errorf("%w: %w", ErrHandshake, err))
			return
		}
		c.state = stateConnected
		c.stats.received.Add(1)
		close(c.established)
		c.armLocked(time.Now())
	default:
		c.dropLocked(p, "unexpected packet during handshake", nil)
	}
}
