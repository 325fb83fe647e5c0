package prudp

import "time"

// pacer spaces the packets a connection sends so that a burst (the
// fragments of one large message, or resends after a loss) never arrives
// faster than a console's small receive buffer (~4 packets) drains, while
// a lone packet, an idle connection or a stream the peer acknowledges as
// fast as it arrives is never delayed.
//
// It is a token bucket in the form of a theoretical arrival time (GCRA):
// the bucket holds burst tokens; sending takes one; a token comes back
// every interval, and also with every acknowledgement of a packet sent
// once, because an acknowledged packet has left the peer's buffer (the
// acknowledgements clock the sender, as in TCP). A retransmission timeout
// empties the bucket: a loss suggests the buffer overflowed, so until the
// peer acknowledges again packets go one per interval.
//
// State is one time value; every operation is O(1) and allocation-free.
type pacer struct {
	interval time.Duration // zero: pacing off
	span     time.Duration // (burst-1) × interval: how far tat may run ahead
	// tat is when the bucket would be full again; sending is allowed while
	// tat - span <= now.
	tat time.Time
}

// paceBurst is how many packets may leave back to back: half the window
// (at least one), so that the fragments of a large message reach a
// console a few at a time and the rest follow its acknowledgements.
func paceBurst(s *Settings) int { return max(1, (s.Window+1)/2) }

func newPacer(s *Settings) pacer {
	if s.PaceInterval <= 0 {
		return pacer{}
	}
	return pacer{interval: s.PaceInterval, span: time.Duration(paceBurst(s)-1) * s.PaceInterval}
}

// ready reports whether a packet may be sent at now.
func (p *pacer) ready(now time.Time) bool {
	return p.interval == 0 || !now.Before(p.tat.Add(-p.span))
}

// readyAt is when the next packet may be sent (zero time: now).
func (p *pacer) readyAt() time.Time {
	if p.interval == 0 {
		return time.Time{}
	}
	return p.tat.Add(-p.span)
}

// take spends a token for a packet sent at now.
func (p *pacer) take(now time.Time) {
	if p.interval == 0 {
		return
	}
	if p.tat.Before(now) {
		p.tat = now
	}
	p.tat = p.tat.Add(p.interval)
}

// acked returns the token of a packet the peer acknowledged.
func (p *pacer) acked(now time.Time) {
	if p.interval == 0 || !now.Before(p.tat) {
		return
	}
	p.tat = p.tat.Add(-p.interval)
	if p.tat.Before(now) {
		p.tat = now
	}
}

// drain empties the bucket after a retransmission timeout.
func (p *pacer) drain(now time.Time) {
	if p.interval == 0 {
		return
	}
	p.tat = laterOf(p.tat, now.Add(p.span+p.interval))
}
