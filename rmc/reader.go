package rmc

import (
	"encoding/binary"
	"fmt"
	"math"
)

// frame is one open structure or AnyDataHolder: the limit that was in force
// before it, and whether it imposed a limit of its own (headerless structures
// do not, so they have no tail).
type frame struct {
	savedEnd int
	limited  bool
	holder   bool // opened by AnyDataBegin, closed only by AnyDataEnd
}

// Reader decodes NEX values from a message body. Errors are sticky: after
// the first failure every read returns the zero value and Err reports what
// failed, so decoders read a whole structure and check once. Slices returned
// by Bytes, Buffer, QBuffer, StructEnd and AnyData* alias the input.
//
// Reader.String reads a value, so a *Reader is not a fmt.Stringer: printing
// one with %v would consume input.
type Reader struct {
	buf    []byte
	off    int
	end    int // limit of the innermost open structure, or len(buf)
	s      Settings
	err    error
	frames []frame
	stack  [8]frame // backing for frames so shallow nesting does not allocate
}

// NewReader returns a Reader over b. Settings are not validated here; a PID
// size other than 8 reads 4 bytes.
func NewReader(b []byte, s Settings) *Reader {
	r := new(Reader)
	r.Reset(b, s)
	return r
}

// Reset makes r read b from the start, so a Reader can be reused without
// allocating.
func (r *Reader) Reset(b []byte, s Settings) {
	r.buf, r.off, r.end, r.s, r.err = b, 0, len(b), s, nil
	r.frames = r.stack[:0]
}

// Settings returns the settings the Reader decodes with.
func (r *Reader) Settings() Settings { return r.s }

// Err returns the first error, a *DecodeError wrapping ErrShort or ErrInvalid.
func (r *Reader) Err() error { return r.err }

// Offset returns the position of the next read in the input.
func (r *Reader) Offset() int { return r.off }

// Remaining returns how many bytes are left before the innermost limit
// (the end of the open structure, or of the input).
func (r *Reader) Remaining() int {
	if r.err != nil {
		return 0
	}
	return r.end - r.off
}

// Depth returns the number of open structures and holders.
func (r *Reader) Depth() int { return len(r.frames) }

// Fail records err (if none is recorded yet) at the current offset; schema
// decoders use it to report semantic problems through the same channel.
func (r *Reader) Fail(what string, err error) {
	r.setErr(&DecodeError{Offset: r.off, What: what, Err: err})
}

// setErr records the first error and empties the readable window, so the
// fixed-size fast paths fail on their length check alone.
func (r *Reader) setErr(e *DecodeError) {
	if r.err == nil {
		r.err = e
		r.end = r.off
	}
}

// take returns the next n bytes or nil after recording ErrShort.
func (r *Reader) take(n int, what string) []byte {
	if r.err != nil || n < 0 || n > r.end-r.off {
		r.short(n, what)
		return nil
	}
	b := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

// short records a read of n bytes that does not fit. It is kept out of the
// fixed-size readers so that they inline.
func (r *Reader) short(n int, what string) {
	if r.err == nil {
		r.setErr(&DecodeError{Offset: r.off, What: what, Err: fmt.Errorf("need %d bytes, have %d: %w", n, r.end-r.off, ErrShort)})
	}
}

// U8 reads an unsigned byte.
func (r *Reader) U8() uint8 {
	if r.end-r.off >= 1 {
		v := r.buf[r.off]
		r.off++
		return v
	}
	r.short(1, "u8")
	return 0
}

// U16 reads a little-endian u16.
func (r *Reader) U16() uint16 {
	if r.end-r.off >= 2 {
		v := binary.LittleEndian.Uint16(r.buf[r.off:])
		r.off += 2
		return v
	}
	r.short(2, "u16")
	return 0
}

// U32 reads a little-endian u32.
func (r *Reader) U32() uint32 {
	if r.end-r.off >= 4 {
		v := binary.LittleEndian.Uint32(r.buf[r.off:])
		r.off += 4
		return v
	}
	r.short(4, "u32")
	return 0
}

// U64 reads a little-endian u64.
func (r *Reader) U64() uint64 {
	if r.end-r.off >= 8 {
		v := binary.LittleEndian.Uint64(r.buf[r.off:])
		r.off += 8
		return v
	}
	r.short(8, "u64")
	return 0
}

// S8 reads a signed byte.
func (r *Reader) S8() int8 { return int8(r.U8()) }

// S16 reads a little-endian s16.
func (r *Reader) S16() int16 { return int16(r.U16()) }

// S32 reads a little-endian s32.
func (r *Reader) S32() int32 { return int32(r.U32()) }

// S64 reads a little-endian s64.
func (r *Reader) S64() int64 { return int64(r.U64()) }

// Float reads an IEEE-754 single.
func (r *Reader) Float() float32 { return math.Float32frombits(r.U32()) }

// Double reads an IEEE-754 double.
func (r *Reader) Double() float64 { return math.Float64frombits(r.U64()) }

// Bool reads one byte; any non-zero value is true, as in both references.
// Use U8 where the exact byte must survive re-encoding.
func (r *Reader) Bool() bool { return r.U8() != 0 }

// PID reads a principal id: u32 or u64 depending on Settings.PIDSize.
func (r *Reader) PID() uint64 {
	if r.s.PIDSize == 8 {
		return r.U64()
	}
	return uint64(r.U32())
}

// Result reads a result code.
func (r *Reader) Result() Result { return Result(r.U32()) }

// DateTime reads a packed calendar date.
func (r *Reader) DateTime() DateTime { return DateTime(r.U64()) }

// QUUID reads 16 raw bytes.
func (r *Reader) QUUID() [16]byte {
	var u [16]byte
	copy(u[:], r.take(16, "quuid"))
	return u
}

// Bytes reads n raw bytes.
func (r *Reader) Bytes(n int) []byte { return r.take(n, "bytes") }

// Rest reads everything up to the innermost limit: the unparsed remainder
// of a body or structure, for passing through what a schema does not cover.
func (r *Reader) Rest() []byte {
	if r.err != nil {
		return nil
	}
	return r.take(r.end-r.off, "rest")
}

// Buffer reads a u32-length-prefixed byte string.
func (r *Reader) Buffer() []byte {
	n := r.U32()
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(r.end-r.off) {
		r.setErr(&DecodeError{Offset: r.off - 4, What: "buffer", Err: fmt.Errorf("length %d beyond %d remaining bytes: %w", n, r.end-r.off, ErrShort)})
		return nil
	}
	return r.take(int(n), "buffer")
}

// QBuffer reads a u16-length-prefixed byte string.
func (r *Reader) QBuffer() []byte {
	n := r.U16()
	if r.err != nil {
		return nil
	}
	return r.take(int(n), "qbuffer")
}

// StringBytes reads a String and returns its content exactly as encoded
// (normally the text plus one NUL; empty for the 00 00 null form). With
// Writer.StringBytes it reproduces any encoding, even a malformed one.
func (r *Reader) StringBytes() []byte {
	n := r.U16()
	if r.err != nil {
		return nil
	}
	return r.take(int(n), "string")
}

// String reads a String leniently: the null form 00 00 reads as "", and all
// trailing NULs are stripped (both references do the same).
func (r *Reader) String() string {
	b := r.StringBytes()
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return string(b)
}

// StringRaw reads a String so that it can be re-encoded byte for byte:
// null reports the 00 00 form (re-encode with Writer.StringNull), otherwise
// s is the content minus exactly one terminating NUL, so extra NULs are kept
// and Writer.String(s) reproduces the bytes. Content without any terminator
// is malformed: it is returned as is (Writer.String would add a NUL); use
// StringBytes to keep even that form.
func (r *Reader) StringRaw() (s string, null bool) {
	b := r.StringBytes()
	if r.err != nil {
		return "", false
	}
	if len(b) == 0 {
		return "", true
	}
	if b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return string(b), false
}

// StationURL reads a String and parses it as a station URL; a URL that does
// not parse is an ErrInvalid decode error.
func (r *Reader) StationURL() StationURL {
	off := r.off
	s := r.String()
	if r.err != nil {
		return StationURL{}
	}
	u, err := ParseStationURL(s)
	if err != nil {
		r.setErr(&DecodeError{Offset: off, What: "station url", Err: fmt.Errorf("%v: %w", err, ErrInvalid)})
		return StationURL{}
	}
	return u
}

// Variant reads a type id and the value it announces (rmc.md §4.6).
func (r *Reader) Variant() Variant {
	off := r.off
	t := r.U8()
	if r.err != nil {
		return Variant{}
	}
	switch t {
	case VariantNone:
		return Variant{Type: t}
	case VariantInt64:
		v := r.S64()
		if r.err == nil {
			return Variant{Type: t, Value: v}
		}
	case VariantDouble:
		v := r.Double()
		if r.err == nil {
			return Variant{Type: t, Value: v}
		}
	case VariantBool:
		v := r.Bool()
		if r.err == nil {
			return Variant{Type: t, Value: v}
		}
	case VariantString:
		v := r.String()
		if r.err == nil {
			return Variant{Type: t, Value: v}
		}
	case VariantDateTime:
		v := r.DateTime()
		if r.err == nil {
			return Variant{Type: t, Value: v}
		}
	case VariantUInt64:
		v := r.U64()
		if r.err == nil {
			return Variant{Type: t, Value: v}
		}
	default:
		r.setErr(&DecodeError{Offset: off, What: "variant", Err: fmt.Errorf("type id %d: %w", t, ErrInvalid)})
	}
	return Variant{}
}

// ListLen reads a List/Map element count; qvector, qlist and std_list are
// Lists on the wire (rmc.md §4.3), so they are read with it too. Every
// element occupies at least one byte, so a count above Remaining is
// rejected before any caller allocates for it.
func (r *Reader) ListLen() int {
	off := r.off
	n := r.U32()
	if r.err != nil {
		return 0
	}
	if uint64(n) > uint64(r.end-r.off) {
		r.setErr(&DecodeError{Offset: off, What: "list length", Err: fmt.Errorf("count %d exceeds %d remaining bytes: %w", n, r.end-r.off, ErrInvalid)})
		return 0
	}
	return int(n)
}

// StructBegin opens one structure level (one inheritance level). With
// structure headers on it reads the version and content length and limits
// further reads to the content; without headers it returns version 0 and
// imposes no limit. Every StructBegin needs a matching StructEnd.
func (r *Reader) StructBegin() (version uint8) {
	if !r.s.StructHeader {
		r.frames = append(r.frames, frame{savedEnd: r.end})
		return 0
	}
	off := r.off
	version = r.U8()
	n := r.U32()
	if r.err != nil {
		r.frames = append(r.frames, frame{savedEnd: r.end, limited: true})
		return 0
	}
	if uint64(n) > uint64(r.end-r.off) {
		r.setErr(&DecodeError{Offset: off, What: "struct header", Err: fmt.Errorf("content length %d beyond %d remaining bytes: %w", n, r.end-r.off, ErrInvalid)})
		r.frames = append(r.frames, frame{savedEnd: r.end, limited: true})
		return 0
	}
	r.frames = append(r.frames, frame{savedEnd: r.end, limited: true})
	r.end = r.off + int(n)
	return version
}

// StructEnd closes the innermost structure level. It returns the content
// bytes the decoder did not read (fields of a newer revision), which must be
// handed to Writer.StructEnd to re-encode the structure without loss, and
// continues after the content. Without headers it returns nil.
func (r *Reader) StructEnd() []byte { return r.pop("struct end", false) }

// AnyDataBegin opens an AnyDataHolder (rmc.md §7): it reads the class name
// and both lengths and limits further reads to the held object.
func (r *Reader) AnyDataBegin() (className string) {
	off := r.off
	className = r.String()
	outer := r.U32()
	inner := r.U32()
	r.frames = append(r.frames, frame{savedEnd: r.end, limited: true, holder: true})
	if r.err != nil {
		return ""
	}
	if uint64(outer) != uint64(inner)+4 {
		r.setErr(&DecodeError{Offset: off, What: "anydata header", Err: fmt.Errorf("outer length %d, inner length %d: %w", outer, inner, ErrInvalid)})
		return ""
	}
	if uint64(inner) > uint64(r.end-r.off) {
		r.setErr(&DecodeError{Offset: off, What: "anydata header", Err: fmt.Errorf("inner length %d beyond %d remaining bytes: %w", inner, r.end-r.off, ErrInvalid)})
		return ""
	}
	r.end = r.off + int(inner)
	return className
}

// AnyDataEnd closes the holder opened by AnyDataBegin and returns the unread
// tail of the held object.
func (r *Reader) AnyDataEnd() []byte { return r.pop("anydata end", true) }

// AnyDataRaw reads a whole AnyDataHolder without decoding the object: the
// way to pass through classes the proxy does not know.
func (r *Reader) AnyDataRaw() (class string, inner []byte) {
	class = r.AnyDataBegin()
	inner = r.take(r.Remaining(), "anydata")
	r.AnyDataEnd()
	if r.err != nil {
		return "", nil
	}
	return class, inner
}

func (r *Reader) pop(what string, holder bool) []byte {
	if len(r.frames) == 0 || r.frames[len(r.frames)-1].holder != holder {
		r.Fail(what, fmt.Errorf("does not match the innermost open level: %w", ErrInvalid))
		return nil
	}
	f := r.frames[len(r.frames)-1]
	r.frames = r.frames[:len(r.frames)-1]
	if r.err != nil {
		return nil
	}
	if !f.limited {
		return nil
	}
	tail := r.buf[r.off:r.end:r.end]
	r.off = r.end
	r.end = f.savedEnd
	if len(tail) == 0 {
		return nil
	}
	return tail
}
