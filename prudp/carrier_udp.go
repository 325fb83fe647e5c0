package prudp

import (
	"errors"
	"net"
	"net/netip"
	"strings"
)

// udpCarrier is a UDP socket. It reads through ReadFromUDPAddrPort so that
// the hot path allocates nothing per datagram. A listener's socket batches
// its writes and reads (carrier_udp_batch.go).
type udpCarrier struct {
	c     *net.UDPConn
	batch *udpBatch // nil: one system call per datagram

	batchWrites bool
}

// udpBatching says which directions a listener's UDP socket batches: "w"
// (sendmmsg), "r" (recvmmsg), both or neither. A variable so that a
// benchmark build can compare them (go build -ldflags
// "-X github.com/nexproxy/nexproxy/prudp.udpBatching=rw"). Reads are not
// batched by default: x/net allocates a source address per datagram, and
// `nexproxy bench` showed no gain from recvmmsg that stood out of the
// noise, while the single read allocates nothing.
var udpBatching = "w"

// enableBatching turns on batched writes and reads, as udpBatching says,
// with read slots of readSlot bytes (the largest datagram the listener's
// games expect). Called before the first read.
func (u *udpCarrier) enableBatching(readSlot int) {
	w, r := strings.Contains(udpBatching, "w"), strings.Contains(udpBatching, "r")
	if !w && !r {
		return
	}
	if !r {
		readSlot = 0
	}
	u.batch = newUDPBatch(u.c, readSlot)
	u.batchWrites = w
}

// NewUDPCarrier wraps an open UDP socket as a Carrier; Close closes it.
func NewUDPCarrier(c *net.UDPConn) Carrier { return &udpCarrier{c: c} }

// ListenUDP opens a UDP socket on addr ("host:port", port 0 = any) as a
// Carrier.
func ListenUDP(addr string) (Carrier, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, err
	}
	c, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, err
	}
	_ = c.SetReadBuffer(4 << 20)
	_ = c.SetWriteBuffer(4 << 20)
	return &udpCarrier{c: c}, nil
}

func (u *udpCarrier) ReadFrom(p []byte) (int, netip.AddrPort, error) {
	if u.batch != nil && u.batch.in != nil {
		n, ap, err := u.batch.read(p)
		if errors.Is(err, net.ErrClosed) {
			return 0, ap, ErrCarrierClosed
		}
		return n, ap, err
	}
	n, ap, err := u.c.ReadFromUDPAddrPort(p)
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return 0, ap, ErrCarrierClosed
		}
		return 0, ap, err
	}
	return n, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

func (u *udpCarrier) WriteTo(p []byte, to netip.AddrPort) error {
	if u.batchWrites {
		return u.batch.write(u.c, p, to)
	}
	_, err := u.c.WriteToUDPAddrPort(p, to)
	return err
}

func (u *udpCarrier) Close() error {
	err := u.c.Close()
	if u.batch != nil {
		u.batch.close()
	}
	return err
}

func (u *udpCarrier) LocalAddr() net.Addr { return u.c.LocalAddr() }
