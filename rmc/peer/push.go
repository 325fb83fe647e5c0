package peer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Push mode: the prudp connection hands every message to the peer on its
// read goroutine, so an idle connection costs no goroutine, and the
// asynchronous calls below let a forwarded call cross the proxy without a
// goroutine waiting for its answer.

// StartPush starts p on c in push mode and returns: c hands p every
// message on its read goroutine, so an idle connection costs no
// goroutine. The workers' context derives from ctx. ended(p) runs on a
// goroutine of its own once c has ended and p has stopped; Wait then
// waits for what p still runs. p's wire should be PRUDPWire(c).
func (p *Peer) StartPush(ctx context.Context, c *prudp.Conn, ended func(*Peer)) {
	p.start(ctx, c.ResumeReceive)
	c.SetReceiver(func(m prudp.Message) bool {
		if len(m.Data) == 0 {
			return true
		}
		return p.deliver(m.Data)
	}, func() {
		p.stop(c.Err())
		ended(p)
	})
}

// errWouldBlock is what a trySender returns when it would have to wait.
var errWouldBlock = prudp.ErrWouldBlock

// errSendBacklog reports a message not sent because maxInflight others
// already wait for room on the connection (its peer stopped reading).
var errSendBacklog = errors.New("peer: too many messages waiting to be sent")

// maxAsyncPending bounds the calls one peer has forwarded without an
// answer yet; beyond it requests walk the chain on the bounded workers,
// which throttles the caller.
const maxAsyncPending = 4 * maxInflight

// CanTakeAsync reports whether p may take one more call by CallAsync:
// false once the peer stopped or maxAsyncPending calls wait for an
// answer, so that a caller falls back to the blocking path, which
// throttles whoever makes the calls.
func (p *Peer) CanTakeAsync() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.stopped && len(p.pending) < maxAsyncPending
}

// sendTimeoutAsync bounds a send that had to wait on a goroutine of its
// own (the connection's send queue was full).
const sendTimeoutAsync = CallTimeout

// CallTimeout bounds a call made with CallAsync; a proxy bounds the calls
// it forwards with it too, so that a silent server gets the console an
// error rather than a hang.
const CallTimeout = 30 * time.Second

// sendAsync sends m without blocking the caller: at once when the wire
// has room, otherwise queued for a goroutine that sends the waiting
// messages in order, so that no message overtakes an earlier one. f says
// what a send that did not happen fails (see sendFailure).
func (p *Peer) sendAsync(m *rmc.Message, f sendFailure) {
	if p.tracer != nil {
		// A copy: m itself stays on its caller's stack.
		t := *m
		p.tracer("send", &t)
	}
	p.mu.Lock()
	queued := p.draining
	p.mu.Unlock()
	var b []byte
	if ts, ok := p.wire.(trySender); ok && !queued {
		// Encoded into a pooled buffer: TrySend copies the message into
		// its packets, so only a message that has to wait needs its own.
		bp := encodePool.Get().(*[]byte)
		enc := m.Append((*bp)[:0])
		err := ts.TrySend(enc)
		if errors.Is(err, errWouldBlock) {
			b = bytes.Clone(enc)
		}
		putEncoded(bp, enc)
		if !errors.Is(err, errWouldBlock) {
			if err != nil {
				p.sendFailed(f, err)
			}
			return
		}
	} else {
		b = m.Encode()
	}
	p.mu.Lock()
	if p.stopped || p.waiting >= maxInflight {
		stopped := p.stopped
		p.mu.Unlock()
		if stopped {
			p.sendFailed(f, rpc.ErrUpstreamGone)
		} else {
			p.sendFailed(f, errSendBacklog)
		}
		return
	}
	// Once one message waits for room, every later one queues behind it:
	// messages leave in the order they were sent.
	p.sendq = append(p.sendq, queuedSend{b: b, failure: f})
	p.waiting++
	if p.draining {
		p.mu.Unlock()
		return
	}
	p.draining = true
	p.wg.Add(1)
	p.mu.Unlock()
	go p.drainSends()
}

// sendFailure says what an asynchronous send that did not happen fails:
// a plain value rather than a callback, so that sending allocates no
// closure. The zero value reports nothing.
type sendFailure struct {
	kind   failKind
	callID uint32 // failCall: this peer's call id; failAnswer: the answered call's
	proto  uint16 // failNotify
	method uint32 // failNotify
}

type failKind uint8

const (
	failCall   failKind = iota + 1 // a CallAsync request: its callback gets the error
	failNotify                     // a notification: logged at debug level
	failAnswer                     // an answer: logged at debug level
)

// sendFailed reports err as f says.
func (p *Peer) sendFailed(f sendFailure, err error) {
	switch f.kind {
	case failCall:
		if pc, ok := p.claim(f.callID); ok {
			pc.fn(nil, fmt.Errorf("peer: send call %d: %w", f.callID, err))
		}
	case failNotify:
		p.log.Debug("notification not sent", p.connField(), zap.Uint16("protocol", f.proto), zap.Uint32("method", f.method), zap.Error(err))
	case failAnswer:
		p.log.Debug("answer not sent", p.connField(), zap.Uint32("call_id", f.callID), zap.Error(err))
	}
}

// encodePool lends sendAsync the buffers it encodes messages into.
var encodePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledEncode is the largest buffer returned to encodePool: one huge
// message must not pin its buffer for the life of the process.
const maxPooledEncode = 64 << 10

// putEncoded returns bp to encodePool with b's array (grown or not).
func putEncoded(bp *[]byte, b []byte) {
	if cap(b) > maxPooledEncode {
		return
	}
	*bp = b[:0]
	encodePool.Put(bp)
}

// queuedSend is a message waiting for room in the connection's send queue.
type queuedSend struct {
	b       []byte
	failure sendFailure
}

// drainSends sends the queued messages in order, blocking for room, and
// ends when the queue is empty.
func (p *Peer) drainSends() {
	defer p.wg.Done()
	for {
		p.mu.Lock()
		if len(p.sendq) == 0 {
			p.draining = false
			p.sendq = nil
			p.mu.Unlock()
			return
		}
		q := p.sendq[0]
		p.sendq[0] = queuedSend{}
		p.sendq = p.sendq[1:]
		p.mu.Unlock()
		// The wire's Send returns when its connection closes.
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeoutAsync)
		err := p.wire.Send(ctx, q.b)
		cancel()
		p.mu.Lock()
		p.waiting--
		p.mu.Unlock()
		if err != nil {
			p.sendFailed(q.failure, err)
		}
	}
}

// CallAsync sends a request like Call but returns at once: fn gets the
// response (or the failure: rpc.ErrUpstreamGone, a send error, or
// context.DeadlineExceeded after CallTimeout) exactly once, on the
// goroutine that received it. An error returned means fn will not run.
// fn must not be nil: a pending call without one is a blocking Call's.
func (p *Peer) CallAsync(protocol uint16, method uint32, body []byte, fn func(*rmc.Message, error)) error {
	if fn == nil {
		return errors.New("peer: CallAsync without a callback")
	}
	pc := pendingCall{protocol: protocol, method: method, fn: fn, deadline: time.Now().Add(CallTimeout)}
	p.mu.Lock()
	id, ok := p.addPendingLocked(pc)
	if !ok {
		p.mu.Unlock()
		return rpc.ErrUpstreamGone
	}
	if p.expiryAt.IsZero() {
		// Deadlines only grow: an armed timer is early enough.
		p.expiryAt = pc.deadline
		if p.expiry == nil {
			p.expiry = time.AfterFunc(CallTimeout, p.expire)
		} else {
			p.expiry.Reset(CallTimeout)
		}
	}
	p.mu.Unlock()
	p.sendAsync(rmc.NewRequest(protocol, method, id, body), sendFailure{kind: failCall, callID: id})
	return nil
}

// claim removes a pending call and returns it; it reports false when the
// answer (or the peer's end) already took it.
func (p *Peer) claim(id uint32) (pendingCall, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pc, ok := p.pending[id]
	if ok {
		delete(p.pending, id)
	}
	return pc, ok
}

// expire fails the asynchronous calls past their deadline and re-arms
// the timer for the next one.
func (p *Peer) expire() {
	now := time.Now()
	var late []pendingCall
	p.mu.Lock()
	p.expiryAt = time.Time{}
	var next time.Time
	for id, pc := range p.pending {
		if pc.fn == nil {
			continue
		}
		if !now.Before(pc.deadline) {
			late = append(late, pc)
			delete(p.pending, id)
		} else if next.IsZero() || pc.deadline.Before(next) {
			next = pc.deadline
		}
	}
	if !next.IsZero() && !p.stopped {
		p.expiryAt = next
		p.expiry.Reset(next.Sub(now))
	}
	p.mu.Unlock()
	for _, pc := range late {
		pc.fn(nil, context.DeadlineExceeded)
	}
}

// NotifyAsync sends a one-way request without blocking; a send that
// fails later is only logged (at debug level), as nobody waits for it.
func (p *Peer) NotifyAsync(protocol uint16, method uint32, body []byte) error {
	if p.isStopped() {
		return rpc.ErrUpstreamGone
	}
	m := p.newRequest(protocol, method, body)
	p.sendAsync(&m, sendFailure{kind: failNotify, proto: protocol, method: method})
	return nil
}

// RespondAsync answers req with r without blocking; an answer that
// cannot be sent is only logged (at debug level).
func (p *Peer) RespondAsync(req *rmc.Message, r *rpc.Reply) {
	m := response(req, r)
	p.sendAsync(&m, sendFailure{kind: failAnswer, callID: req.CallID})
}

func (p *Peer) isStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}
