package prudp

import (
	"time"

	"go.uber.org/zap"
)

// One timer per connection drives everything time-based: retransmission,
// paced transmission, MULTI_ACK batching, keep-alive PINGs and the dead
// peer check. The timer is armed lazily: it is only moved earlier, and when
// it fires early the deadline is recomputed.

// armLocked makes sure the timer fires no later than the next deadline;
// now is the caller's clock (one reading serves a whole locked section).
func (c *Conn) armLocked(now time.Time) {
	if c.state == stateClosed {
		return
	}
	at := c.nextDeadlineLocked()
	if at.IsZero() {
		return
	}
	if !c.timerAt.IsZero() && !at.Before(c.timerAt) {
		return
	}
	c.timerAt = at
	c.timer.Reset(max(at.Sub(now), 0))
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// nextDeadlineLocked returns when the timer must next run (zero: never).
func (c *Conn) nextDeadlineLocked() time.Time {
	var at time.Time
	resend := c.settings.ResendLimit > 0
	if c.hs != nil && resend {
		at = earliest(at, c.resendDueLocked(c.hs))
	}
	at = earliest(at, c.ackDue)
	paceAt := c.pace.readyAt()
	if len(c.queue) > 0 && len(c.inflight) < c.settings.Window && c.inSpanLocked(c.queue[0]) {
		at = earliest(at, paceAt)
	}
	if resend && len(c.inflight) > 0 {
		var due time.Time
		if c.resentInFlight == 0 {
			// Sent once each, in order: the first is due first.
			due = c.inflight[0].lastSent.Add(c.rto.timeout(1))
		} else {
			for _, tp := range c.inflight {
				due = earliest(due, c.resendDueLocked(tp))
			}
		}
		if due.Before(paceAt) {
			due = paceAt
		}
		at = earliest(at, due)
	}
	if c.state == stateConnected || c.state == stateClosing {
		pt := c.settings.PingTimeout
		at = earliest(at, c.lastHeard.Add(c.settings.silence()))
		at = earliest(at, laterOf(c.lastHeard, c.lastPing).Add(pt))
	}
	return at
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (c *Conn) onTimer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timerAt = time.Time{}
	if c.state == stateClosed || c.state == stateAccepting {
		return
	}
	now := time.Now()
	if c.hs != nil && c.settings.ResendLimit > 0 && !now.Before(c.resendDueLocked(c.hs)) {
		if c.peerGoneLocked(c.hs, now) {
			c.giveUpLocked("handshake unanswered", now)
			return
		}
		c.hs.sends++
		c.hs.lastSent = now
		c.stats.resent.Add(1)
		c.writeLocked(c.hs.wire)
	}
	if !c.ackDue.IsZero() && !now.Before(c.ackDue) {
		c.flushAcksLocked()
	}
	if c.settings.ResendLimit > 0 {
		if !c.resendLocked(now) {
			return
		}
	}
	c.pumpLocked(now)
	if c.state == stateConnected || c.state == stateClosing {
		pt := c.settings.PingTimeout
		if now.Sub(c.lastHeard) >= c.settings.silence() {
			c.giveUpLocked("nothing heard for the silence timeout", now)
			return
		}
		if !now.Before(laterOf(c.lastHeard, c.lastPing).Add(pt)) {
			c.sendPingLocked(now)
		}
	}
	c.armLocked(now)
}

// A peer is declared gone by time, never by a count of fast resends
// alone: the round-trip estimate can shrink the first resend intervals to
// the floor, and three unlucky packets within a second must not end a live
// connection on a lossy link.
//
//   - Within its resend limit a packet is resent with the usual doubling
//     backoff; past it, at most one base timeout (resend_timeout, or the
//     estimate when larger) apart, so that a lossy link keeps getting
//     chances.
//   - The connection is given up when the peer has been silent, since the
//     packet was first sent, for the dead-peer time: the profile's give-up
//     time (resend_timeout × (resend_limit + 1)), and at least the
//     silence timeout less one ping timeout (two ping timeouts by
//     default), because an idle peer that is alive proves it with a PING
//     once per ping timeout, and one PING may be lost too.
//   - A peer that keeps talking (packets, acknowledgements, PINGs) while
//     one packet stays unacknowledged for the silence timeout (three ping
//     timeouts by default) has a path broken one way, and is given up too.
//   - A handshake has no PINGs to wait for: it ends after the give-up time.

// giveUpAfter is the profile's give-up time for an unanswered packet.
func (c *Conn) giveUpAfter() time.Duration {
	return c.settings.ResendTimeout * time.Duration(c.settings.ResendLimit+1)
}

// resendDueLocked is when tp is next due for a resend.
func (c *Conn) resendDueLocked(tp *txPacket) time.Time {
	d := c.rto.timeout(tp.sends)
	if tp.sends > c.settings.ResendLimit {
		d = min(d, max(c.settings.ResendTimeout, c.rto.rto))
	}
	return tp.lastSent.Add(d)
}

// peerGoneLocked reports whether tp, due for a resend, shows the peer
// gone (see above).
func (c *Conn) peerGoneLocked(tp *txPacket, now time.Time) bool {
	if tp.sends <= c.settings.ResendLimit {
		return false
	}
	if c.hs != nil {
		return now.Sub(tp.firstSent) >= c.giveUpAfter()
	}
	silence := c.settings.silence()
	return now.Sub(laterOf(tp.firstSent, c.lastHeard)) >= max(c.giveUpAfter(), silence-c.settings.PingTimeout) ||
		now.Sub(tp.firstSent) >= silence
}

// giveUpLocked ends a connection whose peer stopped answering: a forced
// DISCONNECT (unacknowledged, in case the peer still hears us), one info
// line with the reason and the counters, and ErrTimeout for every waiter.
func (c *Conn) giveUpLocked(reason string, now time.Time) {
	if c.state == stateConnected || c.state == stateClosing {
		p := c.basePacket(TypeDisconnect, 0)
		c.sendControlLocked(&p)
	}
	if ce := c.log.Check(zap.InfoLevel, "prudp: peer not responding, connection closed"); ce != nil {
		ce.Write(append([]zap.Field{zap.String("reason", reason),
			zap.Duration("silent", now.Sub(c.lastHeard)),
			zap.Uint64("sent", c.stats.sent.Load()), zap.Uint64("resent", c.stats.resent.Load()),
			zap.Uint64("received", c.stats.received.Load()), zap.Int("in_flight", len(c.inflight)),
			zap.Duration("srtt", c.rto.smoothed()), zap.Duration("rto", c.rto.rto)}, c.logFields()...)...)
	}
	c.closeLocked(ErrTimeout)
}

// resendLocked retransmits the due packets, paced like new ones so that a
// loss never turns into a burst: each resend empties the pacer's bucket,
// so the next packet waits a whole interval. It reports false when the
// resend limit ended the connection.
func (c *Conn) resendLocked(now time.Time) bool {
	for _, tp := range c.inflight {
		if now.Before(c.resendDueLocked(tp)) {
			continue
		}
		if c.peerGoneLocked(tp, now) {
			c.giveUpLocked("packet unacknowledged", now)
			return false
		}
		if !c.pace.ready(now) {
			break
		}
		if !c.retransmitLocked(tp, now) {
			return false
		}
		c.pace.drain(now)
	}
	return true
}

// retransmitLocked sends the in-flight packet tp again, taking a pacer
// token for it. It reports false when the write ended the connection.
func (c *Conn) retransmitLocked(tp *txPacket, now time.Time) bool {
	if tp.sends == 1 {
		c.resentInFlight++
	}
	tp.sends++
	tp.lastSent = now
	c.stats.resent.Add(1)
	c.pace.take(now)
	c.writeLocked(tp.wire)
	return c.state != stateClosed
}
