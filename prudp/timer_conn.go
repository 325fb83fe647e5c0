package prudp

import "time"

// One timer per connection drives everything time-based: retransmission,
// paced transmission, MULTI_ACK batching, keep-alive PINGs and the dead
// peer check. The timer is armed lazily: it is only moved earlier, and when
// it fires early the deadline is recomputed.

// armLocked makes sure the timer fires no later than the next deadline.
func (c *Conn) armLocked() {
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
	c.timer.Reset(max(time.Until(at), 0))
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
		at = earliest(at, c.hs.lastSent.Add(c.rto.timeout(c.hs.sends)))
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
				due = earliest(due, tp.lastSent.Add(c.rto.timeout(tp.sends)))
			}
		}
		if due.Before(paceAt) {
			due = paceAt
		}
		at = earliest(at, due)
	}
	if c.state == stateConnected || c.state == stateClosing {
		pt := c.settings.PingTimeout
		at = earliest(at, c.lastHeard.Add(3*pt))
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
	if c.hs != nil && c.settings.ResendLimit > 0 && !now.Before(c.hs.lastSent.Add(c.rto.timeout(c.hs.sends))) {
		if c.hs.sends > c.settings.ResendLimit {
			c.closeLocked(ErrTimeout)
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
		if now.Sub(c.lastHeard) >= 3*pt {
			c.closeLocked(ErrTimeout)
			return
		}
		if !now.Before(laterOf(c.lastHeard, c.lastPing).Add(pt)) {
			c.sendPingLocked(now)
		}
	}
	c.armLocked()
}

// resendLocked retransmits the due packets, paced like new ones so that a
// loss never turns into a burst: each resend empties the pacer's bucket,
// so the next packet waits a whole interval. It reports false when the
// resend limit ended the connection.
func (c *Conn) resendLocked(now time.Time) bool {
	for _, tp := range c.inflight {
		if now.Before(tp.lastSent.Add(c.rto.timeout(tp.sends))) {
			continue
		}
		if tp.sends > c.settings.ResendLimit {
			c.closeLocked(ErrTimeout)
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
