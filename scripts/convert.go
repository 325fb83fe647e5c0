package scripts

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/nexproxy/nexproxy/rmc/schema"
)

// Conversion between the schema value tree and Lua values.
//
// Lua sees: integers as numbers (64-bit ones canonical, see int64.go),
// floats as numbers, bools as booleans, strings and station URLs as
// strings, buffers, qBuffers, qUUIDs and raw bytes as (binary) strings,
// structures as tables of their fields (parent levels flattened in),
// AnyDataHolders as the table of the held structure plus `_class`, lists as
// arrays, maps as tables keyed by the map key (64-bit keys above 2^53 as
// decimal strings), variants as their value (nil for none).
//
// Applying a Lua value back onto a tree is copy-on-write: the result shares
// every unchanged node with the original, and is the original itself when
// nothing changed, so a hook that only reads costs no encoding.

// classField names the AnyDataHolder class in Lua tables.
const classField = "_class"

func (m *vm) toLua(v *schema.Value) lua.LValue {
	if v == nil {
		return lua.LNil
	}
	switch v.Kind {
	case schema.KindU8, schema.KindU16, schema.KindU32, schema.KindResult:
		return lua.LNumber(v.Uint)
	case schema.KindU64, schema.KindPID, schema.KindDateTime:
		return luaU64(v.Uint)
	case schema.KindS8, schema.KindS16, schema.KindS32:
		return lua.LNumber(v.Int)
	case schema.KindS64:
		return luaS64(v.Int)
	case schema.KindFloat, schema.KindDouble:
		return lua.LNumber(v.Float)
	case schema.KindBool:
		return lua.LBool(v.Bool)
	case schema.KindString, schema.KindStationURL:
		return lua.LString(v.Str)
	case schema.KindBuffer, schema.KindQBuffer, schema.KindQUUID, schema.KindRaw:
		return lua.LString(v.Bytes)
	case schema.KindVariant:
		if len(v.Items) == 0 {
			return lua.LNil
		}
		return m.toLua(v.Items[0])
	case schema.KindList:
		t := m.L.CreateTable(len(v.Items), 0)
		for i, it := range v.Items {
			t.RawSetInt(i+1, m.toLua(it))
		}
		return t
	case schema.KindMap:
		t := m.L.CreateTable(0, len(v.Items)/2)
		for i := 0; i+1 < len(v.Items); i += 2 {
			if k := m.mapKey(v.Items[i]); k != lua.LNil {
				t.RawSet(k, m.toLua(v.Items[i+1]))
			}
		}
		return t
	case schema.KindStruct:
		t := m.L.CreateTable(0, fieldCount(v))
		m.fillStruct(t, v)
		return t
	case schema.KindAnyData:
		var t *lua.LTable
		if len(v.Items) > 0 {
			if tt, ok := m.toLua(v.Items[0]).(*lua.LTable); ok {
				t = tt
			}
		}
		if t == nil {
			t = m.L.NewTable()
		}
		t.RawSetString(classField, lua.LString(v.Class))
		return t
	}
	return lua.LNil
}

func (m *vm) fillStruct(t *lua.LTable, v *schema.Value) {
	for _, it := range v.Items {
		if isParentLevel(it) {
			m.fillStruct(t, it)
			continue
		}
		t.RawSetString(it.Name, m.toLua(it))
	}
}

// fieldCount counts the fields of all levels, so the table is sized once.
func fieldCount(v *schema.Value) int {
	n := 0
	for _, it := range v.Items {
		if isParentLevel(it) {
			n += fieldCount(it)
		} else {
			n++
		}
	}
	return n
}

func isParentLevel(it *schema.Value) bool { return it.Name == "" && it.Kind == schema.KindStruct }

// mapKey is the Lua table key of a map entry; nil for keys that cannot be
// table keys (NaN, containers).
func (m *vm) mapKey(k *schema.Value) lua.LValue {
	if !isScalar(k.Kind) {
		return lua.LNil
	}
	lv := m.toLua(k)
	switch t := lv.(type) {
	case *lua.LUserData:
		return lua.LString(t.Value.(*int64Box).String())
	case lua.LNumber:
		if math.IsNaN(float64(t)) {
			return lua.LNil
		}
	}
	return lv
}

func isScalar(k schema.Kind) bool {
	switch k {
	case schema.KindList, schema.KindMap, schema.KindStruct, schema.KindAnyData, schema.KindVariant, schema.KindInvalid:
		return false
	}
	return true
}

// applyError reports where a Lua value did not fit the tree.
type applyError struct {
	path string
	msg  string
}

func (e *applyError) Error() string { return e.path + ": " + e.msg }

func errAt(path, format string, args ...any) error {
	return &applyError{path: path, msg: fmt.Sprintf(format, args...)}
}

// apply returns v with lv applied: v itself when nothing changed, else a
// copy sharing unchanged children. A nil lv keeps the node.
func (m *vm) apply(v *schema.Value, lv lua.LValue, path string) (*schema.Value, error) {
	if lv == lua.LNil {
		return v, nil
	}
	switch v.Kind {
	case schema.KindList:
		return m.applyList(v, lv, path)
	case schema.KindMap:
		return m.applyMap(v, lv, path)
	case schema.KindStruct:
		t, ok := lv.(*lua.LTable)
		if !ok {
			return nil, errAt(path, "%s expects a table, got %s", v.Type, lv.Type())
		}
		if err := checkFields(v, t, path, false); err != nil {
			return nil, err
		}
		return m.applyStruct(v, t, path)
	case schema.KindAnyData:
		t, ok := lv.(*lua.LTable)
		if !ok {
			return nil, errAt(path, "%s expects a table, got %s", v.Type, lv.Type())
		}
		if c := t.RawGetString(classField); c != lua.LNil && c.String() != v.Class {
			return nil, errAt(path, "the class of an AnyDataHolder cannot change (%s to %s)", v.Class, c.String())
		}
		if len(v.Items) == 0 {
			return v, nil
		}
		if inner := v.Items[0]; inner.Kind == schema.KindStruct {
			if err := checkFields(inner, t, path, true); err != nil {
				return nil, err
			}
			ni, err := m.applyStruct(inner, t, path)
			if err != nil || ni == inner {
				return v, err
			}
			return withItems(v, []*schema.Value{ni}), nil
		}
		return v, nil
	case schema.KindVariant:
		if len(v.Items) > 0 {
			if ni, err := m.apply(v.Items[0], lv, path); err == nil {
				if ni == v.Items[0] {
					return v, nil
				}
				return withItems(v, []*schema.Value{ni}), nil
			}
		}
		x, err := luaToGo(lv, schema.KindVariant)
		if err != nil {
			return nil, errAt(path, "%v", err)
		}
		c := *v
		if err := c.Set("", x); err != nil {
			return nil, errAt(path, "%v", err)
		}
		return &c, nil
	}
	return m.applyScalar(v, lv, path)
}

func (m *vm) applyStruct(v *schema.Value, t *lua.LTable, path string) (*schema.Value, error) {
	var out []*schema.Value
	for i, it := range v.Items {
		var ni *schema.Value
		var err error
		if isParentLevel(it) {
			ni, err = m.applyStruct(it, t, path)
		} else {
			ni, err = m.apply(it, t.RawGetString(it.Name), joinPath(path, it.Name))
		}
		if err != nil {
			return nil, err
		}
		out = keepOrCopy(out, v.Items, i, ni, len(v.Items))
	}
	if out == nil {
		return v, nil
	}
	return withItems(v, out), nil
}

// keepOrCopy appends ni, the new value of items[i], to out. out stays nil
// while every item so far is unchanged, so applying an untouched table
// copies nothing; the first changed item copies the ones before it.
func keepOrCopy(out, items []*schema.Value, i int, ni *schema.Value, size int) []*schema.Value {
	if out == nil && ni != items[i] {
		out = append(make([]*schema.Value, 0, size), items[:i]...)
	}
	if out != nil {
		out = append(out, ni)
	}
	return out
}

// withItems returns a copy of v holding items: trees share their unchanged
// subtrees with the call's parameters, so they are never changed in place.
func withItems(v *schema.Value, items []*schema.Value) *schema.Value {
	c := *v
	c.Items = items
	return &c
}

// checkFields rejects keys that name no field, which catches typos such as
// call.params.scroe = 1 instead of silently ignoring them.
func checkFields(v *schema.Value, t *lua.LTable, path string, allowClass bool) error {
	known := 0
	countFields(v, t, &known)
	keys := 0
	var bad lua.LValue = lua.LNil
	t.ForEach(func(k, _ lua.LValue) {
		keys++
		if s, ok := k.(lua.LString); ok && string(s) == classField {
			known++
			return
		}
		if bad == lua.LNil {
			if s, ok := k.(lua.LString); !ok || v.Field(string(s)) == nil {
				bad = k
			}
		}
	})
	if keys > known && bad != lua.LNil {
		return errAt(path, "%s has no field %v", v.Type, bad)
	}
	return nil
}

func countFields(v *schema.Value, t *lua.LTable, n *int) {
	for _, it := range v.Items {
		if isParentLevel(it) {
			countFields(it, t, n)
		} else if t.RawGetString(it.Name) != lua.LNil {
			*n++
		}
	}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func (m *vm) applyList(v *schema.Value, lv lua.LValue, path string) (*schema.Value, error) {
	t, ok := lv.(*lua.LTable)
	if !ok {
		return nil, errAt(path, "%s expects a table (array), got %s", v.Type, lv.Type())
	}
	n := t.Len()
	var out []*schema.Value
	if n != len(v.Items) {
		out = make([]*schema.Value, 0, n)
	}
	for i := 0; i < n; i++ {
		ev := t.RawGetInt(i + 1)
		p := path + "[" + strconv.Itoa(i+1) + "]"
		var ni *schema.Value
		var err error
		if i < len(v.Items) {
			ni, err = m.apply(v.Items[i], ev, p)
		} else {
			var tmpl *schema.Value
			if tmpl, err = m.template(v, 0, p); err == nil {
				ni, err = m.apply(tmpl, ev, p)
			}
		}
		if err != nil {
			return nil, err
		}
		out = keepOrCopy(out, v.Items, i, ni, n)
	}
	if out == nil {
		return v, nil
	}
	return withItems(v, out), nil
}

// applyMap keeps the wire order of the entries that remain, drops keys set
// to nil and appends new keys in sorted order.
func (m *vm) applyMap(v *schema.Value, lv lua.LValue, path string) (*schema.Value, error) {
	t, ok := lv.(*lua.LTable)
	if !ok {
		return nil, errAt(path, "%s expects a table, got %s", v.Type, lv.Type())
	}
	changed := false
	out := make([]*schema.Value, 0, len(v.Items))
	kept := 0
	for i := 0; i+1 < len(v.Items); i += 2 {
		key := m.mapKey(v.Items[i])
		if key == lua.LNil { // not representable: kept unchanged
			out = append(out, v.Items[i], v.Items[i+1])
			kept++
			continue
		}
		val := t.RawGet(key)
		if val == lua.LNil {
			changed = true
			continue
		}
		kept++
		nv, err := m.apply(v.Items[i+1], val, path+"["+key.String()+"]")
		if err != nil {
			return nil, err
		}
		changed = changed || nv != v.Items[i+1]
		out = append(out, v.Items[i], nv)
	}
	total := 0
	t.ForEach(func(_, _ lua.LValue) { total++ })
	if total > kept {
		have := map[string]bool{}
		for i := 0; i+1 < len(v.Items); i += 2 {
			if k := m.mapKey(v.Items[i]); k != lua.LNil {
				have[k.Type().String()+":"+k.String()] = true
			}
		}
		type entry struct{ k, v lua.LValue }
		var added []entry
		t.ForEach(func(k, val lua.LValue) {
			if !have[k.Type().String()+":"+k.String()] {
				added = append(added, entry{k, val})
			}
		})
		sort.Slice(added, func(i, j int) bool { return added[i].k.String() < added[j].k.String() })
		for _, a := range added {
			p := path + "[" + a.k.String() + "]"
			kt, err := m.template(v, 0, p)
			if err != nil {
				return nil, err
			}
			nk, err := m.apply(kt, a.k, p)
			if err != nil {
				return nil, err
			}
			vt, err := m.template(v, 1, p)
			if err != nil {
				return nil, err
			}
			nv, err := m.apply(vt, a.v, p)
			if err != nil {
				return nil, err
			}
			out = append(out, nk, nv)
		}
		changed = true
	}
	if !changed {
		return v, nil
	}
	return withItems(v, out), nil
}

// applyScalar range-checks through schema.Value.Set.
func (m *vm) applyScalar(v *schema.Value, lv lua.LValue, path string) (*schema.Value, error) {
	if scalarEqual(v, lv) {
		return v, nil
	}
	x, err := luaToGo(lv, v.Kind)
	if err != nil {
		return nil, errAt(path, "%s: %v", v.Type, err)
	}
	c := *v
	if err := c.Set("", x); err != nil {
		return nil, errAt(path, "%v", err)
	}
	return &c, nil
}

func isIntKind(k schema.Kind) bool {
	switch k {
	case schema.KindU8, schema.KindU16, schema.KindU32, schema.KindU64, schema.KindS8, schema.KindS16, schema.KindS32, schema.KindS64, schema.KindPID, schema.KindResult, schema.KindDateTime:
		return true
	}
	return false
}

func isSigned(k schema.Kind) bool {
	switch k {
	case schema.KindS8, schema.KindS16, schema.KindS32, schema.KindS64:
		return true
	}
	return false
}

// scalarEqual reports whether lv is what toLua(v) gives, without
// allocating, so untouched fields keep their exact wire form (NaN payloads,
// non-canonical bool bytes, string forms).
func scalarEqual(v *schema.Value, lv lua.LValue) bool {
	switch {
	case isIntKind(v.Kind):
		i, ok := toInteger(lv)
		if !ok {
			return false
		}
		if isSigned(v.Kind) {
			return i.bits() == uint64(v.Int) && i.fitsS64()
		}
		return !i.neg && i.mag == v.Uint
	}
	switch v.Kind {
	case schema.KindFloat, schema.KindDouble:
		n, ok := lv.(lua.LNumber)
		return ok && (float64(n) == v.Float || math.IsNaN(float64(n)) && math.IsNaN(v.Float))
	case schema.KindBool:
		b, ok := lv.(lua.LBool)
		return ok && bool(b) == v.Bool
	case schema.KindString, schema.KindStationURL:
		s, ok := lv.(lua.LString)
		return ok && string(s) == v.Str
	case schema.KindBuffer, schema.KindQBuffer, schema.KindQUUID, schema.KindRaw:
		s, ok := lv.(lua.LString)
		return ok && string(s) == string(v.Bytes)
	}
	return false
}

// luaToGo converts a Lua scalar to the Go value schema.Value.Set expects
// for kind k.
func luaToGo(lv lua.LValue, k schema.Kind) (any, error) {
	if isIntKind(k) {
		i, ok := toInteger(lv)
		if !ok {
			return nil, fmt.Errorf("integer expected, got %s %s", lv.Type(), lv.String())
		}
		if i.neg {
			if !i.fitsS64() {
				return nil, fmt.Errorf("%s is out of range", lv.String())
			}
			return int64(i.bits()), nil
		}
		return i.mag, nil
	}
	switch t := lv.(type) {
	case *lua.LNilType:
		if k == schema.KindVariant {
			return nil, nil
		}
	case lua.LBool:
		if k == schema.KindBool || k == schema.KindVariant {
			return bool(t), nil
		}
	case lua.LNumber:
		switch k {
		case schema.KindFloat, schema.KindDouble:
			return float64(t), nil
		case schema.KindVariant:
			if i, ok := toInteger(t); ok {
				if i.neg {
					return int64(i.bits()), nil
				}
				return i.mag, nil
			}
			return float64(t), nil
		}
	case lua.LString:
		switch k {
		case schema.KindString, schema.KindStationURL, schema.KindVariant:
			return string(t), nil
		case schema.KindBuffer, schema.KindQBuffer, schema.KindQUUID, schema.KindRaw:
			return []byte(t), nil
		}
	case *lua.LUserData:
		if b, ok := t.Value.(*int64Box); ok {
			switch k {
			case schema.KindFloat, schema.KindDouble:
				if b.signed {
					return float64(int64(b.bits)), nil
				}
				return float64(b.bits), nil
			case schema.KindVariant:
				if b.signed {
					return int64(b.bits), nil
				}
				return b.bits, nil
			}
		}
	}
	return nil, fmt.Errorf("%s value does not fit %s", lv.Type(), k)
}

// template returns a zero value for a new element of container c: item 0
// is the list element or map key, item 1 the map value. It copies the shape
// of an existing element, or builds a scalar from the type spelling.
func (m *vm) template(c *schema.Value, which int, path string) (*schema.Value, error) {
	if c.Kind == schema.KindList && len(c.Items) > 0 {
		return zeroLike(c.Items[0]), nil
	}
	if c.Kind == schema.KindMap && len(c.Items) >= 2 {
		return zeroLike(c.Items[which]), nil
	}
	args := typeArgs(c.Type)
	if which < len(args) {
		if k, ok := kindByName[args[which]]; ok && isScalar(k) {
			v := &schema.Value{Kind: k, Type: args[which]}
			if k == schema.KindQUUID {
				v.Bytes = make([]byte, 16)
			}
			return v, nil
		}
		if m.e.cfg.Registry != nil {
			if v, err := newTypeValue(m.e.cfg.Registry, args[which]); err == nil {
				return v, nil
			}
		}
	}
	return nil, errAt(path, "cannot add an element to an empty %s (no element to copy the shape of)", c.Type)
}

var kindByName = func() map[string]schema.Kind {
	out := map[string]schema.Kind{}
	for k := schema.KindU8; k <= schema.KindRaw; k++ {
		out[k.String()] = k
	}
	return out
}()

// typeArgs splits "map<u16, list<u32>>" into ["u16", "list<u32>"].
func typeArgs(spell string) []string {
	i := strings.IndexByte(spell, '<')
	if i < 0 || !strings.HasSuffix(spell, ">") {
		return nil
	}
	inner := spell[i+1 : len(spell)-1]
	var out []string
	depth, start := 0, 0
	for j := 0; j < len(inner); j++ {
		switch inner[j] {
		case '<':
			depth++
		case '>':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(inner[start:j]))
				start = j + 1
			}
		}
	}
	return append(out, strings.TrimSpace(inner[start:]))
}

// zeroLike copies the shape of v with every scalar zeroed and every list
// and map emptied.
func zeroLike(v *schema.Value) *schema.Value {
	c := &schema.Value{Name: v.Name, Kind: v.Kind, Type: v.Type, Version: v.Version, Class: v.Class, VariantType: v.VariantType}
	switch v.Kind {
	case schema.KindQUUID:
		c.Bytes = make([]byte, 16)
	case schema.KindStruct, schema.KindAnyData, schema.KindVariant:
		c.Tail = append([]byte(nil), v.Tail...)
		for _, it := range v.Items {
			c.Items = append(c.Items, zeroLike(it))
		}
	}
	return c
}
