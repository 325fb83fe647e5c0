package prudp

import (
	"errors"
	"net"
	"net/netip"
)

// udpCarrier is a UDP socket. It reads through ReadFromUDPAddrPort so that
// the hot path allocates nothing per datagram.
type udpCarrier struct {
	c *net.UDPConn
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
	_, err := u.c.WriteToUDPAddrPort(p, to)
	return err
}

func (u *udpCarrier) Close() error        { return u.c.Close() }
func (u *udpCarrier) LocalAddr() net.Addr { return u.c.LocalAddr() }
