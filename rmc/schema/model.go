package schema

// condKind is one kind of presence condition on a field.
type condKind uint8

const (
	condNexGE condKind = iota // game NEX version >= n
	condNexLT                 // game NEX version < n
	condRevGE                 // structure header version >= n
	condMore                  // bytes remain in the enclosing bounded scope
)

// cond is one presence condition; a field's conditions are a conjunction
// (nested blocks in the description flatten into one list).
type cond struct {
	kind condKind
	n    int
}

// typeRef is a compiled type spelling.
type typeRef struct {
	kind  Kind
	spell string   // "list<string>", "MatchmakeSession", "anydata<Data>"
	elem  *typeRef // list element, map key
	val   *typeRef // map value
	st    *Struct  // KindStruct
	base  string   // KindAnyData: base class
}

// field is one entry of a compiled field plan.
type field struct {
	name  string
	t     *typeRef
	conds []cond
	def   *literal // default for New, nil = zero value
}

// literal is a default value from the description.
type literal struct {
	str   string
	num   float64
	isStr bool
	isNum bool
	isB   bool
	b     bool
	list  []*literal
	isLst bool
}

// Struct is a described structure: one inheritance level with its own fields
// and a link to its parent level.
type Struct struct {
	// Name is the structure (and AnyDataHolder class) name.
	Name string
	// Parent is the parent level, nil for a root structure.
	Parent *Struct
	fields []field
	// parentName is resolved after all files are parsed.
	parentName string
	// file is the description file that defines the structure.
	file string
}

// Revision returns the header version a writer uses for this level at the
// given NEX version: the highest "revision >= R" among fields that the NEX
// version includes (0 when none, as for NEX 4 structures that reset their
// version while keeping every field).
func (s *Struct) Revision(nex int) uint8 {
	var r int
	for _, f := range s.fields {
		ok, rev := true, 0
		for _, c := range f.conds {
			switch c.kind {
			case condNexGE:
				ok = ok && nex >= c.n
			case condNexLT:
				ok = ok && nex < c.n
			case condRevGE:
				rev = max(rev, c.n)
			}
		}
		if ok && rev > r {
			r = rev
		}
	}
	return uint8(min(r, 255))
}

// IsA reports whether s is base or derives from it.
func (s *Struct) IsA(base string) bool {
	for p := s; p != nil; p = p.Parent {
		if p.Name == base {
			return true
		}
	}
	return false
}

// Protocol is a described NEX protocol.
type Protocol struct {
	// ID is the RMC protocol id.
	ID uint16
	// Name is the protocol name used in logs and hooks.
	Name string
	// NoResponse marks one-way protocols whose requests are never answered
	// (Notification events).
	NoResponse bool
	methods    map[uint32]*Method
	order      []*Method
	reg        *Registry
	// variant names the game variant this description redefines methods
	// for ("" for a base protocol); file is where it is described.
	variant string
	file    string
}

// Methods returns the protocol's methods in id order of description.
func (p *Protocol) Methods() []*Method { return p.order }

// Method returns the method with the given id, or nil.
func (p *Protocol) Method(id uint32) *Method { return p.methods[id] }

// Method is a described method. A method id may have several layouts that
// differ by NEX version (Authentication's NEX 4 methods); the first variant
// whose condition holds for the game's NEX version is used.
type Method struct {
	// Protocol is the protocol the method belongs to.
	Protocol *Protocol
	// ID is the RMC method id.
	ID uint32
	// Name is the name of the layout used when no NEX version is known
	// (the unconditional variant).
	Name     string
	variants []*variant
}

// variant is one layout of a method.
type variant struct {
	name     string
	conds    []cond // NEX conditions only
	request  []field
	response []field
}

func (v *variant) matches(nex int) bool {
	return condsHold(v.conds, nex, 0, true)
}

// condsHold evaluates a conjunction of conditions for one NEX version and
// structure revision. more says whether an optional trailing value is there:
// bytes remain when decoding, the item is present when encoding, and always
// when building a new value.
func condsHold(cs []cond, nex int, rev uint8, more bool) bool {
	for _, c := range cs {
		switch c.kind {
		case condNexGE:
			if nex < c.n {
				return false
			}
		case condNexLT:
			if nex >= c.n {
				return false
			}
		case condRevGE:
			if int(rev) < c.n {
				return false
			}
		case condMore:
			if !more {
				return false
			}
		}
	}
	return true
}

// layout picks the variant for a NEX version.
func (m *Method) layout(nex int) *variant {
	for _, v := range m.variants {
		if v.matches(nex) {
			return v
		}
	}
	return m.variants[len(m.variants)-1]
}

// NameFor returns the method name used at the given NEX version
// ("ValidateAndRequestTicket" on NEX 4, "Login" before).
func (m *Method) NameFor(nex int) string { return m.layout(nex).name }

// ResponseOpensWithResult reports whether the response of the layout a
// NEX version decodes and encodes with opens with a result field, so that
// its first bytes say whether the call failed (a login's before NEX 4).
func (m *Method) ResponseOpensWithResult(nex int) bool {
	resp := m.layout(nex).response
	return len(resp) > 0 && resp[0].t.kind == KindResult
}

// Names returns every name the method has across NEX versions.
func (m *Method) Names() []string {
	out := make([]string, 0, len(m.variants))
	for _, v := range m.variants {
		out = append(out, v.name)
	}
	return out
}
