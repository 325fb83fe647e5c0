package prudp

import (
	"errors"
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/ipv4"
)

// A listener's UDP socket serves many consoles at once, so several
// goroutines often want to write to it together (the read goroutine's
// acknowledgements, the handlers' answers, the timers' resends). udpBatch
// lets the first of them write at once, alone, with one sendto: a lone
// packet never waits. Packets that come while it is in its system call are
// copied into a queue and leave together, with one sendmmsg, when its call
// returns. Receives likewise take every datagram waiting, up to a batch,
// with one recvmmsg. On systems without the batch calls x/net falls back
// to one call per datagram.

// udpBatchMax is the most datagrams one sendmmsg or recvmmsg moves.
const udpBatchMax = 32

// udpQueueMax bounds the datagrams waiting for the writer; a writer that
// finds the queue full writes its datagram itself.
const udpQueueMax = 1024

// udpDrainRounds is how many batches a writer sends for others before it
// hands the queue to a goroutine of its own: the writer usually holds its
// connection's lock, and must not serve a busy socket for long.
const udpDrainRounds = 4

// udpBatch is the batching state of one UDP socket.
type udpBatch struct {
	pc *ipv4.PacketConn // works for IPv6 peers too: only the payload path is used

	mu     sync.Mutex
	busy   bool           // a writer is sending: others queue
	queue  []ipv4.Message // slots; the first nq wait to be sent
	nq     int
	out    []ipv4.Message // the slots the writer is sending
	closed bool
	stats  udpBatchStats
	drains sync.WaitGroup // drain goroutines, waited for by Close

	// Receive side, owned by the read goroutine.
	in         []ipv4.Message
	next, have int
}

// udpBatchStats count how datagrams left: written at once by their own
// writer (direct), queued for another, and the batches that carried the
// queued ones.
type udpBatchStats struct {
	direct, queued, batches int
}

func newUDPBatch(c *net.UDPConn, readSlot int) *udpBatch {
	b := &udpBatch{pc: ipv4.NewPacketConn(c)}
	if readSlot > 0 {
		b.in = make([]ipv4.Message, udpBatchMax)
		for i := range b.in {
			b.in[i].Buffers = [][]byte{make([]byte, readSlot)}
		}
	}
	return b
}

// write sends p to to: at once when no other write is under way,
// otherwise queued for the writer under way (p is copied).
func (b *udpBatch) write(c *net.UDPConn, p []byte, to netip.AddrPort) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return net.ErrClosed
	}
	if b.busy {
		if b.nq < udpQueueMax {
			b.enqueueLocked(p, to)
			b.stats.queued++
			b.mu.Unlock()
			return nil
		}
		// Queue full: write alongside the writer (sockets allow it).
		b.mu.Unlock()
		_, err := c.WriteToUDPAddrPort(p, to)
		return err
	}
	b.busy = true
	b.stats.direct++
	b.mu.Unlock()
	_, err := c.WriteToUDPAddrPort(p, to)
	b.drain(c, udpDrainRounds)
	return err
}

// enqueueLocked copies p into the next queue slot, reusing its buffers.
func (b *udpBatch) enqueueLocked(p []byte, to netip.AddrPort) {
	if b.nq == len(b.queue) {
		b.queue = append(b.queue, ipv4.Message{Buffers: make([][]byte, 1), Addr: &net.UDPAddr{}})
	}
	m := &b.queue[b.nq]
	b.nq++
	m.Buffers[0] = append(m.Buffers[0][:0], p...)
	ua := m.Addr.(*net.UDPAddr)
	if a := to.Addr(); a.Is4() {
		a4 := a.As4()
		ua.IP = append(ua.IP[:0], a4[:]...)
	} else {
		a16 := a.As16()
		ua.IP = append(ua.IP[:0], a16[:]...)
	}
	ua.Port = int(to.Port())
}

// drain sends what others queued, batch by batch, until the queue is
// empty (then the socket is free again) or rounds batches were sent (then
// a goroutine of its own takes over).
func (b *udpBatch) drain(c *net.UDPConn, rounds int) {
	for r := 0; ; r++ {
		b.mu.Lock()
		n := b.nq
		if n == 0 || b.closed {
			b.nq = 0
			b.busy = false
			b.mu.Unlock()
			return
		}
		if r == rounds {
			b.drains.Add(1)
			b.mu.Unlock()
			go func() {
				defer b.drains.Done()
				b.drain(c, -1)
			}()
			return
		}
		b.queue, b.out = b.out, b.queue
		b.nq = 0
		b.stats.batches++
		b.mu.Unlock()
		b.send(c, b.out[:n])
	}
}

// send writes ms with as few system calls as the platform allows. A
// datagram the system refuses is skipped (UDP loses datagrams anyway:
// PRUDP resends).
func (b *udpBatch) send(c *net.UDPConn, ms []ipv4.Message) {
	if len(ms) == 1 {
		ua := ms[0].Addr.(*net.UDPAddr)
		_, _ = c.WriteToUDP(ms[0].Buffers[0], ua)
		return
	}
	for len(ms) > 0 {
		k, err := b.pc.WriteBatch(ms[:min(len(ms), udpBatchMax)], 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			k++ // skip the refused datagram
		}
		ms = ms[min(len(ms), max(k, 1)):]
	}
}

// read returns the next received datagram, copied into p, from the
// current batch or a new one.
func (b *udpBatch) read(p []byte) (int, netip.AddrPort, error) {
	if b.next >= b.have {
		n, err := b.pc.ReadBatch(b.in, 0)
		if err != nil {
			return 0, netip.AddrPort{}, err
		}
		b.next, b.have = 0, n
	}
	m := &b.in[b.next]
	b.next++
	n := copy(p, m.Buffers[0][:m.N])
	ua, ok := m.Addr.(*net.UDPAddr)
	if !ok {
		return 0, netip.AddrPort{}, errors.New("prudp: datagram without a UDP source address")
	}
	ap := ua.AddrPort()
	return n, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// close stops queueing and waits for a drain goroutine (the socket is
// being closed: its sends fail fast).
func (b *udpBatch) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.drains.Wait()
}
