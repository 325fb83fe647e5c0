package prudp

import (
	"fmt"
	"math/bits"
)

// rxPacket is a reliable packet waiting in a receive window: what the
// connection needs to process it once its turn comes.
type rxPacket struct {
	typ     PacketType
	frag    uint8
	seq     uint16
	payload []byte // owned by the slot; reused across wraps of the ring
}

// offerResult says what a receive window did with an offered packet.
type offerResult uint8

const (
	// offerAccepted: stored; acknowledge it and drain.
	offerAccepted offerResult = iota
	// offerDuplicate: already delivered or already buffered; acknowledge
	// again (the peer missed the first ACK) and drop.
	offerDuplicate
	// offerTooFar: beyond the window; drop without ACK so that the peer
	// resends it once the window moved.
	offerTooFar
)

// recvWindow orders the reliable packets of one substream: a ring of slots
// indexed by sequence id, so that buffering out-of-order packets allocates
// nothing once the slots have grown, and memory is bounded by the ring's
// length (the window rounded up to a power of two, ringLen) times the
// largest payload. The ring is allocated when the first packet
// arrives out of order: a packet in order is processed at once (see
// takeInOrder), so a connection on a clean network never holds one.
type recvWindow struct {
	next  uint16 // sequence id of the next packet to deliver
	size  int    // the window: ids this far ahead of next or further are refused; zero once released
	slots []rxSlot
}

type rxSlot struct {
	full bool
	pkt  rxPacket
}

func newRecvWindow(next uint16, size int) recvWindow {
	return recvWindow{next: next, size: size}
}

// ringLen is the number of slots of a window of size ids: the next power
// of two, so that the ring's length divides 2^16 and ids that wrap at
// 0xFFFF keep distinct slots (with 80 slots, 0xFFFA and 0x000A would
// share one and the later would pass for a duplicate).
func ringLen(size int) int {
	if size <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(size-1))
}

// slot is the ring slot of seq: the ring's length is a power of two, so
// a mask rather than a division.
func (w *recvWindow) slot(seq uint16) *rxSlot {
	return &w.slots[int(seq)&(len(w.slots)-1)]
}

// takeInOrder reports whether seq is the next id to deliver and nothing is
// buffered under it; the window then moves past it and the caller
// processes the packet at once, without copying it into a slot.
func (w *recvWindow) takeInOrder(seq uint16) bool {
	if w.size == 0 || seq != w.next {
		return false
	}
	if w.slots != nil && w.slot(seq).full {
		return false // buffered already: offer reports the duplicate
	}
	w.next++
	return true
}

// offer files p (payload copied) unless it is a duplicate or too far ahead.
func (w *recvWindow) offer(typ PacketType, seq uint16, frag uint8, payload []byte) offerResult {
	d := seqDiff(w.next, seq)
	if d < 0 {
		return offerDuplicate
	}
	// A released connection has a zero size: nothing more is accepted.
	if d >= w.size {
		return offerTooFar
	}
	if w.slots == nil {
		w.slots = make([]rxSlot, ringLen(w.size))
	}
	s := w.slot(seq)
	if s.full {
		return offerDuplicate
	}
	s.full = true
	s.pkt.typ, s.pkt.seq, s.pkt.frag = typ, seq, frag
	s.pkt.payload = append(s.pkt.payload[:0], payload...)
	return offerAccepted
}

// pop returns the next in-order packet, valid until the next offer.
func (w *recvWindow) pop() (*rxPacket, bool) {
	if len(w.slots) == 0 { // nothing buffered yet, or released
		return nil, false
	}
	s := w.slot(w.next)
	if !s.full || s.pkt.seq != w.next {
		return nil, false
	}
	s.full = false
	w.next++
	return &s.pkt, true
}

// reassembler joins the fragments of one substream: fragments with ids
// 1, 2, … accumulate; the fragment with id 0 ends the message (it may be
// empty). The fragment ids themselves are not checked beyond that, like the
// references: ordering is the sequence ids' job, and ids wrap after 255.
type reassembler struct {
	buf []byte
	max int
}

// add appends chunk and, when frag is 0, returns the whole message (owned
// by the caller) and resets.
func (r *reassembler) add(frag uint8, chunk []byte) ([]byte, error) {
	if len(r.buf)+len(chunk) > r.max {
		n := len(r.buf) + len(chunk)
		r.buf = nil
		return nil, fmt.Errorf("prudp: reassemble: %w: %d bytes, limit %d", ErrMessageTooLarge, n, r.max)
	}
	if frag != 0 {
		if r.buf == nil {
			r.buf = make([]byte, 0, min(r.max, 4*len(chunk)+64))
		}
		r.buf = append(r.buf, chunk...)
		return nil, nil
	}
	if r.buf == nil {
		return append(make([]byte, 0, len(chunk)), chunk...), nil
	}
	msg := append(r.buf, chunk...)
	r.buf = nil
	return msg, nil
}
