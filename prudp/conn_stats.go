package prudp

import (
	"sync/atomic"
	"time"
)

// Stats is a snapshot of one connection's counters.
type Stats struct {
	// Sent counts datagrams written (first transmissions, ACKs, pings).
	Sent uint64
	// Resent counts retransmissions.
	Resent uint64
	// Received counts packets that passed every check.
	Received uint64
	// Dropped counts packets rejected (signature, session id, state,
	// window) after they reached the connection.
	Dropped uint64
	// Duplicates counts reliable packets received again (re-acknowledged,
	// never delivered twice).
	Duplicates uint64
	// MessagesSent and MessagesReceived count whole messages.
	MessagesSent, MessagesReceived uint64
	// SRTT is the smoothed round trip (zero before the first sample).
	SRTT time.Duration
	// RTO is the current base retransmission timeout.
	RTO time.Duration
}

type connStats struct {
	sent, resent, received, dropped, duplicates atomic.Uint64
	msgSent, msgReceived                        atomic.Uint64
}

// ListenerStats is a snapshot of a Listener's counters.
type ListenerStats struct {
	// Datagrams counts datagrams read from the carrier.
	Datagrams uint64
	// Malformed counts packets the codec rejected (length, magic, options,
	// checksum) or that no configured game matched.
	Malformed uint64
	// BadSignature counts handshake packets whose signature (or echoed
	// connection signature) did not verify.
	BadSignature uint64
	// NoConnection counts packets for no known connection.
	NoConnection uint64
	// Refused counts CONNECTs turned away (MaxConns, backlog, callback).
	Refused uint64
	// SynReplies counts SYNs answered (stateless).
	SynReplies uint64
	// UnservedPort counts SYNs and CONNECTs to a virtual port the
	// listener does not serve (ListenConfig.Serves).
	UnservedPort uint64
	// Accepted counts connections established.
	Accepted uint64
	// Active is the number of live connections.
	Active int
}

type listenerStats struct {
	datagrams, malformed, badSig, noConn, refused, synReplies, accepted atomic.Uint64
	unservedPort                                                        atomic.Uint64
}
