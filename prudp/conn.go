package prudp

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Message is one whole message received on a connection.
type Message struct {
	// Substream is the reliable substream it arrived on (0 for unreliable).
	Substream uint8
	// Reliable is false for unreliable DATA.
	Reliable bool
	// Data is the reassembled, decrypted payload, owned by the receiver.
	Data []byte
}

type connState uint8

const (
	stateSynSent     connState = iota // client: SYN sent
	stateConnectSent                  // client: CONNECT sent
	stateAccepting                    // server: Connect callback running
	stateConnected
	stateClosing // graceful DISCONNECT queued, waiting for its ACK
	stateClosed
)

type role uint8

const (
	roleServer role = iota
	roleClient
)

var connIDs atomic.Uint64

// Limits derived from the settings (not knobs of their own: the window
// and message size bound them).
const (
	// aggregateAckDelay is how long acknowledgements are gathered into one
	// MULTI_ACK before it is sent.
	aggregateAckDelay = time.Millisecond
	// aggregateAckBatch caps how many packets one MULTI_ACK waits for (see
	// ackBatch).
	aggregateAckBatch = 16
	// closeWaitMax bounds Close's wait for the DISCONNECT acknowledgement.
	closeWaitMax = 5 * time.Second
)

// reorderSlots is the receive window per substream: out-of-order packets
// further ahead are dropped unacknowledged (the peer resends them). Peers
// like NintendoClients send a whole fragmented message at once, so the
// window is generous; its memory is bounded by the ring's length (the
// window rounded up to a power of two, ringLen) × fragment size.
func reorderSlots(s *Settings) int { return min(1024, max(64, 16*s.Window)) }

// ackBatch is how many received packets wait for one MULTI_ACK before it
// goes out at once: half the window, so that a peer with the same profile
// never stalls on a full window waiting for the aggregation delay.
func ackBatch(s *Settings) int { return min(aggregateAckBatch, max(1, s.Window/2)) }

// sendQueueLimit is the byte count of queued plus unacknowledged reliable
// payload above which Send blocks (back-pressure).
func sendQueueLimit(s *Settings) int { return max(s.MaxMessageSize, 64*s.FragmentSize) }

// recvQueueLimit is the byte count of received messages not yet taken by
// Recv above which new reliable DATA is dropped unacknowledged, so a slow
// reader throttles its peer instead of growing memory.
func recvQueueLimit(s *Settings) int { return 2 * s.MaxMessageSize }

// Conn is one PRUDP connection, client (Dial) or server (Accept) side. All
// methods are safe for concurrent use. Packets are processed by the read
// goroutine of the carrier; retransmission, acknowledgement batching,
// pacing and keep-alive run from one timer per connection.
type Conn struct {
	id       uint64
	settings Settings
	codec    Codec
	carrier  Carrier
	remote   netip.AddrPort
	local    VPort
	remoteVP VPort
	log      *zap.Logger
	listener *Listener // server side
	owner    *dialOwner

	stats connStats

	// wmu serialises the connection's writes to the carrier: most are made
	// under mu, acknowledgements after input released it.
	wmu sync.Mutex

	mu sync.Mutex
	// Small fields side by side: Conn fits the 1408-byte size class, and
	// every idle connection holds one.
	role         role
	state        connState
	localSession uint8
	peerSession  uint8
	minor        uint8
	maxSub       uint8
	unrelStart   uint16
	functions    uint32
	unrelSeq     uint16
	pingSeq      uint16
	sigSent      []byte // connection signature this side sent
	sigRecv      []byte // connection signature received from the peer
	txSig, rxSig SigContext
	sessionKey   []byte
	value        any

	txCipher, rxCipher *StreamCiphers
	unrelBase          [32]byte
	txSeq              []uint16
	rx                 []recvWindow
	reasm              []reassembler

	queue    []*txPacket // built, waiting for window or pacing
	inflight []*txPacket // sent, unacknowledged
	// resentInFlight counts in-flight packets sent more than once; while
	// it is zero the oldest packet is the next one due.
	resentInFlight int
	queueBytes     int
	pace           pacer
	rto            rtoEstimator
	hs             *txPacket // client SYN/CONNECT being retransmitted

	acks      []ackRef // pending aggregate acknowledgements
	ackDue    time.Time
	lastHeard time.Time
	lastPing  time.Time

	timer   *time.Timer
	timerAt time.Time

	msgs      []Message
	msgHead   int
	msgBytes  int
	msgWake   chan struct{} // made by the first Recv that waits
	spaceWake chan struct{} // made by the first Send that waits
	push      *pushState    // receiver in push mode (conn_push.go)

	scratch []byte      // encode buffer for ACK-like packets
	ctrl    Packet      // the packet being encoded (a local would escape to the heap)
	ackOut  []byte      // ACK datagrams input sends after unlocking
	ackEnds []int       // end offset of each datagram in ackOut
	held    *heldAcks   // Settings.CoalesceAcks (conn_coalesce.go)
	txFree  []*txPacket // acknowledged packets kept for reuse
	crypt   *[]byte     // sealLocked's output, from cryptPool while a send encodes

	connectReply []byte // stored CONNECT reply (server), resent for duplicates
	candidates   []game // v0 multi-game: profiles the first packets still fit

	connectPayload []byte             // CONNECT payload sent (client) or received (server: tells a retransmission from a new connection)
	checkReply     func([]byte) error // client CONNECT reply check
	pendingKey     []byte             // client session key, installed at connect
	established    chan struct{}
	closeAck       chan struct{} // made by Close
	done           chan struct{}
	err            error
}

// txPacket is one reliable packet: built once (sequence id, ciphertext,
// signature), then sent and resent byte for byte.
type txPacket struct {
	typ       PacketType
	substream uint8
	seq       uint16
	size      int // payload bytes, for the send queue budget
	wire      []byte
	sends     int
	skipped   int // acknowledgements of later packets seen (fast retransmit)
	firstSent time.Time
	lastSent  time.Time
}

type ackRef struct {
	substream uint8
	seq       uint16
	frag      uint8
}

func newConn(r role, s *Settings, codec Codec, carrier Carrier, remote netip.AddrPort, local, remoteVP VPort, log *zap.Logger) *Conn {
	c := &Conn{
		id:          connIDs.Add(1),
		role:        r,
		settings:    *s,
		codec:       codec,
		carrier:     carrier,
		remote:      remote,
		local:       local,
		remoteVP:    remoteVP,
		rto:         newRTOEstimator(s.ResendTimeout, s.ResendFloor),
		pace:        newPacer(s),
		established: make(chan struct{}),
		done:        make(chan struct{}),
		lastHeard:   time.Now(),
	}
	if log == nil {
		log = zap.NewNop()
	}
	c.log = log
	c.timer = time.AfterFunc(time.Hour, c.onTimer)
	c.timer.Stop()
	return c
}

// debug logs msg at debug level with the connection's id and peer. The
// two fields go on each line rather than on a child logger (log.With):
// a child copies the encoder, about 2 KiB per connection with the JSON
// encoder, and debug lines are rare where connections are not. Call
// sites on the packet path use Check first, like dropLocked, so that
// nothing is built when debug is off.
func (c *Conn) debug(msg string, fields ...zap.Field) {
	if ce := c.log.Check(zap.DebugLevel, msg); ce != nil {
		ce.Write(append(fields, c.logFields()...)...)
	}
}

// logFields names the connection in a log line.
func (c *Conn) logFields() []zap.Field {
	return []zap.Field{zap.Uint64("conn", c.id), zap.Stringer("remote", c.remote)}
}

// ID is a process-unique connection number, for logs.
func (c *Conn) ID() uint64 { return c.id }

// RemoteAddr is the peer's address on the carrier.
func (c *Conn) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(c.remote) }

// RemoteAddrPort is the peer's address on the carrier.
func (c *Conn) RemoteAddrPort() netip.AddrPort { return c.remote }

// LocalVPort is this side's virtual port.
func (c *Conn) LocalVPort() VPort { return c.local }

// RemoteVPort is the peer's virtual port.
func (c *Conn) RemoteVPort() VPort { return c.remoteVP }

// Settings is the profile the connection runs with (the matched game on a
// multi-game listener). It must not be modified.
func (c *Conn) Settings() *Settings { return &c.settings }

// SessionKey is the installed session key (nil on authentication
// connections).
func (c *Conn) SessionKey() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionKey
}

// Value is what the Connect callback returned in ConnectResponse.Value.
func (c *Conn) Value() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.value
}

// Negotiated reports the values both sides agreed on in the handshake
// (v0: all zero).
func (c *Conn) Negotiated() (minor uint8, functions uint32, maxSubstream uint8) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.minor, c.functions, c.maxSub
}

// Variant is the connection's PRUDP variant, read under the connection's
// lock: on a listener serving several games the first packets may still
// settle the profile (Settings) while the caller reads.
func (c *Conn) Variant() Variant {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settings.Variant
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is nil while the connection is open and then the reason it ended
// (matching ErrClosed, and ErrTimeout or ErrAborted when those apply).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Stats returns a snapshot of the counters.
func (c *Conn) Stats() Stats {
	c.mu.Lock()
	srtt, rto := c.rto.smoothed(), c.rto.rto
	c.mu.Unlock()
	return Stats{
		Sent: c.stats.sent.Load(), Resent: c.stats.resent.Load(), Received: c.stats.received.Load(),
		Dropped: c.stats.dropped.Load(), Duplicates: c.stats.duplicates.Load(),
		MessagesSent: c.stats.msgSent.Load(), MessagesReceived: c.stats.msgReceived.Load(),
		SRTT: srtt, RTO: rto,
	}
}

// Recv returns the next whole message, reliable (per substream in order)
// or unreliable. After the connection ended and every received message
// was taken it returns an error matching ErrClosed.
func (c *Conn) Recv(ctx context.Context) (Message, error) {
	for {
		c.mu.Lock()
		if c.msgHead < len(c.msgs) {
			m := c.msgs[c.msgHead]
			c.msgs[c.msgHead] = Message{}
			c.msgHead++
			c.msgBytes -= len(m.Data)
			if c.msgHead == len(c.msgs) {
				c.msgs, c.msgHead = c.msgs[:0], 0
			}
			c.mu.Unlock()
			return m, nil
		}
		if c.state == stateClosed {
			err := c.err
			c.mu.Unlock()
			return Message{}, err
		}
		if c.msgWake == nil {
			c.msgWake = make(chan struct{}, 1)
		}
		c.mu.Unlock()
		select {
		case <-c.msgWake:
		case <-c.done:
		case <-ctx.Done():
			return Message{}, ctx.Err()
		}
	}
}

// deliverLocked queues a received message for Recv.
func (c *Conn) deliverLocked(m Message) {
	c.msgs = append(c.msgs, m)
	c.msgBytes += len(m.Data)
	c.stats.msgReceived.Add(1)
	select {
	case c.msgWake <- struct{}{}:
	default:
	}
}

// Close ends the connection gracefully: a reliable DISCONNECT after every
// queued message, then a bounded wait for its acknowledgement. It returns
// nil once the connection is closed, however the wait ended.
func (c *Conn) Close() error {
	c.mu.Lock()
	switch c.state {
	case stateClosed:
		c.mu.Unlock()
		c.release()
		return nil
	case stateConnected:
		c.state = stateClosing
		c.closeAck = make(chan struct{})
		c.queueReliableLocked(TypeDisconnect, 0, nil, 0)
		now := time.Now()
		c.pumpLocked(now)
		c.armLocked(now)
	case stateClosing:
	default: // handshake not finished: nothing to say goodbye to
		c.closeLocked(ErrClosed)
		c.mu.Unlock()
		c.release()
		return nil
	}
	wait := min(closeWaitMax, c.rto.timeout(1)*time.Duration(c.settings.ResendLimit+2))
	c.mu.Unlock()
	t := time.NewTimer(wait)
	select {
	case <-c.closeAck:
	case <-c.done:
	case <-t.C:
	}
	t.Stop()
	c.mu.Lock()
	c.closeLocked(ErrClosed)
	c.mu.Unlock()
	c.release()
	return nil
}

// Abort ends the connection at once with a forced DISCONNECT (sent three
// times over UDP, once over Lite; not acknowledged).
func (c *Conn) Abort() {
	c.mu.Lock()
	if c.state == stateConnected || c.state == stateClosing {
		p := c.basePacket(TypeDisconnect, 0)
		for range c.disconnectRepeats() {
			c.sendControlLocked(&p)
		}
	}
	c.closeLocked(ErrAborted)
	c.mu.Unlock()
	c.release()
}

// closeLocked ends the connection: wakes every waiter and stops the timer.
// Removing it from its listener and releasing a dialled carrier happen in
// release, outside the lock.
func (c *Conn) closeLocked(cause error) {
	if c.state == stateClosed {
		return
	}
	c.state = stateClosed
	if cause == ErrClosed {
		c.err = &closedError{}
	} else {
		c.err = &closedError{cause: cause}
	}
	c.timer.Stop()
	c.queue, c.inflight, c.hs, c.acks, c.txFree = nil, nil, nil, nil, nil
	c.resentInFlight = 0
	c.queueBytes = 0
	for i := range c.rx {
		c.rx[i] = recvWindow{}
		c.reasm[i] = reassembler{}
	}
	close(c.done)
	c.notifyClosedLocked()
	if c.listener != nil {
		c.listener.forget(c)
	}
	if c.owner != nil {
		go c.owner.shutdown()
	}
}

// release waits until a dialled connection's carrier and read goroutine
// are gone, so that Close leaves no goroutine behind.
func (c *Conn) release() {
	if c.owner != nil {
		c.owner.shutdown()
	}
}
