package matchmaking

import (
	"strconv"
	"strings"

	"github.com/nexproxy/nexproxy/internal/store"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
)

// span is a criterion value: "" any, "n" equal, "a,b" inclusive range.
type span struct {
	any      bool
	min, max uint64
}

func (s span) has(v uint64) bool { return s.any || (v >= s.min && v <= s.max) }

// parseSpan reads a criterion string; false when it does not parse, which
// invalidates the whole criterion (services.md §3.1).
func parseSpan(s string) (span, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return span{any: true}, true
	}
	lo, hi, isRange := strings.Cut(s, ",")
	a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 32)
	if err != nil {
		return span{}, false
	}
	if !isRange {
		return span{min: a, max: a}, true
	}
	b, err := strconv.ParseUint(strings.TrimSpace(hi), 10, 32)
	if err != nil || b < a {
		return span{}, false
	}
	return span{min: a, max: b}, true
}

// criterion is a parsed MatchmakeSessionSearchCriteria.
type criterion struct {
	attribs                   []span
	mode, minP, maxP, system  span
	vacantOnly, excludeLocked bool
	needHost                  bool
	excludePasswords          bool
	codeword                  *string
	room                      int
}

// parseCriterion parses c; false when any field does not parse. nex4
// enables the codeword test (the field exists from NEX 4 only).
func parseCriterion(c *mm.MatchmakeSessionSearchCriteria, nex4 bool) (*criterion, bool) {
	if len(c.Attribs) > maxAttribs {
		return nil, false
	}
	cr := &criterion{vacantOnly: c.VacantOnly, excludeLocked: c.ExcludeLocked, needHost: c.ExcludeNonHostPID,
		excludePasswords: c.ExcludeUserPassword || c.ExcludeSystemPassword, room: max(int(c.VacantParticipants), 1)}
	for i, a := range c.Attribs {
		sp, ok := parseSpan(a)
		if !ok {
			return nil, false
		}
		if i == 1 {
			// Index 1 is the selection method's value, never a filter
			// (services.md §3.1, Splatoon).
			sp = span{any: true}
		}
		cr.attribs = append(cr.attribs, sp)
	}
	var ok [4]bool
	cr.mode, ok[0] = parseSpan(c.GameMode)
	cr.minP, ok[1] = parseSpan(c.MinParticipants)
	cr.maxP, ok[2] = parseSpan(c.MaxParticipants)
	cr.system, ok[3] = parseSpan(c.MatchmakeSystem)
	if !ok[0] || !ok[1] || !ok[2] || !ok[3] {
		return nil, false
	}
	if nex4 {
		cw := c.Codeword
		cr.codeword = &cw
	}
	return cr, true
}

// match reports whether g passes the criterion's filters other than
// vacancy and open participation (which the store's query applies).
func (cr *criterion) match(g *store.Gathering) bool {
	for i, sp := range cr.attribs {
		if sp.any {
			continue
		}
		if i >= len(g.Attributes) || !sp.has(uint64(g.Attributes[i])) {
			return false
		}
	}
	if !cr.mode.has(uint64(g.GameMode)) || !cr.minP.has(uint64(g.MinParticipants)) ||
		!cr.maxP.has(uint64(g.MaxParticipants)) || !cr.system.has(uint64(g.MatchmakeSystem)) {
		return false
	}
	if cr.needHost && g.Host == 0 {
		return false
	}
	return true
}

// query is the store query of one criterion; extra filters needing the
// decoded session (passwords, codeword) go through check.
func (cr *criterion) query(check func(*store.Gathering) bool) store.GatheringQuery {
	q := store.GatheringQuery{OpenOnly: cr.excludeLocked}
	if cr.vacantOnly {
		q.Room = cr.room
	}
	q.Match = func(g *store.Gathering) bool { return cr.match(g) && (check == nil || check(g)) }
	return q
}

// sameSession is AutoMatchmake_Postpone's search without criteria
// (services.md §3.4): equal max, min, game mode, attribs other than index
// 1, and system type.
func sameSession(want *store.Gathering) func(*store.Gathering) bool {
	return func(g *store.Gathering) bool {
		if g.MaxParticipants != want.MaxParticipants || g.MinParticipants != want.MinParticipants ||
			g.GameMode != want.GameMode || g.MatchmakeSystem != want.MatchmakeSystem || len(g.Attributes) != len(want.Attributes) {
			return false
		}
		for i := range g.Attributes {
			if i != 1 && g.Attributes[i] != want.Attributes[i] {
				return false
			}
		}
		return true
	}
}
