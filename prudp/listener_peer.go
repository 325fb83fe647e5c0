package prudp

import (
	"net/netip"

	"go.uber.org/zap"
)

// peerClosed ends every connection with a peer whose carrier stream
// closed (a console's WebSocket): nothing can reach it any more, so
// waiting for the ping timeout would only keep the connection, and the
// proxy's other leg, alive for nothing.
func (l *Listener) peerClosed(addr netip.AddrPort, cause error) {
	var gone []*Conn
	l.mu.Lock()
	for k, c := range l.conns {
		if k.addr == addr {
			gone = append(gone, c)
		}
	}
	l.mu.Unlock()
	if ce := l.log.Check(zap.DebugLevel, "prudp: peer closed"); ce != nil {
		ce.Write(zap.Stringer("peer", addr), zap.Int("connections", len(gone)), zap.Error(cause))
	}
	// closeLocked removes each from the map, under its own lock, which
	// must not be taken under l.mu.
	for _, c := range gone {
		c.mu.Lock()
		c.closeLocked(cause)
		c.mu.Unlock()
	}
}
