package matchmaking

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// span is a criterion value: "" any, "n" equal, "a,b" inclusive range.
type span struct {
	any      bool
	min, max uint64
}

func (s span) has(v uint64) bool { return s.any || (v >= s.min && v <= s.max) }

// only reports whether v is the one value s allows.
func (s span) only(v uint64) bool { return !s.any && s.min == v && s.max == v }

// column is s as a store column filter; nil when s allows any value.
// parseSpan keeps both ends within 32 bits, so none is truncated.
func (s span) column() *store.Span {
	if s.any {
		return nil
	}
	return &store.Span{Min: uint32(s.min), Max: uint32(s.max)}
}

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
	// excludeUser and excludeSystem drop the sessions with that password
	// enabled, each on its own (services.md §3.1).
	excludeUser, excludeSystem bool
	// codeword and referGID (NEX 4) select the sessions with exactly that
	// codeword and refer_gid, "" and 0 included (services.md §3.1).
	codeword *string
	referGID *uint32
	room     int
	// method is the selection method; near is the criteria's attribs[1]
	// value (the lower end of a range) the nearest-neighbour methods
	// measure from, when it parses.
	method uint32
	near   *uint64
}

// parseCriterion parses c; an error names the first field that does not
// parse, which invalidates the whole criterion (services.md §3.1). nex4
// enables the codeword and refer_gid tests (the criteria carry them from
// NEX 4 only).
func parseCriterion(c *mm.MatchmakeSessionSearchCriteria, nex4 bool) (*criterion, error) {
	if len(c.Attribs) > maxAttribs {
		return nil, fmt.Errorf("%d attribs, more than %d", len(c.Attribs), maxAttribs)
	}
	cr := &criterion{vacantOnly: c.VacantOnly, excludeLocked: c.ExcludeLocked, needHost: c.ExcludeNonHostPID,
		excludeUser: c.ExcludeUserPassword, excludeSystem: c.ExcludeSystemPassword, room: max(int(c.VacantParticipants), 1),
		method: c.SelectionMethod}
	for i, a := range c.Attribs {
		sp, ok := parseSpan(a)
		if !ok {
			return nil, fmt.Errorf("attribs[%d] %q: %s", i, a, spanSyntax)
		}
		if i == 1 {
			// Index 1 is the selection method's value, never a filter
			// (services.md §3.1, Splatoon).
			if !sp.any {
				v := sp.min
				cr.near = &v
			}
			sp = span{any: true}
		}
		cr.attribs = append(cr.attribs, sp)
	}
	for _, f := range []struct {
		name, value string
		to          *span
	}{
		{"game_mode", c.GameMode, &cr.mode}, {"min_participants", c.MinParticipants, &cr.minP},
		{"max_participants", c.MaxParticipants, &cr.maxP}, {"matchmake_system", c.MatchmakeSystem, &cr.system},
	} {
		sp, ok := parseSpan(f.value)
		if !ok {
			return nil, fmt.Errorf("%s %q: %s", f.name, f.value, spanSyntax)
		}
		*f.to = sp
	}
	if nex4 {
		cw, ref := c.Codeword, c.ReferGID
		cr.codeword, cr.referGID = &cw, &ref
	}
	return cr, nil
}

// spanSyntax says what a criterion string must be.
const spanSyntax = `want "" (any), a 32-bit number or a range "a,b" with a <= b`

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

// setColumns sets q's column filters (which the store evaluates in its
// query, sparing the scan of the sessions they drop) to what match tests
// of every criterion of crits: for each column, the smallest range
// holding each criterion's, so that no session any criterion matches is
// dropped; none where a criterion allows any value, or without criteria.
// match still tests each criterion on its own.
func setColumns(q *store.GatheringQuery, crits []*criterion) {
	if len(crits) == 0 {
		return
	}
	hull := func(of func(*criterion) span) *store.Span {
		var out *store.Span
		for _, cr := range crits {
			sp := of(cr).column()
			switch {
			case sp == nil:
				return nil
			case out == nil:
				out = sp
			default:
				out.Min, out.Max = min(out.Min, sp.Min), max(out.Max, sp.Max)
			}
		}
		return out
	}
	q.GameMode = hull(func(cr *criterion) span { return cr.mode })
	q.MatchmakeSystem = hull(func(cr *criterion) span { return cr.system })
	q.MinParticipants = hull(func(cr *criterion) span { return cr.minP })
	q.MaxParticipants = hull(func(cr *criterion) span { return cr.maxP })
	q.HostOnly = true
	for _, cr := range crits {
		q.HostOnly = q.HostOnly && cr.needHost
	}
}

// query is the store query of one criterion; extra filters needing the
// decoded session (passwords, codeword) go through check.
func (cr *criterion) query(check func(*store.Gathering) bool) store.GatheringQuery {
	q := store.GatheringQuery{Kind: store.KindMatchmakeSession, OpenOnly: cr.excludeLocked}
	setColumns(&q, []*criterion{cr})
	if cr.vacantOnly {
		q.Room = cr.room
	}
	q.Match = func(g *store.Gathering) bool { return cr.match(g) && (check == nil || check(g)) }
	q.Rank = rankBy([]*criterion{cr}, -1, nil)
	return q
}

// Selection methods of MatchmakeSessionSearchCriteria (services.md §3.2).
const (
	selectRandom          = 0
	selectNearest         = 1
	selectBroadenRange    = 2
	selectProgressScore   = 3
	selectBroadenProgress = 4
)

// rankSpan leaves room for the per-criterion order below the criterion's
// index, which ranks first: an earlier criterion is always preferred.
const rankSpan = 1 << 40

func distance(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

// order is g's place under the criterion's selection method (lower
// first; equal places keep the oldest first):
//   - 0 random: a random place;
//   - 1 nearest and 2 broaden range: the distance of g's attribs[1] from
//     the criteria's (the range widening of 2 is what ordering by that
//     distance amounts to when the search takes the nearest);
//   - 3 progress score: the distance from progress (the searcher's
//     session's score when auto-matchmaking, as P does), or the highest
//     score first when there is no searcher's score (progress < 0, as PG
//     describes for browsing);
//   - 4: the sum of 2's and 3's distances;
//   - 5 (score based, unknown) and others: oldest first.
func (cr *criterion) order(g *store.Gathering, progress int) int64 {
	attr1 := func() uint64 {
		if cr.near == nil || len(g.Attributes) < 2 {
			return 0
		}
		return distance(uint64(g.Attributes[1]), *cr.near)
	}
	score := func() uint64 {
		if progress < 0 {
			return 100 - min(uint64(g.ProgressScore), 100)
		}
		return distance(uint64(g.ProgressScore), uint64(progress))
	}
	switch cr.method {
	case selectRandom:
		return rand.Int64N(rankSpan)
	case selectNearest, selectBroadenRange:
		return int64(attr1())
	case selectProgressScore:
		return int64(score())
	case selectBroadenProgress:
		return int64(attr1() + score())
	}
	return 0
}

// rankBy ranks a gathering by the first criterion it matches (match and,
// when set, extra), then by that criterion's selection method (progress
// as in order).
func rankBy(crits []*criterion, progress int, extra func(*criterion, *store.Gathering) bool) func(*store.Gathering) int64 {
	return func(g *store.Gathering) int64 {
		for i, cr := range crits {
			if cr.match(g) && (extra == nil || extra(cr, g)) {
				return int64(i)*rankSpan + cr.order(g, progress)
			}
		}
		return int64(len(crits)) * rankSpan
	}
}

// nearSession ranks sessions by the distance of their attribs[1] from
// want's: AutoMatchmake_Postpone's order (services.md §3.4, guessed from
// MK7 by P).
func nearSession(want *store.Gathering) func(*store.Gathering) int64 {
	return func(g *store.Gathering) int64 {
		if len(want.Attributes) < 2 || len(g.Attributes) < 2 {
			return 0
		}
		return int64(distance(uint64(g.Attributes[1]), uint64(want.Attributes[1])))
	}
}

// sameSession is AutoMatchmake_Postpone's search without criteria
// (services.md §3.4): equal max, min, game mode, attribs other than index
// 1, and system type (the codeword, which needs the decoded session, is
// sameCodeword's).
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

// sameCodeword completes sameSession from NEX 4, where sessions carry a
// codeword (services.md §3.4, protocols.md): the session's codeword
// equals want, "" included. Before NEX 4 every codeword is "": nil, no
// test.
func sameCodeword(want string, set rmc.Settings) func(*store.Gathering) bool {
	if set.NEXVersion < 40000 {
		return nil
	}
	return func(g *store.Gathering) bool {
		ms, ok := rawSession(g, set)
		if !ok {
			return want == ""
		}
		return ms.Codeword == want
	}
}

// autoPool is the pool (store.GatheringQuery.Pool) of an auto-matchmake
// offering ms with crits: its game mode and matchmake system, when every
// criterion allows only those (no criteria: sessions like ms, which have
// them); otherwise "", every session of the game.
func autoPool(ms *mm.MatchmakeSession, crits []*criterion) string {
	for _, cr := range crits {
		if !cr.mode.only(uint64(ms.GameMode)) || !cr.system.only(uint64(ms.MatchmakeSystem)) {
			return ""
		}
	}
	return fmt.Sprintf("mode=%d system=%d", ms.GameMode, ms.MatchmakeSystem)
}

// criteriaQuery is the auto-matchmake query of the criteria, after the
// game's search hook (Host.Search, a Lua nex.matchmake_criteria) added or
// changed them: a session any criterion selects, ranked by the first one
// it matches and that criterion's selection method, with the searcher's
// progress score for method 3. Without criteria, sessions like ms
// (sameSession, and from NEX 4 sameCodeword), nearest attribs[1] first.
func (s *server) criteriaQuery(ctx context.Context, c *rpc.Call, ms *mm.MatchmakeSession, scs []mm.MatchmakeSessionSearchCriteria) (store.GatheringQuery, error) {
	scs, err := s.searchHook(ctx, c, scs)
	if err != nil {
		return store.GatheringQuery{}, err
	}
	set := c.Session.Settings
	if len(scs) == 0 {
		want := storeColumns(ms)
		match := sameSession(&want)
		if codeword := sameCodeword(ms.Codeword, set); codeword != nil {
			like := match
			match = func(g *store.Gathering) bool { return like(g) && codeword(g) }
		}
		// The columns sameSession compares, also as column filters.
		return store.GatheringQuery{Kind: store.KindMatchmakeSession, Match: match, Rank: nearSession(&want),
			Pool: autoPool(ms, nil), GameMode: exactly(want.GameMode), MatchmakeSystem: exactly(want.MatchmakeSystem),
			MinParticipants: exactly(uint32(want.MinParticipants)), MaxParticipants: exactly(uint32(want.MaxParticipants))}, nil
	}
	var crits []*criterion
	for i := range scs {
		if cr, ok := s.criterion(c, "auto-matchmake", i, &scs[i]); ok {
			crits = append(crits, cr)
		}
	}
	q := store.GatheringQuery{
		Pool: autoPool(ms, crits),
		Kind: store.KindMatchmakeSession,
		Match: func(g *store.Gathering) bool {
			for _, cr := range crits {
				if cr.match(g) && cr.extraOK(g, set) {
					return true
				}
			}
			return false
		},
		Rank: rankBy(crits, int(ms.ProgressScore), func(cr *criterion, g *store.Gathering) bool { return cr.extraOK(g, set) }),
	}
	setColumns(&q, crits)
	return q, nil
}

// exactly is the column filter keeping the value v alone.
func exactly(v uint32) *store.Span { return &store.Span{Min: v, Max: v} }

// criterion parses the i-th criterion of a search (what names it: browse,
// auto-matchmake). One that does not parse matches nothing; as that
// silently finds nothing (common-go#70), a debug line names it and the
// field at fault, and another lists the filters of each one that parses
// (services.md §8).
func (s *server) criterion(c *rpc.Call, what string, i int, sc *mm.MatchmakeSessionSearchCriteria) (*criterion, bool) {
	nex4 := c.Session.Settings.NEXVersion >= 40000
	cr, err := parseCriterion(sc, nex4)
	log := s.env.Log
	if err != nil {
		if ce := log.Check(zap.DebugLevel, "matchmaking: search criterion rejected"); ce != nil {
			ce.Write(zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()), zap.Uint32("call_id", c.CallID),
				zap.String("search", what), zap.Int("criterion", i), zap.String("reason", err.Error()))
		}
		return nil, false
	}
	if ce := log.Check(zap.DebugLevel, "matchmaking: search criterion"); ce != nil {
		fields := []zap.Field{zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()), zap.Uint32("call_id", c.CallID),
			zap.String("search", what), zap.Int("criterion", i), zap.Strings("attribs", sc.Attribs), zap.String("game_mode", sc.GameMode),
			zap.String("min_participants", sc.MinParticipants), zap.String("max_participants", sc.MaxParticipants),
			zap.String("matchmake_system", sc.MatchmakeSystem), zap.Bool("vacant_only", sc.VacantOnly),
			zap.Uint16("vacant_participants", sc.VacantParticipants), zap.Bool("exclude_locked", sc.ExcludeLocked),
			zap.Bool("exclude_non_host_pid", sc.ExcludeNonHostPID), zap.Bool("exclude_user_password", sc.ExcludeUserPassword),
			zap.Bool("exclude_system_password", sc.ExcludeSystemPassword), zap.Uint32("selection_method", sc.SelectionMethod)}
		if nex4 {
			fields = append(fields, zap.String("codeword", sc.Codeword), zap.Uint32("refer_gid", sc.ReferGID))
		}
		ce.Write(fields...)
	}
	return cr, true
}
