package proxy

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/rmc"
)

// Wire moves whole RMC messages over one connection. A prudp.Conn is
// adapted to it (substream 0); tests use in-memory pipes.
type Wire interface {
	// Send transmits one message reliably.
	Send(ctx context.Context, msg []byte) error
	// Recv returns the next message; an error ends the peer.
	Recv(ctx context.Context) ([]byte, error)
	// Close disconnects.
	Close() error
}

// maxInflight bounds the requests one peer serves at the same time, so a
// console cannot make nexproxy spawn unbounded goroutines.
const maxInflight = 64

// Peer is an RMC endpoint over one connection: it numbers its own calls,
// matches responses to them and serves the peer's requests with a Handler.
type Peer struct {
	wire    Wire
	log     *zap.Logger
	serve   func(ctx context.Context, m *rmc.Message) // request dispatcher
	tracer  func(dir string, m *rmc.Message)          // optional, sees every message
	sem     chan struct{}
	work    chan *rmc.Message // hands a request to an idle worker
	wg      sync.WaitGroup
	done    chan struct{}
	mu      sync.Mutex
	nextID  uint32
	pending map[uint32]*pendingCall
	err     error
}

type pendingCall struct {
	protocol uint16
	method   uint32
	ch       chan *rmc.Message
}

// NewPeer wraps w. serve, when not nil, receives every incoming request on
// its own goroutine (at most maxInflight at once); the request message must
// be answered with Respond unless its protocol is one-way.
func NewPeer(w Wire, log *zap.Logger, serve func(ctx context.Context, m *rmc.Message)) *Peer {
	if log == nil {
		log = zap.NewNop()
	}
	return &Peer{
		wire:    w,
		log:     log,
		serve:   serve,
		sem:     make(chan struct{}, maxInflight),
		work:    make(chan *rmc.Message),
		done:    make(chan struct{}),
		pending: make(map[uint32]*pendingCall),
	}
}

// SetTracer installs fn to observe every message sent ("send") and
// received ("recv"); used for session logs. Call before Run.
func (p *Peer) SetTracer(fn func(dir string, m *rmc.Message)) { p.tracer = fn }

// Done is closed when the peer stopped reading (connection gone).
func (p *Peer) Done() <-chan struct{} { return p.done }

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
	err := p.readLoop(ctx)
	cancel()
	p.mu.Lock()
	p.err = err
	pend := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, pc := range pend {
		close(pc.ch)
	}
	close(p.done)
	p.wg.Wait()
	return err
}

func (p *Peer) readLoop(ctx context.Context) error {
	for {
		b, err := p.wire.Recv(ctx)
		if err != nil {
			return err
		}
		m, err := rmc.Parse(b)
		if err != nil {
			// Hostile or garbled input costs the message, not the connection.
			p.log.Warn("drop malformed rmc message", zap.Int("bytes", len(b)), zap.Error(err))
			continue
		}
		if m.Request {
			if p.tracer != nil {
				p.tracer("recv", m)
			}
			if p.serve == nil {
				continue
			}
			select {
			case p.work <- m: // an idle worker takes it
				continue
			default:
			}
			select {
			case p.sem <- struct{}{}:
			case p.work <- m: // a worker became idle meanwhile
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
			p.wg.Add(1)
			go p.worker(ctx, m)
			continue
		}
		p.mu.Lock()
		pc := p.pending[m.CallID]
		delete(p.pending, m.CallID)
		p.mu.Unlock()
		if pc == nil {
			p.log.Debug("drop response to unknown call", zap.Uint32("call_id", m.CallID))
			continue
		}
		if !m.Success {
			// Error responses carry no method id; restore it for logs and hooks.
			m.Method = pc.method
		}
		if p.tracer != nil {
			p.tracer("recv", m)
		}
		pc.ch <- m
	}
}

// workerLinger is how long a request goroutine waits for the next request
// before it ends: a busy connection reuses it (and its grown stack)
// instead of starting a goroutine per request, an idle one keeps none.
const workerLinger = time.Second

// worker serves m, then the requests handed to it while it lingers.
func (p *Peer) worker(ctx context.Context, m *rmc.Message) {
	defer p.wg.Done()
	defer func() { <-p.sem }()
	var idle *time.Timer
	for {
		p.serve(ctx, m)
		if idle == nil {
			idle = time.NewTimer(workerLinger)
		} else {
			idle.Reset(workerLinger)
		}
		select {
		case m = <-p.work:
		case <-idle.C:
			return
		case <-ctx.Done():
			idle.Stop()
			return
		}
	}
}

// Call sends a request with a fresh call id of this peer and waits for the
// response. An error response is returned as a message, not as an error.
func (p *Peer) Call(ctx context.Context, protocol uint16, method uint32, body []byte) (*rmc.Message, error) {
	pc := &pendingCall{protocol: protocol, method: method, ch: make(chan *rmc.Message, 1)}
	p.mu.Lock()
	if p.pending == nil {
		p.mu.Unlock()
		return nil, ErrUpstreamGone
	}
	p.nextID++
	id := p.nextID
	p.pending[id] = pc
	p.mu.Unlock()
	if err := p.send(ctx, rmc.NewRequest(protocol, method, id, body)); err != nil {
		p.forget(id)
		return nil, fmt.Errorf("proxy: send call %d: %w", id, err)
	}
	select {
	case m, ok := <-pc.ch:
		if !ok {
			return nil, ErrUpstreamGone
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
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	p.mu.Unlock()
	return p.send(ctx, rmc.NewRequest(protocol, method, id, body))
}

// Respond answers request req with r.
func (p *Peer) Respond(ctx context.Context, req *rmc.Message, r *Reply) error {
	var m *rmc.Message
	if r.Error != 0 {
		m = rmc.NewError(req.Protocol, req.Method, req.CallID, r.Error)
	} else {
		m = rmc.NewResponse(req.Protocol, req.Method, req.CallID, r.Body)
	}
	return p.send(ctx, m)
}

func (p *Peer) send(ctx context.Context, m *rmc.Message) error {
	if p.tracer != nil {
		p.tracer("send", m)
	}
	return p.wire.Send(ctx, m.Encode())
}

func (p *Peer) forget(id uint32) {
	p.mu.Lock()
	if p.pending != nil {
		delete(p.pending, id)
	}
	p.mu.Unlock()
}

// Close disconnects the connection; Run then returns.
func (p *Peer) Close() error { return p.wire.Close() }

// errPeerClosed is what in-memory wires return after Close.
var errPeerClosed = errors.New("proxy: wire closed")
