package matchmaking

import (
	"context"
	"errors"
	"strconv"

	"github.com/nexproxy/nexproxy/proxy/builtin"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// maxHookCriteria bounds what a search hook may return.
const maxHookCriteria = maxParamCriteria

// searchHook runs the game's search hook (Host.Search) on the criteria of
// an auto-matchmake or a browse: it may add, drop or change criteria
// (services.md §3.3: Splatoon blanks attribs[4], MK8 adds attribute
// equalities). A
// criterion at an index the console sent keeps that criterion's
// MatchmakeParam and NEX 4 range; one the hook added has none. A hook
// that fails answers Core::Exception, like a failing store.
func (s *server) searchHook(ctx context.Context, c *rpc.Call, scs []mm.MatchmakeSessionSearchCriteria) ([]mm.MatchmakeSessionSearchCriteria, error) {
	h := s.env.Host.Search
	if h == nil {
		return scs, nil
	}
	in := make([]builtin.SearchCriterion, len(scs))
	for i := range scs {
		sc := &scs[i]
		in[i] = builtin.SearchCriterion{
			Attribs: append([]string(nil), sc.Attribs...), GameMode: sc.GameMode, MinParticipants: sc.MinParticipants,
			MaxParticipants: sc.MaxParticipants, MatchmakeSystem: sc.MatchmakeSystem, VacantOnly: sc.VacantOnly,
			ExcludeLocked: sc.ExcludeLocked, ExcludeNonHostPID: sc.ExcludeNonHostPID, SelectionMethod: sc.SelectionMethod,
			VacantParticipants: sc.VacantParticipants, ExcludeUserPassword: sc.ExcludeUserPassword,
			ExcludeSystemPassword: sc.ExcludeSystemPassword, ReferGID: sc.ReferGID, Codeword: sc.Codeword,
		}
	}
	out, err := h.MatchmakeCriteria(ctx, s.game(), c.Session.PID(), in)
	if err != nil {
		return nil, s.failed(c, "search hook", err)
	}
	if len(out) > maxHookCriteria {
		return nil, s.failed(c, "search hook", errTooManyCriteria)
	}
	res := make([]mm.MatchmakeSessionSearchCriteria, len(out))
	for i, o := range out {
		r := mm.NewMatchmakeSessionSearchCriteria()
		if i < len(scs) {
			*r = scs[i]
		}
		r.Attribs, r.GameMode, r.MinParticipants, r.MaxParticipants = o.Attribs, o.GameMode, o.MinParticipants, o.MaxParticipants
		r.MatchmakeSystem, r.VacantOnly, r.ExcludeLocked, r.ExcludeNonHostPID = o.MatchmakeSystem, o.VacantOnly, o.ExcludeLocked, o.ExcludeNonHostPID
		r.SelectionMethod, r.VacantParticipants = o.SelectionMethod, o.VacantParticipants
		r.ExcludeUserPassword, r.ExcludeSystemPassword, r.ReferGID, r.Codeword = o.ExcludeUserPassword, o.ExcludeSystemPassword, o.ReferGID, o.Codeword
		res[i] = *r
	}
	return res, nil
}

var errTooManyCriteria = errors.New("more criteria than " + strconv.Itoa(maxHookCriteria))
