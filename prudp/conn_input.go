package prudp

import (
	"encoding/binary"
	"time"

	"go.uber.org/zap"
)

// dropLocked counts and logs a packet the connection refuses.
func (c *Conn) dropLocked(p *Packet, reason string, err error) {
	c.stats.dropped.Add(1)
	if ce := c.log.Check(zap.DebugLevel, "prudp: drop packet"); ce != nil {
		ce.Write(append(c.logFields(), zap.String("reason", reason), zap.Stringer("packet", p), zap.Error(err))...)
	}
}

// input processes one decoded packet from the peer (raw: its exact bytes,
// for the signature). Called from the carrier's read goroutine.
func (c *Conn) input(p *Packet, raw []byte) {
	c.mu.Lock()
	c.inputUnlock(p, raw)
}

// inputUnlock is input with c.mu held on entry; it releases it.
func (c *Conn) inputUnlock(p *Packet, raw []byte) {
	c.inputLocked(p, raw)
	// Acknowledgements go out after the lock is released: the message they
	// acknowledge is already delivered, so the reader works on it while
	// this goroutine is in the (slow) send system call. A receiver in push
	// mode gets the message first: what it sends on is the latency the
	// peers see, the acknowledgement is not.
	n := len(c.ackEnds)
	c.pushUnlock()
	if n > 0 {
		c.writeDeferredAcks()
	}
}

// writeDeferredAcks sends the acknowledgements input gathered. Only the
// read goroutine calls input, so ackOut and ackEnds are its own between
// input's critical sections.
func (c *Conn) writeDeferredAcks() {
	start := 0
	var failed error
	c.wmu.Lock()
	for _, end := range c.ackEnds {
		if err := c.carrier.WriteTo(c.ackOut[start:end], c.remote); err != nil {
			failed = err
			break
		}
		c.stats.sent.Add(1)
		start = end
	}
	c.wmu.Unlock()
	c.ackOut, c.ackEnds = c.ackOut[:0], c.ackEnds[:0]
	if failed != nil {
		c.mu.Lock()
		c.writeFailedLocked(failed)
		c.mu.Unlock()
	}
}

func (c *Conn) inputLocked(p *Packet, raw []byte) {
	switch c.state {
	case stateClosed:
		return
	case stateSynSent, stateConnectSent:
		c.handshakeInputLocked(p, raw)
		return
	case stateAccepting:
		// The Connect callback has not finished; the client retransmits.
		c.dropLocked(p, "connection not accepted yet", nil)
		return
	}
	if p.Type == TypeSyn || p.Type == TypeConnect {
		// Retransmitted handshake packets are answered by the listener
		// (server) or ignored (client: the replies were already processed).
		return
	}
	if err := c.codec.Verify(p, raw, c.rxSig); err != nil {
		c.dropLocked(p, "signature", err)
		return
	}
	multi := p.Flags.Has(FlagMultiAck)
	if !multi && c.settings.Variant != Lite && p.SessionID != c.peerSession {
		c.dropLocked(p, "session id", nil)
		return
	}
	now := time.Now()
	c.lastHeard = now
	c.stats.received.Add(1)
	switch {
	case multi:
		c.multiAckLocked(p, now)
	case p.Flags.Has(FlagAck):
		c.ackedLocked(p.Type, p.Substream, p.Sequence, now)
	case p.Flags.Has(FlagReliable):
		c.reliableLocked(p, now)
	default:
		c.unreliableLocked(p, now)
	}
	if c.state != stateClosed {
		c.pumpLocked(now)
		c.armLocked(now)
	}
}

// ackedLocked retires the in-flight packet (type, substream, seq).
func (c *Conn) ackedLocked(t PacketType, sub uint8, seq uint16, now time.Time) {
	for i, tp := range c.inflight {
		if tp.seq == seq && tp.substream == sub && tp.typ == t {
			c.retireLocked(i, now)
			c.fastRetransmitLocked(sub, seq, now)
			return
		}
	}
}

// fastRetransmitLocked resends, once and without waiting for the timer,
// a packet that three later packets of its substream overtook: it was most
// likely lost, and waiting a whole RTO would stall the window.
func (c *Conn) fastRetransmitLocked(sub uint8, acked uint16, now time.Time) {
	if c.settings.ResendLimit == 0 {
		return
	}
	for _, tp := range c.inflight {
		if tp.substream != sub || !seqLess(tp.seq, acked) || tp.sends != 1 {
			continue
		}
		// Paced like every packet: when the bucket is empty, a later
		// acknowledgement (or the timer) resends it.
		if tp.skipped++; tp.skipped >= 3 && c.pace.ready(now) {
			if !c.retransmitLocked(tp, now) {
				return
			}
		}
	}
}

// retireLocked removes inflight[i], takes an RTT sample when it was sent
// once (Karn), and finishes a graceful close when it was the DISCONNECT.
func (c *Conn) retireLocked(i int, now time.Time) {
	tp := c.inflight[i]
	copy(c.inflight[i:], c.inflight[i+1:])
	c.inflight[len(c.inflight)-1] = nil
	c.inflight = c.inflight[:len(c.inflight)-1]
	if tp.sends == 1 {
		c.rto.sample(now.Sub(tp.lastSent))
	} else {
		c.resentInFlight--
	}
	c.queueBytes -= tp.size
	c.pace.acked(now)
	isDisconnect := tp.typ == TypeDisconnect
	c.recycleLocked(tp)
	select {
	case c.spaceWake <- struct{}{}:
	default:
	}
	if isDisconnect && c.state == stateClosing && c.closeAck != nil {
		select {
		case <-c.closeAck:
		default:
			close(c.closeAck)
		}
	}
}

// multiAckLocked handles an aggregate acknowledgement in either format
// (prudp.md §10.3): everything up to the base id, plus the listed ids.
func (c *Conn) multiAckLocked(p *Packet, now time.Time) {
	pl := p.Payload
	if p.Type != TypeData || len(pl)%2 != 0 {
		c.dropLocked(p, "malformed MULTI_ACK", nil)
		return
	}
	var sub uint8
	var base uint16
	var extra []byte
	if c.settings.Variant == Lite || p.Substream == 1 {
		if len(pl) < 4 || len(pl) != 4+2*int(pl[1]) {
			c.dropLocked(p, "malformed MULTI_ACK", nil)
			return
		}
		sub, base, extra = pl[0], binary.LittleEndian.Uint16(pl[2:]), pl[4:]
	} else if p.Substream == 0 {
		sub, base, extra = 0, p.Sequence, pl
	} else {
		c.dropLocked(p, "malformed MULTI_ACK", nil)
		return
	}
	for i := 0; i < len(c.inflight); {
		tp := c.inflight[i]
		if tp.substream == sub && seqLessEq(tp.seq, base) {
			c.retireLocked(i, now)
			continue
		}
		i++
	}
	high, found := base, false
	for ; len(extra) >= 2; extra = extra[2:] {
		seq := binary.LittleEndian.Uint16(extra)
		for i, tp := range c.inflight {
			if tp.substream == sub && tp.seq == seq {
				c.retireLocked(i, now)
				if !found || seqLess(high, seq) {
					high, found = seq, true
				}
				break
			}
		}
	}
	if found {
		c.fastRetransmitLocked(sub, high, now)
	}
}

// reliableLocked runs a reliable packet through its substream's receive
// window and processes whatever became deliverable, in order.
func (c *Conn) reliableLocked(p *Packet, now time.Time) {
	if int(p.Substream) >= len(c.rx) {
		c.dropLocked(p, "substream", nil)
		return
	}
	if p.Type == TypeData && c.msgBytes > recvQueueLimit(&c.settings) {
		// Reader too slow: let the peer resend later.
		c.dropLocked(p, "receive queue full", nil)
		return
	}
	w := &c.rx[p.Substream]
	inOrder := w.takeInOrder(p.Sequence)
	offered := offerAccepted
	if !inOrder {
		if offered = w.offer(p.Type, p.Sequence, p.FragmentID, p.Payload); offered == offerTooFar {
			c.dropLocked(p, "beyond receive window", nil)
			return
		}
	}
	// Everything within the window is acknowledged, a duplicate again
	// (the peer missed the first acknowledgement).
	if p.Flags.Has(FlagNeedAck) {
		c.ackLocked(p.Type, p.Flags, p.Substream, p.Sequence, p.FragmentID, now)
	}
	if offered == offerDuplicate {
		c.stats.duplicates.Add(1)
		return
	}
	// The payload is processed in the read buffer (decrypted in place);
	// the reassembler copies it.
	if inOrder && !c.processReliableLocked(p.Substream, p.Type, p.Sequence, p.FragmentID, p.Payload) {
		return
	}
	for {
		rp, ok := w.pop()
		if !ok {
			return
		}
		if !c.processReliableLocked(p.Substream, rp.typ, rp.seq, rp.frag, rp.payload) {
			return
		}
	}
}

// processReliableLocked handles the next in-order reliable packet of a
// substream. It reports false when the packet ended the connection.
func (c *Conn) processReliableLocked(sub uint8, typ PacketType, seq uint16, frag uint8, payload []byte) bool {
	switch typ {
	case TypeData:
		data, err := c.openLocked(FlagReliable, sub, seq, 0, payload)
		if err != nil {
			c.closeLocked(err)
			return false
		}
		msg, err := c.reasm[sub].add(frag, data)
		if err != nil {
			c.debug("prudp: closing", zap.Error(err))
			c.closeLocked(err)
			return false
		}
		if msg != nil {
			c.deliverLocked(Message{Substream: sub, Reliable: true, Data: msg})
		}
	case TypeDisconnect:
		c.closeLocked(ErrClosed)
		return false
	}
	// Reliable PINGs (NintendoClients) only advance the window.
	return true
}

// unreliableLocked handles unreliable DATA, PING and DISCONNECT (forced
// when it asks for no acknowledgement).
func (c *Conn) unreliableLocked(p *Packet, now time.Time) {
	switch p.Type {
	case TypeData:
		if p.FragmentID != 0 {
			c.dropLocked(p, "fragmented unreliable DATA", nil)
			return
		}
		if p.Flags.Has(FlagNeedAck) {
			c.ackLocked(p.Type, p.Flags, p.Substream, p.Sequence, p.FragmentID, now)
		}
		buf := append([]byte(nil), p.Payload...)
		data, err := c.openLocked(p.Flags, 0, p.Sequence, p.SessionID, buf)
		if err != nil {
			c.dropLocked(p, "unreliable payload", err)
			return
		}
		c.deliverLocked(Message{Data: data})
	case TypePing:
		if p.Flags.Has(FlagNeedAck) {
			c.ackLocked(p.Type, p.Flags, p.Substream, p.Sequence, p.FragmentID, now)
		}
	case TypeDisconnect:
		if p.Flags.Has(FlagNeedAck) {
			// A goodbye outside the reliable stream that still asks for
			// an answer: acknowledged (as often as a reliable one) as
			// both references do, or the peer resends it until its
			// resend limit, and the connection ends gracefully.
			c.ackLocked(p.Type, p.Flags, p.Substream, p.Sequence, p.FragmentID, now)
			c.closeLocked(ErrClosed)
			return
		}
		c.closeLocked(ErrAborted)
	}
}
