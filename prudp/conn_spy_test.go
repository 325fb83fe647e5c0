package prudp

import (
	"net"
	"net/netip"
	"sync"
)

// spyCarrier records every datagram written through it.
type spyCarrier struct {
	Carrier
	mu      sync.Mutex
	written [][]byte
}

func (s *spyCarrier) WriteTo(p []byte, to netip.AddrPort) error {
	s.mu.Lock()
	s.written = append(s.written, append([]byte(nil), p...))
	s.mu.Unlock()
	return s.Carrier.WriteTo(p, to)
}

func (s *spyCarrier) LocalAddr() net.Addr { return s.Carrier.LocalAddr() }

// packets decodes everything written so far with codec.
func (s *spyCarrier) packets(codec Codec) []Packet {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Packet
	for _, d := range s.written {
		for len(d) > 0 {
			p, n, err := codec.Decode(d)
			if err != nil {
				break
			}
			out = append(out, p)
			d = d[n:]
		}
	}
	return out
}

// raw returns the datagrams written so far.
func (s *spyCarrier) raw() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.written...)
}
