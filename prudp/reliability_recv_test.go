package prudp

import (
	"bytes"
	"testing"
)

// TestRecvWindowAcrossWrap: a window whose size does not divide 2^16
// (window 5 gives 80 slots) still keeps every out-of-order packet apart
// when the sequence ids wrap at 0xFFFF, so no packet is taken for a
// duplicate, acknowledged and lost.
func TestRecvWindowAcrossWrap(t *testing.T) {
	size := reorderSlots(&Settings{Window: 5})
	const first = 0xFFF0
	w := newRecvWindow(first, size)
	// 0xFFFA and 0x000A are 16 apart, within the window.
	for _, seq := range []uint16{0xFFFA, 0x000A} {
		if r := w.offer(TypeData, seq, 0, []byte{byte(seq >> 8), byte(seq)}); r != offerAccepted {
			t.Fatalf("offer %#04x out of order: %v, want accepted", seq, r)
		}
	}
	var got []uint16
	for seq := uint16(first); seq != 0x0010; seq++ {
		if seq == 0xFFFA || seq == 0x000A {
			continue
		}
		if !w.takeInOrder(seq) {
			if r := w.offer(TypeData, seq, 0, []byte{byte(seq >> 8), byte(seq)}); r != offerAccepted {
				t.Fatalf("offer %#04x: %v, want accepted", seq, r)
			}
		} else {
			got = append(got, seq)
		}
		for {
			p, ok := w.pop()
			if !ok {
				break
			}
			if !bytes.Equal(p.payload, []byte{byte(p.seq >> 8), byte(p.seq)}) {
				t.Fatalf("packet %#04x holds the payload of another", p.seq)
			}
			got = append(got, p.seq)
		}
	}
	if len(got) != 0x20 {
		t.Fatalf("delivered %d packets, want 32: %04x", len(got), got)
	}
	for i, seq := range got {
		if want := uint16(first + i); seq != want {
			t.Fatalf("packet %d is %#04x, want %#04x", i, seq, want)
		}
	}
}

// TestRingLen: the ring is the next power of two that holds the window,
// at least one slot, and always divides 2^16.
func TestRingLen(t *testing.T) {
	for size, want := range map[int]int{0: 1, 1: 1, 2: 2, 4: 4, 5: 8, 64: 64, 65: 128, 1024: 1024} {
		if got := ringLen(size); got != want {
			t.Errorf("ringLen(%d) = %d, want %d", size, got, want)
		}
	}
}
