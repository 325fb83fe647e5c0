package schema

import (
	"errors"
	"fmt"
	"math"

	"github.com/nexproxy/nexproxy/rmc"
)

// Sentinel errors of decoding and encoding.
var (
	// ErrTrailing reports bytes left after the last parameter of a message
	// (outside any structure header, where a tail would be kept).
	ErrTrailing = errors.New("schema: trailing bytes after the last value")
	// ErrNodeBudget reports input that would expand into far more nodes
	// than its size justifies (lists of empty structures).
	ErrNodeBudget = errors.New("schema: input expands into too many values")
	// ErrMismatch reports a value tree that does not fit the description
	// being encoded (missing, extra or misnamed fields, wrong kinds).
	ErrMismatch = errors.New("schema: value does not match the description")
	// ErrNoResponse reports an attempt to decode or encode a response of a
	// one-way protocol.
	ErrNoResponse = errors.New("schema: protocol has no responses")
)

// decoder turns body bytes into a value tree following compiled plans.
// Nodes and the Items slices that point at them come from slabs, so a
// typical call costs a handful of allocations.
type decoder struct {
	r      *rmc.Reader
	s      rmc.Settings
	slab   []Value
	ptrs   []*Value // backing of Items slices
	budget int
	spare  *rmc.Reader // reader for AnyDataHolder contents, reused
	reg    *Registry   // resolves AnyDataHolder class names
}

// slabLen is the size of every slab after the first.
const slabLen = 64

func (d *decoder) node() *Value {
	d.budget--
	if len(d.slab) == 0 {
		d.slab = make([]Value, slabLen)
	}
	v := &d.slab[0]
	d.slab = d.slab[1:]
	return v
}

// items returns an empty Items slice with room for n values. Its capacity
// is exactly n, so a caller that appends to an edited tree reallocates
// instead of overwriting the next node's items.
func (d *decoder) items(n int) []*Value {
	if n > len(d.ptrs) {
		if n > slabLen/2 {
			return make([]*Value, 0, n)
		}
		d.ptrs = make([]*Value, slabLen)
	}
	s := d.ptrs[:0:n]
	d.ptrs = d.ptrs[n:]
	return s
}

// DecodeRequest decodes a request body into a value tree.
func (m *Method) DecodeRequest(body []byte, s rmc.Settings) (*Value, error) {
	l := m.layout(s.NEXVersion)
	v, err := m.Protocol.reg.decodeFields(l.request, body, s)
	if err != nil {
		return nil, fmt.Errorf("schema: decode %s.%s request: %w", m.Protocol.Name, l.name, err)
	}
	v.Name, v.Type = l.name, "request"
	return v, nil
}

// DecodeResponse decodes a success response body into a value tree.
func (m *Method) DecodeResponse(body []byte, s rmc.Settings) (*Value, error) {
	l := m.layout(s.NEXVersion)
	if m.Protocol.NoResponse {
		return nil, fmt.Errorf("schema: decode %s.%s response: %w", m.Protocol.Name, l.name, ErrNoResponse)
	}
	v, err := m.Protocol.reg.decodeFields(l.response, body, s)
	if err != nil {
		return nil, fmt.Errorf("schema: decode %s.%s response: %w", m.Protocol.Name, l.name, err)
	}
	v.Name, v.Type = l.name, "response"
	return v, nil
}

// Decode is DecodeRequest (request true) or DecodeResponse, for callers
// that handle both directions alike.
func (m *Method) Decode(request bool, body []byte, s rmc.Settings) (*Value, error) {
	if request {
		return m.DecodeRequest(body, s)
	}
	return m.DecodeResponse(body, s)
}

// DecodeOrRaw decodes a request or response body when the method is
// described and decodes cleanly; otherwise it returns a KindRaw value
// holding a copy of the body and the decode error (nil when the method is
// simply not described), so callers log the reason and still forward bytes.
func (r *Registry) DecodeOrRaw(proto uint16, method uint32, request bool, body []byte, s rmc.Settings) (*Value, error) {
	m := r.Method(proto, method)
	if m == nil {
		return rawValue(body), nil
	}
	v, err := m.Decode(request, body, s)
	if err != nil {
		return rawValue(body), err
	}
	return v, nil
}

func rawValue(body []byte) *Value {
	return &Value{Kind: KindRaw, Type: "raw", Bytes: append([]byte{}, body...)}
}

func (reg *Registry) decodeFields(fs []field, body []byte, s rmc.Settings) (*Value, error) {
	// One private copy of the body: every Bytes and Tail in the tree aliases
	// it, so the caller may reuse its buffer and edits never reach it.
	own := append(make([]byte, 0, len(body)), body...)
	d := decoder{s: s, budget: 4*len(body) + 256, reg: reg}
	// Typical bodies spend five to eight bytes per node, and each node but
	// the root sits in one Items slice; sizing the first slabs from that
	// avoids both a second slab and a mostly empty one.
	n := min(max(len(body)/6+4, 8), slabLen)
	d.slab, d.ptrs = make([]Value, n), make([]*Value, n)
	d.r = rmc.NewReader(own, s)
	root := d.node()
	root.Kind = KindStruct
	root.Items = d.fields(fs, 0, d.items(len(fs)))
	if err := d.err(); err != nil {
		return nil, err
	}
	if n := d.r.Remaining(); n > 0 {
		return nil, fmt.Errorf("%d bytes after the last value at offset %d: %w", n, d.r.Offset(), ErrTrailing)
	}
	return root, nil
}

func (d *decoder) err() error {
	if err := d.r.Err(); err != nil {
		return err
	}
	if d.budget < 0 {
		return ErrNodeBudget
	}
	return nil
}

// present evaluates a field's conditions while decoding.
func (d *decoder) present(f *field, rev uint8) bool {
	return condsHold(f.conds, d.s.NEXVersion, rev, d.r.Remaining() > 0)
}

func (d *decoder) fields(fs []field, rev uint8, items []*Value) []*Value {
	for i := range fs {
		f := &fs[i]
		if len(f.conds) > 0 && !d.present(f, rev) {
			continue
		}
		v := d.value(f.t)
		v.Name = f.name
		items = append(items, v)
		if d.r.Err() != nil || d.budget < 0 {
			break
		}
	}
	return items
}

func (d *decoder) value(t *typeRef) *Value {
	v := d.node()
	v.Kind, v.Type = t.kind, t.spell
	r := d.r
	switch t.kind {
	case KindU8:
		v.Uint = uint64(r.U8())
	case KindU16:
		v.Uint = uint64(r.U16())
	case KindU32, KindResult:
		v.Uint = uint64(r.U32())
	case KindU64, KindDateTime:
		v.Uint = r.U64()
	case KindPID:
		v.Uint = r.PID()
	case KindS8:
		v.Int = int64(r.S8())
	case KindS16:
		v.Int = int64(r.S16())
	case KindS32:
		v.Int = int64(r.S32())
	case KindS64:
		v.Int = r.S64()
	case KindFloat:
		bits := r.U32()
		v.Uint, v.Float = uint64(bits), float64(math.Float32frombits(bits))
	case KindDouble:
		v.Uint = r.U64()
		v.Float = math.Float64frombits(v.Uint)
	case KindBool:
		v.Uint = uint64(r.U8())
		v.Bool = v.Uint != 0
	case KindString, KindStationURL:
		d.str(v)
	case KindBuffer:
		v.Bytes = r.Buffer()
	case KindQBuffer:
		v.Bytes = r.QBuffer()
	case KindQUUID:
		v.Bytes = r.Bytes(16)
	case KindVariant:
		d.variant(v)
	case KindList:
		n := r.ListLen()
		if n > 0 && d.budget >= n {
			v.Items = d.items(n)
			for i := 0; i < n && r.Err() == nil && d.budget >= 0; i++ {
				v.Items = append(v.Items, d.value(t.elem))
			}
		} else if n > 0 {
			d.budget = -1
		}
	case KindMap:
		n := r.ListLen()
		if n > 0 && d.budget >= 2*n {
			v.Items = d.items(2 * n)
			for i := 0; i < n && r.Err() == nil && d.budget >= 0; i++ {
				v.Items = append(v.Items, d.value(t.elem), d.value(t.val))
			}
		} else if n > 0 {
			d.budget = -1
		}
	case KindStruct:
		d.structure(t.st, v)
	case KindAnyData:
		d.anyData(v)
	}
	return v
}

// str reads a String keeping its exact wire form.
func (d *decoder) str(v *Value) {
	b := d.r.StringBytes()
	switch {
	case d.r.Err() != nil:
	case len(b) == 0:
		v.StrForm = StrNull
	case b[len(b)-1] == 0:
		v.Str = string(b[:len(b)-1])
	default:
		v.Str, v.StrForm = string(b), StrUnterminated
	}
}

// structure decodes all inheritance levels of st into v, root level first;
// each parent level becomes v's first item.
func (d *decoder) structure(st *Struct, v *Value) {
	v.Kind, v.Type = KindStruct, st.Name
	var parent *Value
	if st.Parent != nil {
		parent = d.node()
		d.structure(st.Parent, parent)
		if d.r.Err() != nil {
			return
		}
	}
	v.Version = d.r.StructBegin()
	n := len(st.fields)
	if parent != nil {
		n++
	}
	items := d.items(n)
	if parent != nil {
		items = append(items, parent)
	}
	v.Items = d.fields(st.fields, v.Version, items)
	v.Tail = d.r.StructEnd()
}

func (d *decoder) variant(v *Value) {
	t := d.r.U8()
	if d.r.Err() != nil {
		return
	}
	v.VariantType = t
	if t == rmc.VariantNone {
		return
	}
	tr := variantType(t)
	if tr == nil {
		d.r.Fail("variant", fmt.Errorf("type id %d: %w", t, rmc.ErrInvalid))
		return
	}
	v.Items = append(d.items(1), d.value(tr))
}

// variantTypes is the type of the value a Variant holds, by type id; the
// decoder and the encoder share it.
var variantTypes = [...]*typeRef{
	rmc.VariantInt64:    {kind: KindS64, spell: "s64"},
	rmc.VariantDouble:   {kind: KindDouble, spell: "double"},
	rmc.VariantBool:     {kind: KindBool, spell: "bool"},
	rmc.VariantString:   {kind: KindString, spell: "string"},
	rmc.VariantDateTime: {kind: KindDateTime, spell: "datetime"},
	rmc.VariantUInt64:   {kind: KindU64, spell: "u64"},
}

// variantType returns the held type for a type id, nil for none (type 0)
// and for ids the wire does not allow.
func variantType(id uint8) *typeRef {
	if int(id) < len(variantTypes) {
		return variantTypes[id]
	}
	return nil
}

const typeRaw = "raw"

// anyData reads a holder; a known class is decoded from the holder's bytes
// with a reader of its own, so a class whose layout differs from the
// description (a game-specific subclass) falls back to raw bytes for that
// holder alone instead of failing the whole message.
func (d *decoder) anyData(v *Value) {
	r := d.r
	// The class name keeps its exact string form, like any other String.
	d.str(v)
	v.Class, v.Str = v.Str, ""
	off := r.Offset()
	outer, n := r.U32(), r.U32()
	if r.Err() != nil {
		return
	}
	if uint64(outer) != uint64(n)+4 {
		r.Fail("anydata header", fmt.Errorf("outer length %d, inner length %d at offset %d: %w", outer, n, off, rmc.ErrInvalid))
		return
	}
	inner := r.Bytes(int(n))
	if r.Err() != nil {
		return
	}
	if st := d.reg.structs[v.Class]; st != nil {
		if held := d.held(st, inner); held != nil {
			v.Items = append(d.items(1), held)
			return
		}
	}
	raw := d.node()
	raw.Kind, raw.Type, raw.Bytes = KindRaw, typeRaw, inner
	v.Items = append(d.items(1), raw)
}

func (d *decoder) held(st *Struct, inner []byte) *Value {
	// A holder nested in a held structure finds the spare taken and makes
	// its own reader; siblings reuse whichever reader was given back.
	sub := d.spare
	if sub != nil {
		d.spare = nil
		sub.Reset(inner, d.s)
	} else {
		sub = rmc.NewReader(inner, d.s)
	}
	outer := d.r
	d.r = sub
	v := d.node()
	d.structure(st, v)
	ok := sub.Err() == nil && sub.Remaining() == 0 && d.budget >= 0
	d.r = outer
	d.spare = sub
	if !ok {
		return nil // nodes already taken from the slab are simply abandoned
	}
	return v
}
