package prudp

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Impairment describes how an in-memory network mistreats datagrams. All
// probabilities are in [0, 1].
type Impairment struct {
	// Loss is the probability that a datagram is dropped.
	Loss float64
	// Duplicate is the probability that a datagram is delivered twice.
	Duplicate float64
	// Reorder is the probability that a datagram is held back by an extra
	// ReorderDelay, so that later ones overtake it.
	Reorder float64
	// Delay is the base one-way latency; Jitter adds a uniform random part.
	Delay, Jitter time.Duration
	// ReorderDelay is the extra hold of a reordered datagram (default 3×Delay
	// or 1 ms).
	ReorderDelay time.Duration
}

// MemNetwork is an in-memory datagram network for tests: endpoints send to
// each other by address through an optional Impairment driven by a seeded
// random source, so a failing run can be replayed. Delayed delivery uses
// time.AfterFunc, which makes it deterministic inside testing/synctest.
type MemNetwork struct {
	mu        sync.Mutex
	rng       *rand.Rand
	imp       Impairment
	endpoints map[netip.AddrPort]*memEndpoint
	nextPort  uint16
}

// memInboxLimit bounds queued datagrams per endpoint, like a socket buffer.
const memInboxLimit = 8192

// NewMemNetwork returns an empty network whose impairment decisions come
// from a PCG seeded with seed.
func NewMemNetwork(seed uint64, imp Impairment) *MemNetwork {
	return &MemNetwork{
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		imp:       imp,
		endpoints: map[netip.AddrPort]*memEndpoint{},
		nextPort:  40000,
	}
}

// SetImpairment changes the impairment for datagrams sent from now on.
func (n *MemNetwork) SetImpairment(imp Impairment) {
	n.mu.Lock()
	n.imp = imp
	n.mu.Unlock()
}

// Listen attaches an endpoint at addr ("ip:port"; port 0 picks a free one).
func (n *MemNetwork) Listen(addr string) (Carrier, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("prudp: mem listen %q: %w", addr, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if ap.Port() == 0 {
		for {
			n.nextPort++
			cand := netip.AddrPortFrom(ap.Addr(), n.nextPort)
			if _, used := n.endpoints[cand]; !used && n.nextPort != 0 {
				ap = cand
				break
			}
		}
	}
	if _, used := n.endpoints[ap]; used {
		return nil, fmt.Errorf("prudp: mem listen %s: address in use", ap)
	}
	e := &memEndpoint{net: n, addr: ap, wake: make(chan struct{}, 1), closed: make(chan struct{})}
	n.endpoints[ap] = e
	return e, nil
}

// Disconnect makes an endpoint silently unreachable (a vanished peer):
// datagrams to and from it are dropped, but it stays open.
func (n *MemNetwork) Disconnect(addr net.Addr) {
	ap, err := addrPortOf(addr)
	if err != nil {
		return
	}
	n.mu.Lock()
	if e := n.endpoints[ap]; e != nil {
		e.cut = true
	}
	n.mu.Unlock()
}

func (n *MemNetwork) send(from *memEndpoint, p []byte, to netip.AddrPort) {
	n.mu.Lock()
	dst := n.endpoints[to]
	if dst == nil || dst.cut || from.cut {
		n.mu.Unlock()
		return
	}
	imp := n.imp
	copies := 1
	if imp.Loss > 0 && n.rng.Float64() < imp.Loss {
		copies = 0
	} else if imp.Duplicate > 0 && n.rng.Float64() < imp.Duplicate {
		copies = 2
	}
	delays := make([]time.Duration, copies)
	for i := range delays {
		d := imp.Delay
		if imp.Jitter > 0 {
			d += time.Duration(n.rng.Int64N(int64(imp.Jitter)))
		}
		if imp.Reorder > 0 && n.rng.Float64() < imp.Reorder {
			extra := imp.ReorderDelay
			if extra == 0 {
				extra = max(3*imp.Delay, time.Millisecond)
			}
			d += extra
		}
		delays[i] = d
	}
	n.mu.Unlock()
	for _, d := range delays {
		b := append([]byte(nil), p...)
		if d <= 0 {
			dst.deliver(b, from.addr)
		} else {
			time.AfterFunc(d, func() { dst.deliver(b, from.addr) })
		}
	}
}

func (n *MemNetwork) remove(e *memEndpoint) {
	n.mu.Lock()
	if n.endpoints[e.addr] == e {
		delete(n.endpoints, e.addr)
	}
	n.mu.Unlock()
}

type memDatagram struct {
	data []byte
	from netip.AddrPort
}

type memEndpoint struct {
	net  *MemNetwork
	addr netip.AddrPort
	cut  bool // guarded by net.mu

	mu       sync.Mutex
	queue    []memDatagram
	wake     chan struct{}
	closed   chan struct{}
	isClosed bool
}

func (e *memEndpoint) deliver(b []byte, from netip.AddrPort) {
	e.mu.Lock()
	if e.isClosed || len(e.queue) >= memInboxLimit {
		e.mu.Unlock()
		return
	}
	e.queue = append(e.queue, memDatagram{b, from})
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *memEndpoint) ReadFrom(p []byte) (int, netip.AddrPort, error) {
	for {
		e.mu.Lock()
		if e.isClosed {
			e.mu.Unlock()
			return 0, netip.AddrPort{}, ErrCarrierClosed
		}
		if len(e.queue) > 0 {
			d := e.queue[0]
			e.queue[0] = memDatagram{}
			e.queue = e.queue[1:]
			e.mu.Unlock()
			return copy(p, d.data), d.from, nil
		}
		e.mu.Unlock()
		select {
		case <-e.wake:
		case <-e.closed:
		}
	}
}

func (e *memEndpoint) WriteTo(p []byte, to netip.AddrPort) error {
	e.mu.Lock()
	closed := e.isClosed
	e.mu.Unlock()
	if closed {
		return ErrCarrierClosed
	}
	e.net.send(e, p, to)
	return nil
}

func (e *memEndpoint) Close() error {
	e.mu.Lock()
	if e.isClosed {
		e.mu.Unlock()
		return nil
	}
	e.isClosed = true
	e.queue = nil
	close(e.closed)
	e.mu.Unlock()
	e.net.remove(e)
	return nil
}

func (e *memEndpoint) LocalAddr() net.Addr { return addrPortAddr{"mem", e.addr} }
