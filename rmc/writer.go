package rmc

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Writer encodes NEX values into a growing buffer. It mirrors Reader method
// for method. Misuse (a string longer than its u16 prefix, an unbalanced
// StructEnd, a Variant whose value does not match its type) is recorded as a
// sticky error in Err instead of panicking, so schema encoders check once.
// Reset keeps the buffer so a Writer can be reused without allocating.
type Writer struct {
	buf   []byte
	s     Settings
	err   error
	open  []wframe
	stack [8]wframe
}

// wframe is an open structure level or holder awaiting its back-patch.
type wframe struct {
	start int // offset of the header (version byte / outer length)
	kind  uint8
}

const (
	frameStructBare uint8 = iota // structure without header: nothing to patch
	frameStruct
	frameAnyData
)

// NewWriter returns an empty Writer.
func NewWriter(s Settings) *Writer {
	w := &Writer{s: s}
	w.open = w.stack[:0]
	return w
}

// Reset empties the Writer, keeping its buffer and settings.
func (w *Writer) Reset() {
	w.buf, w.err = w.buf[:0], nil
	w.open = w.stack[:0]
}

// SetSettings changes the settings used by later writes.
func (w *Writer) SetSettings(s Settings) { w.s = s }

// Settings returns the settings the Writer encodes with.
func (w *Writer) Settings() Settings { return w.s }

// Bytes returns the encoded bytes. The slice aliases the Writer's buffer
// and is valid until the next write or Reset.
func (w *Writer) Bytes() []byte { return w.buf }

// Len returns the number of bytes written.
func (w *Writer) Len() int { return len(w.buf) }

// Err returns the first encoding error (wrapping ErrTooLong or ErrInvalid).
func (w *Writer) Err() error { return w.err }

func (w *Writer) fail(what string, err error) {
	if w.err == nil {
		w.err = fmt.Errorf("rmc: write %s: %w", what, err)
	}
}

// Grow makes room for n more bytes, so an encoder that knows its typical
// output size fills one buffer instead of growing it through several copies.
func (w *Writer) Grow(n int) { w.buf = slices.Grow(w.buf, n) }

// Raw appends bytes without a length prefix (the mirror of Reader.Bytes).
func (w *Writer) Raw(b []byte) { w.buf = append(w.buf, b...) }

// Write appends p; it makes Writer an io.Writer and never fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// U8 writes a byte.
func (w *Writer) U8(v uint8) { w.buf = append(w.buf, v) }

// U16 writes a little-endian u16.
func (w *Writer) U16(v uint16) { w.buf = binary.LittleEndian.AppendUint16(w.buf, v) }

// U32 writes a little-endian u32.
func (w *Writer) U32(v uint32) { w.buf = binary.LittleEndian.AppendUint32(w.buf, v) }

// U64 writes a little-endian u64.
func (w *Writer) U64(v uint64) { w.buf = binary.LittleEndian.AppendUint64(w.buf, v) }

// S8 writes a signed byte.
func (w *Writer) S8(v int8) { w.U8(uint8(v)) }

// S16 writes a little-endian s16.
func (w *Writer) S16(v int16) { w.U16(uint16(v)) }

// S32 writes a little-endian s32.
func (w *Writer) S32(v int32) { w.U32(uint32(v)) }

// S64 writes a little-endian s64.
func (w *Writer) S64(v int64) { w.U64(uint64(v)) }

// Float writes an IEEE-754 single.
func (w *Writer) Float(v float32) { w.U32(math.Float32bits(v)) }

// Double writes an IEEE-754 double.
func (w *Writer) Double(v float64) { w.U64(math.Float64bits(v)) }

// Bool writes 1 or 0.
func (w *Writer) Bool(v bool) {
	if v {
		w.U8(1)
	} else {
		w.U8(0)
	}
}

// PID writes a principal id in Settings.PIDSize bytes. A value that does not
// fit a 4-byte PID is an error rather than silently truncated.
func (w *Writer) PID(v uint64) {
	if w.s.PIDSize == 8 {
		w.U64(v)
		return
	}
	if v > math.MaxUint32 {
		w.fail("pid", fmt.Errorf("%d does not fit 4 bytes: %w", v, ErrTooLong))
	}
	w.U32(uint32(v))
}

// Result writes a result code.
func (w *Writer) Result(v Result) { w.U32(uint32(v)) }

// DateTime writes a packed calendar date.
func (w *Writer) DateTime(v DateTime) { w.U64(uint64(v)) }

// QUUID writes 16 raw bytes.
func (w *Writer) QUUID(v [16]byte) { w.buf = append(w.buf, v[:]...) }

// Buffer writes a u32-length-prefixed byte string.
func (w *Writer) Buffer(b []byte) {
	if uint64(len(b)) > math.MaxUint32 {
		w.fail("buffer", fmt.Errorf("%d bytes: %w", len(b), ErrTooLong))
		return
	}
	w.U32(uint32(len(b)))
	w.buf = append(w.buf, b...)
}

// QBuffer writes a u16-length-prefixed byte string.
func (w *Writer) QBuffer(b []byte) {
	if len(b) > math.MaxUint16 {
		w.fail("qbuffer", fmt.Errorf("%d bytes: %w", len(b), ErrTooLong))
		return
	}
	w.U16(uint16(len(b)))
	w.buf = append(w.buf, b...)
}

// String writes s with its NUL terminator, length counting the NUL. The
// empty string is 01 00 00; use StringNull for the 00 00 form.
func (w *Writer) String(s string) {
	if len(s)+1 > math.MaxUint16 {
		w.fail("string", fmt.Errorf("%d bytes: %w", len(s), ErrTooLong))
		return
	}
	w.U16(uint16(len(s) + 1))
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, 0)
}

// StringNull writes the null string 00 00 (length 0, no terminator), the
// form NintendoClients uses for an unset string.
func (w *Writer) StringNull() { w.U16(0) }

// StringBytes writes a String whose content (terminator included) is given
// verbatim; the mirror of Reader.StringBytes.
func (w *Writer) StringBytes(content []byte) {
	if len(content) > math.MaxUint16 {
		w.fail("string", fmt.Errorf("%d bytes: %w", len(content), ErrTooLong))
		return
	}
	w.U16(uint16(len(content)))
	w.buf = append(w.buf, content...)
}

// StationURL writes the URL's text as a String.
// The text is built in place after a length placeholder, sparing a
// temporary string.
func (w *Writer) StationURL(u StationURL) {
	start := len(w.buf)
	w.buf = append(u.appendString(append(w.buf, 0, 0)), 0)
	n := len(w.buf) - start - 2
	if n > math.MaxUint16 {
		w.fail("station url", fmt.Errorf("%d bytes: %w", n, ErrTooLong))
		w.buf = w.buf[:start]
		return
	}
	binary.LittleEndian.PutUint16(w.buf[start:], uint16(n))
}

// Variant writes a type id and its value. Value must have the Go type the
// type id implies (see Variant); integer kinds are converted when they fit.
func (w *Writer) Variant(v Variant) {
	w.U8(v.Type)
	if v.Type == VariantNone {
		return
	}
	switch v.Type {
	case VariantInt64:
		if x, ok := asInt64(v.Value); ok {
			w.S64(x)
			return
		}
	case VariantUInt64:
		if x, ok := asUint64(v.Value); ok {
			w.U64(x)
			return
		}
	case VariantDouble:
		switch x := v.Value.(type) {
		case float64:
			w.Double(x)
			return
		case float32:
			w.Double(float64(x))
			return
		}
	case VariantBool:
		if x, ok := v.Value.(bool); ok {
			w.Bool(x)
			return
		}
	case VariantString:
		if x, ok := v.Value.(string); ok {
			w.String(x)
			return
		}
	case VariantDateTime:
		switch x := v.Value.(type) {
		case DateTime:
			w.DateTime(x)
			return
		case uint64:
			w.U64(x)
			return
		}
	default:
		w.fail("variant", fmt.Errorf("type id %d: %w", v.Type, ErrInvalid))
		return
	}
	w.fail("variant", fmt.Errorf("type id %d with value %T: %w", v.Type, v.Value, ErrInvalid))
}

// ListLen writes a List/Map (or qvector, qlist, std_list) element count.
func (w *Writer) ListLen(n int) {
	if n < 0 || uint64(n) > math.MaxUint32 {
		w.fail("list length", fmt.Errorf("%d: %w", n, ErrTooLong))
		return
	}
	w.U32(uint32(n))
}

// StructBegin opens one structure level. With headers on it writes the
// version and a length placeholder that StructEnd fills in.
func (w *Writer) StructBegin(version uint8) {
	if !w.s.StructHeader {
		w.open = append(w.open, wframe{start: len(w.buf), kind: frameStructBare})
		return
	}
	w.open = append(w.open, wframe{start: len(w.buf), kind: frameStruct})
	w.buf = append(w.buf, version, 0, 0, 0, 0)
}

// StructEnd appends tail (the unread content Reader.StructEnd returned; nil
// for a new structure) and closes the innermost level, back-patching its
// length when headers are on.
func (w *Writer) StructEnd(tail []byte) {
	if len(w.open) == 0 || w.open[len(w.open)-1].kind == frameAnyData {
		w.fail("struct end", fmt.Errorf("no open structure: %w", ErrInvalid))
		return
	}
	w.buf = append(w.buf, tail...)
	f := w.open[len(w.open)-1]
	w.open = w.open[:len(w.open)-1]
	if f.kind == frameStructBare {
		return
	}
	start := f.start
	n := len(w.buf) - start - 5
	if uint64(n) > math.MaxUint32 {
		w.fail("struct end", fmt.Errorf("%d bytes: %w", n, ErrTooLong))
		return
	}
	binary.LittleEndian.PutUint32(w.buf[start+1:], uint32(n))
}

// AnyDataBegin writes the class name and two length placeholders; the held
// object follows, closed by AnyDataEnd.
func (w *Writer) AnyDataBegin(class string) {
	w.String(class)
	w.open = append(w.open, wframe{start: len(w.buf), kind: frameAnyData})
	w.buf = append(w.buf, 0, 0, 0, 0, 0, 0, 0, 0)
}

// AnyDataEnd closes the holder opened by AnyDataBegin, back-patching both
// lengths (outer = inner + 4).
func (w *Writer) AnyDataEnd() {
	if len(w.open) == 0 || w.open[len(w.open)-1].kind != frameAnyData {
		w.fail("anydata end", fmt.Errorf("no open holder: %w", ErrInvalid))
		return
	}
	start := w.open[len(w.open)-1].start
	w.open = w.open[:len(w.open)-1]
	n := len(w.buf) - start - 8
	if uint64(n)+4 > math.MaxUint32 {
		w.fail("anydata end", fmt.Errorf("%d bytes: %w", n, ErrTooLong))
		return
	}
	binary.LittleEndian.PutUint32(w.buf[start:], uint32(n+4))
	binary.LittleEndian.PutUint32(w.buf[start+4:], uint32(n))
}

// AnyDataRaw writes a holder around an already encoded object.
func (w *Writer) AnyDataRaw(class string, inner []byte) {
	w.AnyDataBegin(class)
	w.buf = append(w.buf, inner...)
	w.AnyDataEnd()
}

func asInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	}
	return 0, false
}

func asUint64(v any) (uint64, bool) {
	switch x := v.(type) {
	case uint64:
		return x, true
	case int64:
		return uint64(x), x >= 0
	case int:
		return uint64(x), x >= 0
	case uint32:
		return uint64(x), true
	}
	return 0, false
}
