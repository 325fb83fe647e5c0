package scripts

import (
	"errors"
	"fmt"

	lua "github.com/yuin/gopher-lua"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// callRun is the engine-side state of one call walking its hooks. The Lua
// `call` object reads and writes it; changes a hook makes are staged in h
// and committed only when the hook returns without error, so a failing
// hook leaves the call as if it had not run.
type callRun struct {
	m        *vm
	c        *Call
	response bool

	params  *schema.Value // current parameters (nil: undescribed or not decoded yet)
	decoded bool          // params reflects body
	body    []byte        // current body
	stale   bool          // params changed but could not be encoded into body

	outParams *schema.Value
	outBody   []byte
	sends     []pendingSend

	h        hookStage
	ud       *lua.LUserData // the call object
	session  *lua.LUserData // call.session, made on first use
	finished bool
}

// hookStage holds what the running hook changed.
type hookStage struct {
	table   lua.LValue // params table handed out or assigned; nil = untouched
	body    []byte
	bodySet bool
	sends   []pendingSend
}

func newCallRun(m *vm, c *Call, response bool) *callRun {
	r := &callRun{m: m, c: c, response: response, body: c.Body}
	if c.Params != nil && c.Params.Kind != schema.KindRaw {
		r.params, r.decoded = c.Params, true
	}
	if response && c.Result.IsError() {
		r.decoded = true // an error response has no values
	}
	return r
}

// lparams returns the Lua table of the parameters, decoding the body on
// first use.
func (r *callRun) lparams() lua.LValue {
	if r.h.table != nil {
		return r.h.table
	}
	if !r.decoded {
		r.decoded = true
		v, err := decodeBody(r.m.e.cfg.Registry, r.c, r.response, r.body)
		if err != nil {
			r.m.logger().Debug("parameters not decoded; call.params is nil", zapErr(err))
		}
		r.params = v
	}
	if r.params == nil {
		return lua.LNil
	}
	r.h.table = r.m.toLua(r.params)
	return r.h.table
}

// commit folds the successful hook's changes into the run; it reports
// whether the hook changed the call's parameters or body.
func (r *callRun) commit() (bool, error) {
	h := &r.h
	defer func() { r.h = hookStage{} }()
	var nv *schema.Value
	if h.table != nil {
		if r.params == nil {
			if !h.bodySet {
				return false, errors.New("call.params was assigned but this call has no decoded parameters; replace call.body instead")
			}
		} else {
			v, err := r.m.apply(r.params, h.table, "params")
			if err != nil {
				return false, err
			}
			if v != r.params {
				nv = v
			}
		}
	}
	if h.bodySet {
		if nv != nil {
			return false, errors.New("a hook may change call.params or replace call.body, not both")
		}
		r.body, r.outBody = h.body, h.body
		r.params, r.outParams, r.decoded, r.stale = nil, nil, false, false
	} else if nv != nil {
		b, err := encodeBody(r.m.e.cfg.Registry, r.c, r.response, nv)
		switch {
		case errors.Is(err, errNoSettings):
			r.stale = true
		case err != nil:
			return false, fmt.Errorf("changed parameters do not encode: %w", err)
		default:
			r.body, r.outBody, r.stale = b, b, false
		}
		r.params, r.outParams = nv, nv
	}
	r.sends = append(r.sends, h.sends...)
	return h.bodySet || nv != nil, nil
}

// verdict converts a hook's return value. nil means continue.
func (r *callRun) verdict(ret lua.LValue) (*Verdict, error) {
	if ret == lua.LNil {
		return nil, nil
	}
	ud, ok := ret.(*lua.LUserData)
	if !ok {
		return nil, fmt.Errorf("hook returned a %s; return nothing, nex.answer, nex.answer_raw, nex.fail or nex.drop", ret.Type())
	}
	lv, ok := ud.Value.(*luaVerdict)
	if !ok {
		return nil, fmt.Errorf("hook returned a %s userdata; return nothing or a nex verdict", ret.Type())
	}
	switch lv.action {
	case Fail:
		return &Verdict{Action: Fail, Error: lv.result}, nil
	case Drop:
		return &Verdict{Action: Drop}, nil
	}
	if lv.raw != nil {
		return &Verdict{Action: Answer, ResponseBody: lv.raw}, nil
	}
	reg := r.m.e.cfg.Registry
	tmpl, err := newResponse(reg, r.c)
	if err != nil {
		if lv.values == nil && errors.Is(err, errNoSettings) {
			return &Verdict{Action: Answer, ResponseBody: []byte{}}, nil
		}
		return nil, fmt.Errorf("nex.answer: %w", err)
	}
	resp := tmpl
	if lv.values != nil {
		if resp, err = r.m.apply(tmpl, lv.values, "answer"); err != nil {
			return nil, fmt.Errorf("nex.answer: %w", err)
		}
	}
	b, err := encodeBody(reg, r.c, true, resp)
	if err != nil {
		return nil, fmt.Errorf("nex.answer: %w", err)
	}
	return &Verdict{Action: Answer, Response: resp, ResponseBody: b}, nil
}

// luaVerdict is what nex.answer, answer_raw, fail and drop return.
type luaVerdict struct {
	action Action
	values *lua.LTable // nex.answer{...}
	raw    []byte      // nex.answer_raw
	result rmc.Result
}

const (
	callTypeName    = "nex.call"
	sessionTypeName = "nex.session"
	verdictTypeName = "nex.verdict"
)

// installCall creates the metatables of call, session and verdict objects.
func (m *vm) installCall() {
	L := m.L
	m.callMT = L.NewTypeMetatable(callTypeName)
	L.SetField(m.callMT, "__index", L.NewFunction(m.callIndex))
	L.SetField(m.callMT, "__newindex", L.NewFunction(m.callNewIndex))
	L.SetField(m.callMT, "__tostring", L.NewFunction(func(L *lua.LState) int {
		r := m.checkCall(L)
		L.Push(lua.LString(fmt.Sprintf("call %s.%s #%d", r.c.ProtocolName, r.c.MethodName, r.c.CallID)))
		return 1
	}))
	m.sessionMT = L.NewTypeMetatable(sessionTypeName)
	L.SetField(m.sessionMT, "__index", L.NewFunction(m.sessionIndex))
	m.sendFn = L.NewFunction(m.sessionSend)
	m.verdictMT = L.NewTypeMetatable(verdictTypeName)
	L.SetField(m.verdictMT, "__tostring", L.NewFunction(func(L *lua.LState) int {
		v := L.CheckUserData(1).Value.(*luaVerdict)
		L.Push(lua.LString("verdict " + v.action.String()))
		return 1
	}))
}

func (m *vm) checkCall(L *lua.LState) *callRun {
	ud := L.CheckUserData(1)
	r, ok := ud.Value.(*callRun)
	if !ok {
		L.ArgError(1, "call object expected")
	}
	if r.finished {
		L.RaiseError("call object used after its hook returned")
	}
	return r
}

func (m *vm) callUserData(r *callRun) *lua.LUserData {
	if r.ud == nil {
		r.ud = m.L.NewUserData()
		r.ud.Value = r
		r.ud.Metatable = m.callMT
	}
	return r.ud
}

func (m *vm) callIndex(L *lua.LState) int {
	r := m.checkCall(L)
	c := r.c
	key := L.CheckString(2)
	var v lua.LValue = lua.LNil
	switch key {
	case "params":
		v = r.lparams()
	case "body":
		if r.h.bodySet {
			v = lua.LString(r.h.body)
		} else {
			v = lua.LString(r.body)
		}
	case "game":
		v = lua.LString(c.Game)
	case "pid":
		v = luaU64(c.PID)
	case "conn_id":
		v = luaU64(c.ConnID)
	case "protocol":
		v = lua.LString(c.ProtocolName)
	case "method":
		v = lua.LString(c.MethodName)
	case "protocol_id":
		v = lua.LNumber(c.Protocol)
	case "method_id":
		v = lua.LNumber(c.Method)
	case "call_id":
		v = lua.LNumber(c.CallID)
	case "direction":
		v = lua.LString(c.Direction.String())
	case "is_response":
		v = lua.LBool(r.response)
	case "result":
		if r.response {
			v = lua.LNumber(c.Result)
		}
	case "success":
		if r.response {
			v = lua.LBool(!c.Result.IsError())
		}
	case "error":
		if r.response && c.Result.IsError() {
			v = lua.LString(c.Result.String())
		}
	case "session":
		if c.Session != nil {
			if r.session == nil {
				r.session = m.sessionUserData(&sessionRef{s: c.Session, run: r})
			}
			v = r.session
		}
	default:
		L.RaiseError("call has no field %q", key)
	}
	L.Push(v)
	return 1
}

func (m *vm) callNewIndex(L *lua.LState) int {
	r := m.checkCall(L)
	key := L.CheckString(2)
	switch key {
	case "params":
		t, ok := L.Get(3).(*lua.LTable)
		if !ok {
			L.ArgError(3, "call.params must be a table")
		}
		if r.params == nil {
			r.lparams() // decode, so the assigned table has something to apply to
		}
		r.h.table = t
	case "body":
		s := L.CheckString(3)
		m.charge(int64(len(s)), "call.body")
		r.h.body, r.h.bodySet = []byte(s), true
	default:
		L.RaiseError("call.%s is read-only (only params and body can be set)", key)
	}
	return 0
}

// sessionRef is the Lua session object: the session and the run whose
// sends it queues.
type sessionRef struct {
	s   *Session
	run *callRun
}

func (m *vm) sessionUserData(ref *sessionRef) *lua.LUserData {
	ud := m.L.NewUserData()
	ud.Value = ref
	ud.Metatable = m.sessionMT
	return ud
}

func (m *vm) sessionIndex(L *lua.LState) int {
	ud := L.CheckUserData(1)
	ref, ok := ud.Value.(*sessionRef)
	if !ok {
		L.ArgError(1, "session expected")
	}
	switch key := L.CheckString(2); key {
	case "store":
		if ref.s.store == nil {
			ref.s.store = L.NewTable()
		}
		L.Push(ref.s.store)
	case "send":
		L.Push(m.sendFn)
	default:
		L.RaiseError("session has no field %q", key)
	}
	return 1
}

// sessionSend queues session:send(protocol, method, body); the message is
// sent when the call's hooks are done, and not at all if this hook fails.
func (m *vm) sessionSend(L *lua.LState) int {
	ud := L.CheckUserData(1)
	ref, ok := ud.Value.(*sessionRef)
	if !ok {
		L.ArgError(1, "session expected (use session:send)")
	}
	proto, method := m.checkMethodArgs(L, 2)
	body := L.OptString(4, "")
	if ref.s.Sender == nil {
		L.RaiseError("session:send: this session cannot send (no sender)")
	}
	if ref.run == nil || ref.run.finished {
		L.RaiseError("session:send: only inside a call hook")
	}
	ref.run.h.sends = append(ref.run.h.sends, pendingSend{session: ref.s, protocol: proto, method: method, body: []byte(body)})
	return 0
}

// checkMethodArgs reads a protocol and a method at n, n+1 as names or ids.
func (m *vm) checkMethodArgs(L *lua.LState, n int) (uint16, uint32) {
	reg := m.e.cfg.Registry
	pv, mv := L.Get(n), L.Get(n+1)
	var proto uint16
	var method uint32
	var pname string
	switch p := pv.(type) {
	case lua.LNumber:
		if p < 0 || p > 0xFFFF || p != lua.LNumber(int(p)) {
			L.ArgError(n, "protocol id out of range")
		}
		proto = uint16(p)
	case lua.LString:
		pname = string(p)
	default:
		L.ArgError(n, "protocol name or id expected")
	}
	switch mm := mv.(type) {
	case lua.LNumber:
		if mm < 0 || mm > 0xFFFFFFFF || mm != lua.LNumber(int64(mm)) {
			L.ArgError(n+1, "method id out of range")
		}
		method = uint32(mm)
		if pname != "" {
			p := protocolByName(reg, pname)
			if p == nil {
				L.ArgError(n, "unknown protocol "+pname)
			}
			proto = p.ID
		}
	case lua.LString:
		if pname == "" {
			p := reg.Protocol(proto)
			if p == nil {
				L.ArgError(n, fmt.Sprintf("protocol %d is not described; use a method id", proto))
			}
			pname = p.Name
		}
		md := reg.MethodByName(pname, string(mm))
		if md == nil {
			L.ArgError(n+1, "unknown method "+pname+"."+string(mm))
		}
		proto, method = md.Protocol.ID, md.ID
	default:
		L.ArgError(n+1, "method name or id expected")
	}
	return proto, method
}
