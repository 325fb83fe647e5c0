package scripts

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// removedGlobals are base functions a hook must not have: file and code
// loading (dofile, loadfile, load, loadstring, module, the unrestricted
// require), GC control, environment switching and gopher-lua's debug dump.
var removedGlobals = []string{
	"dofile", "loadfile", "load", "loadstring", "module", "require",
	"collectgarbage", "getfenv", "setfenv", "newproxy", "_printregs",
	"_GOPHER_LUA_VERSION",
}

// openSandbox opens base, table, string and math, then removes and wraps
// what could escape the folder or allocate without bound.
func (m *vm) openSandbox() error {
	L := m.L
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		if err := L.PCall(1, 0, nil); err != nil {
			return err
		}
	}
	for _, name := range removedGlobals {
		L.SetGlobal(name, lua.LNil)
	}
	L.SetGlobal("print", L.NewFunction(m.luaPrint))
	L.SetGlobal("require", L.NewFunction(m.luaRequire))

	str := L.GetGlobal("string").(*lua.LTable)
	origFormat := str.RawGetString("format").(*lua.LFunction)
	L.SetFuncs(str, map[string]lua.LGFunction{
		"rep":    m.strRep,
		"format": func(L *lua.LState) int { return m.strFormat(origFormat) },
		"gsub":   m.strGsub,
		"gmatch": m.strGmatch,
	})
	str.RawSetString("dump", lua.LNil)
	// gfind is gopher-lua's Lua 5.0 alias of the library gmatch, which
	// collects every match before the loop starts: it must be the bounded
	// one too.
	str.RawSetString("gfind", str.RawGetString("gmatch"))
	tbl := L.GetGlobal("table").(*lua.LTable)
	tbl.RawSetString("concat", L.NewFunction(m.tableConcat))
	return nil
}

// luaPrint sends print output to the log, since scripts have no stdout.
func (m *vm) luaPrint(L *lua.LState) int { return m.nexLog("info") }

// joinArgs formats arguments from n on like print: tostring, tab-separated.
func joinArgs(L *lua.LState, n int) string {
	var b strings.Builder
	top := L.GetTop()
	for i := n; i <= top; i++ {
		if i > n {
			b.WriteByte('\t')
		}
		b.WriteString(luaToString(L, L.Get(i)))
	}
	return b.String()
}

// luaToString applies tostring semantics, including __tostring.
func luaToString(L *lua.LState, v lua.LValue) string {
	if mt := L.GetMetaField(v, "__tostring"); mt != lua.LNil {
		L.Push(mt)
		L.Push(v)
		L.Call(1, 1)
		s := L.Get(-1)
		L.Pop(1)
		return s.String()
	}
	return v.String()
}

// luaRequire loads a module from Dir/lib only, once per state.
func (m *vm) luaRequire(L *lua.LState) int {
	name := L.CheckString(1)
	if v, ok := m.modules[name]; ok {
		L.Push(v)
		return 1
	}
	if !moduleName.MatchString(name) {
		L.ArgError(1, "module names are file names in the scripts' lib folder, without path or .lua")
	}
	proto, ok := m.g.set.libs[name]
	if !ok {
		L.RaiseError("module %q not found (looked for %s/%s.lua)", name, libDir, name)
	}
	m.modules[name] = lua.LTrue // breaks require cycles like Lua does
	L.Push(L.NewFunctionFromProto(proto))
	L.Call(0, 1)
	v := L.Get(-1)
	L.Pop(1)
	if v == lua.LNil {
		v = lua.LTrue
	}
	m.modules[name] = v
	L.Push(v)
	return 1
}
