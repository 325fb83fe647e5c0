package schema

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"sync"
)

//go:embed protocols/*.nexdl
var builtin embed.FS

// Registry holds described protocols and structures. It is immutable after
// construction and safe for concurrent use.
type Registry struct {
	protocols   map[uint16]*Protocol
	protoOrder  []*Protocol
	structs     map[string]*Struct
	structOrder []*Struct
	pending     []*typeRef // structure references resolved after parsing
	// variantProtos are the "protocol ... variant V" blocks, applied by
	// WithVariants; active lists the variants applied to this registry.
	variantProtos []*Protocol
	active        []string
}

var (
	defaultOnce sync.Once
	defaultReg  *Registry
	defaultErr  error
)

// Default returns the registry of all built-in protocol descriptions. The
// descriptions are parsed once; a broken built-in description is a
// programming error caught by the package tests, so Default panics on it.
func Default() *Registry {
	defaultOnce.Do(func() {
		defaultReg, defaultErr = LoadFS(builtin, "protocols")
	})
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultReg
}

// LoadFS parses every .nexdl file in dir of fsys (in name order) into a new
// registry; files may reference structures defined in other files.
func LoadFS(fsys fs.FS, dir string) (*Registry, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("schema: load %s: %w", dir, err)
	}
	files := map[string]string{}
	for _, e := range ents {
		if e.IsDir() || path.Ext(e.Name()) != ".nexdl" {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("schema: load %s: %w", e.Name(), err)
		}
		files[e.Name()] = string(b)
	}
	return Parse(files)
}

// Parse builds a registry from description sources keyed by file name.
func Parse(files map[string]string) (*Registry, error) {
	r := &Registry{protocols: map[uint16]*Protocol{}, structs: map[string]*Struct{}}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		toks, err := lex(n, files[n])
		if err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		p := &parser{file: n, toks: toks, reg: r}
		if err := p.parseFile(); err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
	}
	if err := r.resolve(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Registry) resolve() error {
	for _, t := range r.pending {
		st := r.structs[t.spell]
		if st == nil {
			return fmt.Errorf("schema: unknown type %q", t.spell)
		}
		t.st = st
	}
	r.pending = nil
	for _, v := range r.variantProtos {
		base := r.protocols[v.ID]
		if base == nil {
			return fmt.Errorf("schema: %s: protocol %d variant %s: no base protocol %d", v.file, v.ID, v.variant, v.ID)
		}
		if base.Name != v.Name {
			return fmt.Errorf("schema: %s: protocol %d variant %s is named %s, the base protocol %s", v.file, v.ID, v.variant, v.Name, base.Name)
		}
		v.NoResponse = base.NoResponse
	}
	for _, st := range r.structOrder {
		if st.parentName == "" {
			continue
		}
		p := r.structs[st.parentName]
		if p == nil {
			return fmt.Errorf("schema: structure %s: unknown parent %q", st.Name, st.parentName)
		}
		st.Parent = p
	}
	for _, st := range r.structOrder {
		seen := map[*Struct]bool{}
		for p := st; p != nil; p = p.Parent {
			if seen[p] {
				return fmt.Errorf("schema: structure %s: inheritance cycle", st.Name)
			}
			seen[p] = true
		}
	}
	// A structure that contains itself without a list in between could
	// never be encoded finitely; reject it so decoding cannot recurse forever.
	for _, st := range r.structOrder {
		if err := r.checkRecursion(st, map[*Struct]bool{}); err != nil {
			return err
		}
	}
	return nil
}

func (r *Registry) checkRecursion(st *Struct, onPath map[*Struct]bool) error {
	if onPath[st] {
		return fmt.Errorf("schema: structure %s contains itself", st.Name)
	}
	onPath[st] = true
	defer delete(onPath, st)
	for p := st; p != nil; p = p.Parent {
		for _, f := range p.fields {
			if f.t.kind == KindStruct {
				if err := r.checkRecursion(f.t.st, onPath); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Protocol returns the protocol with the given id, or nil.
func (r *Registry) Protocol(id uint16) *Protocol { return r.protocols[id] }

// Protocols returns all protocols in description order.
func (r *Registry) Protocols() []*Protocol { return r.protoOrder }

// Struct returns the structure (or AnyDataHolder class) with the given
// name, or nil.
func (r *Registry) Struct(name string) *Struct { return r.structs[name] }

// Method returns a described method, or nil when the protocol or method is
// not described (the caller then keeps the body raw).
func (r *Registry) Method(proto uint16, method uint32) *Method {
	if p := r.protocols[proto]; p != nil {
		return p.methods[method]
	}
	return nil
}

// Names returns printable protocol and method names for logs, falling back
// to "Protocol(0x..)" and "Method(N)" for undescribed ids.
func (r *Registry) Names(proto uint16, method uint32) (protocolName, methodName string) {
	return r.NamesFor(proto, method, -1)
}

// NamesFor is Names for a known NEX version, which picks the NEX-4 names of
// renamed methods (Authentication "ValidateAndRequestTicket"). A negative
// version selects the unconditional names.
func (r *Registry) NamesFor(proto uint16, method uint32, nex int) (protocolName, methodName string) {
	p := r.protocols[proto]
	if p == nil {
		return "Protocol(0x" + strconv.FormatUint(uint64(proto), 16) + ")", "Method(" + strconv.FormatUint(uint64(method), 10) + ")"
	}
	m := p.methods[method]
	if m == nil {
		return p.Name, "Method(" + strconv.FormatUint(uint64(method), 10) + ")"
	}
	if nex < 0 {
		return p.Name, m.Name
	}
	return p.Name, m.NameFor(nex)
}

// MethodByName finds a method by protocol and method name; any of a
// method's NEX-version names matches.
func (r *Registry) MethodByName(protocol, method string) *Method {
	for _, p := range r.protoOrder {
		if p.Name != protocol {
			continue
		}
		for _, m := range p.order {
			for _, v := range m.variants {
				if v.name == method {
					return m
				}
			}
		}
	}
	return nil
}
