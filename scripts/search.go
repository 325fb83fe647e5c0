package scripts

import (
	"context"
	"fmt"

	lua "github.com/yuin/gopher-lua"
)

// Limits on what one matchmake_criteria call may return: more criteria,
// attributes or longer strings than any console sends are a runaway
// script, not a search.
const (
	maxCriteria        = 8
	maxCriteriaAttribs = 16
	maxCriteriaString  = 256
)

// SearchCriterion is a MatchmakeSessionSearchCriteria as a search hook
// sees it (the fields of builtin.SearchCriterion, in the same order).
type SearchCriterion struct {
	Attribs                                      []string
	GameMode, MinParticipants, MaxParticipants   string
	MatchmakeSystem                              string
	VacantOnly, ExcludeLocked, ExcludeNonHostPID bool
	SelectionMethod                              uint32
	VacantParticipants                           uint16
	ExcludeUserPassword, ExcludeSystemPassword   bool
	ReferGID                                     uint32
	Codeword                                     string
}

// MatchmakeCriteria lets the scripts add or change the search criteria
// of pid's auto-matchmake or browse in game: the function a script set as
// nex.matchmake_criteria(criteria, pid, game) gets the criteria as a list
// of tables (attribs as a list of strings, the other fields by their
// snake_case names) and returns the list to use, or nil to keep them.
// ok is false when no script set it; a hook that fails or returns
// something else is an error.
//
//	nex.matchmake_criteria = function(criteria, pid, game)
//	  for _, c in ipairs(criteria) do c.attribs[5] = "" end -- Splatoon
//	  return criteria
//	end
func (e *Engine) MatchmakeCriteria(ctx context.Context, game string, pid uint64, in []SearchCriterion) (out []SearchCriterion, ok bool, err error) {
	ok, err = e.callNexFunction(ctx, "matchmake_criteria",
		func(L *lua.LState) []lua.LValue {
			list := L.NewTable()
			for _, c := range in {
				list.Append(criterionTable(L, c))
			}
			return []lua.LValue{list, luaU64(pid), lua.LString(game)}
		},
		func(ret lua.LValue) error {
			out, err = criteriaList(ret, in)
			return err
		})
	if !ok && err == nil {
		return in, false, nil
	}
	return out, ok, err
}

// criteriaList reads what matchmake_criteria returned: nil (keep in) or
// a list of criteria tables.
func criteriaList(ret lua.LValue, in []SearchCriterion) ([]SearchCriterion, error) {
	if ret == lua.LNil {
		return in, nil
	}
	tbl, isTbl := ret.(*lua.LTable)
	if !isTbl {
		return nil, fmt.Errorf("returned a %s, not a list of criteria", ret.Type())
	}
	n := tbl.Len()
	if n > maxCriteria {
		return nil, fmt.Errorf("returned %d criteria, more than %d", n, maxCriteria)
	}
	out := make([]SearchCriterion, 0, n)
	for i := 1; i <= n; i++ {
		t, isTbl := tbl.RawGetInt(i).(*lua.LTable)
		if !isTbl {
			return nil, fmt.Errorf("element %d is not a table", i)
		}
		c, err := tableCriterion(t)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func criterionTable(L *lua.LState, c SearchCriterion) *lua.LTable {
	t := L.NewTable()
	attribs := L.NewTable()
	for _, a := range c.Attribs {
		attribs.Append(lua.LString(a))
	}
	t.RawSetString("attribs", attribs)
	for k, v := range map[string]string{"game_mode": c.GameMode, "min_participants": c.MinParticipants,
		"max_participants": c.MaxParticipants, "matchmake_system": c.MatchmakeSystem, "codeword": c.Codeword} {
		t.RawSetString(k, lua.LString(v))
	}
	for k, v := range map[string]bool{"vacant_only": c.VacantOnly, "exclude_locked": c.ExcludeLocked,
		"exclude_non_host_pid": c.ExcludeNonHostPID, "exclude_user_password": c.ExcludeUserPassword,
		"exclude_system_password": c.ExcludeSystemPassword} {
		t.RawSetString(k, lua.LBool(v))
	}
	t.RawSetString("selection_method", lua.LNumber(c.SelectionMethod))
	t.RawSetString("vacant_participants", lua.LNumber(c.VacantParticipants))
	t.RawSetString("refer_gid", lua.LNumber(c.ReferGID))
	return t
}

// tableCriterion reads a criterion table; a missing field is the zero
// value, a field of the wrong type an error.
func tableCriterion(t *lua.LTable) (SearchCriterion, error) {
	var c SearchCriterion
	var err error
	str := func(name string, dst *string) {
		switch v := t.RawGetString(name).(type) {
		case *lua.LNilType:
		case lua.LString:
			if len(v) > maxCriteriaString {
				err = fmt.Errorf("%s is longer than %d bytes", name, maxCriteriaString)
			}
			*dst = string(v)
		case lua.LNumber:
			*dst = v.String()
		default:
			err = fmt.Errorf("%s is a %s, not a string", name, v.Type())
		}
	}
	flag := func(name string, dst *bool) {
		switch v := t.RawGetString(name).(type) {
		case *lua.LNilType:
		case lua.LBool:
			*dst = bool(v)
		default:
			err = fmt.Errorf("%s is a %s, not a boolean", name, v.Type())
		}
	}
	num := func(name string, limit uint64) uint64 {
		v := t.RawGetString(name)
		if v == lua.LNil {
			return 0
		}
		i, ok := toInteger(v)
		if !ok || !i.fitsU64() || i.bits() > limit {
			err = fmt.Errorf("%s is not an integer up to %d", name, limit)
			return 0
		}
		return i.bits()
	}
	switch a := t.RawGetString("attribs").(type) {
	case *lua.LNilType:
	case *lua.LTable:
		n := a.Len()
		if n > maxCriteriaAttribs {
			return c, fmt.Errorf("%d attribs, more than %d", n, maxCriteriaAttribs)
		}
		for i := 1; i <= n; i++ {
			var s string
			str2 := func(v lua.LValue) {
				switch v := v.(type) {
				case lua.LString:
					s = string(v)
				case lua.LNumber:
					s = v.String()
				default:
					err = fmt.Errorf("attribs[%d] is a %s, not a string", i, v.Type())
				}
			}
			str2(a.RawGetInt(i))
			if len(s) > maxCriteriaString {
				err = fmt.Errorf("attribs[%d] is longer than %d bytes", i, maxCriteriaString)
			}
			c.Attribs = append(c.Attribs, s)
		}
	default:
		return c, fmt.Errorf("attribs is a %s, not a list", a.Type())
	}
	str("game_mode", &c.GameMode)
	str("min_participants", &c.MinParticipants)
	str("max_participants", &c.MaxParticipants)
	str("matchmake_system", &c.MatchmakeSystem)
	str("codeword", &c.Codeword)
	flag("vacant_only", &c.VacantOnly)
	flag("exclude_locked", &c.ExcludeLocked)
	flag("exclude_non_host_pid", &c.ExcludeNonHostPID)
	flag("exclude_user_password", &c.ExcludeUserPassword)
	flag("exclude_system_password", &c.ExcludeSystemPassword)
	c.SelectionMethod = uint32(num("selection_method", 0xFFFFFFFF))
	c.VacantParticipants = uint16(num("vacant_participants", 0xFFFF))
	c.ReferGID = uint32(num("refer_gid", 0xFFFFFFFF))
	return c, err
}
