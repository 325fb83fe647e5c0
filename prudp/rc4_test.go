package prudp

import (
	"bytes"
	"crypto/rc4"
	"testing"
	"unsafe"
)

// checkRC4 compares rc4State with the standard library's RC4 for key over
// data, fed in the given chunk sizes (the state runs on across calls).
func checkRC4(t *testing.T, key, data []byte, chunks ...int) {
	t.Helper()
	ref, err := rc4.NewCipher(key)
	var c rc4State
	mine := c.reset(key)
	if (err == nil) != (mine == nil) {
		t.Fatalf("key of %d bytes: crypto/rc4 says %v, rc4State says %v", len(key), err, mine)
	}
	if err != nil {
		return
	}
	want := make([]byte, len(data))
	ref.XORKeyStream(want, data)
	got := bytes.Clone(data) // in place, as the codecs use it
	rest := got
	for _, n := range chunks {
		n = min(n, len(rest))
		c.xor(rest[:n], rest[:n])
		rest = rest[n:]
	}
	c.xor(rest, rest)
	if !bytes.Equal(got, want) {
		t.Fatalf("key %x: keystream differs from crypto/rc4", key)
	}
}

func TestRC4MatchesStdlib(t *testing.T) {
	data := bytes.Repeat([]byte("nexproxy PRUDP payload "), 200)
	for _, key := range [][]byte{[]byte(DefaultKey), bytes.Repeat([]byte{0xA5}, 16), bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{1}, 256), {0}} {
		checkRC4(t, key, data, 1, 200, 3, 1300)
	}
	var c rc4State
	for _, n := range []int{0, 257} {
		if err := c.reset(make([]byte, n)); err == nil {
			t.Errorf("a key of %d bytes was accepted", n)
		}
	}
	if s := unsafe.Sizeof(c); s > 264 {
		t.Errorf("rc4State is %d bytes, want its 258 (it is held twice per connection)", s)
	}
}

// FuzzRC4 checks the keystream against crypto/rc4 for any key, data and
// split of the data into calls.
func FuzzRC4(f *testing.F) {
	f.Add([]byte(DefaultKey), []byte("hello"), uint16(1))
	f.Add(bytes.Repeat([]byte{0xff}, 32), make([]byte, 600), uint16(257))
	f.Add([]byte{}, []byte("x"), uint16(0))
	f.Fuzz(func(t *testing.T, key, data []byte, split uint16) {
		if len(key) > 300 || len(data) > 4096 {
			return
		}
		checkRC4(t, key, data, int(split))
	})
}
