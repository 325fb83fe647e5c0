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
	g := e.acquire()
	if g == nil {
		return nil, false, ErrClosed
	}
	defer g.release()
	m, err := g.get(ctx)
	if err != nil {
		return nil, false, err
	}
	discard := false
	defer func() { g.put(m, discard) }()
	fn, isFn := m.nex.RawGetString("friends_of").(*lua.LFunction)
	if !isFn {
		return nil, false, nil
	}
	script := "friends_of"
	if fn.Proto != nil {
		script = fn.Proto.SourceName
	}
	spec := &hookSpec{kind: kindPassword, script: script, what: "friends_of"}
	ret, out, err := m.run(ctx, fn, script, e.cfg.Timeout, luaU64(pid), lua.LString(game))
	e.count(spec, out, err, nil)
	discard = out == runTimeout || out == runMemory
	if out != runOK {
		return nil, true, fmt.Errorf("scripts: friends_of: %w", err)
	}
	tbl, isTbl := ret.(*lua.LTable)
	if !isTbl {
		if ret == lua.LNil {
			return nil, true, nil
		}
		return nil, true, fmt.Errorf("scripts: friends_of returned a %s, not a list of PIDs", ret.Type())
	}
	n := tbl.Len()
	if n > maxFriends {
		return nil, true, fmt.Errorf("scripts: friends_of returned %d PIDs, more than %d", n, maxFriends)
	}
	friends = make([]uint64, 0, n)
	for i := 1; i <= n; i++ {
		v, ok := toInteger(tbl.RawGetInt(i))
		if !ok || !v.fitsU64() {
			return nil, true, fmt.Errorf("scripts: friends_of: element %d is not a PID", i)
		}
		friends = append(friends, v.bits())
	}
	return friends, true, nil
}
