package scripts

import (
	"context"
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// maxFriends bounds the list one friends_of call may return: a console's
// friend list holds 100 friends; the bound keeps a runaway script from
// costing the service that asked.
const maxFriends = 1000

// FriendsOf asks the scripts who pid's friends are in game: the function
// a script set as nex.friends_of(pid, game), which returns a list of PIDs
// (numbers, 64-bit values or decimal strings). ok is false when no script
// set it; a hook that fails or returns something else is an error.
//
//	nex.friends_of = function(pid, game)
//	  return FRIENDS[tostring(pid)] or {}
//	end
func (e *Engine) FriendsOf(ctx context.Context, game string, pid uint64) (friends []uint64, ok bool, err error) {
	ok, err = e.callNexFunction(ctx, "friends_of",
		func(*lua.LState) []lua.LValue { return []lua.LValue{luaU64(pid), lua.LString(game)} },
		func(ret lua.LValue) error {
			friends, err = friendsList(ret)
			return err
		})
	return friends, ok, err
}

// friendsList reads what friends_of returned: nil or a list of PIDs.
func friendsList(ret lua.LValue) ([]uint64, error) {
	tbl, isTbl := ret.(*lua.LTable)
	if !isTbl {
		if ret == lua.LNil {
			return nil, nil
		}
		return nil, fmt.Errorf("returned a %s, not a list of PIDs", ret.Type())
	}
	n := tbl.Len()
	if n > maxFriends {
		return nil, fmt.Errorf("returned %d PIDs, more than %d", n, maxFriends)
	}
	friends := make([]uint64, 0, n)
	for i := 1; i <= n; i++ {
		v, ok := toInteger(tbl.RawGetInt(i))
		if !ok || !v.fitsU64() {
			return nil, fmt.Errorf("element %d is not a PID", i)
		}
		friends = append(friends, v.bits())
	}
	return friends, nil
}

// callNexFunction runs the function a script set as nex.<name> with the
// arguments args makes on its Lua state, and hands the value it returned
// to use while that state is still held. ok is false when no script set
// it; a run that fails, or a value use refuses, is an error, counted
// and logged like a failed hook.
func (e *Engine) callNexFunction(ctx context.Context, name string, args func(*lua.LState) []lua.LValue, use func(lua.LValue) error) (ok bool, err error) {
	g := e.acquire()
	if g == nil {
		return false, ErrClosed
	}
	defer g.release()
	m, err := g.get(ctx)
	if err != nil {
		return false, err
	}
	discard := false
	defer func() { g.put(m, discard) }()
	fn, isFn := m.nex.RawGetString(name).(*lua.LFunction)
	if !isFn {
		return false, nil
	}
	script := name
	if fn.Proto != nil {
		script = fn.Proto.SourceName
	}
	spec := &hookSpec{kind: kindPassword, script: script, what: name}
	ret, res, err := m.run(ctx, fn, script, e.cfg.Timeout, args(m.L)...)
	if res == runOK {
		if err = use(ret); err != nil {
			// Refused like a failed run: counted, and logged with
			// the function's position.
			res, err = runError, fmt.Errorf("%s: %w", hookPos(fn, script), err)
		}
	}
	e.count(spec, res, err, nil, nil)
	discard = res == runTimeout || res == runMemory
	if res != runOK {
		return true, fmt.Errorf("scripts: %s: %w", name, err)
	}
	return true, nil
}
