package scripts

import (
	"fmt"
	"sort"
	"time"

	lua "github.com/yuin/gopher-lua"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

func zapErr(err error) zap.Field { return zap.Error(err) }

// protocolByName finds a described protocol by name.
func protocolByName(reg *schema.Registry, name string) *schema.Protocol {
	for _, p := range reg.Protocols() {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// installNex creates the nex module as a global (scripts need no require).
func (m *vm) installNex() {
	L := m.L
	m.installCall()
	nex := L.NewTable()
	m.nex = nex
	reg := func(k hookKind) lua.LGFunction {
		return func(L *lua.LState) int { return m.register(k) }
	}
	L.SetFuncs(nex, map[string]lua.LGFunction{
		"on_request":         reg(kindRequest),
		"on_response":        reg(kindResponse),
		"on_server_request":  reg(kindServerRequest),
		"on_server_response": reg(kindServerResponse),
		"on_connect":         reg(kindConnect),
		"on_login":           reg(kindLogin),
		"on_disconnect":      reg(kindDisconnect),
		"on_password":        reg(kindPassword),
		"answer":             m.nexAnswer,
		"answer_raw":         m.nexAnswerRaw,
		"fail":               m.nexFail,
		"drop":               m.nexDrop,
		"result":             m.nexResult,
		"result_name":        m.nexResultName,
		"u64":                func(L *lua.LState) int { return m.nexInt(false) },
		"s64":                func(L *lua.LState) int { return m.nexInt(true) },
		"compare":            m.nexCompare,
		"time":               func(L *lua.LState) int { L.Push(lua.LNumber(time.Now().Unix())); return 1 },
		"reader":             m.nexReader,
		"writer":             m.nexWriter,
	})
	log := L.NewTable()
	for _, lvl := range []string{"debug", "info", "warn", "error"} {
		lvl := lvl
		log.RawSetString(lvl, L.NewFunction(func(L *lua.LState) int { return m.nexLog(lvl) }))
	}
	nex.RawSetString("log", log)
	dt := L.NewTable()
	L.SetFuncs(dt, map[string]lua.LGFunction{
		"now":    func(L *lua.LState) int { L.Push(luaU64(uint64(rmc.Now()))); return 1 },
		"pack":   m.datetimePack,
		"unpack": m.datetimeUnpack,
	})
	nex.RawSetString("datetime", dt)
	nex.RawSetString("shared", m.sharedTable())
	nex.RawSetString("station_url", m.stationURLTable())
	m.installCodec()
	L.SetGlobal("nex", nex)
}

// register implements nex.on_*: ([protocol [, method]], fn) for calls,
// (fn) for events.
func (m *vm) register(k hookKind) int {
	L := m.L
	if m.loading == "" {
		L.RaiseError("nex.%s: hooks can only be registered while the scripts load (at the top level of a script)", kindLuaNames[k])
	}
	top := L.GetTop()
	fn := L.CheckFunction(top)
	spec := hookSpec{kind: k, anyProto: true, anyMethod: true, script: m.loading, what: "*"}
	if k < kindConnect {
		args := top - 1
		if args > 2 {
			L.RaiseError("nex.%s([protocol [, method],] fn): too many arguments", kindLuaNames[k])
		}
		if args >= 1 && !(args == 1 && L.Get(1) == lua.LString("*")) {
			spec.anyProto = false
			reg := m.e.cfg.Registry
			var pname string
			switch p := L.Get(1).(type) {
			case lua.LNumber:
				if p < 0 || p > 0xFFFF || p != lua.LNumber(int(p)) {
					L.ArgError(1, "protocol id out of range")
				}
				spec.proto = uint16(p)
				if pd := reg.Protocol(spec.proto); pd != nil {
					pname = pd.Name
				}
				spec.what = fmt.Sprint(spec.proto)
			case lua.LString:
				pd := protocolByName(reg, string(p))
				if pd == nil {
					L.ArgError(1, "unknown protocol "+string(p)+" (use a protocol id for undescribed protocols)")
				}
				spec.proto, pname, spec.what = pd.ID, pd.Name, pd.Name
			default:
				L.ArgError(1, "protocol name or id expected")
			}
			if args == 2 && L.Get(2) != lua.LString("*") {
				spec.anyMethod = false
				switch mv := L.Get(2).(type) {
				case lua.LNumber:
					if mv < 0 || mv > 0xFFFFFFFF || mv != lua.LNumber(int64(mv)) {
						L.ArgError(2, "method id out of range")
					}
					spec.method = uint32(mv)
					spec.what += "." + fmt.Sprint(spec.method)
				case lua.LString:
					if pname == "" {
						L.ArgError(2, "protocol is not described; use a method id")
					}
					md := reg.MethodByName(pname, string(mv))
					if md == nil {
						L.ArgError(2, "unknown method "+pname+"."+string(mv))
					}
					spec.method = md.ID
					spec.what += "." + string(mv)
				default:
					L.ArgError(2, "method name or id expected")
				}
			} else {
				spec.what += ".*"
			}
		}
	} else if top != 1 {
		L.RaiseError("nex.%s(fn) takes only a function", kindLuaNames[k])
	}
	m.specs = append(m.specs, spec)
	m.fns = append(m.fns, fn)
	return 0
}

func (m *vm) pushVerdict(v *luaVerdict) int {
	ud := m.L.NewUserData()
	ud.Value = v
	ud.Metatable = m.verdictMT
	m.L.Push(ud)
	return 1
}

// nexAnswer: return nex.answer{field = value, ...} answers with a success
// response built from the method's response description.
func (m *vm) nexAnswer(L *lua.LState) int {
	var t *lua.LTable
	if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
		t = L.CheckTable(1)
	}
	return m.pushVerdict(&luaVerdict{action: Answer, values: t})
}

func (m *vm) nexAnswerRaw(L *lua.LState) int {
	s := L.OptString(1, "")
	return m.pushVerdict(&luaVerdict{action: Answer, raw: []byte(s)})
}

func (m *vm) nexFail(L *lua.LState) int {
	r := m.checkResult(L, 1)
	return m.pushVerdict(&luaVerdict{action: Fail, result: r | 0x80000000})
}

func (m *vm) nexDrop(L *lua.LState) int {
	return m.pushVerdict(&luaVerdict{action: Drop})
}

// checkResult accepts "Module::Name" or a number (with or without bit 31).
func (m *vm) checkResult(L *lua.LState, n int) rmc.Result {
	switch v := L.Get(n).(type) {
	case lua.LString:
		r, ok := rmc.ResultByName(string(v))
		if !ok {
			L.ArgError(n, "unknown result "+string(v))
		}
		return r
	case lua.LNumber:
		if v < 0 || v > 0xFFFFFFFF || v != lua.LNumber(int64(v)) {
			L.ArgError(n, "result code out of range")
		}
		return rmc.Result(uint32(v))
	}
	L.ArgError(n, "result name or code expected")
	return 0
}

// nexResult returns the error code (bit 31 set) of a result name.
func (m *vm) nexResult(L *lua.LState) int {
	r := m.checkResult(L, 1)
	L.Push(lua.LNumber(r | 0x80000000))
	return 1
}

func (m *vm) nexResultName(L *lua.LState) int {
	r := m.checkResult(L, 1)
	L.Push(lua.LString(r.String()))
	return 1
}

// nexInt converts a number, decimal or hex string or 64-bit value to the
// canonical form, checking the range of u64 or s64.
func (m *vm) nexInt(signed bool) int {
	L := m.L
	i, ok := toInteger(L.Get(1))
	switch {
	case !ok:
		L.ArgError(1, "integer, integer string or 64-bit value expected")
	case signed && !i.fitsS64():
		L.ArgError(1, "out of s64 range")
	case !signed && !i.fitsU64():
		L.ArgError(1, "negative value for u64")
	}
	L.Push(canonical(int64Box{bits: i.bits(), signed: signed}))
	return 1
}

// nexCompare orders any two integers (numbers, strings, 64-bit values)
// exactly: -1, 0 or 1. Lua's < refuses to compare a number with a box.
func (m *vm) nexCompare(L *lua.LState) int {
	a, b := checkPair(L)
	switch {
	case a == b:
		L.Push(lua.LNumber(0))
	case a.less(b):
		L.Push(lua.LNumber(-1))
	default:
		L.Push(lua.LNumber(1))
	}
	return 1
}

func (m *vm) nexLog(level string) int {
	L := m.L
	msg := joinArgs(L, 1)
	l := m.logger()
	switch level {
	case "debug":
		l.Debug(msg)
	case "warn":
		l.Warn(msg)
	case "error":
		l.Error(msg)
	default:
		l.Info(msg)
	}
	if s := m.session; s != nil && s.Log != nil {
		s.Log(m.script, level, msg)
	}
	return 0
}

func (m *vm) datetimePack(L *lua.LState) int {
	t := L.CheckTable(1)
	f := func(k string) int {
		v, ok := t.RawGetString(k).(lua.LNumber)
		if !ok {
			return 0
		}
		return int(v)
	}
	L.Push(luaU64(uint64(rmc.NewDateTime(f("year"), f("month"), f("day"), f("hour"), f("minute"), f("second")))))
	return 1
}

func (m *vm) datetimeUnpack(L *lua.LState) int {
	i, ok := toInteger(L.Get(1))
	if !ok || i.neg {
		L.ArgError(1, "datetime value expected")
	}
	d := rmc.DateTime(i.mag)
	t := L.CreateTable(0, 6)
	for _, kv := range []struct {
		k string
		v int
	}{{"year", d.Year()}, {"month", d.Month()}, {"day", d.Day()}, {"hour", d.Hour()}, {"minute", d.Minute()}, {"second", d.Second()}} {
		t.RawSetString(kv.k, lua.LNumber(kv.v))
	}
	L.Push(t)
	return 1
}

// stationURLTable is nex.station_url: parse(s) returns a URL object
// (u.scheme, u.address, u:get(k), u:set(k, v), u:delete(k), tostring(u)),
// format(u or table) prints one.
func (m *vm) stationURLTable() *lua.LTable {
	L := m.L
	m.urlMT = L.NewTypeMetatable("nex.station_url")
	methods := map[string]lua.LGFunction{
		"get": func(L *lua.LState) int {
			u := checkURL(L)
			if v, ok := u.Get(L.CheckString(2)); ok {
				L.Push(lua.LString(v))
			} else {
				L.Push(lua.LNil)
			}
			return 1
		},
		"set": func(L *lua.LState) int {
			u := checkURL(L)
			u.Set(L.CheckString(2), luaToString(L, L.CheckAny(3)))
			return 0
		},
		"delete": func(L *lua.LState) int {
			checkURL(L).Delete(L.CheckString(2))
			return 0
		},
	}
	L.SetField(m.urlMT, "__index", L.NewFunction(func(L *lua.LState) int {
		u := checkURL(L)
		k := L.CheckString(2)
		if fn, ok := methods[k]; ok {
			L.Push(L.NewFunction(fn))
			return 1
		}
		if k == "scheme" {
			L.Push(lua.LString(u.Scheme))
			return 1
		}
		if v, ok := u.Get(k); ok {
			L.Push(lua.LString(v))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}))
	L.SetField(m.urlMT, "__newindex", L.NewFunction(func(L *lua.LState) int {
		u := checkURL(L)
		k := L.CheckString(2)
		switch v := L.Get(3); {
		case k == "scheme":
			u.Scheme = L.CheckString(3)
		case v == lua.LNil:
			u.Delete(k)
		default:
			u.Set(k, luaToString(L, v))
		}
		return 0
	}))
	L.SetField(m.urlMT, "__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(checkURL(L).String()))
		return 1
	}))
	t := L.NewTable()
	L.SetFuncs(t, map[string]lua.LGFunction{
		"parse": func(L *lua.LState) int {
			u, err := rmc.ParseStationURL(L.CheckString(1))
			if err != nil {
				L.Push(lua.LNil)
				L.Push(lua.LString(err.Error()))
				return 2
			}
			ud := L.NewUserData()
			ud.Value = &u
			ud.Metatable = m.urlMT
			L.Push(ud)
			return 1
		},
		"format": func(L *lua.LState) int {
			switch v := L.Get(1).(type) {
			case *lua.LUserData:
				L.Push(lua.LString(checkURL(L).String()))
			case *lua.LTable:
				L.Push(lua.LString(formatURLTable(L, v)))
			default:
				L.ArgError(1, "station url object or table expected")
			}
			return 1
		},
	})
	return t
}

func checkURL(L *lua.LState) *rmc.StationURL {
	ud := L.CheckUserData(1)
	u, ok := ud.Value.(*rmc.StationURL)
	if !ok {
		L.ArgError(1, "station url expected")
	}
	return u
}

// formatURLTable prints {scheme = "prudps", address = "1.2.3.4", ...} with
// the keys in sorted order (a table has no order; parse keeps wire order).
func formatURLTable(L *lua.LState, t *lua.LTable) string {
	u := rmc.StationURL{Scheme: "prudp"}
	if s, ok := t.RawGetString("scheme").(lua.LString); ok {
		u.Scheme = string(s)
	}
	var keys []string
	t.ForEach(func(k, _ lua.LValue) {
		if s, ok := k.(lua.LString); ok && s != "scheme" {
			keys = append(keys, string(s))
		}
	})
	sort.Strings(keys)
	for _, k := range keys {
		u.Set(k, luaToString(L, t.RawGetString(k)))
	}
	return u.String()
}
