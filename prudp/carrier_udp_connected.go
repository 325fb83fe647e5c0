package prudp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// connectedUDP is the UDP socket of a dialled connection, connected to its
// one peer: the kernel looks the route up once, at connect, instead of on
// every sendto, and drops datagrams from anyone else before they wake the
// read goroutine. A proxy sends half of its datagrams on such sockets (its
// upstream legs), so this is a per-call saving.
type connectedUDP struct {
	c    *net.UDPConn
	peer netip.AddrPort
}

// dialUDPCarrier opens a UDP socket connected to ra.
func dialUDPCarrier(network string, ra *net.UDPAddr) (*connectedUDP, netip.AddrPort, error) {
	c, err := net.DialUDP(network, nil, ra)
	if err != nil {
		return nil, netip.AddrPort{}, err
	}
	rap := ra.AddrPort()
	peer := netip.AddrPortFrom(rap.Addr().Unmap(), rap.Port())
	return &connectedUDP{c: c, peer: peer}, peer, nil
}

func (u *connectedUDP) ReadFrom(p []byte) (int, netip.AddrPort, error) {
	n, err := u.c.Read(p)
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return 0, u.peer, ErrCarrierClosed
		}
		// An ICMP error the connected socket reports (the peer's port is
		// closed, for now): like a lost datagram, resends cover it.
		return 0, u.peer, err
	}
	return n, u.peer, nil
}

func (u *connectedUDP) WriteTo(p []byte, to netip.AddrPort) error {
	if to != u.peer {
		return fmt.Errorf("prudp: write to %s on a socket connected to %s", to, u.peer)
	}
	_, err := u.c.Write(p)
	return err
}

func (u *connectedUDP) Close() error { return u.c.Close() }

func (u *connectedUDP) LocalAddr() net.Addr { return u.c.LocalAddr() }
