package schema

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/nexproxy/nexproxy/rmc"
)

// EncodeRequest encodes a request value tree (as DecodeRequest returns it,
// possibly edited) into a body.
func (m *Method) EncodeRequest(v *Value, s rmc.Settings) ([]byte, error) {
	l := m.layout(s.NEXVersion)
	b, err := m.Protocol.reg.encodeFields(l.request, v, s)
	if err != nil {
		return nil, fmt.Errorf("schema: encode %s.%s request: %w", m.Protocol.Name, l.name, err)
	}
	return b, nil
}

// EncodeResponse encodes a response value tree into a success body.
func (m *Method) EncodeResponse(v *Value, s rmc.Settings) ([]byte, error) {
	l := m.layout(s.NEXVersion)
	if m.Protocol.NoResponse {
		return nil, fmt.Errorf("schema: encode %s.%s response: %w", m.Protocol.Name, l.name, ErrNoResponse)
	}
	b, err := m.Protocol.reg.encodeFields(l.response, v, s)
	if err != nil {
		return nil, fmt.Errorf("schema: encode %s.%s response: %w", m.Protocol.Name, l.name, err)
	}
	return b, nil
}

// Encode is EncodeRequest (request true) or EncodeResponse, for callers
// that handle both directions alike.
func (m *Method) Encode(request bool, v *Value, s rmc.Settings) ([]byte, error) {
	if request {
		return m.EncodeRequest(v, s)
	}
	return m.EncodeResponse(v, s)
}

// Encode writes v (a KindRaw value or a call tree) as a body: raw values
// are written verbatim, so the result of DecodeOrRaw always re-encodes.
func (r *Registry) Encode(proto uint16, method uint32, request bool, v *Value, s rmc.Settings) ([]byte, error) {
	if v != nil && v.Kind == KindRaw {
		return append([]byte{}, v.Bytes...), nil
	}
	m := r.Method(proto, method)
	if m == nil {
		p, mn := r.Names(proto, method)
		return nil, fmt.Errorf("schema: encode %s.%s: %w: method not described and value not raw", p, mn, ErrMismatch)
	}
	return m.Encode(request, v, s)
}

type encoder struct {
	w   *rmc.Writer
	s   rmc.Settings
	reg *Registry
}

func (reg *Registry) encodeFields(fs []field, v *Value, s rmc.Settings) ([]byte, error) {
	if v == nil || v.Kind != KindStruct {
		return nil, fmt.Errorf("%w: call value must be a structure", ErrMismatch)
	}
	e := encoder{w: rmc.NewWriter(s), s: s, reg: reg}
	// Room for a typical body up front instead of growing through copies.
	e.w.Grow(512)
	if err := e.fields(fs, v.Items, 0, v.Type); err != nil {
		return nil, err
	}
	if err := e.w.Err(); err != nil {
		return nil, err
	}
	return e.w.Bytes(), nil
}

func mismatch(where, what string) error {
	return fmt.Errorf("%w: %s: %s", ErrMismatch, where, what)
}

// fields writes items following the plan; items must be exactly the fields
// the plan includes for this NEX version and revision, in order.
func (e *encoder) fields(fs []field, items []*Value, rev uint8, where string) error {
	i := 0
	for k := range fs {
		f := &fs[k]
		if len(f.conds) > 0 && !e.present(f, rev, items, i) {
			continue
		}
		if i >= len(items) {
			return mismatch(where, "missing field "+f.name)
		}
		it := items[i]
		if it == nil || it.Name != f.name {
			got := "nil"
			if it != nil {
				got = it.Name
			}
			return mismatch(where, "want field "+f.name+", have "+got)
		}
		if err := e.value(f.t, it); err != nil {
			return err
		}
		i++
	}
	if i != len(items) {
		return mismatch(where, "unexpected field "+items[i].Name)
	}
	return nil
}

// present evaluates a field's conditions while encoding; an optional
// trailing value is written when the tree has it.
func (e *encoder) present(f *field, rev uint8, items []*Value, i int) bool {
	more := i < len(items) && items[i] != nil && items[i].Name == f.name
	return condsHold(f.conds, e.s.NEXVersion, rev, more)
}

func (e *encoder) value(t *typeRef, v *Value) error {
	if v.Kind != t.kind {
		return mismatch(v.Name, "want "+t.spell+", have "+v.Kind.String())
	}
	w := e.w
	switch t.kind {
	case KindU8:
		if v.Uint > math.MaxUint8 {
			return overflow(v)
		}
		w.U8(uint8(v.Uint))
	case KindU16:
		if v.Uint > math.MaxUint16 {
			return overflow(v)
		}
		w.U16(uint16(v.Uint))
	case KindU32, KindResult:
		if v.Uint > math.MaxUint32 {
			return overflow(v)
		}
		w.U32(uint32(v.Uint))
	case KindU64, KindDateTime:
		w.U64(v.Uint)
	case KindPID:
		if e.s.PIDSize != 8 && v.Uint > math.MaxUint32 {
			return overflow(v)
		}
		w.PID(v.Uint)
	case KindS8:
		if v.Int < math.MinInt8 || v.Int > math.MaxInt8 {
			return overflow(v)
		}
		w.S8(int8(v.Int))
	case KindS16:
		if v.Int < math.MinInt16 || v.Int > math.MaxInt16 {
			return overflow(v)
		}
		w.S16(int16(v.Int))
	case KindS32:
		if v.Int < math.MinInt32 || v.Int > math.MaxInt32 {
			return overflow(v)
		}
		w.S32(int32(v.Int))
	case KindS64:
		w.S64(v.Int)
	case KindFloat:
		// The raw bits win while they still denote Float, which keeps NaN
		// payloads that a float64 round trip could change; Float wins once
		// it was edited on its own.
		f := float32(v.Float)
		if bits := uint32(v.Uint); uint64(bits) == v.Uint && denotes(float64(math.Float32frombits(bits)), float64(f)) {
			w.U32(bits)
		} else {
			w.Float(f)
		}
	case KindDouble:
		if denotes(math.Float64frombits(v.Uint), v.Float) {
			w.U64(v.Uint)
		} else {
			w.Double(v.Float)
		}
	case KindBool:
		if v.Uint <= math.MaxUint8 && (v.Uint != 0) == v.Bool {
			w.U8(uint8(v.Uint))
		} else {
			w.Bool(v.Bool)
		}
	case KindString, KindStationURL:
		e.str(v)
	case KindBuffer:
		w.Buffer(v.Bytes)
	case KindQBuffer:
		w.QBuffer(v.Bytes)
	case KindQUUID:
		if len(v.Bytes) != 16 {
			return mismatch(v.Name, "quuid needs 16 bytes")
		}
		w.Raw(v.Bytes)
	case KindVariant:
		return e.variant(v)
	case KindList:
		w.ListLen(len(v.Items))
		for _, it := range v.Items {
			if it == nil {
				return mismatch(v.Name, "nil list element")
			}
			if err := e.value(t.elem, it); err != nil {
				return err
			}
		}
	case KindMap:
		if len(v.Items)%2 != 0 {
			return mismatch(v.Name, "map needs key, value pairs")
		}
		w.ListLen(len(v.Items) / 2)
		for i := 0; i < len(v.Items); i += 2 {
			if v.Items[i] == nil || v.Items[i+1] == nil {
				return mismatch(v.Name, "nil map entry")
			}
			if err := e.value(t.elem, v.Items[i]); err != nil {
				return err
			}
			if err := e.value(t.val, v.Items[i+1]); err != nil {
				return err
			}
		}
	case KindStruct:
		return e.structure(t.st, v)
	case KindAnyData:
		return e.anyData(v)
	}
	return nil
}

// denotes reports whether raw bits decoded to raw still stand for f: equal,
// or both NaN (whatever their payloads).
func denotes(raw, f float64) bool {
	return raw == f || math.IsNaN(raw) && math.IsNaN(f)
}

func overflow(v *Value) error {
	return fmt.Errorf("%w: field %q does not fit %s", ErrOverflow, v.Name, v.Kind)
}

func (e *encoder) str(v *Value) {
	e.strForm(v.Str, v.StrForm)
}

func (e *encoder) strForm(str string, form StrForm) {
	switch {
	case form == StrNull && str == "":
		e.w.StringNull()
	case form == StrUnterminated && str != "" && str[len(str)-1] != 0:
		e.w.StringBytes([]byte(str))
	default:
		e.w.String(str)
	}
}

func (e *encoder) structure(st *Struct, v *Value) error {
	if v.Kind != KindStruct || v.Type != st.Name {
		return mismatch(v.Name, "want structure "+st.Name+", have "+v.Type)
	}
	items := v.Items
	if st.Parent != nil {
		if len(items) == 0 || items[0] == nil || items[0].Name != "" || items[0].Kind != KindStruct {
			return mismatch(st.Name, "missing parent level "+st.Parent.Name)
		}
		if err := e.structure(st.Parent, items[0]); err != nil {
			return err
		}
		items = items[1:]
	}
	e.w.StructBegin(v.Version)
	if err := e.fields(st.fields, items, v.Version, st.Name); err != nil {
		return err
	}
	if !e.s.StructHeader && len(v.Tail) > 0 {
		return mismatch(st.Name, "tail bytes need structure headers")
	}
	e.w.StructEnd(v.Tail)
	return nil
}

func (e *encoder) variant(v *Value) error {
	t := v.VariantType
	e.w.U8(t)
	if t == rmc.VariantNone {
		if len(v.Items) != 0 {
			return mismatch(v.Name, "variant type 0 holds no value")
		}
		return nil
	}
	if len(v.Items) != 1 || v.Items[0] == nil {
		return mismatch(v.Name, "variant needs one value")
	}
	tr := variantType(t)
	if tr == nil {
		return mismatch(v.Name, "variant type id "+strconv.Itoa(int(t)))
	}
	return e.value(tr, v.Items[0])
}

func (e *encoder) anyData(v *Value) error {
	if len(v.Items) != 1 || v.Items[0] == nil {
		return mismatch(v.Name, "anydata needs one held value")
	}
	h := v.Items[0]
	e.strForm(v.Class, v.StrForm)
	// Lengths are back-patched in the writer's buffer (Bytes aliases it),
	// because the class name's wire form is written by hand above.
	start := e.w.Len()
	e.w.U32(0)
	e.w.U32(0)
	switch h.Kind {
	case KindRaw:
		e.w.Raw(h.Bytes)
	case KindStruct:
		st := e.reg.structs[h.Type]
		if st == nil {
			return mismatch(v.Name, "held structure "+h.Type+" has no description")
		}
		if err := e.structure(st, h); err != nil {
			return err
		}
	default:
		return mismatch(v.Name, "anydata holds "+h.Kind.String())
	}
	n := e.w.Len() - start - 8
	if uint64(n)+4 > math.MaxUint32 {
		return fmt.Errorf("%w: anydata of %d bytes", ErrOverflow, n)
	}
	buf := e.w.Bytes()
	binary.LittleEndian.PutUint32(buf[start:], uint32(n+4))
	binary.LittleEndian.PutUint32(buf[start+4:], uint32(n))
	return nil
}
