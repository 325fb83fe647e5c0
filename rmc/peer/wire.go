package peer

import (
	"context"
	"errors"
	"sync"

	"github.com/nexproxy/nexproxy/prudp"
)

// Wire moves whole RMC messages over one connection. A prudp.Conn is
// adapted to it (PRUDPWire); tests and in-process links use Pipe.
type Wire interface {
	// Send transmits one message reliably.
	Send(ctx context.Context, msg []byte) error
	// Recv returns the next message; an error ends the peer.
	Recv(ctx context.Context) ([]byte, error)
	// Close disconnects.
	Close() error
}

// trySender is a Wire that can also send without waiting (prudp), so that
// a peer answers from the goroutine that received a message.
type trySender interface {
	// TrySend sends like Send or fails at once (errWouldBlock) instead
	// of waiting. It keeps nothing of msg once it returns.
	TrySend(msg []byte) error
}

// PRUDPWire adapts a prudp connection to Wire: RMC travels on reliable
// substream 0. It can send without waiting, which the asynchronous
// sends (CallAsync, RespondAsync) rely on to answer from the goroutine
// that received a message.
func PRUDPWire(c *prudp.Conn) Wire { return prudpWire{c} }

type prudpWire struct{ c *prudp.Conn }

func (w prudpWire) Send(ctx context.Context, msg []byte) error { return w.c.Send(ctx, 0, msg) }

func (w prudpWire) TrySend(msg []byte) error { return w.c.TrySend(0, msg) }

func (w prudpWire) Recv(ctx context.Context) ([]byte, error) {
	for {
		m, err := w.c.Recv(ctx)
		if err != nil {
			return nil, err
		}
		if len(m.Data) > 0 {
			return m.Data, nil
		}
	}
}

func (w prudpWire) Close() error { return w.c.Close() }

// ErrPipeClosed is what both ends of a Pipe return once either closed.
var ErrPipeClosed = errors.New("peer: pipe closed")

// Pipe returns the two ends of an in-memory wire: what one end sends the
// other receives, up to 16 messages buffered each way. Closing either
// end closes both.
func Pipe() (Wire, Wire) {
	a, b := make(chan []byte, 16), make(chan []byte, 16)
	once, done := &sync.Once{}, make(chan struct{})
	return &pipeWire{in: a, out: b, once: once, done: done}, &pipeWire{in: b, out: a, once: once, done: done}
}

// pipeWire is one end of a Pipe.
type pipeWire struct {
	in, out chan []byte
	once    *sync.Once
	done    chan struct{}
}

func (p *pipeWire) Send(ctx context.Context, m []byte) error {
	select {
	case p.out <- append([]byte(nil), m...):
		return nil
	case <-p.done:
		return ErrPipeClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *pipeWire) Recv(ctx context.Context) ([]byte, error) {
	select {
	case m := <-p.in:
		return m, nil
	case <-p.done:
		return nil, ErrPipeClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *pipeWire) Close() error { p.once.Do(func() { close(p.done) }); return nil }
