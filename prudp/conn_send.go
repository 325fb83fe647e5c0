package prudp

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Send queues msg as one reliable message on substream and returns when it
// is queued (not when it is acknowledged). The message is cut into
// Settings.FragmentSize chunks; each chunk is sequenced and encrypted now,
// in order, and transmitted as the window and pacing allow. Send blocks
// (until ctx ends) while too much data waits for acknowledgement. msg is
// copied into the packets: the caller may reuse it when Send returns.
func (c *Conn) Send(ctx context.Context, substream uint8, msg []byte) error {
	return c.send(ctx, true, substream, msg)
}

// TrySend is Send that never waits: when too much data waits for
// acknowledgement it queues nothing and returns an error matching
// ErrWouldBlock. Receivers in push mode (SetReceiver) send with it, since
// they must not block. Like Send, it keeps nothing of msg.
func (c *Conn) TrySend(substream uint8, msg []byte) error {
	return c.send(context.Background(), false, substream, msg)
}

// send is Send, or TrySend when wait is false.
func (c *Conn) send(ctx context.Context, wait bool, substream uint8, msg []byte) error {
	if len(msg) > c.settings.MaxMessageSize {
		return fmt.Errorf("prudp: send %d bytes: %w (limit %d)", len(msg), ErrMessageTooLarge, c.settings.MaxMessageSize)
	}
	c.mu.Lock()
	for {
		if c.state != stateConnected {
			err := c.stateErrLocked()
			c.mu.Unlock()
			return err
		}
		if substream > c.maxSub {
			c.mu.Unlock()
			return fmt.Errorf("prudp: send: %w: %d > %d", ErrSubstream, substream, c.maxSub)
		}
		if c.queueBytes < sendQueueLimit(&c.settings) {
			break
		}
		if !wait {
			c.mu.Unlock()
			return ErrWouldBlock
		}
		if c.spaceWake == nil {
			c.spaceWake = make(chan struct{}, 1)
		}
		wake := c.spaceWake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-c.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		c.mu.Lock()
	}
	fs := c.settings.FragmentSize
	frag := uint8(1)
	for off := 0; ; off += fs {
		end := off + fs
		id := frag
		if end >= len(msg) {
			end, id = len(msg), 0
		}
		if err := c.queueReliableLocked(TypeData, substream, msg[off:end], id); err != nil {
			c.mu.Unlock()
			return err
		}
		if id == 0 {
			break
		}
		if frag++; frag == 0 {
			frag = 1
		}
	}
	c.stats.msgSent.Add(1)
	now := time.Now()
	c.pumpLocked(now)
	c.armLocked(now)
	c.mu.Unlock()
	return nil
}

// SendUnreliable sends msg as one unreliable DATA packet (never
// fragmented, never resent; the peer acknowledges it only as a courtesy).
func (c *Conn) SendUnreliable(msg []byte) error {
	if len(msg) > c.settings.FragmentSize {
		return fmt.Errorf("prudp: send unreliable %d bytes: %w (fragment size %d)", len(msg), ErrMessageTooLarge, c.settings.FragmentSize)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stateConnected {
		return c.stateErrLocked()
	}
	p := c.basePacket(TypeData, FlagNeedAck|FlagHasSize)
	p.Sequence = c.unrelSeq
	c.unrelSeq++
	payload, err := c.sealLocked(&p, msg)
	if err != nil {
		c.releaseCryptLocked()
		return err
	}
	p.Payload = payload
	c.sendControlLocked(&p)
	c.releaseCryptLocked()
	c.stats.msgSent.Add(1)
	return nil
}

func (c *Conn) stateErrLocked() error {
	if c.state == stateClosed {
		return c.err
	}
	if c.state == stateClosing {
		return &closedError{}
	}
	return fmt.Errorf("prudp: connection not established")
}

// basePacket fills the fields every packet of this connection shares.
func (c *Conn) basePacket(t PacketType, f Flags) Packet {
	p := Packet{Source: c.local, Dest: c.remoteVP, Type: t, Flags: f}
	if t != TypeSyn {
		p.SessionID = c.localSession
	}
	return p
}

// cryptPool holds the buffers sealLocked encrypts into. A sealed payload
// is copied into its datagram at once, so a connection borrows one only
// while it encodes a packet: an idle console holds none.
var cryptPool = sync.Pool{New: func() any { return new([]byte) }}

// releaseCryptLocked returns the connection's sealing buffer, if any.
func (c *Conn) releaseCryptLocked() {
	if c.crypt != nil {
		cryptPool.Put(c.crypt)
		c.crypt = nil
	}
}

// sealLocked compresses and encrypts a DATA payload the way the variant
// wants: the substream's continuous RC4 state for reliable packets, a
// per-packet key for unreliable ones.
func (c *Conn) sealLocked(p *Packet, plain []byte) ([]byte, error) {
	data := plain
	if c.settings.Compression {
		z, err := Compress(data)
		if err != nil {
			return nil, fmt.Errorf("prudp: compress: %w", err)
		}
		data = z
	}
	if !c.settings.Encryption || len(data) == 0 {
		return data, nil
	}
	if c.crypt == nil {
		c.crypt = cryptPool.Get().(*[]byte)
	}
	if cap(*c.crypt) < len(data) {
		*c.crypt = make([]byte, len(data), max(len(data), c.settings.FragmentSize+16))
	}
	out := (*c.crypt)[:len(data)]
	switch {
	case c.settings.Variant == RV:
		if err := CryptRV(out, data); err != nil {
			return nil, err
		}
	case p.Flags.Has(FlagReliable):
		if err := c.txCipher.Encrypt(p.Substream, out, data); err != nil {
			return nil, err
		}
	default:
		key := UnreliableKeyFrom(c.unrelBase, p.Sequence, p.SessionID)
		if err := CryptUnreliable(key, out, data); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// openLocked reverses sealLocked on a received DATA payload (in place
// when possible). Reliable payloads must come in sequence order, exactly
// once.
func (c *Conn) openLocked(flags Flags, substream uint8, seq uint16, session uint8, data []byte) ([]byte, error) {
	if len(data) == 0 {
		return data, nil
	}
	if c.settings.Encryption {
		var err error
		switch {
		case c.settings.Variant == RV:
			err = CryptRV(data, data)
		case flags.Has(FlagReliable):
			err = c.rxCipher.Decrypt(substream, data, data)
		default:
			err = CryptUnreliable(UnreliableKeyFrom(c.unrelBase, seq, session), data, data)
		}
		if err != nil {
			return nil, err
		}
	}
	if c.settings.Compression {
		return Decompress(data, c.settings.FragmentSize*256)
	}
	return data, nil
}

// queueReliableLocked builds one reliable packet (DATA fragment, PING or
// DISCONNECT) with the next sequence id of its substream and queues it.
func (c *Conn) queueReliableLocked(t PacketType, substream uint8, plain []byte, frag uint8) error {
	f := FlagReliable | FlagNeedAck
	if t == TypeData {
		f |= FlagHasSize
	}
	// The scratch packet, as for acknowledgements: a local would escape.
	p := &c.ctrl
	*p = c.basePacket(t, f)
	p.Substream = substream
	p.Sequence = c.txSeq[substream]
	p.FragmentID = frag
	if t == TypeData {
		payload, err := c.sealLocked(p, plain)
		if err != nil {
			c.releaseCryptLocked()
			return err
		}
		p.Payload = payload
	}
	tp := c.newTxPacketLocked(len(p.Payload))
	wire, err := c.codec.Append(tp.wire, p, c.txSig)
	// The payload is in the wire buffer now: the sealed copy can go.
	p.Payload = nil
	c.releaseCryptLocked()
	if err != nil {
		// The cipher state advanced; the connection cannot recover.
		c.closeLocked(fmt.Errorf("prudp: encode %s: %w", t, err))
		return c.err
	}
	c.txSeq[substream]++
	tp.typ, tp.substream, tp.seq, tp.size, tp.wire = t, substream, p.Sequence, len(plain), wire
	c.queue = append(c.queue, tp)
	c.queueBytes += len(plain)
	return nil
}

// wireSlack is what a codec adds to a payload at most (header, options,
// signature, checksum), so that a packet's buffer is allocated once.
const wireSlack = 128

// newTxPacketLocked returns a blank packet whose wire buffer holds a
// payload of n bytes, recycled from an acknowledged one when possible:
// a busy connection then allocates nothing per packet.
func (c *Conn) newTxPacketLocked(n int) *txPacket {
	if k := len(c.txFree); k > 0 {
		tp := c.txFree[k-1]
		c.txFree[k-1] = nil
		c.txFree = c.txFree[:k-1]
		if cap(tp.wire) >= n+wireSlack {
			tp.wire = tp.wire[:0]
			return tp
		}
	}
	return &txPacket{wire: make([]byte, 0, n+wireSlack)}
}

// recycleLocked keeps an acknowledged packet for reuse. The free list is
// as long as the window, and buffers of large fragments are not kept, so
// an idle connection holds little.
func (c *Conn) recycleLocked(tp *txPacket) {
	if len(c.txFree) >= c.settings.Window || cap(tp.wire) > txRecycleMax {
		return
	}
	*tp = txPacket{wire: tp.wire[:0]}
	c.txFree = append(c.txFree, tp)
}

// txRecycleMax is the largest wire buffer kept for reuse.
const txRecycleMax = 512

// pumpLocked moves queued packets into the window as far as the window
// size and the pacer allow.
func (c *Conn) pumpLocked(now time.Time) {
	for len(c.queue) > 0 && len(c.inflight) < c.settings.Window {
		if !c.pace.ready(now) {
			return
		}
		tp := c.queue[0]
		if !c.inSpanLocked(tp) {
			return
		}
		c.queue[0] = nil
		if len(c.queue) == 1 {
			// Emptied from its start: the next packet reuses the array.
			c.queue = c.queue[:0]
		} else {
			c.queue = c.queue[1:]
		}
		tp.sends, tp.firstSent, tp.lastSent = 1, now, now
		c.inflight = append(c.inflight, tp)
		c.writeLocked(tp.wire)
		c.pace.take(now)
	}
}

// inSpanLocked reports whether tp lies within Window sequence ids of the
// oldest unacknowledged packet of its substream. Counting in-flight packets
// alone is not enough: with one packet lost again and again the others
// would run arbitrarily far ahead and overflow the receiver's window.
func (c *Conn) inSpanLocked(tp *txPacket) bool {
	for _, f := range c.inflight {
		if f.substream == tp.substream {
			return seqDiff(f.seq, tp.seq) < c.settings.Window
		}
	}
	return true
}

// writeLocked sends one packet (with the held acknowledgement, if any:
// see conn_coalesce.go). A carrier error that means the peer is gone for
// good (WebSocket closed) ends the connection.
func (c *Conn) writeLocked(b []byte) {
	c.writeOneLocked(c.withHeldLocked(b))
}

// writeOneLocked sends one datagram.
func (c *Conn) writeOneLocked(b []byte) {
	c.wmu.Lock()
	err := c.carrier.WriteTo(b, c.remote)
	c.wmu.Unlock()
	if err != nil {
		c.writeFailedLocked(err)
		return
	}
	c.stats.sent.Add(1)
}

// writeFailedLocked logs a carrier write error and ends the connection
// when it means the peer is gone for good.
func (c *Conn) writeFailedLocked(err error) {
	c.debug("prudp: write failed", zap.Error(err))
	if isCarrierClosed(err) {
		c.closeLocked(fmt.Errorf("prudp: write: %w", err))
	}
}

// sendControlLocked encodes and sends a packet that is never resent (ACKs,
// pings, unreliable DATA, forced DISCONNECT) through the scratch buffer.
func (c *Conn) sendControlLocked(p *Packet) {
	b, err := c.codec.Append(c.scratch[:0], p, c.txSig)
	if err != nil {
		c.debug("prudp: encode control packet", zap.Stringer("packet", p), zap.Error(err))
		return
	}
	c.scratch = b
	c.writeLocked(b)
}

// ackLocked acknowledges one received packet: individually (queued for
// input to send after unlocking), or by adding it to the next MULTI_ACK
// when aggregation is on and negotiated. Only input's callees call it.
func (c *Conn) ackLocked(t PacketType, flags Flags, substream uint8, seq uint16, frag uint8, now time.Time) {
	if t == TypeData && flags.Has(FlagReliable) && c.aggregateLocked() && (substream == 0 || c.newAckFormatLocked()) {
		c.acks = append(c.acks, ackRef{substream, seq, frag})
		if len(c.acks) >= ackBatch(&c.settings) {
			c.flushAcksLocked()
		} else if c.ackDue.IsZero() {
			c.ackDue = now.Add(aggregateAckDelay)
		}
		return
	}
	// The connection's scratch packet, not a local: the codec is an
	// interface, so a local would escape to the heap on every ACK.
	p := &c.ctrl
	*p = c.basePacket(t, FlagAck)
	p.Substream, p.Sequence, p.FragmentID = substream, seq, frag
	if flags.Has(FlagReliable) && c.holdAckLocked(p, now) {
		return
	}
	n := 1
	if t == TypeDisconnect {
		n = c.disconnectRepeats()
	}
	// Encoded now, sent by input once the lock is released.
	start := len(c.ackOut)
	b, err := c.codec.Append(c.ackOut, p, c.txSig)
	if err != nil {
		c.debug("prudp: encode ACK", zap.Stringer("packet", p), zap.Error(err))
		return
	}
	one := len(b) - start
	for i := 1; i <= n; i++ {
		if i > 1 {
			b = append(b, b[start:start+one]...)
		}
		c.ackEnds = append(c.ackEnds, start+i*one)
	}
	c.ackOut = b
}

// disconnectRepeats is how many times a DISCONNECT, or its
// acknowledgement, is sent: three over a lossy datagram path, once over
// Lite's stream, which loses nothing; there a repeat would only reach a
// peer that took the first and may already have released its socket
// (NintendoClients then fails its disconnect).
func (c *Conn) disconnectRepeats() int {
	if c.settings.Variant == Lite {
		return 1
	}
	return 3
}

// aggregateLocked reports whether acknowledgements go out as MULTI_ACK.
func (c *Conn) aggregateLocked() bool {
	if !c.settings.AggregateAck {
		return false
	}
	switch c.settings.Variant {
	case V1:
		return c.minor >= 1
	case Lite:
		return c.minor >= 2
	}
	return false
}

// flushAcksLocked sends the gathered acknowledgements: per substream, one
// MULTI_ACK whose base is the last in-order packet and whose extra ids
// name the buffered out-of-order ones. New format from minor version 2
// (always on Lite), the old one (substream 0 only) on minor version 1.
func (c *Conn) flushAcksLocked() {
	c.flushHeldLocked()
	if len(c.acks) == 0 {
		return
	}
	c.ackDue = time.Time{}
	var seen [256]bool
	for _, a := range c.acks {
		seen[a.substream] = true
	}
	c.acks = c.acks[:0]
	newFormat := c.newAckFormatLocked()
	for sub := range c.rx {
		if !seen[sub] {
			continue
		}
		w := &c.rx[sub]
		base := w.next - 1
		var extra []uint16
		for i := range w.slots {
			if w.slots[i].full {
				extra = append(extra, w.slots[i].pkt.seq)
			}
		}
		for {
			n := min(len(extra), 255, (c.settings.FragmentSize-4)/2)
			p := c.basePacket(TypeData, FlagMultiAck)
			var pl []byte
			if newFormat {
				p.Substream, p.Sequence = 1, 0
				pl = make([]byte, 4+2*n)
				pl[0], pl[1] = uint8(sub), uint8(n)
				binary.LittleEndian.PutUint16(pl[2:], base)
				for i, s := range extra[:n] {
					binary.LittleEndian.PutUint16(pl[4+2*i:], s)
				}
			} else {
				// Old format: base in the header; the payload repeats the base
				// so that it is never shorter than the 4 bytes some
				// receivers require.
				p.Substream, p.Sequence = 0, base
				ids := append([]uint16{base, base}, extra[:n]...)
				pl = make([]byte, 2*len(ids))
				for i, s := range ids {
					binary.LittleEndian.PutUint16(pl[2*i:], s)
				}
			}
			p.Payload = pl
			c.sendControlLocked(&p)
			extra = extra[n:]
			if len(extra) == 0 {
				break
			}
		}
	}
}

// newAckFormatLocked reports whether MULTI_ACKs use the new format, the
// only one that can name a substream other than 0.
func (c *Conn) newAckFormatLocked() bool { return c.settings.Variant == Lite || c.minor >= 2 }

// sendPingLocked sends an unreliable keep-alive PING with its own counter.
func (c *Conn) sendPingLocked(now time.Time) {
	p := c.basePacket(TypePing, FlagNeedAck)
	p.Sequence = c.pingSeq
	c.pingSeq++
	c.lastPing = now
	c.sendControlLocked(&p)
}
