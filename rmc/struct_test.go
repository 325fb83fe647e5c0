package rmc

import (
	"bytes"
	"errors"
	"testing"
)

// A Data-derived structure with headers: empty Data level, then the child.
func TestStructHeaders(t *testing.T) {
	in := mustHex(t, "00"+"00000000"+ // Data level: version 0, empty
		"01"+"06000000"+"2a000000"+"beef"+ // child: version 1, u32 42 + 2 unknown bytes
		"ff") // next field after the structure
	r := NewReader(in, header)
	if v := r.StructBegin(); v != 0 {
		t.Fatalf("data version %d", v)
	}
	if tail := r.StructEnd(); tail != nil {
		t.Fatalf("data tail %x", tail)
	}
	if v := r.StructBegin(); v != 1 {
		t.Fatalf("child version %d", v)
	}
	if r.U32() != 42 || r.Remaining() != 2 {
		t.Fatalf("content: remaining %d", r.Remaining())
	}
	tail := r.StructEnd()
	if !bytes.Equal(tail, []byte{0xBE, 0xEF}) {
		t.Fatalf("tail %x", tail)
	}
	if r.U8() != 0xFF || r.Err() != nil || r.Depth() != 0 {
		t.Fatalf("after struct: %v depth %d", r.Err(), r.Depth())
	}

	w := NewWriter(header)
	w.StructBegin(0)
	w.StructEnd(nil)
	w.StructBegin(1)
	w.U32(42)
	w.StructEnd(tail)
	w.U8(0xFF)
	if w.Err() != nil || !bytes.Equal(w.Bytes(), in) {
		t.Fatalf("re-encoded %x, %v", w.Bytes(), w.Err())
	}
}

func TestStructWithoutHeaders(t *testing.T) {
	in := mustHex(t, "2a000000ff")
	r := NewReader(in, wiiu)
	if v := r.StructBegin(); v != 0 {
		t.Fatalf("version %d", v)
	}
	if r.U32() != 42 {
		t.Fatal("field")
	}
	if tail := r.StructEnd(); tail != nil {
		t.Fatalf("headerless structures have no tail, got %x", tail)
	}
	if r.U8() != 0xFF || r.Err() != nil {
		t.Fatal(r.Err())
	}
	w := NewWriter(wiiu)
	w.StructBegin(3)
	w.U32(42)
	w.StructEnd(nil)
	w.U8(0xFF)
	if !bytes.Equal(w.Bytes(), in) || w.Err() != nil {
		t.Fatalf("%x %v", w.Bytes(), w.Err())
	}
}

func TestStructNested(t *testing.T) {
	// outer{ u8 1, inner{ u16 2, tail aa }, u8 3, tail bb }
	in := mustHex(t, "05"+"0b000000"+"01"+"07"+"03000000"+"0200"+"aa"+"03"+"bb")
	r := NewReader(in, header)
	if r.StructBegin() != 5 || r.U8() != 1 || r.StructBegin() != 7 || r.U16() != 2 || r.Depth() != 2 {
		t.Fatalf("nested read: %v", r.Err())
	}
	if r.U8() != 0xAA || r.Remaining() != 0 {
		t.Fatal("inner content")
	}
	// Reading past the inner content must fail even though the outer
	// structure has bytes left.
	r2 := NewReader(in, header)
	r2.StructBegin()
	r2.U8()
	r2.StructBegin()
	r2.U16()
	r2.U16()
	if !errors.Is(r2.Err(), ErrShort) {
		t.Fatalf("read beyond inner content: %v", r2.Err())
	}

	r = NewReader(in, header)
	r.StructBegin()
	r.U8()
	r.StructBegin()
	r.U16()
	innerTail := r.StructEnd()
	if r.U8() != 3 {
		t.Fatal("field after inner")
	}
	outerTail := r.StructEnd()
	if !bytes.Equal(innerTail, []byte{0xAA}) || !bytes.Equal(outerTail, []byte{0xBB}) || r.Err() != nil || r.Remaining() != 0 {
		t.Fatalf("tails %x %x, %v", innerTail, outerTail, r.Err())
	}

	w := NewWriter(header)
	w.StructBegin(5)
	w.U8(1)
	w.StructBegin(7)
	w.U16(2)
	w.StructEnd(innerTail)
	w.U8(3)
	w.StructEnd(outerTail)
	if !bytes.Equal(w.Bytes(), in) || w.Err() != nil {
		t.Fatalf("re-encoded %x", w.Bytes())
	}
}

func TestStructHeaderErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		err  error
	}{
		{"length beyond input", "01" + "05000000" + "2a000000", ErrInvalid},
		{"huge length", "01" + "ffffffff" + "2a000000", ErrInvalid},
		{"truncated header", "01" + "0400", ErrShort},
		{"no header", "", ErrShort},
		// content claims 2 bytes but the decoder reads a u32 (version/length mismatch)
		{"content shorter than fields", "01" + "02000000" + "2a000000", ErrShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader(mustHex(t, tt.in), header)
			r.StructBegin()
			v := r.U32()
			tail := r.StructEnd()
			if !errors.Is(r.Err(), tt.err) || v != 0 || tail != nil {
				t.Fatalf("err %v, value %d, tail %x; want %v", r.Err(), v, tail, tt.err)
			}
			var de *DecodeError
			if !errors.As(r.Err(), &de) || de.What == "" {
				t.Fatalf("error %T lacks context", r.Err())
			}
		})
	}
	// A length beyond the enclosing structure is rejected, not just beyond the input.
	r := NewReader(mustHex(t, "01"+"06000000"+"02"+"08000000"+"00"+"ffffffffff"), header)
	r.StructBegin()
	r.StructBegin()
	if !errors.Is(r.Err(), ErrInvalid) {
		t.Fatalf("inner length beyond outer content: %v", r.Err())
	}
}

func TestUnbalancedStructEnd(t *testing.T) {
	r := NewReader([]byte{1, 2}, header)
	if r.StructEnd() != nil || !errors.Is(r.Err(), ErrInvalid) {
		t.Fatalf("reader: %v", r.Err())
	}
	r = NewReader(mustHex(t, "0100"+"04000000"+"04000000"+"00000000"), header)
	r.AnyDataBegin()
	r.StructEnd()
	if !errors.Is(r.Err(), ErrInvalid) {
		t.Fatalf("StructEnd closing a holder: %v", r.Err())
	}
	w := NewWriter(header)
	w.StructEnd(nil)
	if !errors.Is(w.Err(), ErrInvalid) {
		t.Fatalf("writer: %v", w.Err())
	}
	w = NewWriter(header)
	w.StructBegin(0)
	w.AnyDataEnd()
	if !errors.Is(w.Err(), ErrInvalid) {
		t.Fatalf("writer AnyDataEnd closing a structure: %v", w.Err())
	}
}

// After the first error every read returns zero values and the first error
// is kept.
func TestReaderStickyError(t *testing.T) {
	r := NewReader(mustHex(t, "010000"), header)
	r.U32()
	first := r.Err()
	if !errors.Is(first, ErrShort) {
		t.Fatal(first)
	}
	if r.U8() != 0 || r.U16() != 0 || r.U64() != 0 || r.PID() != 0 || r.String() != "" || r.Buffer() != nil ||
		r.QBuffer() != nil || r.Bytes(0) != nil || r.ListLen() != 0 || r.Variant() != (Variant{}) ||
		r.QUUID() != [16]byte{} || r.DateTime() != 0 || r.Remaining() != 0 || r.AnyDataBegin() != "" ||
		r.StructBegin() != 0 || r.StructEnd() != nil || r.AnyDataEnd() != nil || r.Bool() || r.Float() != 0 {
		t.Fatal("read after error returned data")
	}
	if r.Err() != first {
		t.Fatalf("error replaced: %v", r.Err())
	}
}

func TestAnyData(t *testing.T) {
	// "NullData" holder with headers: Data level (empty) + NullData level (empty).
	in := mustHex(t, "09004e756c6c4461746100"+"0e000000"+"0a000000"+"00"+"00000000"+"00"+"00000000"+"ee")
	r := NewReader(in, header)
	if c := r.AnyDataBegin(); c != "NullData" {
		t.Fatalf("class %q: %v", c, r.Err())
	}
	r.StructBegin()
	r.StructEnd()
	r.StructBegin()
	r.StructEnd()
	if tail := r.AnyDataEnd(); tail != nil || r.U8() != 0xEE || r.Err() != nil {
		t.Fatalf("tail %x: %v", tail, r.Err())
	}
	w := NewWriter(header)
	w.AnyDataBegin("NullData")
	w.StructBegin(0)
	w.StructEnd(nil)
	w.StructBegin(0)
	w.StructEnd(nil)
	w.AnyDataEnd()
	w.U8(0xEE)
	if !bytes.Equal(w.Bytes(), in) || w.Err() != nil {
		t.Fatalf("re-encoded %x", w.Bytes())
	}

	r = NewReader(in, header)
	class, inner := r.AnyDataRaw()
	if class != "NullData" || len(inner) != 10 || r.U8() != 0xEE {
		t.Fatalf("raw: %q %x %v", class, inner, r.Err())
	}
	w.Reset()
	w.AnyDataRaw(class, inner)
	w.U8(0xEE)
	if !bytes.Equal(w.Bytes(), in) {
		t.Fatalf("raw re-encoded %x", w.Bytes())
	}

	// Unknown content of a known class survives as a tail.
	r = NewReader(mustHex(t, "020041"+"00"+"07000000"+"03000000"+"010203"), wiiu)
	if r.AnyDataBegin() != "A" || r.U8() != 1 {
		t.Fatal(r.Err())
	}
	if tail := r.AnyDataEnd(); !bytes.Equal(tail, []byte{2, 3}) || r.Err() != nil {
		t.Fatalf("tail %x %v", tail, r.Err())
	}
}

func TestAnyDataErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		err  error
	}{
		{"outer != inner+4", "020041" + "00" + "06000000" + "03000000" + "010203", ErrInvalid},
		{"inner beyond input", "020041" + "00" + "08000000" + "04000000" + "010203", ErrInvalid},
		{"huge lengths", "020041" + "00" + "03000000" + "ffffffff", ErrInvalid},
		{"truncated lengths", "020041" + "00" + "07000000" + "0300", ErrShort},
		{"truncated class", "0500414243", ErrShort},
	}
	for _, tt := range tests {
		r := NewReader(mustHex(t, tt.in), wiiu)
		c := r.AnyDataBegin()
		r.AnyDataEnd()
		if c != "" || !errors.Is(r.Err(), tt.err) {
			t.Errorf("%s: %q, %v; want %v", tt.name, c, r.Err(), tt.err)
		}
		r = NewReader(mustHex(t, tt.in), wiiu)
		if c, inner := r.AnyDataRaw(); c != "" || inner != nil || !errors.Is(r.Err(), tt.err) {
			t.Errorf("%s raw: %q %x, %v", tt.name, c, inner, r.Err())
		}
	}
}

func TestReaderReset(t *testing.T) {
	r := NewReader([]byte{1}, header)
	r.U32()
	r.Reset([]byte{2, 0}, wiiu)
	if r.Err() != nil || r.U16() != 2 || r.Settings() != wiiu || r.Depth() != 0 {
		t.Fatal("reset")
	}
}
