package record

import (
	"testing"

	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// TestSecretBodiesCoverTheSchema: every protocol with a described method
// that carries a secret (a field the session logs redact, directly, in a
// structure or in an anydata class that can hold one), in any game
// variant, has the bodies it cannot decode redacted too.
func TestSecretBodiesCoverTheSchema(t *testing.T) {
	reg := schema.Default()
	regs := []*schema.Registry{reg}
	for _, v := range reg.Variants() {
		r, err := reg.WithVariants(v)
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, r)
	}
	memo := map[*schema.Struct]bool{}
	var typeSecret func(ti *schema.TypeInfo) bool
	structSecret := func(s *schema.Struct) bool {
		if v, ok := memo[s]; ok {
			return v
		}
		memo[s] = false // recursion guard
		for p := s; p != nil; p = p.Parent {
			for _, f := range p.Fields() {
				if sessionlog.IsSecretName(f.Name) || typeSecret(f.Type) {
					memo[s] = true
					return true
				}
			}
		}
		return false
	}
	typeSecret = func(ti *schema.TypeInfo) bool {
		switch {
		case ti == nil:
			return false
		case ti.Struct != nil:
			return structSecret(ti.Struct)
		case ti.Kind == schema.KindAnyData:
			for _, s := range reg.Structs() {
				if s.IsA(ti.Base) && structSecret(s) {
					return true
				}
			}
			return false
		}
		return typeSecret(ti.Elem) || typeSecret(ti.Value)
	}
	for _, r := range regs {
		for _, p := range r.Protocols() {
			for _, m := range p.Methods() {
				for _, l := range m.Layouts() {
					for _, f := range append(l.Request, l.Response...) {
						if (sessionlog.IsSecretName(f.Name) || typeSecret(f.Type)) && !sessionlog.SecretBodies(p.ID) {
							t.Errorf("%s.%s (%d.%d) carries %s, but the protocol's undecoded bodies are not redacted", p.Name, l.Name, p.ID, m.ID, f.Name)
						}
					}
				}
			}
		}
	}
}
