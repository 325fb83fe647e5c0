package prudp

import (
	"bytes"
	"errors"
)

// ErrReplaced is the cause in the Err of a listener's connection that a
// new connection from the same address and virtual port replaced: the
// peer restarted and connected again before the old connection timed out.
var ErrReplaced = errors.New("prudp: replaced by a new connection from the same address")

// isRetransmittedConnect reports whether a CONNECT from c's address and
// virtual port repeats the one that opened c (its reply was lost): same
// session id, connection signature, unreliable base (v1) and payload. A
// restarted client draws a new session id and, for a secure connection, a
// new ticket and check value; NintendoClients derives the connection
// signature from the address, so it does not tell them apart. A Lite
// CONNECT carries none of these but the payload: a restarted Switch opens
// a new WebSocket (a new address), and the old one's close ends its
// connections (ErrPeerClosed).
func (c *Conn) isRetransmittedConnect(p *Packet) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !bytes.Equal(p.Payload, c.connectPayload) {
		return false
	}
	switch c.settings.Variant {
	case Lite:
		return true
	case V1:
		if p.UnreliableStart != c.unrelStart {
			return false
		}
	}
	return p.SessionID == c.peerSession && bytes.Equal(p.ConnSignature, c.sigRecv)
}

// replacedLocked ends a connection whose place a new one from the same
// peer took. Nothing is sent: the address now belongs to the new
// connection, which a DISCONNECT of the old one could only confuse.
func (c *Conn) replacedLocked() {
	c.closeLocked(ErrReplaced)
	c.debug("prudp: replaced by a new connection from the same address")
}
