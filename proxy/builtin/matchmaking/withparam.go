package matchmaking

import (
	"context"
	"errors"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/notification"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// The NEX 4 "WithParam" family and the session look-ups of protocol 109
// (services.md §2.7, §2.8, §3.4, §3.5).

var (
	_ matchmakeextension.CreateMatchmakeSessionWithParamServer                         = (*server)(nil)
	_ matchmakeextension.JoinMatchmakeSessionWithParamServer                           = (*server)(nil)
	_ matchmakeextension.AutoMatchmakeWithParamPostponeServer                          = (*server)(nil)
	_ matchmakeextension.FindMatchmakeSessionByGatheringIdDetailServer                 = (*server)(nil)
	_ matchmakeextension.FindMatchmakeSessionByGatheringIdServer                       = (*server)(nil)
	_ matchmakeextension.FindMatchmakeSessionBySingleGatheringIdServer                 = (*server)(nil)
	_ matchmakeextension.FindMatchmakeSessionByOwnerServer                             = (*server)(nil)
	_ matchmakeextension.BrowseMatchmakeSessionNoHolderServer                          = (*server)(nil)
	_ matchmakeextension.BrowseMatchmakeSessionWithHostUrlsServer                      = (*server)(nil)
	_ matchmakeextension.BrowseMatchmakeSessionWithHostUrlsNoHolderServer              = (*server)(nil)
	_ matchmakeextension.BrowseMatchmakeSessionNoHolderNoResultRangeServer             = (*server)(nil)
	_ matchmakeextension.BrowseMatchmakeSessionWithHostUrlsNoHolderNoResultRangeServer = (*server)(nil)
)

const (
	// maxAdditional bounds additional_participants: more real PIDs than
	// any session holds is hostile input.
	maxAdditional = 32
	// maxParamCriteria bounds AutoMatchmakeParam's criteria.
	maxParamCriteria = 8
	// maxFindGIDs bounds FindMatchmakeSessionByGatheringId's list.
	maxFindGIDs = maxBrowse
	// behaviorAlreadyJoined: JoinMatchmakeSessionParam.behavior 1, the
	// caller is already in and only adds others (services.md §2.8).
	behaviorAlreadyJoined = 1
)

// additional validates additional_participants (services.md §2.7): distinct
// real PIDs other than the caller, allowed only with a participation
// check gid (the stricter reference server's rule: otherwise anyone could
// put anyone in a session) in which the caller and all of them are.
func (s *server) additional(ctx context.Context, c *rpc.Call, checkGID uint32, list []uint64) ([]uint64, error) {
	if len(list) > maxAdditional {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	pid := c.Session.PID()
	seen := map[uint64]bool{}
	out := make([]uint64, 0, len(list))
	for _, p := range list {
		if p == 0 || p == pid || seen[p] {
			return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
		}
		seen[p] = true
		out = append(out, p)
	}
	if checkGID == 0 {
		if len(out) > 0 {
			return nil, rpc.Fail(rmc.ResultRendezVousNotParticipatedGathering)
		}
		return out, nil
	}
	g, err := s.gs.Get(ctx, s.game(), checkGID)
	if err != nil {
		if isNotFound(err) {
			return nil, rpc.Fail(rmc.ResultRendezVousNotParticipatedGathering)
		}
		return nil, s.failed(c, "participation check", err)
	}
	if !g.Has(pid) {
		return nil, rpc.Fail(rmc.ResultRendezVousNotParticipatedGathering)
	}
	for _, p := range out {
		if !g.Has(p) {
			return nil, rpc.Fail(rmc.ResultRendezVousNotParticipatedGathering)
		}
	}
	return out, nil
}

// addOthers joins the additional participants to gid after the caller's
// own step; the first join runs first (with its checks covering the room
// for everyone), so the store never overfills. When a later join fails
// the ones this call added leave again.
func (s *server) addOthers(ctx context.Context, c *rpc.Call, gid uint32, first *store.GatheringParticipant, others []uint64, check func(*store.Gathering) error) (store.Gathering, error) {
	var added []uint64
	var g store.Gathering
	var err error
	undo := func() {
		for _, p := range added {
			if _, lerr := s.gs.Leave(ctx, s.game(), gid, p); lerr != nil {
				s.logger(c).Warn("matchmaking: undo partial join", zap.Uint32("gid", gid), zap.Uint64("participant", p), zap.Error(lerr))
			}
		}
	}
	all := make([]store.GatheringParticipant, 0, 1+len(others))
	if first != nil {
		all = append(all, *first)
	}
	for _, p := range others {
		all = append(all, store.GatheringParticipant{PID: p})
	}
	if len(all) == 0 {
		g, err = s.gs.Get(ctx, s.game(), gid)
		if err == nil && check != nil {
			err = check(&g)
		}
		if err != nil {
			return store.Gathering{}, s.failed(c, "join session", err)
		}
		return g, nil
	}
	for i, p := range all {
		ck := check
		if i > 0 {
			ck = nil
		}
		g, err = s.gs.Join(ctx, s.game(), gid, p, ck)
		if err != nil {
			undo()
			return store.Gathering{}, s.failed(c, "join session", err)
		}
		added = append(added, p.PID)
	}
	for _, p := range others {
		s.watchPID(p)
	}
	return g, nil
}

// notifyAdded sends 122000 to each additional participant, then 3001 for
// every newcomer (services.md §2.8 order). creating: the session is new,
// whose creator hears no 3001 unless 0x400/0x800 (§2.7).
func (s *server) notifyAdded(ctx context.Context, g *store.Gathering, caller uint64, others []uint64, self bool, creating bool, message string) {
	for _, p := range others {
		s.notify(ctx, []uint64{p}, notification.NotificationEvent{SourcePID: caller, Type: notifyAdded, Param1: uint64(g.ID), Param2: p})
	}
	if creating && g.Flags&(flagNotifyAll|flagNotifyAllNew) == 0 {
		return
	}
	fresh := others
	if self {
		fresh = append([]uint64{caller}, others...)
		s.notifyJoin(ctx, g, caller, message, fresh...)
	}
	for _, p := range others {
		s.notifyJoin(ctx, g, p, message, fresh...)
	}
}

// CreateMatchmakeSessionWithParam creates the session with the caller
// (participation_count entries) and the additional participants, and
// answers the whole session.
func (s *server) CreateMatchmakeSessionWithParam(ctx context.Context, c *rpc.Call, req *matchmakeextension.CreateMatchmakeSessionWithParamRequest) (*matchmakeextension.CreateMatchmakeSessionWithParamResponse, error) {
	p := &req.Param
	ms, err := checkSession(&p.Session)
	if err != nil {
		return nil, err
	}
	if len(p.JoinMessage) > maxDescription {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	extra, err := extraOf(p.ParticipationCount)
	if err != nil {
		return nil, err
	}
	others, err := s.additional(ctx, c, p.GIDForParticipationCheck, p.AdditionalParticipants)
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
	pid := c.Session.PID()
	g.Participants = []store.GatheringParticipant{{PID: pid, Extra: extra}}
	for _, o := range others {
		g.Participants = append(g.Participants, store.GatheringParticipant{PID: o})
	}
	// All participants in one Create: more than max is refused as a whole
	// (store.ErrInvalid, Core::InvalidArgument as the reference server).
	j := s.track(c)
	g, err = s.gs.Create(ctx, g)
	if err != nil {
		return nil, s.failed(c, "create session", err)
	}
	j.add(g.ID)
	for _, o := range others {
		s.watchPID(o)
	}
	s.joinedSession(ctx, c, &g, append([]uint64{pid}, others...)...)
	s.notifyAdded(ctx, &g, pid, others, true, true, p.JoinMessage)
	return &matchmakeextension.CreateMatchmakeSessionWithParamResponse{Session: *fromStore(&g, c.Session.Settings)}, nil
}

// paramJoinCheck is JoinMatchmakeSessionWithParam's check (services.md
// §2.6, §2.8): open participation (unless the game lets this join enter
// closed sessions, Config.JoinClosedWithParam), the passwords, behavior
// 1's "already in", and room for every entry the call adds.
func (s *server) paramJoinCheck(c *rpc.Call, p *mm.JoinMatchmakeSessionParam, need int) func(*store.Gathering) error {
	set := c.Session.Settings
	pid := c.Session.PID()
	closedOK := s.cfg.JoinClosedWithParam
	return func(g *store.Gathering) error {
		if !g.OpenParticipation && !closedOK {
			return rpc.Fail(rmc.ResultRendezVousPermissionDenied)
		}
		ms := fromStore(g, set)
		if ms.UserPasswordEnabled && p.UserPassword != ms.UserPassword {
			return rpc.Fail(rmc.ResultRendezVousMatchmakeSessionUserPasswordUnmatch)
		}
		if ms.SystemPasswordEnabled && !s.systemPasswordOK(g, p.SystemPassword, set) {
			return rpc.Fail(rmc.ResultRendezVousMatchmakeSessionSystemPasswordUnmatch)
		}
		if p.Behavior == behaviorAlreadyJoined && !g.Has(pid) {
			return rpc.Fail(rmc.ResultRendezVousNotParticipatedGathering)
		}
		if !g.HasRoom(need) {
			return rpc.Fail(rmc.ResultRendezVousSessionFull)
		}
		return nil
	}
}

// JoinMatchmakeSessionWithParam joins the caller (unless behavior 1) with
// participation_count entries and the additional participants, answering
// the session with its new count (services.md §2.8).
func (s *server) JoinMatchmakeSessionWithParam(ctx context.Context, c *rpc.Call, req *matchmakeextension.JoinMatchmakeSessionWithParamRequest) (*matchmakeextension.JoinMatchmakeSessionWithParamResponse, error) {
	p := &req.Param
	if len(p.JoinMessage) > maxDescription || p.Behavior > behaviorAlreadyJoined {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	extra, err := extraOf(p.ParticipationCount)
	if err != nil {
		return nil, err
	}
	others, err := s.additional(ctx, c, p.GIDForParticipationCheck, p.AdditionalParticipants)
	if err != nil {
		return nil, err
	}
	pid := c.Session.PID()
	need := len(others)
	var first *store.GatheringParticipant
	self := p.Behavior != behaviorAlreadyJoined
	if self {
		first = &store.GatheringParticipant{PID: pid, Extra: extra}
		need += 1 + int(extra)
	}
	check, err := s.friendCheck(ctx, c, false, s.paramJoinCheck(c, p, need))
	if err != nil {
		return nil, err
	}
	j := s.track(c)
	g, err := s.addOthers(ctx, c, p.GID, first, others, check)
	if err != nil {
		return nil, err
	}
	joiners := others
	if self {
		j.add(g.ID)
		joiners = append([]uint64{pid}, others...)
	}
	s.joinedSession(ctx, c, &g, joiners...)
	s.notifyAdded(ctx, &g, pid, others, self, false, p.JoinMessage)
	return &matchmakeextension.JoinMatchmakeSessionWithParamResponse{Session: *fromStore(&g, c.Session.Settings)}, nil
}

// AutoMatchmakeWithParam_Postpone joins a session the criteria select (or
// one like the supplied session when there are none) with room for the
// caller and the additional participants and none of them in it yet, or
// creates the supplied one; then adds the additional participants
// (services.md §3.4). It stands or fails whole: when they cannot be added
// (the session filled up meanwhile, or had no room for them when the call
// created it) the caller's join is undone. 122000 then goes to each
// additional participant, and only then 3001 for every newcomer (§4).
func (s *server) AutoMatchmakeWithParamPostpone(ctx context.Context, c *rpc.Call, req *matchmakeextension.AutoMatchmakeWithParamPostponeRequest) (*matchmakeextension.AutoMatchmakeWithParamPostponeResponse, error) {
	p := &req.Param
	if len(p.SearchCriteria) > maxParamCriteria {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	ms, err := checkSession(&p.Session)
	if err != nil {
		return nil, err
	}
	others, err := s.additional(ctx, c, p.GIDForParticipationCheck, p.AdditionalParticipants)
	if err != nil {
		return nil, err
	}
	q, err := s.criteriaQuery(ctx, c, ms, p.SearchCriteria)
	if err != nil {
		return nil, err
	}
	g, created, err := s.autoJoinWith(ctx, c, ms, q, p.ParticipationCount, others, p.JoinMessage)
	if err != nil {
		return nil, err
	}
	pid := c.Session.PID()
	if len(others) > 0 {
		all, err := s.addOthers(ctx, c, g.ID, nil, others, nil)
		if err != nil {
			s.undoAutoJoin(ctx, c, g.ID, created)
			return nil, err
		}
		g = all
	}
	s.joinedSession(ctx, c, &g, append([]uint64{pid}, others...)...)
	s.notifyAdded(ctx, &g, pid, others, true, created, p.JoinMessage)
	return &matchmakeextension.AutoMatchmakeWithParamPostponeResponse{Session: *fromStore(&g, c.Session.Settings)}, nil
}

// undoAutoJoin takes the caller out of the session its auto-matchmake
// joined (or created) when the rest of the call failed. Nobody heard of
// the join yet, so leaving a session it joined is silent; a session it
// created ends with it (others who found it meanwhile hear the leave as
// from an owner).
func (s *server) undoAutoJoin(ctx context.Context, c *rpc.Call, gid uint32, created bool) {
	pid := c.Session.PID()
	s.track(c).remove(gid)
	res, err := s.gs.Leave(ctx, s.game(), gid, pid)
	if err != nil {
		if !isNotFound(err) && !errors.Is(err, store.ErrNotParticipant) {
			s.logger(c).Warn("matchmaking: undo auto-matchmake", zap.Uint32("gid", gid), zap.Error(err))
		}
		return
	}
	if created {
		s.notifyLeave(ctx, pid, res, notifyEnded, "")
	}
}

// FindMatchmakeSessionByGatheringIdDetail returns a session with its key
// to a participant (Splatfest team merges, services.md §8); others get
// RendezVous::PermissionDenied.
func (s *server) FindMatchmakeSessionByGatheringIdDetail(ctx context.Context, c *rpc.Call, req *matchmakeextension.FindMatchmakeSessionByGatheringIdDetailRequest) (*matchmakeextension.FindMatchmakeSessionByGatheringIdDetailResponse, error) {
	g, err := s.gs.Get(ctx, s.game(), req.GID)
	if err != nil {
		return nil, s.failed(c, "get session", err)
	}
	if !g.Has(c.Session.PID()) {
		return nil, rpc.Fail(rmc.ResultRendezVousPermissionDenied)
	}
	return &matchmakeextension.FindMatchmakeSessionByGatheringIdDetailResponse{Session: *fromStore(&g, c.Session.Settings)}, nil
}

// seen is a session as a look-up shows it: whole to its participants,
// blanked to others.
func seen(g *store.Gathering, c *rpc.Call) *mm.MatchmakeSession {
	if g.Has(c.Session.PID()) {
		return fromStore(g, c.Session.Settings)
	}
	return blanked(g, c.Session.Settings)
}

// FindMatchmakeSessionByGatheringId returns the sessions of the ids that
// exist, in the order asked.
func (s *server) FindMatchmakeSessionByGatheringId(ctx context.Context, c *rpc.Call, req *matchmakeextension.FindMatchmakeSessionByGatheringIdRequest) (*matchmakeextension.FindMatchmakeSessionByGatheringIdResponse, error) {
	if len(req.GIDs) > maxFindGIDs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	resp := &matchmakeextension.FindMatchmakeSessionByGatheringIdResponse{}
	for _, id := range req.GIDs {
		g, err := s.gs.Get(ctx, s.game(), id)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, s.failed(c, "get session", err)
		}
		resp.Sessions = append(resp.Sessions, *seen(&g, c))
	}
	return resp, nil
}

// FindMatchmakeSessionBySingleGatheringId returns one session;
// RendezVous::SessionVoid when it does not exist.
func (s *server) FindMatchmakeSessionBySingleGatheringId(ctx context.Context, c *rpc.Call, req *matchmakeextension.FindMatchmakeSessionBySingleGatheringIdRequest) (*matchmakeextension.FindMatchmakeSessionBySingleGatheringIdResponse, error) {
	g, err := s.gs.Get(ctx, s.game(), req.GID)
	if err != nil {
		return nil, s.failed(c, "get session", err)
	}
	return &matchmakeextension.FindMatchmakeSessionBySingleGatheringIdResponse{Session: *seen(&g, c)}, nil
}

// FindMatchmakeSessionByOwner returns the sessions pid owns, oldest first,
// within the range.
func (s *server) FindMatchmakeSessionByOwner(ctx context.Context, c *rpc.Call, req *matchmakeextension.FindMatchmakeSessionByOwnerRequest) (*matchmakeextension.FindMatchmakeSessionByOwnerResponse, error) {
	resp := &matchmakeextension.FindMatchmakeSessionByOwnerResponse{}
	vis, err := s.visibility(ctx, c)
	if err != nil {
		return nil, err
	}
	owner := req.PID
	q := store.GatheringQuery{Owner: owner, Match: func(g *store.Gathering) bool { return g.Owner == owner && vis(g) }}
	found, err := s.searchRange(ctx, c, "find sessions by owner", q, req.Range)
	if err != nil {
		return nil, err
	}
	for i := range found {
		resp.Sessions = append(resp.Sessions, *seen(&found[i], c))
	}
	return resp, nil
}

// noRange is the range of the *NoResultRange browses: the browse limit.
var noRange = common.ResultRange{Offset: 0, Size: maxBrowse}

// browseBare lists the sessions as bare MatchmakeSessions and, when urls,
// the hosts' station URLs (services.md §3.5).
func (s *server) browseBare(ctx context.Context, c *rpc.Call, sc *mm.MatchmakeSessionSearchCriteria, rng common.ResultRange, urls bool) ([]mm.MatchmakeSession, []mm.GatheringURLs, error) {
	found, err := s.browse(ctx, c, sc, rng)
	if err != nil {
		return nil, nil, err
	}
	var out []mm.MatchmakeSession
	var hosts []mm.GatheringURLs
	for i := range found {
		out = append(out, *blanked(&found[i], c.Session.Settings))
		if urls {
			u, err := s.hostURLs(ctx, c, &found[i])
			if err != nil {
				return nil, nil, err
			}
			hosts = append(hosts, mm.GatheringURLs{GID: found[i].ID, URLs: u})
		}
	}
	return out, hosts, nil
}

// BrowseMatchmakeSessionNoHolder is BrowseMatchmakeSession without holders.
func (s *server) BrowseMatchmakeSessionNoHolder(ctx context.Context, c *rpc.Call, req *matchmakeextension.BrowseMatchmakeSessionNoHolderRequest) (*matchmakeextension.BrowseMatchmakeSessionNoHolderResponse, error) {
	out, _, err := s.browseBare(ctx, c, &req.SearchCriteria, req.Range, false)
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.BrowseMatchmakeSessionNoHolderResponse{Sessions: out}, nil
}

// BrowseMatchmakeSessionNoHolderNoResultRange browses the first sessions.
func (s *server) BrowseMatchmakeSessionNoHolderNoResultRange(ctx context.Context, c *rpc.Call, req *matchmakeextension.BrowseMatchmakeSessionNoHolderNoResultRangeRequest) (*matchmakeextension.BrowseMatchmakeSessionNoHolderNoResultRangeResponse, error) {
	out, _, err := s.browseBare(ctx, c, &req.SearchCriteria, noRange, false)
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.BrowseMatchmakeSessionNoHolderNoResultRangeResponse{Sessions: out}, nil
}

// BrowseMatchmakeSessionWithHostUrls is BrowseMatchmakeSession plus each
// session's host URLs.
func (s *server) BrowseMatchmakeSessionWithHostUrls(ctx context.Context, c *rpc.Call, req *matchmakeextension.BrowseMatchmakeSessionWithHostUrlsRequest) (*matchmakeextension.BrowseMatchmakeSessionWithHostUrlsResponse, error) {
	out, urls, err := s.browseBare(ctx, c, &req.SearchCriteria, req.Range, true)
	if err != nil {
		return nil, err
	}
	resp := &matchmakeextension.BrowseMatchmakeSessionWithHostUrlsResponse{URLs: urls}
	for i := range out {
		resp.Gatherings = append(resp.Gatherings, typed.Hold(&out[i]))
	}
	return resp, nil
}

// BrowseMatchmakeSessionWithHostUrlsNoHolder is the holder-less variant.
func (s *server) BrowseMatchmakeSessionWithHostUrlsNoHolder(ctx context.Context, c *rpc.Call, req *matchmakeextension.BrowseMatchmakeSessionWithHostUrlsNoHolderRequest) (*matchmakeextension.BrowseMatchmakeSessionWithHostUrlsNoHolderResponse, error) {
	out, urls, err := s.browseBare(ctx, c, &req.SearchCriteria, req.Range, true)
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.BrowseMatchmakeSessionWithHostUrlsNoHolderResponse{Sessions: out, URLs: urls}, nil
}

// BrowseMatchmakeSessionWithHostUrlsNoHolderNoResultRange browses the
// first sessions with their host URLs.
func (s *server) BrowseMatchmakeSessionWithHostUrlsNoHolderNoResultRange(ctx context.Context, c *rpc.Call, req *matchmakeextension.BrowseMatchmakeSessionWithHostUrlsNoHolderNoResultRangeRequest) (*matchmakeextension.BrowseMatchmakeSessionWithHostUrlsNoHolderNoResultRangeResponse, error) {
	out, urls, err := s.browseBare(ctx, c, &req.SearchCriteria, noRange, true)
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.BrowseMatchmakeSessionWithHostUrlsNoHolderNoResultRangeResponse{Sessions: out, URLs: urls}, nil
}
