package scripts

import "fmt"

// hookKind is the point of the handler chain a hook is registered for.
type hookKind uint8

const (
	kindRequest        hookKind = iota // console call, request
	kindResponse                       // console call, response
	kindServerRequest                  // server call, request
	kindServerResponse                 // server call, response
	kindConnect
	kindLogin
	kindDisconnect
	kindPassword
	numKinds
)

var kindLuaNames = [numKinds]string{"on_request", "on_response", "on_server_request", "on_server_response", "on_connect", "on_login", "on_disconnect", "on_password"}

func callKind(dir Direction, response bool) hookKind {
	k := kindRequest
	if dir == ServerToConsole {
		k = kindServerRequest
	}
	if response {
		k++
	}
	return k
}

// hookSpec is what a registration says, independent of the Lua state: every
// state of a generation registers the same specs in the same order, so a
// hook is known by its index.
type hookSpec struct {
	kind      hookKind
	anyProto  bool
	proto     uint16
	anyMethod bool
	method    uint32
	script    string // the top-level script that registered it
	what      string // "Ranking.UploadScore", "*", for logs
}

func (s hookSpec) same(o hookSpec) bool {
	return s.kind == o.kind && s.anyProto == o.anyProto && s.proto == o.proto &&
		s.anyMethod == o.anyMethod && s.method == o.method && s.script == o.script
}

// hookIndex finds the hooks of a call by ids. It is immutable once built.
type hookIndex struct {
	specs []hookSpec
	kinds [numKinds]kindIndex
}

type kindIndex struct {
	exact map[uint64][]int
	proto map[uint16][]int
	all   []int
	n     int
}

func newHookIndex(specs []hookSpec) *hookIndex {
	ix := &hookIndex{specs: specs}
	for i, s := range specs {
		k := &ix.kinds[s.kind]
		k.n++
		switch {
		case s.anyProto:
			k.all = append(k.all, i)
		case s.anyMethod:
			if k.proto == nil {
				k.proto = map[uint16][]int{}
			}
			k.proto[s.proto] = append(k.proto[s.proto], i)
		default:
			if k.exact == nil {
				k.exact = map[uint64][]int{}
			}
			key := uint64(s.proto)<<32 | uint64(s.method)
			k.exact[key] = append(k.exact[key], i)
		}
	}
	return ix
}

// count returns how many hooks of a kind exist.
func (ix *hookIndex) count(k hookKind) int { return ix.kinds[k].n }

// has reports whether match would return a hook, without merging the
// lists (the proxy asks on every call).
func (ix *hookIndex) has(k hookKind, proto uint16, method uint32) bool {
	ki := &ix.kinds[k]
	return len(ki.all) > 0 || len(ki.proto[proto]) > 0 || len(ki.exact[uint64(proto)<<32|uint64(method)]) > 0
}

// match returns the hooks for a call in registration order. It does not
// cache: ids come from the network, and a cache keyed by them would grow
// without bound.
func (ix *hookIndex) match(k hookKind, proto uint16, method uint32) []int {
	ki := &ix.kinds[k]
	if ki.n == 0 {
		return nil
	}
	a := ki.exact[uint64(proto)<<32|uint64(method)]
	b := ki.proto[proto]
	c := ki.all
	switch {
	case len(a) == 0 && len(b) == 0:
		return c
	case len(b) == 0 && len(c) == 0:
		return a
	case len(a) == 0 && len(c) == 0:
		return b
	}
	return merge3(a, b, c)
}

func merge3(a, b, c []int) []int {
	out := make([]int, 0, len(a)+len(b)+len(c))
	for len(a)+len(b)+len(c) > 0 {
		m, src := -1, 0
		if len(a) > 0 {
			m, src = a[0], 1
		}
		if len(b) > 0 && (m < 0 || b[0] < m) {
			m, src = b[0], 2
		}
		if len(c) > 0 && (m < 0 || c[0] < m) {
			m, src = c[0], 3
		}
		out = append(out, m)
		switch src {
		case 1:
			a = a[1:]
		case 2:
			b = b[1:]
		default:
			c = c[1:]
		}
	}
	return out
}

func (s hookSpec) String() string {
	return fmt.Sprintf("%s(%s) in %s", kindLuaNames[s.kind], s.what, s.script)
}
