package prudp

// A connection either queues received messages for Recv or, once
// SetReceiver was called, hands them to a receiver function on the
// goroutine that read them. Pushing saves a goroutine per connection (an
// idle connection then needs none) and a goroutine switch per message.

// pushState is the receiver side of a connection in push mode.
type pushState struct {
	fn     func(Message) bool
	closed func()
	// busy is true while a goroutine hands messages over outside the
	// lock; others leave theirs queued for it, so that order holds.
	busy bool
	// paused is true after fn asked to hold messages, until ResumeReceive.
	paused bool
	// closedSent is true once closed was started.
	closedSent bool
	// batch holds the messages being handed over (owned by the busy
	// goroutine), reused so that pushing allocates nothing.
	batch []Message
}

// SetReceiver makes the connection hand every received message to fn, in
// order, instead of queueing it for Recv; the messages queued before are
// handed over at once, on the caller's goroutine. fn runs on the goroutine
// that read the packet (on a Listener, the one that serves every
// connection of its carrier) after the connection's lock was released: it
// must not block, and it may call the connection's methods. fn always
// takes the message; when it returns false it cannot take more for now:
// the next ones stay queued, counting against the receive queue limit (so
// that the peer is throttled), until ResumeReceive. closed, when not nil, runs
// once on a goroutine of its own when the connection has ended (at once if
// it already has). Call SetReceiver once; Recv must not be used after it.
func (c *Conn) SetReceiver(fn func(Message) bool, closed func()) {
	c.mu.Lock()
	if c.push == nil {
		c.push = &pushState{}
	}
	c.push.fn, c.push.closed = fn, closed
	if c.state == stateClosed {
		c.notifyClosedLocked()
	}
	c.pushUnlock()
}

// ResumeReceive hands over the messages that waited since the receiver
// refused one (see SetReceiver), on the caller's goroutine.
func (c *Conn) ResumeReceive() {
	c.mu.Lock()
	c.push.paused = false
	c.pushUnlock()
}

// notifyClosedLocked starts the receiver's closed function once the
// connection has ended.
func (c *Conn) notifyClosedLocked() {
	if c.push != nil && c.push.closed != nil && !c.push.closedSent {
		c.push.closedSent = true
		go c.push.closed()
	}
}

// pushUnlock hands the queued messages to the receiver, if there is one,
// and releases c.mu (held on entry).
func (c *Conn) pushUnlock() {
	p := c.push
	if p == nil || p.fn == nil || p.busy || p.paused || c.msgHead == len(c.msgs) {
		c.mu.Unlock()
		return
	}
	p.busy = true
	for c.msgHead < len(c.msgs) && !p.paused {
		batch := append(p.batch[:0], c.msgs[c.msgHead:]...)
		clear(c.msgs[c.msgHead:])
		c.msgs, c.msgHead, c.msgBytes = c.msgs[:0], 0, 0
		c.mu.Unlock()
		taken, pause := len(batch), false
		for i := range batch {
			if !p.fn(batch[i]) {
				taken, pause = i+1, true
				break
			}
		}
		c.mu.Lock()
		if pause {
			p.paused = true
			if taken < len(batch) {
				c.requeueLocked(batch[taken:])
			}
		}
		clear(batch)
		p.batch = batch[:0]
	}
	p.busy = false
	c.mu.Unlock()
}

// requeueLocked puts messages the receiver did not take back in front
// of the queue.
func (c *Conn) requeueLocked(ms []Message) {
	q := make([]Message, 0, len(ms)+len(c.msgs)-c.msgHead)
	q = append(append(q, ms...), c.msgs[c.msgHead:]...)
	c.msgs, c.msgHead, c.msgBytes = q, 0, 0
	for _, m := range q {
		c.msgBytes += len(m.Data)
	}
}
