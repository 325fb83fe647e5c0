package scripts

import (
	"sync"

	lua "github.com/yuin/gopher-lua"
)

// Limits of nex.shared, which lives as long as the Engine: without them a
// script could grow it with every call.
const (
	sharedMaxKeys  = 1 << 16
	sharedMaxKey   = 256
	sharedMaxValue = 64 << 10
)

// sharedStore backs nex.shared: a key/value store visible to every
// session and every Lua state. Values are copied in and out (strings,
// numbers, booleans, 64-bit integers), never Lua tables, because a table
// belongs to no goroutine-safe owner.
type sharedStore struct {
	mu sync.Mutex
	m  map[string]sharedValue
}

type sharedValue struct {
	kind lua.LValueType
	s    string
	n    float64
	b    bool
	box  *int64Box // 64-bit values beyond 2^53
}

func newSharedStore() *sharedStore { return &sharedStore{m: map[string]sharedValue{}} }

func (m *vm) sharedTable() *lua.LTable {
	L := m.L
	st := m.e.shared
	t := L.NewTable()
	L.SetFuncs(t, map[string]lua.LGFunction{
		// get(key) returns the value or nil.
		"get": func(L *lua.LState) int {
			k := L.CheckString(1)
			st.mu.Lock()
			v, ok := st.m[k]
			st.mu.Unlock()
			if !ok {
				L.Push(lua.LNil)
				return 1
			}
			L.Push(m.fromShared(v))
			return 1
		},
		// set(key, value) stores a value; nil deletes the key.
		"set": func(L *lua.LState) int {
			k := checkSharedKey(L)
			lv := L.Get(2)
			st.mu.Lock()
			defer st.mu.Unlock()
			if lv == lua.LNil {
				delete(st.m, k)
				return 0
			}
			v := toShared(L, lv)
			if _, exists := st.m[k]; !exists && len(st.m) >= sharedMaxKeys {
				L.RaiseError("nex.shared: %d keys, the limit", sharedMaxKeys)
			}
			st.m[k] = v
			return 0
		},
		// incr(key [, delta]) adds delta (default 1) to a number atomically
		// and returns the new value; a missing key counts as 0.
		"incr": func(L *lua.LState) int {
			k := checkSharedKey(L)
			d := float64(L.OptNumber(2, 1))
			st.mu.Lock()
			defer st.mu.Unlock()
			v, ok := st.m[k]
			if ok && v.kind != lua.LTNumber {
				L.RaiseError("nex.shared.incr: %q holds a %s", k, v.kind)
			}
			if !ok && len(st.m) >= sharedMaxKeys {
				L.RaiseError("nex.shared: %d keys, the limit", sharedMaxKeys)
			}
			v = sharedValue{kind: lua.LTNumber, n: v.n + d}
			st.m[k] = v
			L.Push(lua.LNumber(v.n))
			return 1
		},
	})
	return t
}

func checkSharedKey(L *lua.LState) string {
	k := L.CheckString(1)
	if len(k) > sharedMaxKey {
		L.ArgError(1, "key longer than 256 bytes")
	}
	return k
}

func toShared(L *lua.LState, lv lua.LValue) sharedValue {
	switch t := lv.(type) {
	case lua.LString:
		if len(t) > sharedMaxValue {
			L.ArgError(2, "string value longer than 64 KiB")
		}
		return sharedValue{kind: lua.LTString, s: string(t)}
	case lua.LNumber:
		return sharedValue{kind: lua.LTNumber, n: float64(t)}
	case lua.LBool:
		return sharedValue{kind: lua.LTBool, b: bool(t)}
	case *lua.LUserData:
		if b, ok := t.Value.(*int64Box); ok {
			c := *b
			return sharedValue{kind: lua.LTUserData, box: &c}
		}
	}
	L.ArgError(2, "nex.shared holds strings, numbers, booleans and 64-bit integers, not "+lv.Type().String())
	return sharedValue{}
}

func (m *vm) fromShared(v sharedValue) lua.LValue {
	switch v.kind {
	case lua.LTString:
		return lua.LString(v.s)
	case lua.LTNumber:
		return lua.LNumber(v.n)
	case lua.LTBool:
		return lua.LBool(v.b)
	case lua.LTUserData:
		return newBox(*v.box)
	}
	return lua.LNil
}
