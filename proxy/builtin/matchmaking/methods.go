package matchmaking

import (
	"context"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakingext"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

var (
	_ matchmakeextension.CreateMatchmakeSessionServer                  = (*server)(nil)
	_ matchmakeextension.JoinMatchmakeSessionServer                    = (*server)(nil)
	_ matchmakeextension.JoinMatchmakeSessionExServer                  = (*server)(nil)
	_ matchmakeextension.AutoMatchmakePostponeServer                   = (*server)(nil)
	_ matchmakeextension.AutoMatchmakeWithSearchCriteriaPostponeServer = (*server)(nil)
	_ matchmakeextension.BrowseMatchmakeSessionServer                  = (*server)(nil)
	_ matchmakeextension.CloseParticipationServer                      = (*server)(nil)
	_ matchmakeextension.OpenParticipationServer                       = (*server)(nil)
	_ matchmakeextension.UpdateApplicationBufferServer                 = (*server)(nil)
	_ matchmakeextension.UpdateProgressScoreServer                     = (*server)(nil)
	_ mm.GetSessionURLsServer                                          = (*server)(nil)
	_ mm.UnregisterGatheringServer                                     = (*server)(nil)
	_ mm.FindBySingleIDServer                                          = (*server)(nil)
	_ matchmakingext.EndParticipationServer                            = (*server)(nil)
)

// CreateMatchmakeSession creates a session owned and hosted by the caller,
// who joins it with num_participants entries (services.md §2.7).
func (s *server) CreateMatchmakeSession(ctx context.Context, c *rpc.Call, req *matchmakeextension.CreateMatchmakeSessionRequest) (*matchmakeextension.CreateMatchmakeSessionResponse, error) {
	ms, err := s.session(c, req.Gathering)
	if err != nil {
		return nil, err
	}
	if len(req.Description) > maxDescription {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	extra, err := extraOf(req.NumParticipants)
	if err != nil {
		return nil, err
	}
	if err := s.communityCheck(ctx, c, ms); err != nil {
		return nil, err
	}
	g, err := s.newGathering(c, ms)
	if err != nil {
		return nil, err
	}
	j := s.track(c)
	g.Participants = []store.GatheringParticipant{{PID: c.Session.PID(), Extra: extra}}
	g, err = s.gs.Create(ctx, g)
	if err != nil {
		return nil, s.failed(c, "create session", err)
	}
	j.add(g.ID)
	s.joinedSession(ctx, c, &g, c.Session.PID())
	s.notifyJoin(ctx, &g, c.Session.PID(), req.Description)
	return &matchmakeextension.CreateMatchmakeSessionResponse{GID: g.ID, SessionKey: g.SessionKey}, nil
}

// joinCheck refuses closed and password-protected sessions (plain joins,
// services.md §2.6).
func (s *server) joinCheck(set rmc.Settings) func(*store.Gathering) error {
	return func(g *store.Gathering) error {
		if !g.OpenParticipation || passworded(g, set) {
			return rpc.Fail(rmc.ResultRendezVousPermissionDenied)
		}
		return nil
	}
}

func (s *server) join(ctx context.Context, c *rpc.Call, gid uint32, n uint16, message string, ignoreBlocks bool) ([]byte, error) {
	extra, err := extraOf(n)
	if err != nil {
		return nil, err
	}
	if len(message) > maxDescription {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	check, err := s.friendCheck(ctx, c, ignoreBlocks, s.joinCheck(c.Session.Settings))
	if err != nil {
		return nil, err
	}
	if !ignoreBlocks {
		if err := s.ownerBlocks(ctx, c, gid); err != nil {
			return nil, err
		}
	}
	j := s.track(c)
	pid := c.Session.PID()
	g, err := s.gs.Join(ctx, s.game(), gid, store.GatheringParticipant{PID: pid, Extra: extra}, check)
	if err != nil {
		return nil, s.failed(c, "join session", err)
	}
	j.add(g.ID)
	s.joinedSession(ctx, c, &g, pid)
	s.notifyJoin(ctx, &g, pid, message)
	return g.SessionKey, nil
}

// JoinMatchmakeSession joins the caller alone (services.md §2.8).
func (s *server) JoinMatchmakeSession(ctx context.Context, c *rpc.Call, req *matchmakeextension.JoinMatchmakeSessionRequest) (*matchmakeextension.JoinMatchmakeSessionResponse, error) {
	key, err := s.join(ctx, c, req.GID, 1, req.Message, false)
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.JoinMatchmakeSessionResponse{SessionKey: key}, nil
}

// JoinMatchmakeSessionEx joins the caller with num_participants entries;
// ignore_block_list skips the block lists.
func (s *server) JoinMatchmakeSessionEx(ctx context.Context, c *rpc.Call, req *matchmakeextension.JoinMatchmakeSessionExRequest) (*matchmakeextension.JoinMatchmakeSessionExResponse, error) {
	key, err := s.join(ctx, c, req.GID, req.NumParticipants, req.Gmessage, req.IgnoreBlockList)
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.JoinMatchmakeSessionExResponse{SessionKey: key}, nil
}

// autoJoin joins the first open session q selects or creates one from ms
// (services.md §3.4), in one store step.
func (s *server) autoJoin(ctx context.Context, c *rpc.Call, ms *mm.MatchmakeSession, q store.GatheringQuery, n uint16, message string) (typed.AnyData, error) {
	g, _, err := s.autoJoinWith(ctx, c, ms, q, n, nil, message)
	if err != nil {
		return typed.AnyData{}, err
	}
	s.joinedSession(ctx, c, &g, c.Session.PID())
	s.notifyJoin(ctx, &g, c.Session.PID(), message)
	return typed.Hold(fromStore(&g, c.Session.Settings)), nil
}

// autoJoinWith is autoJoin keeping room for the additional participants
// the caller adds next (others), in a session none of them is in yet; it
// reports whether it created. The caller counts the community
// participation (joinedSession) and sends 3001 (notifyJoin), once its
// whole join stands: from its shallower frame, the send through PRUDP
// seldom needs the request goroutine's stack to grow.
func (s *server) autoJoinWith(ctx context.Context, c *rpc.Call, ms *mm.MatchmakeSession, q store.GatheringQuery, n uint16, others []uint64, message string) (store.Gathering, bool, error) {
	extra, err := extraOf(n)
	if err != nil {
		return store.Gathering{}, false, err
	}
	if len(message) > maxDescription {
		return store.Gathering{}, false, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	create, err := s.newGathering(c, ms)
	if err != nil {
		return store.Gathering{}, false, err
	}
	vis, err := s.visibility(ctx, c)
	if err != nil {
		return store.Gathering{}, false, err
	}
	set := c.Session.Settings
	q.Kind = store.KindMatchmakeSession
	q.OpenOnly = true
	q.Room = max(q.Room, 1+int(extra)+len(others))
	q.HostOnly = true // as Match below, in the store's query
	var busy map[uint64]bool
	for _, p := range others {
		if busy == nil {
			busy = map[uint64]bool{}
		}
		busy[p] = true
	}
	match := q.Match
	// The filters run in the store's serialised step: the cheap ones
	// first, the one decoding the stored session last.
	q.Match = func(g *store.Gathering) bool {
		return g.Host != 0 && !hasAny(g, busy) && vis(g) && (match == nil || match(g)) && !passworded(g, set)
	}
	j := s.track(c)
	pid := c.Session.PID()
	g, created, err := s.gs.AutoJoin(ctx, s.game(), q, store.GatheringParticipant{PID: pid, Extra: extra}, create)
	if err != nil {
		return store.Gathering{}, false, s.failed(c, "auto-matchmake", err)
	}
	j.add(g.ID)
	return g, created, nil
}

// AutoMatchmake_Postpone joins a session like the supplied one or creates
// it.
func (s *server) AutoMatchmakePostpone(ctx context.Context, c *rpc.Call, req *matchmakeextension.AutoMatchmakePostponeRequest) (*matchmakeextension.AutoMatchmakePostponeResponse, error) {
	ms, err := s.session(c, req.Gathering)
	if err != nil {
		return nil, err
	}
	q, err := s.criteriaQuery(ctx, c, ms, nil)
	if err != nil {
		return nil, err
	}
	held, err := s.autoJoin(ctx, c, ms, q, 1, req.Message)
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.AutoMatchmakePostponeResponse{Gathering: held}, nil
}

// AutoMatchmakeWithSearchCriteria_Postpone joins a session any criterion
// selects (at most two criteria; the first one's vacant_participants is
// the number of entries joined) or creates the supplied one. A session the
// first criterion selects is preferred; within a criterion its selection
// method orders (services.md §3.2, §3.3).
func (s *server) AutoMatchmakeWithSearchCriteriaPostpone(ctx context.Context, c *rpc.Call, req *matchmakeextension.AutoMatchmakeWithSearchCriteriaPostponeRequest) (*matchmakeextension.AutoMatchmakeWithSearchCriteriaPostponeResponse, error) {
	if len(req.SearchCriteria) > maxCriteria {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	ms, err := s.session(c, req.Gathering)
	if err != nil {
		return nil, err
	}
	n := uint16(1)
	if len(req.SearchCriteria) > 0 {
		n = max(req.SearchCriteria[0].VacantParticipants, 1)
	}
	q, err := s.criteriaQuery(ctx, c, ms, req.SearchCriteria)
	if err != nil {
		return nil, err
	}
	held, err := s.autoJoin(ctx, c, ms, q, n, req.Message)
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.AutoMatchmakeWithSearchCriteriaPostponeResponse{Gathering: held}, nil
}

// extraOK applies the filters that need the decoded session.
func (cr *criterion) extraOK(g *store.Gathering, set rmc.Settings) bool {
	if !cr.excludeUser && !cr.excludeSystem && cr.codeword == nil && cr.referGID == nil {
		return true
	}
	ms := fromStore(g, set)
	if cr.excludeUser && ms.UserPasswordEnabled || cr.excludeSystem && ms.SystemPasswordEnabled {
		return false
	}
	if cr.referGID != nil && ms.ReferGID != *cr.referGID {
		return false
	}
	return cr.codeword == nil || ms.Codeword == *cr.codeword
}

// BrowseMatchmakeSession lists the sessions the criterion selects, with
// session keys and user passwords blanked (services.md §3.5).
func (s *server) BrowseMatchmakeSession(ctx context.Context, c *rpc.Call, req *matchmakeextension.BrowseMatchmakeSessionRequest) (*matchmakeextension.BrowseMatchmakeSessionResponse, error) {
	found, err := s.browse(ctx, c, &req.SearchCriteria, req.Range)
	if err != nil {
		return nil, err
	}
	resp := &matchmakeextension.BrowseMatchmakeSessionResponse{}
	for i := range found {
		resp.Gatherings = append(resp.Gatherings, typed.Hold(blanked(&found[i], c.Session.Settings)))
	}
	return resp, nil
}

// blanked is a session as searches show it: no session key, no user
// password (services.md §3.5).
func blanked(g *store.Gathering, set rmc.Settings) *mm.MatchmakeSession {
	ms := fromStore(g, set)
	ms.SessionKey = nil
	ms.UserPassword = ""
	return ms
}

// anyOffset maps the "any offset" of a ResultRange to 0 (services.md
// §3.3: everywhere, including a NEX 4 criterion's own range).
func anyOffset(o uint32) uint32 {
	if o == 0xFFFFFFFF {
		return 0
	}
	return o
}

// browse returns the sessions a browse's criterion selects within rng,
// after the game's search hook (services.md §3.3, as for auto-matchmake)
// changed it or added criteria: each criterion's sessions in turn, the
// first one's first, each session once. A NEX 4 criterion whose own range
// has a size uses that range; the others share rng (same offset, the size
// the earlier ones left). A criterion that does not parse finds nothing
// (logged, criterion).
func (s *server) browse(ctx context.Context, c *rpc.Call, sc *mm.MatchmakeSessionSearchCriteria, rng common.ResultRange) ([]store.Gathering, error) {
	scs, err := s.searchHook(ctx, c, []mm.MatchmakeSessionSearchCriteria{*sc})
	if err != nil {
		return nil, err
	}
	set := c.Session.Settings
	nex4 := set.NEXVersion >= 40000
	vis, err := s.visibility(ctx, c)
	if err != nil {
		return nil, err
	}
	var out []store.Gathering
	listed := map[uint32]bool{}
	shared := min(rng.Size, maxBrowse)
	for i := range scs {
		cr, ok := s.criterion(c, "browse", i, &scs[i])
		if !ok {
			continue
		}
		r, own := rng, nex4 && scs[i].Range.Size != 0
		if own {
			r = scs[i].Range
		} else {
			r.Size = shared
		}
		q := cr.query(func(g *store.Gathering) bool { return !listed[g.ID] && vis(g) && cr.extraOK(g, set) })
		found, err := s.searchRange(ctx, c, "browse sessions", q, r)
		if err != nil {
			return nil, err
		}
		for _, g := range found {
			listed[g.ID] = true
		}
		out = append(out, found...)
		if !own {
			shared -= min(shared, uint32(len(found)))
		}
		if len(out) >= maxBrowse {
			return out[:maxBrowse], nil
		}
	}
	return out, nil
}

// searchRange returns what q selects within rng (its "any offset" read
// as 0, at most maxBrowse); nothing for an empty range.
func (s *server) searchRange(ctx context.Context, c *rpc.Call, what string, q store.GatheringQuery, rng common.ResultRange) ([]store.Gathering, error) {
	q.Offset = int(min(anyOffset(rng.Offset), store.MaxGatheringScan))
	q.Limit = int(min(rng.Size, maxBrowse))
	if q.Limit == 0 {
		return nil, nil
	}
	found, err := s.gs.Search(ctx, s.game(), q)
	if err != nil {
		return nil, s.failed(c, what, err)
	}
	return found, nil
}

// ownerUpdate changes a session the caller owns (others get
// RendezVous::PermissionDenied, services.md §2.2).
func (s *server) ownerUpdate(ctx context.Context, c *rpc.Call, gid uint32, what string, fn func(g *store.Gathering)) error {
	return s.ownerChange(ctx, c, gid, what, func(g *store.Gathering) error { fn(g); return nil })
}

// ownerChange is ownerUpdate with a change that may refuse (its error is
// the answer).
func (s *server) ownerChange(ctx context.Context, c *rpc.Call, gid uint32, what string, fn func(g *store.Gathering) error) error {
	pid := c.Session.PID()
	_, err := s.gs.Update(ctx, s.game(), gid, func(g *store.Gathering) error {
		if g.Owner != pid {
			return rpc.Fail(rmc.ResultRendezVousPermissionDenied)
		}
		return fn(g)
	})
	if err != nil {
		return s.failed(c, what, err)
	}
	return nil
}

// CloseParticipation stops joins to the caller's session.
func (s *server) CloseParticipation(ctx context.Context, c *rpc.Call, req *matchmakeextension.CloseParticipationRequest) (*matchmakeextension.CloseParticipationResponse, error) {
	if err := s.ownerUpdate(ctx, c, req.GID, "close participation", func(g *store.Gathering) { g.OpenParticipation = false }); err != nil {
		return nil, err
	}
	return &matchmakeextension.CloseParticipationResponse{}, nil
}

// OpenParticipation allows joins to the caller's session again.
func (s *server) OpenParticipation(ctx context.Context, c *rpc.Call, req *matchmakeextension.OpenParticipationRequest) (*matchmakeextension.OpenParticipationResponse, error) {
	if err := s.ownerUpdate(ctx, c, req.GID, "open participation", func(g *store.Gathering) { g.OpenParticipation = true }); err != nil {
		return nil, err
	}
	return &matchmakeextension.OpenParticipationResponse{}, nil
}

// UpdateApplicationBuffer replaces the session's application data.
func (s *server) UpdateApplicationBuffer(ctx context.Context, c *rpc.Call, req *matchmakeextension.UpdateApplicationBufferRequest) (*matchmakeextension.UpdateApplicationBufferResponse, error) {
	if len(req.Buffer) > maxBuffer {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	buf := append([]byte(nil), req.Buffer...)
	if err := s.ownerUpdate(ctx, c, req.GID, "update application buffer", func(g *store.Gathering) { g.ApplicationBuffer = buf }); err != nil {
		return nil, err
	}
	return &matchmakeextension.UpdateApplicationBufferResponse{}, nil
}

// UpdateProgressScore sets the session's progress score (0-100).
func (s *server) UpdateProgressScore(ctx context.Context, c *rpc.Call, req *matchmakeextension.UpdateProgressScoreRequest) (*matchmakeextension.UpdateProgressScoreResponse, error) {
	if req.Score > 100 {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	if err := s.ownerUpdate(ctx, c, req.GID, "update progress score", func(g *store.Gathering) { g.ProgressScore = req.Score }); err != nil {
		return nil, err
	}
	return &matchmakeextension.UpdateProgressScoreResponse{}, nil
}

// GetSessionURLs returns to a participant the station URLs the session's
// host registered (services.md §2.2, §2.11); empty when the host is not
// connected. Others get RendezVous::PermissionDenied: a console joins
// before it connects to the host.
func (s *server) GetSessionURLs(ctx context.Context, c *rpc.Call, req *mm.GetSessionURLsRequest) (*mm.GetSessionURLsResponse, error) {
	g, err := s.gs.Get(ctx, s.game(), req.GID)
	if err != nil {
		return nil, s.failed(c, "get session", err)
	}
	if !g.Has(c.Session.PID()) {
		return nil, rpc.Fail(rmc.ResultRendezVousPermissionDenied)
	}
	urls, err := s.hostURLs(ctx, c, &g)
	if err != nil {
		return nil, err
	}
	return &mm.GetSessionURLsResponse{URLs: urls}, nil
}

// hostURLs returns the station URLs g's host registered; none when the
// host is not connected.
func (s *server) hostURLs(ctx context.Context, c *rpc.Call, g *store.Gathering) ([]rmc.StationURL, error) {
	if s.stations == nil || g.Host == 0 {
		return nil, nil
	}
	st, err := s.stations.Get(ctx, s.game(), g.Host)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, s.failed(c, "host station", err)
	}
	var out []rmc.StationURL
	for _, u := range st.URLs {
		if su, err := rmc.ParseStationURL(u); err == nil {
			out = append(out, su)
		}
	}
	return out, nil
}

// UnregisterGathering ends the caller's session and tells every
// participant (109000, services.md §2.10).
func (s *server) UnregisterGathering(ctx context.Context, c *rpc.Call, req *mm.UnregisterGatheringRequest) (*mm.UnregisterGatheringResponse, error) {
	pid := c.Session.PID()
	g, err := s.gs.Get(ctx, s.game(), req.GID)
	if err != nil {
		return nil, s.failed(c, "get session", err)
	}
	if g.Owner != pid {
		return nil, rpc.Fail(rmc.ResultRendezVousPermissionDenied)
	}
	if err := s.gs.Delete(ctx, s.game(), req.GID); err != nil {
		return nil, s.failed(c, "unregister session", err)
	}
	s.notify(ctx, pids(&g), notificationUnregistered(pid, g.ID))
	return &mm.UnregisterGatheringResponse{Result: true}, nil
}

// FindBySingleID returns a gathering as its real class (a session's key
// and user password blanked unless the caller participates, a
// community's password blanked); an unknown id answers
// RendezVous::SessionVoid.
func (s *server) FindBySingleID(ctx context.Context, c *rpc.Call, req *mm.FindBySingleIDRequest) (*mm.FindBySingleIDResponse, error) {
	g, err := s.gs.Get(ctx, s.game(), req.GID)
	if err != nil {
		return nil, s.failed(c, "get session", err)
	}
	out, err := s.heldAll(ctx, c, []store.Gathering{g})
	if err != nil {
		return nil, err
	}
	return &mm.FindBySingleIDResponse{Result: true, Gathering: out[0]}, nil
}

// EndParticipation makes the caller leave a session (services.md §2.9).
func (s *server) EndParticipation(ctx context.Context, c *rpc.Call, req *matchmakingext.EndParticipationRequest) (*matchmakingext.EndParticipationResponse, error) {
	if len(req.Message) > maxDescription {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	pid := c.Session.PID()
	res, err := s.gs.Leave(ctx, s.game(), req.GID, pid)
	if err != nil {
		return nil, s.failed(c, "end participation", err)
	}
	s.track(c).remove(req.GID)
	s.notifyLeave(ctx, pid, res, notifyEnded, req.Message)
	return &matchmakingext.EndParticipationResponse{Result: true}, nil
}
