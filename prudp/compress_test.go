package prudp

import (
	"bytes"
	"compress/zlib"
	"errors"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

func TestZlibVectors(t *testing.T) {
	var v payloadVectors
	vectors.Load(t, "payload.json", &v)
	if len(v.Zlib) == 0 {
		t.Fatal("no zlib vectors")
	}
	for i, z := range v.Zlib {
		plain, comp := vectors.Hex(t, z.Plain), vectors.Hex(t, z.Compressed)
		if int(comp[0]) != z.Ratio {
			t.Fatalf("case %d: ratio byte %d, vector says %d", i, comp[0], z.Ratio)
		}
		got, err := Decompress(comp, len(plain))
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("case %d: Decompress = %x, %v", i, got, err)
		}
		// Go's deflate output differs from C zlib's, so compare what a
		// receiver checks: it inflates back and the ratio rule holds.
		out, err := Compress(plain)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(plain)/(len(out)-1) + 1; int(out[0]) != want {
			t.Errorf("case %d: ratio %d, want %d", i, out[0], want)
		}
		back, err := Decompress(out, len(plain))
		if err != nil || !bytes.Equal(back, plain) {
			t.Errorf("case %d: round trip = %x, %v", i, back, err)
		}
	}
}

func TestDecompressRejects(t *testing.T) {
	bomb := func(n int) []byte {
		var b bytes.Buffer
		w := zlib.NewWriter(&b)
		w.Write(make([]byte, n))
		w.Close()
		return append([]byte{255}, b.Bytes()...)
	}
	valid := unhex(t, "09789c7374a43d000002e91965")
	for _, tc := range []struct {
		name  string
		in    []byte
		limit int
		want  error
	}{
		{"empty", nil, 100, ErrCompression},
		{"garbage", []byte{3, 1, 2, 3}, 100, ErrCompression},
		{"truncated stream", valid[:len(valid)-3], 100, ErrCompression},
		{"trailing bytes", append(bytes.Clone(valid), 0), 100, ErrCompression},
		{"over the limit", valid, 99, ErrTooLarge},
		{"beyond the ratio", append([]byte{1}, valid[1:]...), 1000, ErrCompression},
		{"zip bomb", bomb(1 << 20), 4096, ErrTooLarge},
		{"uncompressed over the limit", []byte{0, 1, 2, 3}, 2, ErrTooLarge},
	} {
		if _, err := Decompress(tc.in, tc.limit); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if got, err := Decompress([]byte{0, 7, 8}, 2); err != nil || !bytes.Equal(got, []byte{7, 8}) {
		t.Errorf("ratio 0: %x, %v", got, err)
	}
}

func TestCompressEdgeCases(t *testing.T) {
	if out, err := Compress(nil); err != nil || !bytes.Equal(out, []byte{0}) {
		t.Errorf("Compress(nil) = %x, %v", out, err)
	}
	// 64 KiB of zeros compresses far beyond ratio 255: sent as ratio 0.
	plain := make([]byte, 1<<16)
	out, err := Compress(plain)
	if err != nil || out[0] != 0 || !bytes.Equal(out[1:], plain) {
		t.Fatalf("high-ratio chunk: ratio %d, %d bytes, %v", out[0], len(out), err)
	}
}
