package schema

import (
	"fmt"
	"sort"
)

// This file is the read-only view of the descriptions that code generators
// (internal/nexgen) use: every accessor returns fresh copies, so nothing a
// caller does can change how the registry decodes.

// CondKind is the kind of a presence condition.
type CondKind uint8

// Condition kinds, as written in the description language.
const (
	// CondNexGE holds when the game's NEX version is >= N ("nex >= N").
	CondNexGE CondKind = iota
	// CondNexLT holds when the game's NEX version is < N ("nex < N").
	CondNexLT
	// CondRevisionGE holds when the structure level's header version is
	// >= N ("revision >= N").
	CondRevisionGE
	// CondMore holds when bytes remain in the enclosing bounded scope while
	// decoding, and when the value is present while encoding ("more").
	CondMore
)

// Cond is one presence condition; a field's conditions are a conjunction.
type Cond struct {
	Kind CondKind
	// N is the NEX version or revision compared with (unused for CondMore).
	N int
}

// String spells the condition as in the description language.
func (c Cond) String() string {
	switch c.Kind {
	case CondNexGE:
		return fmt.Sprintf("nex >= %d", c.N)
	case CondNexLT:
		return fmt.Sprintf("nex < %d", c.N)
	case CondRevisionGE:
		return fmt.Sprintf("revision >= %d", c.N)
	}
	return "more"
}

// TypeInfo describes a field type.
type TypeInfo struct {
	// Kind is the wire type (KindList, KindStruct, KindU32, ...).
	Kind Kind
	// Spelling is the type as written: "list<string>", "MatchmakeSession".
	Spelling string
	// Elem is the element type of a list and the key type of a map.
	Elem *TypeInfo
	// Value is the value type of a map.
	Value *TypeInfo
	// Struct is the structure of a KindStruct type.
	Struct *Struct
	// Base is the base class of a KindAnyData type ("Data", "Gathering").
	Base string
}

// Literal is a default value from a description.
type Literal struct {
	// Text is the literal as written (numbers keep their spelling, strings
	// are unquoted).
	Text string
	// IsString, IsNumber, IsBool and IsList say which form it has.
	IsString, IsNumber, IsBool, IsList bool
	// Number is a number's value; Bool a boolean's.
	Number float64
	Bool   bool
	// List holds a list's elements.
	List []*Literal
}

// FieldInfo describes one field of a structure level, or one parameter or
// return value of a method layout.
type FieldInfo struct {
	Name  string
	Type  *TypeInfo
	Conds []Cond
	// Default is the description's default, nil for the zero value.
	Default *Literal
}

// LayoutInfo is one NEX-version layout of a method.
type LayoutInfo struct {
	// Name is the method name in this layout.
	Name string
	// Conds are the NEX conditions selecting the layout (none for the
	// unconditional layout, which is tried last).
	Conds             []Cond
	Request, Response []FieldInfo
}

// Layouts returns the method's layouts in the order they are tried.
func (m *Method) Layouts() []LayoutInfo {
	out := make([]LayoutInfo, 0, len(m.variants))
	for _, v := range m.variants {
		out = append(out, LayoutInfo{
			Name:     v.name,
			Conds:    exportConds(v.conds),
			Request:  exportFields(v.request),
			Response: exportFields(v.response),
		})
	}
	return out
}

// Fields returns the fields of this level only (not of its parents).
func (s *Struct) Fields() []FieldInfo { return exportFields(s.fields) }

// File returns the name of the description file that defines s.
func (s *Struct) File() string { return s.file }

// File returns the name of the description file that describes p.
func (p *Protocol) File() string { return p.file }

// Variant returns the game variant p belongs to, "" for a base protocol.
func (p *Protocol) Variant() string { return p.variant }

// Structs returns every structure in description order (files in name
// order, structures in file order).
func (r *Registry) Structs() []*Struct { return append([]*Struct(nil), r.structOrder...) }

// VariantProtocols returns the method overrides of one game variant, one
// Protocol per redefined protocol, holding only the redefined methods.
func (r *Registry) VariantProtocols(variant string) []*Protocol {
	var out []*Protocol
	for _, p := range r.variantProtos {
		if p.variant == variant {
			out = append(out, p)
		}
	}
	return out
}

// Variants returns the names of the game variants described, sorted, so
// configuration can validate a game's variant list.
func (r *Registry) Variants() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range r.variantProtos {
		if !seen[p.variant] {
			seen[p.variant] = true
			out = append(out, p.variant)
		}
	}
	sort.Strings(out)
	return out
}

// ActiveVariants returns the variants WithVariants applied, in order.
func (r *Registry) ActiveVariants() []string { return append([]string(nil), r.active...) }

// WithVariants returns a registry in which the methods the named game
// variants redefine replace the base methods with the same ids (later
// variants win over earlier ones). r itself is unchanged; an unknown
// variant name is an error. The result shares structures with r, so build
// it once per game, not per call.
func (r *Registry) WithVariants(names ...string) (*Registry, error) {
	known := map[string]bool{}
	for _, v := range r.Variants() {
		known[v] = true
	}
	for _, n := range names {
		if !known[n] {
			return nil, fmt.Errorf("schema: unknown variant %q (known: %v)", n, r.Variants())
		}
	}
	out := &Registry{
		protocols:     make(map[uint16]*Protocol, len(r.protocols)),
		structs:       r.structs,
		structOrder:   r.structOrder,
		variantProtos: r.variantProtos,
		active:        append(append([]string(nil), r.active...), names...),
	}
	overrides := map[uint16][]*Protocol{}
	for _, n := range names {
		for _, vp := range r.VariantProtocols(n) {
			overrides[vp.ID] = append(overrides[vp.ID], vp)
		}
	}
	for _, p := range r.protoOrder {
		np := &Protocol{ID: p.ID, Name: p.Name, NoResponse: p.NoResponse, reg: out, file: p.file,
			methods: make(map[uint32]*Method, len(p.methods))}
		add := func(m *Method) {
			nm := &Method{Protocol: np, ID: m.ID, Name: m.Name, variants: m.variants}
			if _, dup := np.methods[m.ID]; !dup {
				np.order = append(np.order, nm)
			} else {
				for i, old := range np.order {
					if old.ID == m.ID {
						np.order[i] = nm
					}
				}
			}
			np.methods[m.ID] = nm
		}
		for _, m := range p.order {
			add(m)
		}
		for _, vp := range overrides[p.ID] {
			for _, m := range vp.order {
				add(m)
			}
		}
		out.protocols[np.ID] = np
		out.protoOrder = append(out.protoOrder, np)
	}
	return out, nil
}

func exportConds(cs []cond) []Cond {
	if len(cs) == 0 {
		return nil
	}
	out := make([]Cond, len(cs))
	for i, c := range cs {
		out[i] = Cond{Kind: CondKind(c.kind), N: c.n}
	}
	return out
}

func exportFields(fs []field) []FieldInfo {
	out := make([]FieldInfo, len(fs))
	for i, f := range fs {
		out[i] = FieldInfo{Name: f.name, Type: exportType(f.t), Conds: exportConds(f.conds), Default: exportLiteral(f.def)}
	}
	return out
}

func exportType(t *typeRef) *TypeInfo {
	if t == nil {
		return nil
	}
	return &TypeInfo{Kind: t.kind, Spelling: t.spell, Elem: exportType(t.elem), Value: exportType(t.val), Struct: t.st, Base: t.base}
}

func exportLiteral(l *literal) *Literal {
	if l == nil {
		return nil
	}
	out := &Literal{Text: l.str, IsString: l.isStr, IsNumber: l.isNum, IsBool: l.isB, IsList: l.isLst, Number: l.num, Bool: l.b}
	if l.isB {
		out.Text = fmt.Sprint(l.b)
	}
	for _, e := range l.list {
		out.List = append(out.List, exportLiteral(e))
	}
	return out
}
