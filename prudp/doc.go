// Package prudp implements PRUDP, the reliable datagram transport of
// Nintendo NEX: v0 (3DS, Wii U friends), v1 (Wii U) and the Rendez-Vous
// profiles over UDP, and PRUDPLite over WebSocket (Switch). Dial opens the
// client side of a connection; a Listener serves many, keyed by the
// peer's carrier address and virtual port. Both run over a Carrier (UDP,
// WebSocket, or an in-memory network for tests).
//
// # Handshake packets on a live connection
//
// A SYN is always answered without state, live connection or not.
//
// A CONNECT from the address and virtual port of a live connection is
// either a retransmission or a new connection:
//
//   - A retransmission (its reply was lost) repeats the CONNECT that opened
//     the connection: same session id, connection signature, unreliable
//     base (v1) and payload. It gets the stored CONNECT reply; the
//     connection is neither reset nor disturbed, and the Connect callback
//     is not called again.
//   - Any other CONNECT that passes the checks of a first CONNECT (above
//     all the connection signature the listener computed for the
//     address, which only a peer receiving there can echo) is a new
//     connection attempt: the peer restarted and kept its address and
//     port. It replaces the old connection, which ends at once with an
//     error matching ErrClosed and ErrReplaced (nothing is sent to the
//     peer for it), and is accepted like any other: Connect callback,
//     then Accept. A CONNECT failing those checks is dropped and the old
//     connection stays.
//
// A PRUDPLite CONNECT carries no session id or per-connection signature,
// so only its payload (a secure connection's ticket) tells a new one from
// a retransmission. That suffices: a restarted Switch opens a new
// WebSocket, hence connects from a new address, and the old WebSocket's
// close ends the old connections.
//
// # Peers that vanish
//
// A connection ends when its peer sends DISCONNECT, when the peer stops
// answering (the resend limit, or three ping intervals without a word:
// ErrTimeout), and, on a carrier with one stream per peer (WebSocket), as
// soon as that stream closes or fails: the carrier reports it as a
// ReadFrom error matching ErrPeerClosed, and every connection with that
// peer, listener or dial side, ends with an error matching ErrClosed and
// ErrPeerClosed.
//
// # Memory per connection
//
// A server holds thousands of idle connections, so what one keeps for its
// lifetime is counted (tests pin the size classes of Conn and its
// per-substream parts). The RC4 states are this package's own (rc4.go):
// the algorithm is the protocol's, and crypto/rc4 keeps each state in
// 1,032 bytes where a byte permutation needs 258; with one state per
// direction that is 1.5 KiB of every idle connection. A test and a fuzz
// target hold the keystream to crypto/rc4's byte for byte.
package prudp
