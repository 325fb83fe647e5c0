package prudp

import (
	"errors"
	"net"
	"net/netip"
)

// Carrier moves whole datagrams between this host and peers named by
// address. UDP is the natural carrier; the WebSocket carrier frames PRUDPLite
// packets over one WebSocket per peer; the in-memory carrier simulates a lossy
// network for tests. Addresses are netip.AddrPort (IPv4 unmapped) because the
// connection signature is computed over them and a listener keys its
// connections by them.
//
// ReadFrom is called from one goroutine only; WriteTo may be called
// concurrently. Close unblocks a pending ReadFrom with an error.
//
// A carrier with one stream per peer (WebSocket) reports the end of a
// peer's stream as a ReadFrom error matching ErrPeerClosed, with from
// naming the peer: the connections with that peer end at once instead of
// by ping timeout. Datagram carriers never return it.
type Carrier interface {
	// ReadFrom reads the next datagram into p. A datagram longer than p is
	// truncated (the codec then rejects it). An error matching
	// ErrPeerClosed concerns the peer at from only; the carrier stays open.
	ReadFrom(p []byte) (n int, from netip.AddrPort, err error)
	// WriteTo sends p as one datagram to the peer.
	WriteTo(p []byte, to netip.AddrPort) error
	// Close releases the carrier.
	Close() error
	// LocalAddr is the address peers send to.
	LocalAddr() net.Addr
}

// ErrCarrierClosed is returned by carriers after Close.
var ErrCarrierClosed = errors.New("prudp: carrier closed")

// isCarrierClosed reports whether a carrier error means the carrier, or
// the peer's stream on it, is closed for good: a read loop stops, and a
// connection whose write failed so can never reach its peer again.
func isCarrierClosed(err error) bool {
	return errors.Is(err, ErrCarrierClosed) || errors.Is(err, net.ErrClosed)
}

// ErrPeerClosed is matched by the ReadFrom error with which a carrier
// reports that it closed its stream to one peer (the peer's WebSocket
// closed or failed). It is also the cause in the Err of every connection
// with that peer.
var ErrPeerClosed = errors.New("prudp: carrier closed the peer's stream")

// maxDatagram is the largest datagram a carrier hands to the codec: a UDP
// datagram cannot exceed it and a Lite packet (12-byte header, 255 bytes of
// options, 65535 bytes of payload) fits in it.
const maxDatagram = 65535 + 12 + 255

// addrPortOf converts a net.Addr to the AddrPort a carrier uses.
func addrPortOf(a net.Addr) (netip.AddrPort, error) {
	switch v := a.(type) {
	case *net.UDPAddr:
		ap := v.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	case *net.TCPAddr:
		ap := v.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	case nil:
		return netip.AddrPort{}, errors.New("prudp: nil address")
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// addrPortAddr is a net.Addr for carriers without a native address type.
type addrPortAddr struct {
	network string
	ap      netip.AddrPort
}

func (a addrPortAddr) Network() string { return a.network }
func (a addrPortAddr) String() string  { return a.ap.String() }
