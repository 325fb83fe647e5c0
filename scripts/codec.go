package scripts

import (
	lua "github.com/yuin/gopher-lua"

	"github.com/nexproxy/nexproxy/rmc"
)

// nex.reader(s [, opts]) and nex.writer([opts]) expose the NEX type codec
// over Lua strings, for bodies the schema does not describe. opts is
// {pid_size = 4|8, struct_header = bool, nex_version = n}; inside a call
// hook the defaults are the game's settings, else a 4-byte PID without
// structure headers. A read past the end or of a malformed value raises an
// error (catch it with pcall).

const (
	readerTypeName = "nex.reader"
	writerTypeName = "nex.writer"
)

func (m *vm) settingsArg(L *lua.LState, n int) rmc.Settings {
	s := rmc.Settings{PIDSize: 4}
	if m.call != nil && m.call.c.Settings.PIDSize != 0 {
		s = m.call.c.Settings
	}
	if t, ok := L.Get(n).(*lua.LTable); ok {
		if v, ok := t.RawGetString("pid_size").(lua.LNumber); ok {
			s.PIDSize = int(v)
		}
		if v, ok := t.RawGetString("struct_header").(lua.LBool); ok {
			s.StructHeader = bool(v)
		}
		if v, ok := t.RawGetString("nex_version").(lua.LNumber); ok {
			s.NEXVersion = int(v)
		}
	}
	if err := s.Validate(); err != nil {
		L.ArgError(n, err.Error())
	}
	return s
}

func (m *vm) nexReader(L *lua.LState) int {
	s := L.CheckString(1)
	r := rmc.NewReader([]byte(s), m.settingsArg(L, 2))
	ud := L.NewUserData()
	ud.Value = r
	ud.Metatable = m.readerMT
	L.Push(ud)
	return 1
}

func (m *vm) nexWriter(L *lua.LState) int {
	w := rmc.NewWriter(m.settingsArg(L, 1))
	ud := L.NewUserData()
	ud.Value = w
	ud.Metatable = m.writerMT
	L.Push(ud)
	return 1
}

func checkReader(L *lua.LState) *rmc.Reader {
	r, ok := L.CheckUserData(1).Value.(*rmc.Reader)
	if !ok {
		L.ArgError(1, "nex.reader expected (use r:method())")
	}
	return r
}

func checkWriter(L *lua.LState) *rmc.Writer {
	w, ok := L.CheckUserData(1).Value.(*rmc.Writer)
	if !ok {
		L.ArgError(1, "nex.writer expected (use w:method())")
	}
	return w
}

func (m *vm) installCodec() {
	L := m.L
	// read wraps a reader method: run it, raise on the sticky error.
	read := func(f func(r *rmc.Reader) lua.LValue) lua.LGFunction {
		return func(L *lua.LState) int {
			r := checkReader(L)
			v := f(r)
			if err := r.Err(); err != nil {
				L.RaiseError("nex.reader: %s", err.Error())
			}
			L.Push(v)
			return 1
		}
	}
	num := func(v float64) lua.LValue { return lua.LNumber(v) }
	rm := map[string]lua.LGFunction{
		"u8":         read(func(r *rmc.Reader) lua.LValue { return num(float64(r.U8())) }),
		"u16":        read(func(r *rmc.Reader) lua.LValue { return num(float64(r.U16())) }),
		"u32":        read(func(r *rmc.Reader) lua.LValue { return num(float64(r.U32())) }),
		"u64":        read(func(r *rmc.Reader) lua.LValue { return luaU64(r.U64()) }),
		"s8":         read(func(r *rmc.Reader) lua.LValue { return num(float64(r.S8())) }),
		"s16":        read(func(r *rmc.Reader) lua.LValue { return num(float64(r.S16())) }),
		"s32":        read(func(r *rmc.Reader) lua.LValue { return num(float64(r.S32())) }),
		"s64":        read(func(r *rmc.Reader) lua.LValue { return luaS64(r.S64()) }),
		"float":      read(func(r *rmc.Reader) lua.LValue { return num(float64(r.Float())) }),
		"double":     read(func(r *rmc.Reader) lua.LValue { return num(r.Double()) }),
		"bool":       read(func(r *rmc.Reader) lua.LValue { return lua.LBool(r.Bool()) }),
		"pid":        read(func(r *rmc.Reader) lua.LValue { return luaU64(r.PID()) }),
		"result":     read(func(r *rmc.Reader) lua.LValue { return num(float64(r.Result())) }),
		"datetime":   read(func(r *rmc.Reader) lua.LValue { return luaU64(uint64(r.DateTime())) }),
		"string":     read(func(r *rmc.Reader) lua.LValue { return lua.LString(r.String()) }),
		"buffer":     read(func(r *rmc.Reader) lua.LValue { return lua.LString(r.Buffer()) }),
		"qbuffer":    read(func(r *rmc.Reader) lua.LValue { return lua.LString(r.QBuffer()) }),
		"quuid":      read(func(r *rmc.Reader) lua.LValue { u := r.QUUID(); return lua.LString(u[:]) }),
		"stationurl": read(func(r *rmc.Reader) lua.LValue { return lua.LString(r.String()) }),
		"list_len":   read(func(r *rmc.Reader) lua.LValue { return num(float64(r.ListLen())) }),
		"struct_begin": read(func(r *rmc.Reader) lua.LValue {
			return num(float64(r.StructBegin()))
		}),
		"struct_end": read(func(r *rmc.Reader) lua.LValue { return lua.LString(r.StructEnd()) }),
		"remaining": func(L *lua.LState) int {
			L.Push(lua.LNumber(checkReader(L).Remaining()))
			return 1
		},
		"offset": func(L *lua.LState) int {
			L.Push(lua.LNumber(checkReader(L).Offset()))
			return 1
		},
		"bytes": func(L *lua.LState) int {
			r := checkReader(L)
			n := L.CheckInt(2)
			if n < 0 {
				L.ArgError(2, "negative length")
			}
			b := r.Bytes(n)
			if err := r.Err(); err != nil {
				L.RaiseError("nex.reader: %s", err.Error())
			}
			L.Push(lua.LString(b))
			return 1
		},
	}
	m.readerMT = L.NewTypeMetatable(readerTypeName)
	rt := L.NewTable()
	L.SetFuncs(rt, rm)
	L.SetField(m.readerMT, "__index", rt)

	// write wraps a writer method taking one argument and charges the
	// bytes it added to the run's budget.
	write := func(f func(L *lua.LState, w *rmc.Writer)) lua.LGFunction {
		return func(L *lua.LState) int {
			w := checkWriter(L)
			before := w.Len()
			f(L, w)
			if err := w.Err(); err != nil {
				L.RaiseError("nex.writer: %s", err.Error())
			}
			m.charge(int64(w.Len()-before), "nex.writer")
			L.Push(L.Get(1)) // chainable: w:u8(1):u16(2)
			return 1
		}
	}
	uintArg := func(L *lua.LState, max uint64) uint64 {
		i, ok := toInteger(L.Get(2))
		if !ok || i.neg || i.mag > max {
			L.ArgError(2, "unsigned integer in range expected")
		}
		return i.mag
	}
	intArg := func(L *lua.LState, min, max int64) int64 {
		i, ok := toInteger(L.Get(2))
		if !ok || !i.fitsS64() || int64(i.bits()) < min || int64(i.bits()) > max {
			L.ArgError(2, "integer in range expected")
		}
		return int64(i.bits())
	}
	wm := map[string]lua.LGFunction{
		"u8":     write(func(L *lua.LState, w *rmc.Writer) { w.U8(uint8(uintArg(L, 0xFF))) }),
		"u16":    write(func(L *lua.LState, w *rmc.Writer) { w.U16(uint16(uintArg(L, 0xFFFF))) }),
		"u32":    write(func(L *lua.LState, w *rmc.Writer) { w.U32(uint32(uintArg(L, 0xFFFFFFFF))) }),
		"u64":    write(func(L *lua.LState, w *rmc.Writer) { w.U64(uintArg(L, ^uint64(0))) }),
		"s8":     write(func(L *lua.LState, w *rmc.Writer) { w.S8(int8(intArg(L, -128, 127))) }),
		"s16":    write(func(L *lua.LState, w *rmc.Writer) { w.S16(int16(intArg(L, -32768, 32767))) }),
		"s32":    write(func(L *lua.LState, w *rmc.Writer) { w.S32(int32(intArg(L, -1<<31, 1<<31-1))) }),
		"s64":    write(func(L *lua.LState, w *rmc.Writer) { w.S64(intArg(L, -1<<63, 1<<63-1)) }),
		"float":  write(func(L *lua.LState, w *rmc.Writer) { w.Float(float32(L.CheckNumber(2))) }),
		"double": write(func(L *lua.LState, w *rmc.Writer) { w.Double(float64(L.CheckNumber(2))) }),
		"bool":   write(func(L *lua.LState, w *rmc.Writer) { w.Bool(L.ToBool(2)) }),
		"pid": write(func(L *lua.LState, w *rmc.Writer) {
			max := uint64(0xFFFFFFFF)
			if w.Settings().PIDSize == 8 {
				max = ^uint64(0)
			}
			w.PID(uintArg(L, max))
		}),
		"result":     write(func(L *lua.LState, w *rmc.Writer) { w.Result(m.checkResult(L, 2)) }),
		"datetime":   write(func(L *lua.LState, w *rmc.Writer) { w.DateTime(rmc.DateTime(uintArg(L, ^uint64(0)))) }),
		"string":     write(func(L *lua.LState, w *rmc.Writer) { w.String(L.CheckString(2)) }),
		"stationurl": write(func(L *lua.LState, w *rmc.Writer) { w.String(luaToString(L, L.CheckAny(2))) }),
		"buffer":     write(func(L *lua.LState, w *rmc.Writer) { w.Buffer([]byte(L.CheckString(2))) }),
		"qbuffer":    write(func(L *lua.LState, w *rmc.Writer) { w.QBuffer([]byte(L.CheckString(2))) }),
		"quuid": write(func(L *lua.LState, w *rmc.Writer) {
			s := L.CheckString(2)
			if len(s) != 16 {
				L.ArgError(2, "quuid needs 16 bytes")
			}
			var u [16]byte
			copy(u[:], s)
			w.QUUID(u)
		}),
		"bytes":        write(func(L *lua.LState, w *rmc.Writer) { w.Raw([]byte(L.CheckString(2))) }),
		"list_len":     write(func(L *lua.LState, w *rmc.Writer) { w.ListLen(int(uintArg(L, 0xFFFFFFFF))) }),
		"struct_begin": write(func(L *lua.LState, w *rmc.Writer) { w.StructBegin(uint8(uintArg(L, 0xFF))) }),
		"struct_end":   write(func(L *lua.LState, w *rmc.Writer) { w.StructEnd([]byte(L.OptString(2, ""))) }),
		"len": func(L *lua.LState) int {
			L.Push(lua.LNumber(checkWriter(L).Len()))
			return 1
		},
	}
	wm["tostring"] = func(L *lua.LState) int {
		L.Push(lua.LString(checkWriter(L).Bytes()))
		return 1
	}
	m.writerMT = L.NewTypeMetatable(writerTypeName)
	wt := L.NewTable()
	L.SetFuncs(wt, wm)
	L.SetField(m.writerMT, "__index", wt)
	L.SetField(m.writerMT, "__tostring", L.NewFunction(wm["tostring"]))
	L.SetField(m.writerMT, "__len", L.NewFunction(wm["len"]))
}
