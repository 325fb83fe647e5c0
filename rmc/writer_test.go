package rmc

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

// Writing every type and reading it back gives the same values, and the
// bytes match the hand-computed encoding.
func TestWriterMirrorsReader(t *testing.T) {
	u, err := ParseStationURL("prudps:/address=1.2.3.4;port=1;PID=2")
	if err != nil {
		t.Fatal(err)
	}
	uuid := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	w := NewWriter(sw)
	w.U8(1)
	w.U16(2)
	w.U32(3)
	w.U64(4)
	w.S8(-1)
	w.S16(-2)
	w.S32(-3)
	w.S64(-4)
	w.Float(1.5)
	w.Double(-2.5)
	w.Bool(true)
	w.Bool(false)
	w.PID(1 << 40)
	w.Result(ResultCoreAccessDenied)
	w.DateTime(Future)
	w.QUUID(uuid)
	w.String("hé")
	w.StringNull()
	w.Buffer([]byte{9, 9})
	w.QBuffer([]byte{8})
	w.Raw([]byte{7})
	w.ListLen(0)
	w.StationURL(u)
	w.Variant(VariantOfInt(-5))
	w.Variant(VariantOfInt(5))
	if w.Err() != nil {
		t.Fatal(w.Err())
	}
	r := NewReader(w.Bytes(), sw)
	ok := r.U8() == 1 && r.U16() == 2 && r.U32() == 3 && r.U64() == 4 && r.S8() == -1 && r.S16() == -2 &&
		r.S32() == -3 && r.S64() == -4 && r.Float() == 1.5 && r.Double() == -2.5 && r.Bool() && !r.Bool() &&
		r.PID() == 1<<40 && r.Result() == ResultCoreAccessDenied && r.DateTime() == Future && r.QUUID() == uuid
	if !ok {
		t.Fatalf("scalars: %v", r.Err())
	}
	if s := r.String(); s != "hé" {
		t.Fatalf("string %q", s)
	}
	if s, null := r.StringRaw(); s != "" || !null {
		t.Fatal("null string")
	}
	if !bytes.Equal(r.Buffer(), []byte{9, 9}) || !bytes.Equal(r.QBuffer(), []byte{8}) || !bytes.Equal(r.Bytes(1), []byte{7}) || r.ListLen() != 0 {
		t.Fatal("buffers")
	}
	if got := r.StationURL(); got.String() != u.String() {
		t.Fatalf("url %q", got)
	}
	if v := r.Variant(); v != (Variant{VariantInt64, int64(-5)}) {
		t.Fatalf("variant %#v", v)
	}
	if v := r.Variant(); v != (Variant{VariantUInt64, uint64(5)}) {
		t.Fatalf("variant %#v", v)
	}
	if r.Err() != nil || r.Remaining() != 0 {
		t.Fatalf("%v, %d left", r.Err(), r.Remaining())
	}
	if w.Len() != len(w.Bytes()) {
		t.Fatal("Len")
	}
}

func TestWriterEncodings(t *testing.T) {
	tests := []struct {
		name string
		fn   func(w *Writer)
		want string
	}{
		{"empty string", func(w *Writer) { w.String("") }, "010000"},
		{"null string", func(w *Writer) { w.StringNull() }, "0000"},
		{"string", func(w *Writer) { w.String("123456") }, "0700313233343536" + "00"},
		{"empty url", func(w *Writer) { w.StationURL(StationURL{Scheme: "prudp"}) }, "080070727564703a2f00"},
		{"pid 4", func(w *Writer) { w.PID(0x01020304) }, "04030201"},
		{"bool", func(w *Writer) { w.Bool(true) }, "01"},
		{"variant none", func(w *Writer) { w.Variant(Variant{}) }, "00"},
		{"variant int from int", func(w *Writer) { w.Variant(Variant{Type: VariantInt64, Value: -1}) }, "01ffffffffffffffff"},
		{"variant datetime from u64", func(w *Writer) { w.Variant(Variant{Type: VariantDateTime, Value: uint64(1)}) }, "050100000000000000"},
		{"variant double from float32", func(w *Writer) { w.Variant(Variant{Type: VariantDouble, Value: float32(1)}) }, "02000000000000f03f"},
		{"list len", func(w *Writer) { w.ListLen(3) }, "03000000"},
		{"write", func(w *Writer) { _, _ = w.Write([]byte{1, 2}) }, "0102"},
	}
	for _, tt := range tests {
		w := NewWriter(wiiu)
		tt.fn(w)
		if w.Err() != nil || !bytes.Equal(w.Bytes(), mustHex(t, tt.want)) {
			t.Errorf("%s: %x, %v; want %s", tt.name, w.Bytes(), w.Err(), tt.want)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name string
		fn   func(w *Writer)
		err  error
	}{
		{"string too long", func(w *Writer) { w.String(strings.Repeat("x", 65535)) }, ErrTooLong},
		{"string bytes too long", func(w *Writer) { w.StringBytes(make([]byte, 65536)) }, ErrTooLong},
		{"qbuffer too long", func(w *Writer) { w.QBuffer(make([]byte, 65536)) }, ErrTooLong},
		{"pid too large", func(w *Writer) { w.PID(math.MaxUint32 + 1) }, ErrTooLong},
		{"negative list", func(w *Writer) { w.ListLen(-1) }, ErrTooLong},
		{"variant bad id", func(w *Writer) { w.Variant(Variant{Type: 7}) }, ErrInvalid},
		{"variant value mismatch", func(w *Writer) { w.Variant(Variant{Type: VariantBool, Value: 1}) }, ErrInvalid},
		{"variant negative u64", func(w *Writer) { w.Variant(Variant{Type: VariantUInt64, Value: int64(-1)}) }, ErrInvalid},
		{"variant nil value", func(w *Writer) { w.Variant(Variant{Type: VariantString}) }, ErrInvalid},
		{"url too long", func(w *Writer) {
			w.StationURL(StationURL{Scheme: "prudp", Params: []URLParam{{"a", strings.Repeat("x", 70000)}}})
		}, ErrTooLong},
	}
	for _, tt := range tests {
		w := NewWriter(wiiu)
		tt.fn(w)
		if !errors.Is(w.Err(), tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, w.Err(), tt.err)
		}
		w.Reset()
		if w.Err() != nil || w.Len() != 0 {
			t.Errorf("%s: Reset kept state", tt.name)
		}
	}
	// The largest string that fits is accepted.
	w := NewWriter(wiiu)
	w.String(strings.Repeat("x", 65534))
	if w.Err() != nil || w.Len() != 65537 {
		t.Fatalf("max string: %v, %d", w.Err(), w.Len())
	}
}

func TestWriterStructBackPatch(t *testing.T) {
	w := NewWriter(header)
	w.U8(0xAA)
	w.StructBegin(2)
	w.StructBegin(3)
	w.String("x")
	w.StructEnd(nil)
	w.AnyDataBegin("C")
	w.U32(1)
	w.AnyDataEnd()
	w.StructEnd([]byte{0xBB})
	want := "aa" + "02" + "1a000000" + "03" + "04000000" + "02007800" + "02004300" + "08000000" + "04000000" + "01000000" + "bb"
	if w.Err() != nil || !bytes.Equal(w.Bytes(), mustHex(t, want)) {
		t.Fatalf("%x, %v\nwant %s", w.Bytes(), w.Err(), want)
	}
	// Settings can change between messages of a reused Writer.
	w.Reset()
	w.SetSettings(wiiu)
	w.StructBegin(2)
	w.U8(1)
	w.StructEnd(nil)
	if !bytes.Equal(w.Bytes(), []byte{1}) || w.Settings() != wiiu {
		t.Fatalf("%x", w.Bytes())
	}
}

func TestWriterGrow(t *testing.T) {
	w := NewWriter(wiiu)
	w.U8(1)
	w.Grow(100)
	if c := cap(w.Bytes()); c < 101 {
		t.Fatalf("cap %d after Grow(100) with 1 byte written", c)
	}
	before := &w.Bytes()[0]
	w.Raw(make([]byte, 100))
	if &w.Bytes()[0] != before || w.Bytes()[0] != 1 || w.Len() != 101 {
		t.Fatal("writes within the grown room moved or lost the buffer")
	}
}
