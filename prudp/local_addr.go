package prudp

import "net/netip"

// peerLocalAddr is implemented by carriers whose local address depends on
// the peer: a WebSocket server's connections each have their own TCP
// local address, concrete even when the server listens on every
// interface.
type peerLocalAddr interface {
	localAddrFor(peer netip.AddrPort) (netip.AddrPort, bool)
}

// LocalAddrPort is this side's address on the carrier: the listener's
// socket address (for a WebSocket, the TCP connection's local address) or
// the dialled socket's, so that captures can show the real port. A UDP
// socket bound to every interface reports the unspecified address with
// its port; the zero AddrPort means the carrier has no address of that
// form.
func (c *Conn) LocalAddrPort() netip.AddrPort {
	if pl, ok := c.carrier.(peerLocalAddr); ok {
		if ap, ok := pl.localAddrFor(c.remote); ok {
			return ap
		}
	}
	ap, err := addrPortOf(c.carrier.LocalAddr())
	if err != nil {
		return netip.AddrPort{}
	}
	return ap
}
