package peer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// maxInflight bounds the requests one peer serves at the same time, so a
// console cannot make nexproxy spawn unbounded goroutines.
const maxInflight = 64

// Requests waiting for a worker beyond these bounds make the peer stop
// taking messages (its connection then holds them and throttles the
// sender) until the workers caught up.
const (
	maxBacklog      = 256
	maxBacklogBytes = 2 << 20
)

// Peer is an RMC endpoint over one connection: it numbers its own calls,
// matches responses to them and serves the peer's requests with a Handler.
//
// It runs in one of two ways: Run reads the wire on the caller's goroutine
// (pull), or StartPush has a prudp connection hand it every message on the
// connection's read goroutine (push: no goroutine per connection, see
// push.go). Requests are served by pooled workers, or, when the SetFast
// function accepts them, answered without one.
type Peer struct {
	wire   Wire
	log    *zap.Logger
	conn   string                                    // session id for logs ("" outside a server)
	serve  func(ctx context.Context, m *rmc.Message) // request dispatcher
	fast   func(m *rmc.Message) bool                 // optional, takes requests it can answer without blocking
	tracer func(dir string, m *rmc.Message)          // optional, sees every message

	parent context.Context // the workers' context derives from it
	wg     sync.WaitGroup  // workers and background sends
	resume func()          // lets the wire deliver again after a pause

	// Made on first use, so that an idle peer holds little: the workers'
	// context (ends when the peer stops), the wake channel (one token per
	// idle worker claimed), the pending calls and Done's channel.
	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	wake    chan struct{}
	pending map[uint32]pendingCall
	done    chan struct{}

	nextID    uint32
	err       error
	stopped   bool
	backlog   []*rmc.Message // requests waiting for a worker
	backHead  int
	backBytes int
	paused    bool         // the wire was asked to hold messages
	sendq     []queuedSend // messages waiting for room, in order (sendAsync)
	waiting   int          // messages in sendq or being sent from it
	draining  bool         // a goroutine is sending sendq
	workers   int          // running workers
	idle      int          // workers waiting for a request, unclaimed
	expiry    *time.Timer
	expiryAt  time.Time
}

type pendingCall struct {
	protocol uint16
	method   uint32
	ch       chan *rmc.Message         // Call waits here
	fn       func(*rmc.Message, error) // CallAsync: runs where the answer arrives
	deadline time.Time                 // CallAsync
}

// New wraps w. serve, when not nil, receives every incoming request on
// a worker goroutine (at most maxInflight at once); the request message
// must be answered with Respond unless its protocol is one-way.
func New(w Wire, log *zap.Logger, serve func(ctx context.Context, m *rmc.Message)) *Peer {
	if log == nil {
		log = zap.NewNop()
	}
	return &Peer{wire: w, log: log, serve: serve}
}

// SetConn names the session the peer belongs to in its log lines, so
// that a server's peers need no child logger each (an encoder clone per
// idle connection). Call before the peer starts.
func (p *Peer) SetConn(id string) { p.conn = id }

// SetFast installs fn to see every incoming request first, on the
// goroutine that received it: it returns true when it took the request
// (answered it, or sent it on, without blocking), false to leave it to a
// worker. It lets a proxy forward a call with no goroutine waiting for
// the answer. Call before the peer starts.
func (p *Peer) SetFast(fn func(m *rmc.Message) bool) { p.fast = fn }

// closedChan is Done's channel of a peer that stopped before anyone
// asked for it.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// SetTracer installs fn to observe every message sent ("send") and
// received ("recv"); used for session logs. Call before Run.
func (p *Peer) SetTracer(fn func(dir string, m *rmc.Message)) { p.tracer = fn }

// Done is closed when the peer stopped reading (connection gone).
func (p *Peer) Done() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.doneLocked()
}

func (p *Peer) doneLocked() chan struct{} {
	if p.done == nil {
		p.done = make(chan struct{})
	}
	return p.done
}

// connField names the session in logs.
func (p *Peer) connField() zap.Field {
	if p.conn == "" {
		return zap.Skip()
	}
	return zap.String("conn", p.conn)
}

// Err returns why the peer stopped, once Done is closed.
func (p *Peer) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Run reads messages until the connection fails or ctx ends, then fails
// every pending call and waits for the request goroutines it started.
func (p *Peer) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	more := make(chan struct{}, 1)
	p.start(ctx, func() {
		select {
		case more <- struct{}{}:
		default:
		}
	})
	err := p.readLoop(ctx, more)
	p.stop(err)
	p.Wait()
	return err
}

// start sets the context the workers' derives from and how the workers
// let a paused wire deliver again. Call it before the first message.
func (p *Peer) start(parent context.Context, resume func()) {
	p.parent, p.resume = parent, resume
}

func (p *Peer) readLoop(ctx context.Context, more <-chan struct{}) error {
	for {
		b, err := p.wire.Recv(ctx)
		if err != nil {
			return err
		}
		if p.deliver(b) {
			continue
		}
		select {
		case <-more:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// deliver takes one received message. It reports false when the wire
// should hold further messages until resume (the workers are behind).
func (p *Peer) deliver(b []byte) bool {
	m, err := rmc.Parse(b)
	if err != nil {
		// Hostile or garbled input costs the message, not the connection.
		p.log.Warn("drop malformed rmc message", p.connField(), zap.Int("bytes", len(b)), zap.Error(err))
		return true
	}
	if m.Request {
		if p.tracer != nil {
			p.tracer("recv", m)
		}
		if p.serve == nil {
			return true
		}
		if p.fast != nil {
			// Counted in wg like a worker, so that the session's end waits
			// for what the fast path records.
			if !p.enter() {
				return true
			}
			handled := p.fast(m)
			p.wg.Done()
			if handled {
				return true
			}
		}
		return p.enqueue(m)
	}
	p.mu.Lock()
	pc, ok := p.pending[m.CallID]
	delete(p.pending, m.CallID)
	if ok {
		p.wg.Add(1) // pending is empty once stopped: wait has not begun
	}
	p.mu.Unlock()
	if !ok {
		p.log.Debug("drop response to unknown call", p.connField(), zap.Uint32("call_id", m.CallID))
		return true
	}
	if !m.Success {
		// Error responses carry no method id; restore it for logs and hooks.
		m.Method = pc.method
	}
	if p.tracer != nil {
		p.tracer("recv", m)
	}
	if pc.fn != nil {
		pc.fn(m, nil)
	} else {
		pc.ch <- m
	}
	p.wg.Done()
	return true
}

// enter counts a callback of the read path in wg unless the peer stopped.
func (p *Peer) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return false
	}
	p.wg.Add(1)
	return true
}

// enqueue hands a request to an idle worker, or a new one while fewer
// than maxInflight run; beyond that it waits in the backlog for the first
// worker done.
func (p *Peer) enqueue(m *rmc.Message) bool {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return true
	}
	p.backlog = append(p.backlog, m)
	p.backBytes += len(m.Body)
	var ctx context.Context
	var done chan struct{}
	switch {
	case p.idle > 0:
		p.idle--
		p.wake <- struct{}{} // never blocks: one slot per worker
	case p.workers < maxInflight:
		if p.wake == nil {
			p.wake = make(chan struct{}, maxInflight)
			parent := p.parent
			if parent == nil {
				parent = context.Background()
			}
			p.ctx, p.cancel = context.WithCancel(parent)
		}
		p.workers++
		p.wg.Add(1)
		ctx, done = p.ctx, p.doneLocked()
	}
	more := len(p.backlog)-p.backHead < maxBacklog && p.backBytes < maxBacklogBytes
	if !more {
		p.paused = true
	}
	p.mu.Unlock()
	if done != nil {
		go p.worker(ctx, done)
	}
	return more
}

// workerLinger is how long a request goroutine waits for the next request
// before it ends: a busy connection reuses it (and its grown stack)
// instead of starting a goroutine per request, an idle one keeps none.
const workerLinger = time.Second

// worker serves requests from the backlog until none came for
// workerLinger. p.wake is set before the first worker starts.
func (p *Peer) worker(ctx context.Context, done <-chan struct{}) {
	defer p.wg.Done()
	var linger *time.Timer
	for {
		if m := p.take(); m != nil {
			p.serve(ctx, m)
			continue
		}
		if linger == nil {
			linger = time.NewTimer(workerLinger)
		} else {
			linger.Reset(workerLinger)
		}
		select {
		case <-p.wake:
			continue
		case <-done:
			linger.Stop()
			return
		case <-linger.C:
		}
		p.mu.Lock()
		select {
		case <-p.wake: // claimed meanwhile
			p.mu.Unlock()
			continue
		default:
		}
		p.idle--
		p.workers--
		p.mu.Unlock()
		return
	}
}

// take pops the next request, or counts the caller as idle and returns
// nil. It resumes a paused wire once the backlog has room again.
func (p *Peer) take() *rmc.Message {
	p.mu.Lock()
	if p.stopped || p.backHead == len(p.backlog) {
		if !p.stopped {
			p.idle++
		}
		p.mu.Unlock()
		return nil
	}
	m := p.backlog[p.backHead]
	p.backlog[p.backHead] = nil
	p.backHead++
	p.backBytes -= len(m.Body)
	if p.backHead == len(p.backlog) {
		p.backlog, p.backHead = p.backlog[:0], 0
	}
	resume := p.paused && len(p.backlog)-p.backHead <= maxBacklog/2 && p.backBytes <= maxBacklogBytes/2
	if resume {
		p.paused = false
	}
	p.mu.Unlock()
	if resume && p.resume != nil {
		p.resume()
	}
	return m
}

// stop ends the peer: its context, every pending call (with
// rpc.ErrUpstreamGone) and the workers' wait for requests. It runs once.
func (p *Peer) stop(err error) {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	p.err = err
	pend := p.pending
	p.pending = nil
	clear(p.backlog)
	p.backlog, p.backHead, p.backBytes = nil, 0, 0
	if p.expiry != nil {
		p.expiry.Stop()
	}
	cancel := p.cancel
	if p.done == nil {
		p.done = closedChan
	} else {
		close(p.done)
	}
	p.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	for _, pc := range pend {
		if pc.fn != nil {
			pc.fn(nil, rpc.ErrUpstreamGone)
		} else {
			close(pc.ch)
		}
	}
}

// Wait waits, once the peer stopped (Done), for its workers and
// background sends: after it nothing of the peer runs. Run waits by
// itself; a peer started with StartPush is waited for by its owner.
func (p *Peer) Wait() { p.wg.Wait() }

// addPendingLocked registers a call under a fresh id; false once the
// peer stopped.
func (p *Peer) addPendingLocked(pc pendingCall) (uint32, bool) {
	if p.stopped {
		return 0, false
	}
	if p.pending == nil {
		p.pending = make(map[uint32]pendingCall)
	}
	p.nextID++
	p.pending[p.nextID] = pc
	return p.nextID, true
}

// Call sends a request with a fresh call id of this peer and waits for the
// response. An error response is returned as a message, not as an error.
func (p *Peer) Call(ctx context.Context, protocol uint16, method uint32, body []byte) (*rmc.Message, error) {
	pc := pendingCall{protocol: protocol, method: method, ch: make(chan *rmc.Message, 1)}
	p.mu.Lock()
	id, ok := p.addPendingLocked(pc)
	p.mu.Unlock()
	if !ok {
		return nil, rpc.ErrUpstreamGone
	}
	if err := p.send(ctx, rmc.NewRequest(protocol, method, id, body)); err != nil {
		p.forget(id)
		return nil, fmt.Errorf("peer: send call %d: %w", id, err)
	}
	select {
	case m, ok := <-pc.ch:
		if !ok {
			return nil, rpc.ErrUpstreamGone
		}
		return m, nil
	case <-ctx.Done():
		p.forget(id)
		return nil, ctx.Err()
	}
}

// Notify sends a one-way request (protocols 14, 100, 27) that gets no
// response.
func (p *Peer) Notify(ctx context.Context, protocol uint16, method uint32, body []byte) error {
	m := p.newRequest(protocol, method, body)
	return p.send(ctx, &m)
}

// newRequest is a request with a fresh call id, for a one-way protocol.
func (p *Peer) newRequest(protocol uint16, method uint32, body []byte) rmc.Message {
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	p.mu.Unlock()
	return *rmc.NewRequest(protocol, method, id, body)
}

// Respond answers request req with r.
func (p *Peer) Respond(ctx context.Context, req *rmc.Message, r *rpc.Reply) error {
	m := response(req, r)
	return p.send(ctx, &m)
}

// response is the message that answers req with r.
func response(req *rmc.Message, r *rpc.Reply) rmc.Message {
	if r.Error != 0 {
		return *rmc.NewError(req.Protocol, req.Method, req.CallID, r.Error)
	}
	return *rmc.NewResponse(req.Protocol, req.Method, req.CallID, r.Body)
}

// ReplyOf is the Reply a response message carries: what a call forwarded
// with Call or CallAsync answers to the caller of the original.
func ReplyOf(m *rmc.Message) *rpc.Reply {
	if !m.Success {
		return &rpc.Reply{Error: m.Error}
	}
	return &rpc.Reply{Body: m.Body}
}

func (p *Peer) send(ctx context.Context, m *rmc.Message) error {
	if p.tracer != nil {
		p.tracer("send", m)
	}
	return p.wire.Send(ctx, m.Encode())
}

func (p *Peer) forget(id uint32) {
	p.mu.Lock()
	delete(p.pending, id)
	p.mu.Unlock()
}

// Close disconnects the connection; Run then returns.
func (p *Peer) Close() error { return p.wire.Close() }
