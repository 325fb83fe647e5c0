package heapgrowth

import "testing"

func TestPerCallSeesWhatIsKept(t *testing.T) {
	const size = 64 << 10
	per := PerCall(50, func(int) any { return make([]byte, size) })
	if per < size || per > 2*size {
		t.Errorf("%d bytes per kept 64 KiB buffer", per)
	}
	if per := PerCall(50, func(int) any { _ = make([]byte, size); return nil }); per > 1<<10 {
		t.Errorf("%d bytes per call when nothing is kept", per)
	}
}
