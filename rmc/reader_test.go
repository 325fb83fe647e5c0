package rmc

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

var (
	wiiu   = Settings{PIDSize: 4, NEXVersion: 30504}
	sw     = Settings{PIDSize: 8, StructHeader: true, NEXVersion: 40605}
	header = Settings{PIDSize: 4, StructHeader: true, NEXVersion: 30504}
)

func TestSettingsValidate(t *testing.T) {
	for _, s := range []Settings{wiiu, sw, header, {PIDSize: 8}} {
		if err := s.Validate(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
	for _, s := range []Settings{{}, {PIDSize: 2}, {PIDSize: 4, NEXVersion: -1}, {PIDSize: 4, NEXVersion: 1000000}} {
		if err := s.Validate(); err == nil {
			t.Errorf("%+v: accepted", s)
		}
	}
}

func TestReaderPrimitives(t *testing.T) {
	in := mustHex(t, "ff"+"feff"+"fdffffff"+"fcffffffffffffff"+"80"+"0080"+"00000080"+"0000000000000080"+
		"0000803f"+"000000000000f03f"+"02"+"00"+"78563412"+"0a000380"+"2b036b991f000000"+
		"ae5e3e66297d8c4aa98420499ad98c3e")
	r := NewReader(in, wiiu)
	if r.U8() != 0xFF || r.U16() != 0xFFFE || r.U32() != 0xFFFFFFFD || r.U64() != 0xFFFFFFFFFFFFFFFC {
		t.Fatal("unsigned")
	}
	if r.S8() != math.MinInt8 || r.S16() != math.MinInt16 || r.S32() != math.MinInt32 || r.S64() != math.MinInt64 {
		t.Fatal("signed")
	}
	if r.Float() != 1 || r.Double() != 1 {
		t.Fatal("floats")
	}
	if !r.Bool() || r.Bool() {
		t.Fatal("bool: non-zero must be true, zero false")
	}
	if r.PID() != 0x12345678 {
		t.Fatal("pid")
	}
	if res := r.Result(); res != 0x8003000A || res.String() != "Result(0x8003000A)" {
		t.Fatalf("result %v", res)
	}
	if r.DateTime() != 0x1F996B032B {
		t.Fatal("datetime")
	}
	if got := QUUID(r.QUUID()).String(); got != "663e5eae-7d29-4a8c-84a9-4920d99a3e8c" {
		t.Fatalf("quuid %s", got)
	}
	if r.Remaining() != 0 || r.Err() != nil || r.Offset() != len(in) {
		t.Fatalf("remaining %d err %v", r.Remaining(), r.Err())
	}
	if r.U8() != 0 || !errors.Is(r.Err(), ErrShort) {
		t.Fatalf("read past end: %v", r.Err())
	}
}

func TestReaderPID(t *testing.T) {
	in := mustHex(t, "0102030405060708")
	if got := NewReader(in, wiiu).PID(); got != 0x04030201 {
		t.Fatalf("4-byte pid %#x", got)
	}
	if got := NewReader(in, sw).PID(); got != 0x0807060504030201 {
		t.Fatalf("8-byte pid %#x", got)
	}
	r := NewReader(in[:7], sw)
	if r.PID() != 0 || !errors.Is(r.Err(), ErrShort) {
		t.Fatalf("short pid: %v", r.Err())
	}
}

func TestReaderStrings(t *testing.T) {
	long := strings.Repeat("x", 65534)
	tests := []struct {
		name     string
		in       []byte
		want     string
		raw      string
		null     bool
		bytesLen int
		err      error
	}{
		{"empty", mustHex(t, "010000"), "", "", false, 1, nil},
		{"null form", mustHex(t, "0000"), "", "", true, 0, nil},
		{"text", mustHex(t, "0400616263"+"00"), "abc", "abc", false, 4, nil},
		{"extra nuls", mustHex(t, "0500616263"+"0000"), "abc", "abc\x00", false, 5, nil},
		{"no terminator", mustHex(t, "0300616263"), "abc", "abc", false, 3, nil},
		{"embedded nul", mustHex(t, "040061006200"), "a\x00b", "a\x00b", false, 4, nil},
		{"max length", append([]byte{0xFF, 0xFF}, append([]byte(long), 0)...), long, long, false, 65535, nil},
		{"truncated prefix", mustHex(t, "01"), "", "", false, 0, ErrShort},
		{"length beyond input", mustHex(t, "0500616200"), "", "", false, 0, ErrShort},
		{"no input", nil, "", "", false, 0, ErrShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(tt.in, wiiu)
			if got := r.String(); got != tt.want || !errors.Is(r.Err(), tt.err) || (tt.err == nil) != (r.Err() == nil) {
				t.Fatalf("String = %q, %v; want %q, %v", got, r.Err(), tt.want, tt.err)
			}
			r = NewReader(tt.in, wiiu)
			raw, null := r.StringRaw()
			if raw != tt.raw || null != tt.null || !errors.Is(r.Err(), tt.err) {
				t.Fatalf("StringRaw = %q, %v, %v", raw, null, r.Err())
			}
			r = NewReader(tt.in, wiiu)
			if b := r.StringBytes(); len(b) != tt.bytesLen {
				t.Fatalf("StringBytes len %d, want %d", len(b), tt.bytesLen)
			}
			if tt.err != nil {
				return
			}
			// StringBytes always re-encodes exactly; StringRaw does for every
			// form but a missing terminator.
			w := NewWriter(wiiu)
			w.StringBytes(NewReader(tt.in, wiiu).StringBytes())
			if !bytes.Equal(w.Bytes(), tt.in) {
				t.Fatalf("StringBytes round trip %x", w.Bytes())
			}
			if tt.name != "no terminator" {
				w.Reset()
				if null {
					w.StringNull()
				} else {
					w.String(raw)
				}
				if !bytes.Equal(w.Bytes(), tt.in) {
					t.Fatalf("StringRaw round trip %x, want %x", w.Bytes(), tt.in)
				}
			}
		})
	}
}

func TestReaderBuffers(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		q       bool
		want    []byte
		wantErr error
	}{
		{"buffer empty", mustHex(t, "00000000"), false, []byte{}, nil},
		{"buffer", mustHex(t, "02000000aabb"), false, []byte{0xAA, 0xBB}, nil},
		{"buffer beyond input", mustHex(t, "03000000aabb"), false, nil, ErrShort},
		{"buffer huge length", mustHex(t, "ffffffffaabb"), false, nil, ErrShort},
		{"buffer truncated prefix", mustHex(t, "020000"), false, nil, ErrShort},
		{"qbuffer empty", mustHex(t, "0000"), true, []byte{}, nil},
		{"qbuffer", mustHex(t, "0100cc"), true, []byte{0xCC}, nil},
		{"qbuffer max", append([]byte{0xFF, 0xFF}, make([]byte, 65535)...), true, make([]byte, 65535), nil},
		{"qbuffer beyond input", mustHex(t, "0200cc"), true, nil, ErrShort},
		{"qbuffer truncated prefix", mustHex(t, "01"), true, nil, ErrShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(tt.in, wiiu)
			var got []byte
			if tt.q {
				got = r.QBuffer()
			} else {
				got = r.Buffer()
			}
			if !errors.Is(r.Err(), tt.wantErr) || (tt.wantErr == nil) != (r.Err() == nil) || !bytes.Equal(got, tt.want) {
				t.Fatalf("got %x, %v; want %x, %v", got, r.Err(), tt.want, tt.wantErr)
			}
			if tt.wantErr == nil && cap(got) != len(got) {
				t.Fatal("returned slice must not allow appending over the input")
			}
		})
	}
}

func TestReaderBytes(t *testing.T) {
	r := NewReader([]byte{1, 2, 3}, wiiu)
	if b := r.Bytes(0); len(b) != 0 || r.Err() != nil {
		t.Fatal("zero bytes")
	}
	if b := r.Bytes(2); !bytes.Equal(b, []byte{1, 2}) {
		t.Fatal("two bytes")
	}
	if b := r.Rest(); !bytes.Equal(b, []byte{3}) || r.Remaining() != 0 {
		t.Fatal("rest")
	}
	if b := r.Rest(); len(b) != 0 || r.Err() != nil {
		t.Fatal("empty rest")
	}
	if b := r.Bytes(-1); b != nil || !errors.Is(r.Err(), ErrShort) {
		t.Fatalf("negative count: %v", r.Err())
	}
}

func TestReaderListLen(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
		err  error
	}{
		{"empty", "00000000", 0, nil},
		{"fits", "03000000010203", 3, nil},
		{"count equals remaining", "02000000aabb", 2, nil},
		{"count beyond remaining", "03000000aabb", 0, ErrInvalid},
		{"huge count", "ffffffff", 0, ErrInvalid},
		{"truncated", "0100", 0, ErrShort},
	}
	for _, tt := range tests {
		r := NewReader(mustHex(t, tt.in), wiiu)
		if got := r.ListLen(); got != tt.want || !errors.Is(r.Err(), tt.err) || (tt.err == nil) != (r.Err() == nil) {
			t.Errorf("%s: %d, %v; want %d, %v", tt.name, got, r.Err(), tt.want, tt.err)
		}
	}
}

func TestReaderVariant(t *testing.T) {
	tests := []struct {
		in   string
		want Variant
		err  error
	}{
		{"00", Variant{Type: VariantNone}, nil},
		{"01ffffffffffffffff", Variant{Type: VariantInt64, Value: int64(-1)}, nil},
		{"02000000000000f03f", Variant{Type: VariantDouble, Value: 1.0}, nil},
		{"0301", Variant{Type: VariantBool, Value: true}, nil},
		{"0403006869" + "00", Variant{Type: VariantString, Value: "hi"}, nil},
		{"05000042401f000000", Variant{Type: VariantDateTime, Value: DateTime(0x1F40420000)}, nil},
		{"062a00000000000000", Variant{Type: VariantUInt64, Value: uint64(42)}, nil},
		{"07", Variant{}, ErrInvalid},
		{"ff00", Variant{}, ErrInvalid},
		{"01ffff", Variant{}, ErrShort},
		{"", Variant{}, ErrShort},
	}
	for _, tt := range tests {
		r := NewReader(mustHex(t, tt.in), wiiu)
		got := r.Variant()
		if got != tt.want || !errors.Is(r.Err(), tt.err) || (tt.err == nil) != (r.Err() == nil) {
			t.Errorf("%s: %#v, %v; want %#v, %v", tt.in, got, r.Err(), tt.want, tt.err)
			continue
		}
		if tt.err == nil {
			w := NewWriter(wiiu)
			w.Variant(got)
			if w.Err() != nil || !bytes.Equal(w.Bytes(), mustHex(t, tt.in)) {
				t.Errorf("%s: re-encoded %x, %v", tt.in, w.Bytes(), w.Err())
			}
		}
	}
}
