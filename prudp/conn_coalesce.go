package prudp

import (
	"time"

	"go.uber.org/zap"
)

// With Settings.CoalesceAcks, the acknowledgement of a reliable DATA
// packet is held until the connection next writes to the peer (usually
// the answer, a moment later), and the two packets share one datagram,
// the acknowledgement first. In v0 and RV a held acknowledgement carries
// HAS_SIZE (an empty payload), which plain acknowledgements omit: without
// it a v0 packet runs to the end of its datagram.
// At most one acknowledgement is held: a second one due meanwhile goes
// out at once with it, so that a peer sending a burst is acknowledged as
// fast as without coalescing. The hold ends at the latest at ackDue (the
// deadline aggregate acknowledgements also use), by the timer.

// heldAcks is the acknowledgement waiting for a packet to travel with.
type heldAcks struct {
	buf []byte // the encoded acknowledgement (empty: none held)
	out []byte // the datagram being assembled
}

// holdAckLocked holds the acknowledgement p, or, when one is held
// already, queues both for input to send in one datagram after unlocking.
// It reports false when acknowledgements of this packet are not held.
func (c *Conn) holdAckLocked(p *Packet, now time.Time) bool {
	if !c.settings.CoalesceAcks || p.Type != TypeData {
		return false
	}
	if c.held == nil {
		c.held = &heldAcks{}
	}
	if v := c.settings.Variant; v == V0 || v == RV {
		// A v0 packet without a payload size runs to the end of its
		// datagram: the acknowledgement goes first, so it must say that
		// its payload is empty, or the peer reads the packet behind it as
		// its payload (and drops the datagram on the checksum).
		p.Flags |= FlagHasSize
	}
	h := c.held
	if len(h.buf) == 0 {
		b, err := c.codec.Append(h.buf, p, c.txSig)
		if err != nil {
			c.debug("prudp: encode ACK", zap.Stringer("packet", p), zap.Error(err))
			return true
		}
		h.buf = b
		if c.ackDue.IsZero() {
			c.ackDue = now.Add(c.settings.coalesceDelay())
		}
		return true
	}
	start := len(c.ackOut)
	b := append(c.ackOut, h.buf...)
	b, err := c.codec.Append(b, p, c.txSig)
	if err != nil {
		c.debug("prudp: encode ACK", zap.Stringer("packet", p), zap.Error(err))
		b = b[:start+len(h.buf)]
	}
	c.ackOut = b
	c.ackEnds = append(c.ackEnds, len(b))
	c.releaseHeldLocked()
	return true
}

// releaseHeldLocked forgets the held acknowledgement (it was sent) and
// its deadline, unless aggregate acknowledgements still wait for it.
func (c *Conn) releaseHeldLocked() {
	c.held.buf = c.held.buf[:0]
	if len(c.acks) == 0 && !c.ackDue.IsZero() {
		if c.timerAt.Equal(c.ackDue) {
			// The timer was set for the hold: let the next armLocked set
			// it for what is due now instead of firing for nothing.
			c.timerAt = time.Time{}
		}
		c.ackDue = time.Time{}
	}
}

// withHeldLocked returns the datagram to write for b: the held
// acknowledgement followed by b when one is held and both fit in a
// datagram the peer expects (a full DATA packet's size). A held
// acknowledgement that does not fit is written alone first.
func (c *Conn) withHeldLocked(b []byte) []byte {
	h := c.held
	if h == nil || len(h.buf) == 0 {
		return b
	}
	if len(h.buf)+len(b) > c.settings.FragmentSize+wireSlack {
		c.writeOneLocked(h.buf)
		c.releaseHeldLocked()
		return b
	}
	h.out = append(append(h.out[:0], h.buf...), b...)
	c.releaseHeldLocked()
	return h.out
}

// flushHeldLocked writes a held acknowledgement alone (its hold ended).
func (c *Conn) flushHeldLocked() {
	if c.held != nil && len(c.held.buf) > 0 {
		c.writeOneLocked(c.held.buf)
		c.releaseHeldLocked()
	}
}
