package prudp

import (
	"testing"
	"unsafe"
)

// The proxy's memory target is 5,000 idle sessions at 16 KiB each, and
// every session holds two Conns (the console's and the upstream leg). Go
// rounds each allocation up to its size class, so a struct that grows past
// its class costs the whole step to the next one on every connection: a
// Conn one byte over 1408 is allocated as 1536 bytes. These tests turn
// such growth into a failure instead of a silent loss of idle capacity.

// connSizeClass is the Go size class a Conn must stay in.
const connSizeClass = 1408

// TestConnSizeClass fails when a change makes Conn larger than its size
// class: keep small fields side by side (see the comment in Conn), move
// rarely used state behind a pointer allocated on demand (as pushState and
// heldAcks are), or account for the extra 128 bytes per connection in the
// idle budget and raise connSizeClass to the next class (1536).
func TestConnSizeClass(t *testing.T) {
	if got := unsafe.Sizeof(Conn{}); got > connSizeClass {
		t.Errorf("unsafe.Sizeof(Conn{}) = %d bytes, over the %d-byte size class: every connection now costs the next class (1536 bytes), and the 5,000-idle-session budget of 16 KiB per session assumes it does not", got, connSizeClass)
	}
}

// TestPerConnStructSizes pins the other structs every connection allocates
// once for its lifetime: setupStreamsLocked makes one recvWindow and one
// reassembler per substream (NEX uses one substream, so each is an
// allocation of one element), and a dialled connection (the upstream leg)
// owns one dialOwner. The limits are the size classes they are in today.
func TestPerConnStructSizes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  uintptr
		class uintptr
	}{
		{"recvWindow", unsafe.Sizeof(recvWindow{}), 48},
		{"reassembler", unsafe.Sizeof(reassembler{}), 32},
		{"dialOwner", unsafe.Sizeof(dialOwner{}), 48},
	} {
		if tc.size > tc.class {
			t.Errorf("unsafe.Sizeof(%s{}) = %d bytes, over its %d-byte size class: every connection pays the step to the next class, against the 16 KiB idle-session budget", tc.name, tc.size, tc.class)
		}
	}
}
