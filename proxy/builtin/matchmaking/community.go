package matchmaking

import (
	"context"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// Communities: persistent gatherings (services.md §2.4, §2.10). They are
// store gatherings of kind store.KindPersistent, kept when their members
// disconnect (unless flag 0x40) or all leave; only the owner deletes one
// (UnregisterGathering). Matchmake sessions of matchmake system 5 belong to
// the community whose gid is their attribs[0].

var (
	_ matchmakeextension.CreateCommunityServer            = (*server)(nil)
	_ matchmakeextension.UpdateCommunityServer            = (*server)(nil)
	_ matchmakeextension.JoinCommunityServer              = (*server)(nil)
	_ matchmakeextension.FindCommunityByGatheringIdServer = (*server)(nil)
	_ matchmakeextension.FindOfficialCommunityServer      = (*server)(nil)
	_ matchmakeextension.FindCommunityByParticipantServer = (*server)(nil)
	_ matchmakeextension.GetSimpleCommunityServer         = (*server)(nil)
)

const (
	// Community types (PG persistent_gathering_type.go): users create
	// open (0) and password (1) communities; 2 is official.
	communityOpen     = 0
	communityPassword = 1
	communityOfficial = 2
	// maxCreatedCommunities and maxJoinedCommunities are P's limits.
	maxCreatedCommunities = 4
	maxJoinedCommunities  = 16
	// systemCommunity is matchmake system 5: a session attached to the
	// community in attribs[0].
	systemCommunity = 5
	// flagLeaveOnDisconnect (0x40): members leave the persistent
	// gathering when they disconnect.
	flagLeaveOnDisconnect = 0x40
)

// decodePersistent decodes the stored community structure of g.
func decodePersistent(g *store.Gathering, set rmc.Settings) *mm.PersistentGathering {
	pg := &mm.PersistentGathering{}
	d := typed.NewDecoder(g.Extra, set)
	pg.DecodeFrom(d)
	if d.Close("PersistentGathering") != nil {
		pg = mm.NewPersistentGathering()
	}
	return pg
}

// toPersistent rebuilds the community a console sees (password blanked,
// services.md §2.11) with its counts.
func toPersistent(g *store.Gathering, set rmc.Settings, counts communityCounts) *mm.PersistentGathering {
	pg := decodePersistent(g, set)
	pg.Gathering = *plainGathering(g)
	pg.Attribs, pg.ApplicationBuffer = g.Attributes, g.ApplicationBuffer
	pg.Password = ""
	pg.MatchmakeSessionCount = counts.sessions[g.ID]
	// The structure's last field (num_participants in protocols.md,
	// participation_count in NintendoClients) is the caller's
	// participation count in the community, as the reference server
	// fills it (services.md §2.5).
	pg.NumParticipants = counts.mine[g.ID]
	return pg
}

// communityCounts are the counts a console's view of communities shows:
// the matchmake sessions attached to each, and the caller's participation
// in each (absent: 0).
type communityCounts struct{ sessions, mine map[uint32]uint32 }

// countsFor reads the counts of the communities among gs for the caller;
// no store read when there are none.
func (s *server) countsFor(ctx context.Context, c *rpc.Call, gs []store.Gathering) (communityCounts, error) {
	var ids []uint32
	for i := range gs {
		if gs[i].Kind == store.KindPersistent {
			ids = append(ids, gs[i].ID)
		}
	}
	if len(ids) == 0 {
		return communityCounts{}, nil
	}
	sessions, err := s.sessionCounts(ctx, c)
	if err != nil {
		return communityCounts{}, err
	}
	mine, err := s.gs.Participation(ctx, s.game(), c.Session.PID(), ids)
	if err != nil {
		return communityCounts{}, s.failed(c, "community participation", err)
	}
	return communityCounts{sessions: sessions, mine: mine}, nil
}

// participated counts a join of community by pids (JoinCommunity, or a
// join of one of its sessions). The join already happened: a failure to
// count is logged, not answered (as the reference server does).
func (s *server) participated(ctx context.Context, c *rpc.Call, community uint32, pids ...uint64) {
	if err := s.gs.AddParticipation(ctx, s.game(), community, pids); err != nil {
		s.logger(c).Error("matchmaking: count community participation", zap.Uint32("community", community), zap.Error(err))
	}
}

// joinedSession counts pids' join of session g when g is attached to a
// community (matchmake system 5, the community's gid in attribs[0],
// services.md §2.5); a gid that is no community counts nothing.
func (s *server) joinedSession(ctx context.Context, c *rpc.Call, g *store.Gathering, pids ...uint64) {
	if g.Kind != store.KindMatchmakeSession || g.MatchmakeSystem != systemCommunity || len(g.Attributes) == 0 || len(pids) == 0 {
		return
	}
	cg, err := s.gs.Get(ctx, s.game(), g.Attributes[0])
	if err != nil {
		if !isNotFound(err) {
			s.logger(c).Error("matchmaking: community of a session", zap.Uint32("gid", g.ID), zap.Error(err))
		}
		return
	}
	if cg.Kind == store.KindPersistent {
		s.participated(ctx, c, cg.ID, pids...)
	}
}

// plainGathering is the Gathering level of g.
func plainGathering(g *store.Gathering) *mm.Gathering {
	return &mm.Gathering{ID: g.ID, Owner: g.Owner, Host: g.Host, MinParticipants: g.MinParticipants, MaxParticipants: g.MaxParticipants,
		ParticipationPolicy: g.ParticipationPolicy, PolicyArgument: g.PolicyArgument, Flags: g.Flags, State: g.State, Description: g.Description}
}

// communityStore is what the store keeps of a community from a console.
func communityStore(pg *mm.PersistentGathering, set rmc.Settings) (store.Gathering, error) {
	if len(pg.Description) > maxDescription || len(pg.Attribs) > maxAttribs || len(pg.ApplicationBuffer) > maxBuffer ||
		len(pg.Password) > maxDescription || pg.MinParticipants > pg.MaxParticipants && pg.MaxParticipants != 0 {
		return store.Gathering{}, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	cp := *pg
	cp.MatchmakeSessionCount, cp.NumParticipants = 0, 0
	e := typed.NewEncoder(set)
	cp.EncodeTo(e)
	extra, err := e.Close(nil, "PersistentGathering")
	if err != nil {
		return store.Gathering{}, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	return store.Gathering{
		Kind: store.KindPersistent, MinParticipants: pg.MinParticipants, MaxParticipants: pg.MaxParticipants,
		ParticipationPolicy: pg.ParticipationPolicy, PolicyArgument: pg.PolicyArgument, Flags: pg.Flags, State: pg.State,
		Description: pg.Description, Attributes: append([]uint32(nil), pg.Attribs...),
		ApplicationBuffer: append([]byte(nil), pg.ApplicationBuffer...), OpenParticipation: true, Extra: extra,
	}, nil
}

// sessionCounts counts the visible matchmake sessions attached to each
// community (matchmake system 5, community gid in attribs[0]) within the
// store's bounded scan.
func (s *server) sessionCounts(ctx context.Context, c *rpc.Call) (map[uint32]uint32, error) {
	counts := map[uint32]uint32{}
	found, err := s.gs.Search(ctx, s.game(), store.GatheringQuery{
		Kind:            store.KindMatchmakeSession,
		MatchmakeSystem: exactly(systemCommunity),
		Match:           func(g *store.Gathering) bool { return g.MatchmakeSystem == systemCommunity && len(g.Attributes) > 0 },
		Limit:           store.MaxGatheringScan,
	})
	if err != nil {
		return nil, s.failed(c, "community sessions", err)
	}
	for i := range found {
		counts[found[i].Attributes[0]]++
	}
	return counts, nil
}

// communities converts store gatherings to what consoles see.
func (s *server) communities(ctx context.Context, c *rpc.Call, gs []store.Gathering) ([]mm.PersistentGathering, error) {
	if len(gs) == 0 {
		return nil, nil
	}
	counts, err := s.countsFor(ctx, c, gs)
	if err != nil {
		return nil, err
	}
	out := make([]mm.PersistentGathering, 0, len(gs))
	for i := range gs {
		out = append(out, *toPersistent(&gs[i], c.Session.Settings, counts))
	}
	return out, nil
}

// countCommunities counts the communities q selects (its column filters
// and Match).
func (s *server) countCommunities(ctx context.Context, c *rpc.Call, q store.GatheringQuery) (int, error) {
	q.Kind, q.Limit = store.KindPersistent, store.MaxGatheringScan
	found, err := s.gs.Search(ctx, s.game(), q)
	if err != nil {
		return 0, s.failed(c, "count communities", err)
	}
	return len(found), nil
}

// CreateCommunity creates an open or password community owned by the
// caller, who joins it (at most 4 per user,
// RendezVous::PersistentGatheringCreationMax).
func (s *server) CreateCommunity(ctx context.Context, c *rpc.Call, req *matchmakeextension.CreateCommunityRequest) (*matchmakeextension.CreateCommunityResponse, error) {
	if req.Community.Type != communityOpen && req.Community.Type != communityPassword || len(req.Message) > maxDescription {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	g, err := communityStore(&req.Community, c.Session.Settings)
	if err != nil {
		return nil, err
	}
	pid := c.Session.PID()
	n, err := s.countCommunities(ctx, c, store.GatheringQuery{Owner: pid, Match: func(g *store.Gathering) bool { return g.Owner == pid }})
	if err != nil {
		return nil, err
	}
	if n >= maxCreatedCommunities {
		return nil, rpc.Fail(rmc.ResultRendezVousPersistentGatheringCreationMax)
	}
	g.Game, g.Owner, g.Host = s.game(), pid, pid
	g.Participants = []store.GatheringParticipant{{PID: pid}}
	g, err = s.gs.Create(ctx, g)
	if err != nil {
		return nil, s.failed(c, "create community", err)
	}
	if g.Flags&flagLeaveOnDisconnect != 0 {
		s.track(c).add(g.ID)
	}
	return &matchmakeextension.CreateCommunityResponse{GID: g.ID}, nil
}

// UpdateCommunity replaces what the owner may change of its community
// (not its id, owner, host or type).
func (s *server) UpdateCommunity(ctx context.Context, c *rpc.Call, req *matchmakeextension.UpdateCommunityRequest) (*matchmakeextension.UpdateCommunityResponse, error) {
	set := c.Session.Settings
	pid := c.Session.PID()
	_, err := s.gs.Update(ctx, s.game(), req.Community.ID, func(g *store.Gathering) error {
		if g.Kind != store.KindPersistent {
			return rpc.Fail(rmc.ResultRendezVousSessionVoid)
		}
		if g.Owner != pid {
			return rpc.Fail(rmc.ResultRendezVousPermissionDenied)
		}
		in := req.Community
		in.Type = decodePersistent(g, set).Type
		next, err := communityStore(&in, set)
		if err != nil {
			return err
		}
		if next.MaxParticipants != 0 && int(next.MaxParticipants) < g.Entries() {
			return rpc.Fail(rmc.ResultCoreInvalidArgument)
		}
		next.Game, next.ID, next.Owner, next.Host = g.Game, g.ID, g.Owner, g.Host
		*g = next
		return nil
	})
	if err != nil {
		return nil, s.failed(c, "update community", err)
	}
	return &matchmakeextension.UpdateCommunityResponse{}, nil
}

// JoinCommunity joins the caller to a community: a password community
// needs its password (RendezVous::InvalidGatheringPassword), the
// participation period must include now
// (RendezVous::WithoutParticipationPeriod), and a user joins at most 16
// (RendezVous::PersistentGatheringParticipationMax).
func (s *server) JoinCommunity(ctx context.Context, c *rpc.Call, req *matchmakeextension.JoinCommunityRequest) (*matchmakeextension.JoinCommunityResponse, error) {
	if len(req.Message) > maxDescription || len(req.Password) > maxDescription {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	pid := c.Session.PID()
	n, err := s.countCommunities(ctx, c, store.GatheringQuery{Match: func(g *store.Gathering) bool { return g.Has(pid) }})
	if err != nil {
		return nil, err
	}
	if n >= maxJoinedCommunities {
		return nil, rpc.Fail(rmc.ResultRendezVousPersistentGatheringParticipationMax)
	}
	friends, err := s.friendsOf(ctx, c)
	if err != nil {
		return nil, err
	}
	set := c.Session.Settings
	now := rmc.Now()
	g, err := s.gs.Join(ctx, s.game(), req.GID, store.GatheringParticipant{PID: pid}, func(g *store.Gathering) error {
		if g.Kind != store.KindPersistent {
			return rpc.Fail(rmc.ResultRendezVousSessionVoid)
		}
		pg := decodePersistent(g, set)
		if pg.Type == communityPassword && pg.Password != req.Password {
			return rpc.Fail(rmc.ResultRendezVousInvalidGatheringPassword)
		}
		if pg.ParticipationStart != 0 && now < pg.ParticipationStart || pg.ParticipationEnd != 0 && now > pg.ParticipationEnd {
			return rpc.Fail(rmc.ResultRendezVousWithoutParticipationPeriod)
		}
		if !friendOK(g, pid, friends) {
			return rpc.Fail(rmc.ResultRendezVousNotFriend)
		}
		return nil
	})
	if err != nil {
		return nil, s.failed(c, "join community", err)
	}
	if g.Flags&flagLeaveOnDisconnect != 0 {
		s.track(c).add(g.ID)
	}
	s.participated(ctx, c, g.ID, pid)
	s.notifyJoin(ctx, &g, pid, req.Message)
	return &matchmakeextension.JoinCommunityResponse{}, nil
}

// FindCommunityByGatheringId returns the communities of the gids that
// exist, in the order asked.
func (s *server) FindCommunityByGatheringId(ctx context.Context, c *rpc.Call, req *matchmakeextension.FindCommunityByGatheringIdRequest) (*matchmakeextension.FindCommunityByGatheringIdResponse, error) {
	if len(req.GIDs) > maxFindGIDs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	var found []store.Gathering
	for _, id := range req.GIDs {
		g, err := s.gs.Get(ctx, s.game(), id)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, s.failed(c, "get community", err)
		}
		if g.Kind == store.KindPersistent {
			found = append(found, g)
		}
	}
	out, err := s.communities(ctx, c, found)
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.FindCommunityByGatheringIdResponse{Communities: out}, nil
}

// pageCommunities searches communities match selects within rng.
func (s *server) pageCommunities(ctx context.Context, c *rpc.Call, rng common.ResultRange, match func(*store.Gathering) bool) ([]mm.PersistentGathering, error) {
	found, err := s.searchRange(ctx, c, "find communities", store.GatheringQuery{Kind: store.KindPersistent, Match: match}, rng)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return s.communities(ctx, c, found)
}

// FindOfficialCommunity lists official communities (type 2); with
// available_only, only those open for participation now.
func (s *server) FindOfficialCommunity(ctx context.Context, c *rpc.Call, req *matchmakeextension.FindOfficialCommunityRequest) (*matchmakeextension.FindOfficialCommunityResponse, error) {
	set := c.Session.Settings
	now := rmc.Now()
	out, err := s.pageCommunities(ctx, c, req.Range, func(g *store.Gathering) bool {
		pg := decodePersistent(g, set)
		if pg.Type != communityOfficial {
			return false
		}
		return !req.AvailableOnly || g.HasRoom(1) && (pg.ParticipationStart == 0 || now >= pg.ParticipationStart) &&
			(pg.ParticipationEnd == 0 || now <= pg.ParticipationEnd)
	})
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.FindOfficialCommunityResponse{Communities: out}, nil
}

// FindCommunityByParticipant lists the communities pid is a member of.
func (s *server) FindCommunityByParticipant(ctx context.Context, c *rpc.Call, req *matchmakeextension.FindCommunityByParticipantRequest) (*matchmakeextension.FindCommunityByParticipantResponse, error) {
	pid := req.PID
	out, err := s.pageCommunities(ctx, c, req.Range, func(g *store.Gathering) bool { return g.Has(pid) })
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.FindCommunityByParticipantResponse{Communities: out}, nil
}

// GetSimpleCommunity returns gid and session count of each community
// that exists.
func (s *server) GetSimpleCommunity(ctx context.Context, c *rpc.Call, req *matchmakeextension.GetSimpleCommunityRequest) (*matchmakeextension.GetSimpleCommunityResponse, error) {
	found, err := s.FindCommunityByGatheringId(ctx, c, &matchmakeextension.FindCommunityByGatheringIdRequest{GIDs: req.GIDs})
	if err != nil {
		return nil, err
	}
	resp := &matchmakeextension.GetSimpleCommunityResponse{}
	for _, pg := range found.Communities {
		resp.Communities = append(resp.Communities, mm.SimpleCommunity{GID: pg.ID, MatchmakeSessionCount: pg.MatchmakeSessionCount})
	}
	return resp, nil
}

// communityCheck: a session of matchmake system 5 is created only in an
// existing community (attribs[0], RendezVous::SessionVoid) the caller is
// a member of (RendezVous::NotParticipatedGathering).
func (s *server) communityCheck(ctx context.Context, c *rpc.Call, ms *mm.MatchmakeSession) error {
	if ms.MatchmakeSystem != systemCommunity {
		return nil
	}
	if len(ms.Attribs) == 0 {
		return rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	g, err := s.gs.Get(ctx, s.game(), ms.Attribs[0])
	if err != nil {
		return s.failed(c, "get community", err)
	}
	if g.Kind != store.KindPersistent {
		return rpc.Fail(rmc.ResultRendezVousSessionVoid)
	}
	if !g.Has(c.Session.PID()) {
		return rpc.Fail(rmc.ResultRendezVousNotParticipatedGathering)
	}
	return nil
}
