// Package typed is the runtime of the generated protocol packages
// (rmc/protocols/...): the Decoder and Encoder their structures and calls
// are written against, the AnyDataHolder type with its class registry, and
// the ordered Map type.
//
// Generated values re-encode to the exact bytes they were decoded from,
// as the value tree of rmc/schema does: every structure level and call keeps
// a Wire with its header version, the header content it did not describe
// (tail) and the few wire details a Go field cannot hold (the 00 00 null
// and unterminated string forms, bool bytes other than 0 and 1, station
// URLs that do not parse). A value built in Go has a zero Wire and encodes
// with the header version its structure has at the session's NEX version.
package typed

import (
	"errors"
	"fmt"
	"sync"

	"github.com/nexproxy/nexproxy/rmc"
)

// ErrTrailing reports bytes left after the last value of a message, where
// no structure header could keep them as a tail.
var ErrTrailing = errors.New("typed: trailing bytes after the last value")

// Struct is implemented by every generated structure level; it is what an
// AnyData holds.
type Struct interface {
	// ClassName is the structure's NEX name, the AnyDataHolder class name.
	ClassName() string
	// DecodeFrom reads every level of the structure, root level first.
	DecodeFrom(d *Decoder)
	// EncodeTo writes every level of the structure.
	EncodeTo(e *Encoder)
}

// Message is a generated call body (a method's request or response) or
// structure that decodes from and encodes to a whole body.
type Message interface {
	DecodeFrom(d *Decoder)
	EncodeTo(e *Encoder)
}

var classes = map[string]classEntry{}

type classEntry struct {
	name string // the canonical name, so decoded class names need no copy
	new  func() Struct
}

// Register makes class decodable inside AnyData holders. Generated packages
// call it from init; it must not be called after init, since decoding reads
// the registry without locks. A second registration of a name panics: two
// packages describing one class is a generator bug.
func Register(class string, fn func() Struct) {
	if _, dup := classes[class]; dup {
		panic("typed: class " + class + " registered twice")
	}
	classes[class] = classEntry{name: class, new: fn}
}

// New returns a fresh value of a registered class, nil for an unknown one.
func New(class string) Struct {
	if e, ok := classes[class]; ok {
		return e.new()
	}
	return nil
}

// Classes reports how many classes are registered (for tests).
func Classes() int { return len(classes) }

// AnyData is an AnyDataHolder (rmc.md §7): a class name and the object it
// names. The object is decoded into Value when the class is registered
// (its package is linked in) and its bytes decode cleanly; otherwise Raw
// keeps the held bytes, exactly as the schema's value tree does.
type AnyData struct {
	// Class is the class name; when empty, encoding uses Value's.
	Class string
	// Value is the decoded object (a pointer to a generated structure).
	Value Struct
	// Raw holds the object's bytes when Value is nil.
	Raw []byte
}

// Hold returns a holder for v under its own class name.
func Hold(v Struct) AnyData { return AnyData{Class: v.ClassName(), Value: v} }

// Pair is one entry of a Map.
type Pair[K comparable, V any] struct {
	Key   K
	Value V
}

// Map is a NEX Map kept in wire order (a Go map would reorder entries and
// lose duplicate keys, so re-encoding would not give the same bytes).
type Map[K comparable, V any] []Pair[K, V]

// Get returns the value of the first entry with key k.
func (m Map[K, V]) Get(k K) (V, bool) {
	for _, p := range m {
		if p.Key == k {
			return p.Value, true
		}
	}
	var zero V
	return zero, false
}

// Set replaces the value of the first entry with key k in place, or
// appends an entry.
func (m *Map[K, V]) Set(k K, v V) {
	for i := range *m {
		if (*m)[i].Key == k {
			(*m)[i].Value = v
			return
		}
	}
	*m = append(*m, Pair[K, V]{Key: k, Value: v})
}

// URL parses a station URL that is known to be valid (generated defaults
// such as "prudp:/"); it panics otherwise.
func URL(s string) rmc.StationURL {
	u, err := rmc.ParseStationURL(s)
	if err != nil {
		panic(err)
	}
	return u
}

// oddKind says which wire detail an odd entry keeps.
type oddKind uint8

const (
	oddNull         oddKind = iota + 1 // string written as 00 00
	oddUnterminated                    // string content without a final NUL
	oddBool                            // bool byte other than 0 and 1
	oddURL                             // station URL that does not parse; text keeps it
)

// odd is one unusual wire detail of a level, keyed by the ordinal of the
// string, bool, station URL, variant or class name it belongs to (counted
// in wire order within the level).
type odd struct {
	n    int32
	kind oddKind
	form oddKind // string form of an oddURL (0, oddNull or oddUnterminated)
	b    byte
	text string
}

// Wire is what one decoded structure level or call keeps to re-encode its
// exact bytes. The zero Wire is a value built in Go.
type Wire struct {
	decoded bool
	version uint8
	tail    []byte
	odd     []odd
}

// Version returns the header version the level was decoded with, and
// whether it was decoded at all.
func (w *Wire) Version() (uint8, bool) { return w.version, w.decoded }

// Tail returns the header content the description does not cover.
func (w *Wire) Tail() []byte { return w.tail }

// Reset forgets the decoded wire details, so the level encodes as if built
// in Go (with the current NEX version's header version and no tail).
func (w *Wire) Reset() { *w = Wire{} }

var decoders = sync.Pool{New: func() any { return new(Decoder) }}

// Decoder reads generated values from a body. Errors are sticky in the
// underlying rmc.Reader; Close reports them.
type Decoder struct {
	r    rmc.Reader
	nex  int
	n    int32 // ordinal of the next odd-capable value in the current level
	odds []odd // odd details of the open levels, innermost last
}

// NewDecoder returns a pooled decoder over body; Close returns it.
func NewDecoder(body []byte, s rmc.Settings) *Decoder {
	d := decoders.Get().(*Decoder)
	d.r.Reset(body, s)
	d.nex, d.n, d.odds = s.NEXVersion, 0, d.odds[:0]
	return d
}

// Close reports the first decode error, or ErrTrailing when bytes remain
// after the last value, wrapped with what was decoded; the decoder goes back
// to the pool and must not be used again.
func (d *Decoder) Close(what string) error {
	var err error
	if e := d.r.Err(); e != nil {
		err = fmt.Errorf("typed: decode %s: %w", what, e)
	} else if n := d.r.Remaining(); n > 0 {
		err = fmt.Errorf("typed: decode %s: %d bytes after the last value at offset %d: %w", what, n, d.r.Offset(), ErrTrailing)
	}
	d.r.Reset(nil, rmc.Settings{})
	decoders.Put(d)
	return err
}

// Reader returns the underlying reader for plain values.
func (d *Decoder) Reader() *rmc.Reader { return &d.r }

// NEX returns the NEX version decoded for.
func (d *Decoder) NEX() int { return d.nex }

// Level is an open structure level or call of a Decoder or Encoder.
type Level struct {
	// Rev is the level's header version: what "revision >= R" conditions
	// compare with.
	Rev   uint8
	n     int32
	start int
	odd   []odd
	w     *Wire
}

// Begin opens a structure level: it reads the header (with headers on).
func (d *Decoder) Begin() Level {
	l := Level{Rev: d.r.StructBegin(), n: d.n, start: len(d.odds)}
	d.n = 0
	return l
}

// End closes the level opened by Begin and returns its Wire.
func (d *Decoder) End(l Level) Wire {
	w := Wire{decoded: true, version: l.Rev, tail: d.r.StructEnd()}
	w.odd = d.leave(l)
	return w
}

// Enter opens a call (a request's parameters or a response's values).
func (d *Decoder) Enter() Level {
	l := Level{n: d.n, start: len(d.odds)}
	d.n = 0
	return l
}

// Leave closes the call opened by Enter and returns its Wire.
func (d *Decoder) Leave(l Level) Wire {
	return Wire{decoded: true, odd: d.leave(l)}
}

func (d *Decoder) leave(l Level) []odd {
	var out []odd
	if len(d.odds) > l.start {
		out = append(out, d.odds[l.start:]...)
		d.odds = d.odds[:l.start]
	}
	d.n = l.n
	return out
}

func (d *Decoder) next() int32 {
	n := d.n
	d.n++
	return n
}

// content reads a String's content and says whether its form is unusual.
func (d *Decoder) content() (b []byte, form oddKind) {
	b = d.r.StringBytes()
	switch {
	case d.r.Err() != nil:
		return nil, 0
	case len(b) == 0:
		return b, oddNull
	case b[len(b)-1] == 0:
		return b[:len(b)-1], 0
	}
	return b, oddUnterminated
}

// String reads a String, keeping its wire form.
func (d *Decoder) String() string {
	n := d.next()
	b, form := d.content()
	if form != 0 {
		d.odds = append(d.odds, odd{n: n, kind: form})
	}
	return string(b)
}

// Bool reads a bool, keeping a byte other than 0 and 1.
func (d *Decoder) Bool() bool {
	n := d.next()
	b := d.r.U8()
	if b > 1 {
		d.odds = append(d.odds, odd{n: n, kind: oddBool, b: b})
	}
	return b != 0
}

// StationURL reads a station URL. Text that does not parse is kept in the
// level's Wire and the field reads as the zero StationURL, which encodes
// that text again while it is left unchanged.
func (d *Decoder) StationURL() rmc.StationURL {
	n := d.next()
	b, form := d.content()
	if d.r.Err() != nil {
		return rmc.StationURL{}
	}
	u, err := rmc.ParseStationURL(string(b))
	if err != nil {
		d.odds = append(d.odds, odd{n: n, kind: oddURL, form: form, text: string(b)})
		return rmc.StationURL{}
	}
	if form != 0 {
		d.odds = append(d.odds, odd{n: n, kind: form})
	}
	return u
}

// Variant reads a Variant; Value has the Go type rmc documents for its id.
func (d *Decoder) Variant() rmc.Variant {
	t := d.r.U8()
	if d.r.Err() != nil {
		d.n++
		return rmc.Variant{}
	}
	switch t {
	case rmc.VariantBool:
		return rmc.Variant{Type: t, Value: d.Bool()}
	case rmc.VariantString:
		return rmc.Variant{Type: t, Value: d.String()}
	}
	d.n++
	switch t {
	case rmc.VariantNone:
		return rmc.Variant{Type: t}
	case rmc.VariantInt64:
		return rmc.Variant{Type: t, Value: d.r.S64()}
	case rmc.VariantDouble:
		return rmc.Variant{Type: t, Value: d.r.Double()}
	case rmc.VariantDateTime:
		return rmc.Variant{Type: t, Value: d.r.DateTime()}
	case rmc.VariantUInt64:
		return rmc.Variant{Type: t, Value: d.r.U64()}
	}
	d.r.Fail("variant", fmt.Errorf("type id %d: %w", t, rmc.ErrInvalid))
	return rmc.Variant{}
}

// AnyData reads an AnyDataHolder into a.
func (d *Decoder) AnyData(a *AnyData) {
	*a = AnyData{}
	n := d.next()
	b, form := d.content()
	if form != 0 {
		d.odds = append(d.odds, odd{n: n, kind: form})
	}
	e, known := classes[string(b)]
	if known {
		a.Class = e.name
	} else {
		a.Class = string(b)
	}
	off := d.r.Offset()
	outer, size := d.r.U32(), d.r.U32()
	if d.r.Err() != nil {
		return
	}
	if uint64(outer) != uint64(size)+4 {
		d.r.Fail("anydata header", fmt.Errorf("outer length %d, inner length %d at offset %d: %w", outer, size, off, rmc.ErrInvalid))
		return
	}
	inner := d.r.Bytes(int(size))
	if d.r.Err() != nil {
		return
	}
	if known {
		// The object gets a reader of its own: a class whose layout differs
		// from the description falls back to raw bytes for this holder
		// alone instead of failing the whole message.
		v := e.new()
		sub := NewDecoder(inner, d.r.Settings())
		v.DecodeFrom(sub)
		ok := sub.r.Err() == nil && sub.r.Remaining() == 0
		_ = sub.Close("")
		if ok {
			a.Value = v
			return
		}
	}
	a.Raw = inner
}

// NewDefault returns a fresh value of a registered class with the
// description's defaults set, nil for an unknown class.
func NewDefault(class string) Struct {
	v := New(class)
	if d, ok := v.(interface{ SetDefaults() }); ok {
		d.SetDefaults()
	}
	return v
}
