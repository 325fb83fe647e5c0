package typed

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"github.com/nexproxy/nexproxy/rmc"
)

var encoders = sync.Pool{New: func() any { return &Encoder{w: rmc.NewWriter(rmc.Settings{})} }}

// Encoder writes generated values into a body. Errors are sticky; Close
// reports them.
type Encoder struct {
	w   *rmc.Writer
	s   rmc.Settings
	n   int32 // ordinal of the next odd-capable value in the current level
	odd []odd // odd details of the current level
	err error
}

// NewEncoder returns a pooled encoder; Close returns it.
func NewEncoder(s rmc.Settings) *Encoder {
	e := encoders.Get().(*Encoder)
	e.w.Reset()
	e.w.SetSettings(s)
	e.s, e.n, e.odd, e.err = s, 0, nil, nil
	return e
}

// Close appends the encoded body to dst, or reports the first error
// wrapped with what was encoded; the encoder goes back to the pool.
func (e *Encoder) Close(dst []byte, what string) ([]byte, error) {
	err := e.err
	if err == nil {
		err = e.w.Err()
	}
	if err == nil {
		dst = append(dst, e.w.Bytes()...)
	} else {
		err = fmt.Errorf("typed: encode %s: %w", what, err)
	}
	// A huge body would pin its buffer in the pool forever.
	if cap(e.w.Bytes()) <= 64<<10 {
		e.odd = nil
		encoders.Put(e)
	}
	return dst, err
}

// Writer returns the underlying writer for plain values.
func (e *Encoder) Writer() *rmc.Writer { return e.w }

// NEX returns the NEX version encoded for.
func (e *Encoder) NEX() int { return e.s.NEXVersion }

// Fail records an error (the first one wins).
func (e *Encoder) Fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// Begin opens a structure level of w: a decoded level keeps its header
// version, a level built in Go gets fresh (the structure's revision at this
// NEX version) when headers are on, else 0.
func (e *Encoder) Begin(w *Wire, fresh uint8) Level {
	l := Level{n: e.n, odd: e.odd, w: w}
	switch {
	case w.decoded:
		l.Rev = w.version
	case e.s.StructHeader:
		l.Rev = fresh
	}
	e.n, e.odd = 0, w.odd
	e.w.StructBegin(l.Rev)
	return l
}

// End closes the level opened by Begin, writing back its tail.
func (e *Encoder) End(l Level) {
	if !e.s.StructHeader && len(l.w.tail) > 0 {
		e.Fail(fmt.Errorf("%d tail bytes need structure headers: %w", len(l.w.tail), rmc.ErrInvalid))
	}
	e.w.StructEnd(l.w.tail)
	e.n, e.odd = l.n, l.odd
}

// Enter opens a call whose Wire is w.
func (e *Encoder) Enter(w *Wire) Level {
	l := Level{n: e.n, odd: e.odd, w: w}
	e.n, e.odd = 0, w.odd
	return l
}

// Leave closes the call opened by Enter.
func (e *Encoder) Leave(l Level) { e.n, e.odd = l.n, l.odd }

// next returns the odd detail of the next odd-capable value, if any.
func (e *Encoder) next() *odd {
	n := e.n
	e.n++
	for i := range e.odd {
		if e.odd[i].n == n {
			return &e.odd[i]
		}
	}
	return nil
}

// strForm writes s in the given form while s still allows it, as the value
// tree's encoder does.
func (e *Encoder) strForm(s string, form oddKind) {
	switch {
	case form == oddNull && s == "":
		e.w.StringNull()
	case form == oddUnterminated && s != "" && s[len(s)-1] != 0:
		e.w.StringBytes([]byte(s))
	default:
		e.w.String(s)
	}
}

// String writes a String in the form it was decoded with.
func (e *Encoder) String(s string) {
	if o := e.next(); o != nil {
		e.strForm(s, o.kind)
		return
	}
	e.w.String(s)
}

// Bool writes a bool, keeping the decoded byte while it still means v.
func (e *Encoder) Bool(v bool) {
	if o := e.next(); o != nil && o.kind == oddBool && (o.b != 0) == v {
		e.w.U8(o.b)
		return
	}
	e.w.Bool(v)
}

// StationURL writes a station URL. The zero StationURL is the empty text
// (what the value tree writes for a station URL nobody set), or the text
// it was decoded from when that did not parse.
func (e *Encoder) StationURL(u rmc.StationURL) {
	o := e.next()
	zero := u.Scheme == "" && len(u.Params) == 0 && len(u.Custom) == 0 && !u.HasCustom
	var form oddKind
	if o != nil && (o.kind == oddNull || o.kind == oddUnterminated) {
		form = o.kind
	}
	switch {
	case zero && o != nil && o.kind == oddURL:
		e.strForm(o.text, o.form)
	case zero:
		e.strForm("", form)
	case form == 0:
		e.w.StationURL(u)
	default:
		e.strForm(u.String(), form)
	}
}

// Variant writes a Variant; Value must have the Go type its id implies
// (integer kinds are converted when they fit, as rmc.Writer does).
func (e *Encoder) Variant(v rmc.Variant) {
	switch v.Type {
	case rmc.VariantBool:
		b, ok := v.Value.(bool)
		if !ok {
			e.Fail(fmt.Errorf("variant type 3 holds %T: %w", v.Value, rmc.ErrInvalid))
			return
		}
		e.w.U8(v.Type)
		e.Bool(b)
		return
	case rmc.VariantString:
		s, ok := v.Value.(string)
		if !ok {
			e.Fail(fmt.Errorf("variant type 4 holds %T: %w", v.Value, rmc.ErrInvalid))
			return
		}
		e.w.U8(v.Type)
		e.String(s)
		return
	}
	e.n++
	e.w.Variant(v)
}

// AnyData writes an AnyDataHolder.
func (e *Encoder) AnyData(a *AnyData) {
	class := a.Class
	if class == "" && a.Value != nil {
		class = a.Value.ClassName()
	}
	e.String(class)
	// Both lengths are back-patched once the object is written.
	start := e.w.Len()
	e.w.U32(0)
	e.w.U32(0)
	if a.Value != nil {
		a.Value.EncodeTo(e)
	} else {
		e.w.Raw(a.Raw)
	}
	n := e.w.Len() - start - 8
	if uint64(n)+4 > math.MaxUint32 {
		e.Fail(fmt.Errorf("anydata of %d bytes: %w", n, rmc.ErrTooLong))
		return
	}
	buf := e.w.Bytes()
	binary.LittleEndian.PutUint32(buf[start:], uint32(n+4))
	binary.LittleEndian.PutUint32(buf[start+4:], uint32(n))
}
