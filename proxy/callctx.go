package proxy

import (
	"context"
	"sync"
	"time"
)

// callCtx is the context of one call a dispatcher serves: its parent
// (the session's), the call's answer (answerOf) and its deadline
// (peer.CallTimeout). context.WithTimeout and WithValue would cost a
// timer, a registration with the parent and three allocations per call,
// while most handlers (the built-in ones) never wait on the context: so
// Done makes its channel, the timer and the parent watch on first use
// only. Err needs none of them.
type callCtx struct {
	parent   context.Context
	a        *answer
	deadline time.Time

	mu       sync.Mutex
	done     chan struct{} // made by Done
	err      error         // set once it ended (Canceled by release)
	timer    *time.Timer
	unparent func() bool // stops the watch on parent
}

// newCallCtx is the context of a call that started at start.
func newCallCtx(parent context.Context, a *answer, start time.Time, timeout time.Duration) *callCtx {
	d := start.Add(timeout)
	if pd, ok := parent.Deadline(); ok && pd.Before(d) {
		d = pd
	}
	return &callCtx{parent: parent, a: a, deadline: d}
}

func (c *callCtx) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *callCtx) Value(key any) any {
	if key == (answerKey{}) {
		return c.a
	}
	return c.parent.Value(key)
}

// Err reports the end of the call: release's Canceled, the parent's
// error, or DeadlineExceeded once the deadline passed, whether or not
// Done was called.
func (c *callCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.errLocked()
}

func (c *callCtx) errLocked() error {
	if c.err == nil {
		if err := c.parent.Err(); err != nil {
			c.endLocked(err)
		} else if !time.Now().Before(c.deadline) {
			c.endLocked(context.DeadlineExceeded)
		}
	}
	return c.err
}

// endLocked records why the context ended and closes Done if it was made.
func (c *callCtx) endLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.unparent != nil {
		c.unparent()
	}
}

func (c *callCtx) end(err error) {
	c.mu.Lock()
	c.endLocked(err)
	c.mu.Unlock()
}

// Done makes, on first use, the channel that closes when the context ends
// and what closes it: a timer for the deadline and a watch on the parent.
func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.done = make(chan struct{})
	if c.err != nil { // ended before: nothing closed it
		close(c.done)
		return c.done
	}
	if c.errLocked() != nil { // ended now: closed by endLocked
		return c.done
	}
	c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.end(context.DeadlineExceeded) })
	if c.parent.Done() != nil {
		c.unparent = context.AfterFunc(c.parent, func() { c.end(c.parent.Err()) })
	}
	return c.done
}

// release ends the call's context (Canceled), as the cancel function of
// context.WithTimeout does once the call was served.
func (c *callCtx) release() { c.end(context.Canceled) }
