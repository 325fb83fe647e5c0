package scripts

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Lua numbers are doubles: integers above 2^53 do not survive them. A
// 64-bit value (u64, s64, pid, datetime) therefore reaches Lua as a plain
// number when its magnitude is at most 2^53 and as a box otherwise: an
// userdata with arithmetic, comparison, tostring and concat metamethods.
// Because every value is pushed in this canonical form, == between two
// values that came from the engine (or from nex.u64/nex.s64) is exact.

// maxExact is the largest magnitude a double holds with every smaller
// integer also exact.
const maxExact = 1 << 53

// int64Box is the userdata payload of a 64-bit value too large for a
// double. bits is the two's complement pattern; signed picks s64 semantics.
type int64Box struct {
	bits   uint64
	signed bool
}

// luaU64 returns the canonical Lua value of an unsigned 64-bit integer.
func luaU64(v uint64) lua.LValue {
	if v <= maxExact {
		return lua.LNumber(v)
	}
	return newBox(int64Box{bits: v})
}

// luaS64 returns the canonical Lua value of a signed 64-bit integer.
func luaS64(v int64) lua.LValue {
	if v >= -maxExact && v <= maxExact {
		return lua.LNumber(v)
	}
	return newBox(int64Box{bits: uint64(v), signed: true})
}

// newBox makes the userdata of b. It needs no Lua state: a box belongs to
// none (see int64MT).
func newBox(b int64Box) lua.LValue {
	return &lua.LUserData{Value: &b, Metatable: int64MT}
}

// canonical returns a box result as a number when it fits.
func canonical(b int64Box) lua.LValue {
	if b.signed {
		return luaS64(int64(b.bits))
	}
	return luaU64(b.bits)
}

// integer is a sign and magnitude, which represents both u64 and s64
// values exactly for comparisons.
type integer struct {
	neg bool
	mag uint64
}

func (b int64Box) integer() integer {
	if b.signed && int64(b.bits) < 0 {
		return integer{neg: true, mag: -b.bits}
	}
	return integer{mag: b.bits}
}

func (a integer) less(b integer) bool {
	switch {
	case a.neg && !b.neg:
		return true
	case !a.neg && b.neg:
		return false
	case a.neg:
		return a.mag > b.mag
	}
	return a.mag < b.mag
}

// toInteger converts a Lua number (integral), decimal or 0x-hex string, or
// box to an integer; ok is false for anything else.
func toInteger(v lua.LValue) (integer, bool) {
	switch t := v.(type) {
	case lua.LNumber:
		f := float64(t)
		if f != math.Trunc(f) || math.IsInf(f, 0) || f >= 0x1p64 || f < -0x1p63 {
			return integer{}, false
		}
		if f < 0 {
			return integer{neg: true, mag: uint64(-f)}, true
		}
		return integer{mag: uint64(f)}, true
	case lua.LString:
		return parseInteger(string(t))
	case *lua.LUserData:
		if b, ok := t.Value.(*int64Box); ok {
			return b.integer(), true
		}
	}
	return integer{}, false
}

func parseInteger(s string) (integer, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var u uint64
	var err error
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		u, err = strconv.ParseUint(s[2:], 16, 64)
	} else {
		u, err = strconv.ParseUint(s, 10, 64)
	}
	if err != nil || (neg && u > 1<<63) {
		return integer{}, false
	}
	return integer{neg: neg && u != 0, mag: u}, true
}

// bits returns the two's complement pattern of i.
func (i integer) bits() uint64 {
	if i.neg {
		return -i.mag
	}
	return i.mag
}

// fitsU64 and fitsS64 report range membership.
func (i integer) fitsU64() bool { return !i.neg }
func (i integer) fitsS64() bool {
	if i.neg {
		return i.mag <= 1<<63
	}
	return i.mag <= math.MaxInt64
}

// int64MT is the metatable of every box in every Lua state. A box kept
// in call.session.store outlives the state that made it and is read by
// others (the pool's, a reload's); Lua compares two userdata with ==, <
// and <= only when both carry the same metamethod, and a metamethod bound
// to one state would work on that state's stack from another goroutine.
// So the metamethods use only the state that calls them, and __metatable
// hides the table from getmetatable, so that no script changes it under
// the other states.
var int64MT = &lua.LTable{Metatable: lua.LNil}

// int64TypeName is what getmetatable returns for a box.
const int64TypeName = "nex.int64"

func init() {
	setFuncs := func(t *lua.LTable, fns map[string]lua.LGFunction) {
		for name, f := range fns {
			t.RawSetString(name, &lua.LFunction{IsG: true, GFunction: f})
		}
	}
	arith := func(op byte) lua.LGFunction {
		return func(L *lua.LState) int { return int64Arith(L, op) }
	}
	methods := &lua.LTable{Metatable: lua.LNil}
	setFuncs(methods, map[string]lua.LGFunction{
		"hex": func(L *lua.LState) int {
			b := checkBox(L, 1)
			L.Push(lua.LString("0x" + strconv.FormatUint(b.bits, 16)))
			return 1
		},
		"tonumber": func(L *lua.LState) int {
			b := checkBox(L, 1)
			if b.signed {
				L.Push(lua.LNumber(float64(int64(b.bits))))
			} else {
				L.Push(lua.LNumber(float64(b.bits)))
			}
			return 1
		},
	})
	int64MT.RawSetString("__metatable", lua.LString(int64TypeName))
	int64MT.RawSetString("__index", methods)
	setFuncs(int64MT, map[string]lua.LGFunction{
		"__add": arith('+'),
		"__sub": arith('-'),
		"__mul": arith('*'),
		"__div": arith('/'),
		"__mod": arith('%'),
		"__unm": func(L *lua.LState) int {
			b := checkBox(L, 1)
			L.Push(canonical(int64Box{bits: -b.bits, signed: b.signed}))
			return 1
		},
		"__eq": func(L *lua.LState) int {
			a, ok1 := toInteger(L.Get(1))
			b, ok2 := toInteger(L.Get(2))
			L.Push(lua.LBool(ok1 && ok2 && a == b))
			return 1
		},
		"__lt": func(L *lua.LState) int {
			a, b := checkPair(L)
			L.Push(lua.LBool(a.less(b)))
			return 1
		},
		"__le": func(L *lua.LState) int {
			a, b := checkPair(L)
			L.Push(lua.LBool(!b.less(a)))
			return 1
		},
		"__tostring": func(L *lua.LState) int {
			L.Push(lua.LString(checkBox(L, 1).String()))
			return 1
		},
		"__concat": func(L *lua.LState) int {
			L.Push(lua.LString(intString(L, L.Get(1)) + intString(L, L.Get(2))))
			return 1
		},
	})
}

// String prints the value in decimal.
func (b *int64Box) String() string {
	if b.signed {
		return strconv.FormatInt(int64(b.bits), 10)
	}
	return strconv.FormatUint(b.bits, 10)
}

func checkBox(L *lua.LState, n int) *int64Box {
	ud := L.CheckUserData(n)
	b, ok := ud.Value.(*int64Box)
	if !ok {
		L.ArgError(n, "64-bit integer expected")
	}
	return b
}

func checkPair(L *lua.LState) (integer, integer) {
	a, ok := toInteger(L.Get(1))
	if !ok {
		L.ArgError(1, "integer expected, got "+L.Get(1).Type().String())
	}
	b, ok := toInteger(L.Get(2))
	if !ok {
		L.ArgError(2, "integer expected, got "+L.Get(2).Type().String())
	}
	return a, b
}

func intString(L *lua.LState, v lua.LValue) string {
	switch t := v.(type) {
	case lua.LString:
		return string(t)
	case lua.LNumber:
		return t.String()
	case *lua.LUserData:
		if b, ok := t.Value.(*int64Box); ok {
			return b.String()
		}
	}
	L.RaiseError("attempt to concatenate a %s value", v.Type().String())
	return ""
}

// int64Arith does wrapping 64-bit arithmetic. The result takes the
// signedness of the first box operand; / and % truncate toward zero.
func int64Arith(L *lua.LState, op byte) int {
	signed := false
	for _, v := range []lua.LValue{L.Get(1), L.Get(2)} {
		if ud, ok := v.(*lua.LUserData); ok {
			if b, ok := ud.Value.(*int64Box); ok {
				signed = b.signed
				break
			}
		}
	}
	a, b := checkPair(L)
	x, y := a.bits(), b.bits()
	var r uint64
	switch op {
	case '+':
		r = x + y
	case '-':
		r = x - y
	case '*':
		r = x * y
	case '/', '%':
		if y == 0 {
			L.RaiseError("64-bit integer division by zero")
		}
		if signed {
			sx, sy := int64(x), int64(y)
			if sy == -1 { // avoids the MinInt64 / -1 trap; wraps like the others
				if op == '/' {
					r = uint64(-sx)
				}
				break
			}
			if op == '/' {
				r = uint64(sx / sy)
			} else {
				r = uint64(sx % sy)
			}
		} else if op == '/' {
			r = x / y
		} else {
			r = x % y
		}
	}
	L.Push(canonical(int64Box{bits: r, signed: signed}))
	return 1
}
