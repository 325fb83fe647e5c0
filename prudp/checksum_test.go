package prudp

import (
	"encoding/hex"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

// unhex decodes a hex constant of a test; a typo fails loudly.
func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("bad hex constant %q: %v", s, err)
	}
	return b
}

func TestChecksumDocVectors(t *testing.T) {
	data := unhex(t, "0102030405060708090a0b")
	base := ChecksumBase("6f599f81")
	if base != 0x212 {
		t.Fatalf("ChecksumBase(6f599f81) = %#x, want 0x212", base)
	}
	if got := Checksum8(data, base); got != 0x54 {
		t.Errorf("Checksum8 = %#x, want 0x54", got)
	}
	if got := Checksum32(data, base); got != 0x0c151221 {
		t.Errorf("Checksum32 = %#x, want 0x0c151221", got)
	}
}

func TestChecksumVectors(t *testing.T) {
	var v struct {
		Cases []struct {
			AccessKey string `json:"access_key"`
			Base      uint32 `json:"checksum_base"`
			Data      string `json:"data"`
			C1        uint32 `json:"checksum_1byte"`
			C4        uint32 `json:"checksum_4byte"`
		} `json:"checksum_cases"`
	}
	vectors.Load(t, "checksum.json", &v)
	if len(v.Cases) == 0 {
		t.Fatal("no checksum cases")
	}
	for i, c := range v.Cases {
		if b := ChecksumBase(c.AccessKey); b != c.Base {
			t.Errorf("case %d: ChecksumBase(%q) = %d, want %d", i, c.AccessKey, b, c.Base)
		}
		data := vectors.Hex(t, c.Data)
		if got := Checksum8(data, c.Base); uint32(got) != c.C1 {
			t.Errorf("case %d (%d bytes): Checksum8 = %d, want %d", i, len(data), got, c.C1)
		}
		if got := Checksum32(data, c.Base); got != c.C4 {
			t.Errorf("case %d (%d bytes): Checksum32 = %d, want %d", i, len(data), got, c.C4)
		}
	}
}
