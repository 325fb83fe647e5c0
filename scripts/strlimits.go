package scripts

import (
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/pm"
)

// The library functions below are the ones whose output can be far larger
// than their input; each checks the run's byte budget before it allocates.

// strRep is string.rep with the output size checked first.
func (m *vm) strRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if int64(n) > m.budget/int64(len(s))+1 {
		m.charge(m.budget+1, "string.rep")
	}
	m.charge(int64(len(s))*int64(n), "string.rep")
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// strFormat checks the specs the way Lua 5.1 does (at most two digits of
// width and precision, so one spec cannot ask for megabytes of padding),
// then formats with the library function and charges the result.
func (m *vm) strFormat(orig *lua.LFunction) int {
	L := m.L
	f := L.CheckString(1)
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			continue
		}
		for i < len(f) && strings.IndexByte("-+ #0", f[i]) >= 0 {
			i++
		}
		d := 0
		for i < len(f) && f[i] >= '0' && f[i] <= '9' {
			i++
			d++
		}
		if i < len(f) && f[i] == '.' {
			i++
			p := 0
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				i++
				p++
			}
			d = max(d, p)
		}
		if d > 2 {
			L.RaiseError("invalid format (width or precision too long)")
		}
	}
	top := L.GetTop()
	L.Push(orig)
	for i := 1; i <= top; i++ {
		L.Push(L.Get(i))
	}
	L.Call(top, 1)
	out := L.Get(-1)
	if s, ok := out.(lua.LString); ok {
		m.charge(int64(len(s)), "string.format")
	}
	return 1
}

// tableConcat is table.concat with the output size computed first.
func (m *vm) tableConcat(L *lua.LState) int {
	t := L.CheckTable(1)
	sep := L.OptString(2, "")
	i := L.OptInt(3, 1)
	j := L.OptInt(4, t.Len())
	if i > j {
		L.Push(lua.LString(""))
		return 1
	}
	var size int64
	for k := i; k <= j; k++ {
		switch v := t.RawGetInt(k).(type) {
		case lua.LString:
			size += int64(len(v))
		case lua.LNumber:
			size += 24
		default:
			L.RaiseError("invalid value (at index %d) in table for 'concat'", k)
		}
		if k < j {
			size += int64(len(sep))
		}
		if size > m.budget {
			break
		}
	}
	m.charge(size, "table.concat")
	var b strings.Builder
	b.Grow(int(size))
	for k := i; k <= j; k++ {
		b.WriteString(lua.LVAsString(t.RawGetInt(k)))
		if k < j {
			b.WriteString(sep)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

// findFrom returns the first match of pat in str at or after pos, or nil.
// Matching one at a time keeps memory constant per match (the library's
// Find collects every match first) and lets the loops below check the
// hook's deadline between matches.
func (m *vm) findFrom(pat string, str []byte, pos int) *pm.MatchData {
	mds, err := pm.Find(pat, str, pos, 1)
	if err != nil {
		m.L.RaiseError("%s", err.Error())
	}
	if len(mds) == 0 {
		return nil
	}
	return mds[0]
}

// checkDeadline raises the context error inside long Go-side loops, which
// the VM's per-instruction check does not reach.
func (m *vm) checkDeadline(i int) {
	if i&255 == 255 {
		if ctx := m.L.Context(); ctx != nil && ctx.Err() != nil {
			m.L.RaiseError("%s", ctx.Err().Error())
		}
	}
}

// strGsub is string.gsub with one linear output pass (the library version
// copies the whole string per match), one match in memory at a time, each
// replacement charged to the budget and the deadline checked as it goes.
func (m *vm) strGsub(L *lua.LState) int {
	str := L.CheckString(1)
	pat := L.CheckString(2)
	L.CheckTypes(3, lua.LTString, lua.LTNumber, lua.LTTable, lua.LTFunction)
	repl := L.Get(3)
	limit := L.OptInt(4, -1)
	anchored := strings.HasPrefix(pat, "^")
	src := []byte(str)
	m.charge(int64(len(str)), "string.gsub")
	var b strings.Builder
	n, pos := 0, 0
	for pos <= len(str) && (limit < 0 || n < limit) {
		m.checkDeadline(n)
		md := m.findFrom(pat, src, pos)
		if md == nil {
			break
		}
		n++
		start, end := md.Capture(0), md.Capture(1)
		b.WriteString(str[pos:start])
		whole := str[start:end]
		var rep string
		switch r := repl.(type) {
		case lua.LString, lua.LNumber:
			rep = m.expandRepl(lua.LVAsString(r), md, str)
		case *lua.LTable:
			rep = m.replValue(L.GetTable(r, capture(md, str, 1)), whole)
		case *lua.LFunction:
			L.Push(r)
			nc := captureCount(md)
			if nc == 0 {
				L.Push(lua.LString(whole))
				nc = 1
			} else {
				for i := 1; i <= nc; i++ {
					L.Push(capture(md, str, i))
				}
			}
			L.Call(nc, 1)
			v := L.Get(-1)
			L.Pop(1)
			rep = m.replValue(v, whole)
		}
		m.charge(int64(len(rep)), "string.gsub")
		b.WriteString(rep)
		pos = end
		if end == start { // empty match: keep one character and move on
			if start < len(str) {
				b.WriteByte(str[start])
			}
			pos = start + 1
		}
		if anchored {
			break
		}
	}
	if pos < len(str) {
		b.WriteString(str[pos:])
	}
	L.Push(lua.LString(b.String()))
	L.Push(lua.LNumber(n))
	return 2
}

// strGmatch is string.gmatch finding one match per iteration (the
// library version collects all matches when the loop starts).
func (m *vm) strGmatch(L *lua.LState) int {
	str := L.CheckString(1)
	pat := L.CheckString(2)
	src := []byte(str)
	pos, n := 0, 0
	L.Push(L.NewFunction(func(L *lua.LState) int {
		if pos > len(str) {
			L.Push(lua.LNil)
			return 1
		}
		n++
		m.checkDeadline(n)
		md := m.findFrom(pat, src, pos)
		if md == nil {
			pos = len(str) + 1
			L.Push(lua.LNil)
			return 1
		}
		start, end := md.Capture(0), md.Capture(1)
		pos = end
		if end == start {
			pos = start + 1
		}
		nc := captureCount(md)
		if nc == 0 {
			L.Push(lua.LString(str[start:end]))
			return 1
		}
		for i := 1; i <= nc; i++ {
			L.Push(capture(md, str, i))
		}
		return nc
	}))
	return 1
}

func captureCount(md *pm.MatchData) int { return md.CaptureLength()/2 - 1 }

// capture returns capture i (1-based; the whole match when the pattern has
// no captures) as Lua sees it: a string, or a number for a () capture.
func capture(md *pm.MatchData, str string, i int) lua.LValue {
	if captureCount(md) == 0 {
		i = 0
	}
	if i > captureCount(md) {
		return lua.LNil
	}
	if md.IsPosCapture(2 * i) {
		return lua.LNumber(md.Capture(2 * i))
	}
	return lua.LString(str[md.Capture(2*i):md.Capture(2*i+1)])
}

// expandRepl applies a replacement string: %0 the match, %1..%9 captures,
// %% a percent; any other %x stands for x as in Lua 5.1.
func (m *vm) expandRepl(r string, md *pm.MatchData, str string) string {
	if strings.IndexByte(r, '%') < 0 {
		return r
	}
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		if c != '%' || i+1 == len(r) {
			b.WriteByte(c)
			continue
		}
		i++
		c = r[i]
		switch {
		case c == '0':
			b.WriteString(str[md.Capture(0):md.Capture(1)])
		case c >= '1' && c <= '9':
			n := int(c - '0')
			if n > max(captureCount(md), 1) {
				m.L.RaiseError("invalid capture index %%%c", c)
			}
			b.WriteString(lua.LVAsString(capture(md, str, n)))
		default:
			b.WriteByte(c)
		}
		if int64(b.Len()) > m.budget {
			m.charge(int64(b.Len()), "string.gsub")
		}
	}
	return b.String()
}

func (m *vm) replValue(v lua.LValue, whole string) string {
	switch t := v.(type) {
	case *lua.LNilType:
		return whole
	case lua.LBool:
		if !bool(t) {
			return whole
		}
	case lua.LString, lua.LNumber:
		return lua.LVAsString(t)
	}
	m.L.RaiseError("invalid replacement value (a %s)", v.Type().String())
	return ""
}
