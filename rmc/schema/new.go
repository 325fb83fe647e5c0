package schema

import (
	"fmt"
	"math"

	"github.com/nexproxy/nexproxy/rmc"
)

// New returns a fresh value of the named structure for a title: every field
// its NEX version includes, description defaults (zero otherwise) and, with
// structure headers on, the header version Struct.Revision computes. Hooks
// and built-in handlers use it to build responses from scratch.
func (r *Registry) New(structName string, s rmc.Settings) (*Value, error) {
	st := r.structs[structName]
	if st == nil {
		return nil, fmt.Errorf("schema: new %s: %w", structName, ErrNotFound)
	}
	return r.newStruct(st, s), nil
}

// NewRequest returns a request tree with every parameter at its default,
// ready to be filled with Set and encoded.
func (m *Method) NewRequest(s rmc.Settings) *Value {
	l := m.layout(s.NEXVersion)
	v := &Value{Kind: KindStruct, Name: l.name, Type: "request"}
	v.Items = m.Protocol.reg.newFields(l.request, 0, s)
	return v
}

// NewResponse returns a response tree with every value at its default.
func (m *Method) NewResponse(s rmc.Settings) *Value {
	l := m.layout(s.NEXVersion)
	v := &Value{Kind: KindStruct, Name: l.name, Type: "response"}
	v.Items = m.Protocol.reg.newFields(l.response, 0, s)
	return v
}

func (r *Registry) newStruct(st *Struct, s rmc.Settings) *Value {
	v := &Value{Kind: KindStruct, Type: st.Name}
	if st.Parent != nil {
		v.Items = append(v.Items, r.newStruct(st.Parent, s))
	}
	if s.StructHeader {
		v.Version = st.Revision(s.NEXVersion)
	}
	v.Items = append(v.Items, r.newFields(st.fields, v.Version, s)...)
	return v
}

func (r *Registry) newFields(fs []field, rev uint8, s rmc.Settings) []*Value {
	out := make([]*Value, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		if !condsHold(f.conds, s.NEXVersion, rev, true) {
			continue
		}
		v := r.newValue(f.t, f.def, s)
		v.Name = f.name
		out = append(out, v)
	}
	return out
}

func (r *Registry) newValue(t *typeRef, def *literal, s rmc.Settings) *Value {
	if t.kind == KindStruct {
		return r.newStruct(t.st, s)
	}
	v := &Value{Kind: t.kind, Type: t.spell}
	switch t.kind {
	case KindAnyData:
		v.Class = t.base
		if st := r.structs[t.base]; st != nil {
			v.Items = []*Value{r.newStruct(st, s)}
		} else {
			v.Items = []*Value{{Kind: KindRaw, Type: typeRaw}}
		}
	case KindQUUID:
		v.Bytes = make([]byte, 16)
	case KindFloat, KindDouble:
		if def != nil && def.isNum {
			v.Float = def.num
		}
		if t.kind == KindFloat {
			v.Uint = uint64(math.Float32bits(float32(v.Float)))
		} else {
			v.Uint = math.Float64bits(v.Float)
		}
		return v
	case KindList:
		if def != nil && def.isLst {
			for _, e := range def.list {
				v.Items = append(v.Items, r.newValue(t.elem, e, s))
			}
		}
		return v
	}
	if def == nil {
		return v
	}
	switch {
	case def.isB:
		v.Bool = def.b
		if def.b {
			v.Uint = 1
		}
	case def.isStr:
		switch t.kind {
		case KindBuffer, KindQBuffer:
			v.Bytes = []byte(def.str)
		default:
			v.Str = def.str
		}
	case def.isNum:
		if def.num < 0 {
			v.Int = int64(def.num)
		} else {
			v.Uint, v.Int = uint64(def.num), int64(def.num)
		}
	}
	return v
}
