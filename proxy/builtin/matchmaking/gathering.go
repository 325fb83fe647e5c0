package matchmaking

import (
	"context"
	"regexp"
	"strings"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakingext"
	"github.com/nexproxy/nexproxy/rmc/protocols/notification"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// MatchMaking (21) for gatherings of every kind: RegisterGathering and
// plain Gatherings, the Find* look-ups, states, URLs and deletions; and
// MatchMakingExt's GetParticipantsURLs and DeleteFromDeletions (50).
// Invitations, AddParticipants, FindBySQLQuery, ReportStats/GetStats,
// RegisterLocalURL(s), UpdateGatheringOwnership and GetGatheringRelations
// have no server behaviour any source describes; they stay unregistered
// and answer Core::NotImplemented (README).

var (
	_ mm.RegisterGatheringServer               = (*server)(nil)
	_ mm.UpdateGatheringServer                 = (*server)(nil)
	_ mm.UnregisterGatheringsServer            = (*server)(nil)
	_ mm.DeleteGatheringServer                 = (*server)(nil)
	_ mm.GetParticipantsURLsServer             = (*server)(nil)
	_ mm.FindByTypeServer                      = (*server)(nil)
	_ mm.FindByDescriptionServer               = (*server)(nil)
	_ mm.FindByDescriptionLikeServer           = (*server)(nil)
	_ mm.FindByDescriptionRegexServer          = (*server)(nil)
	_ mm.FindByIDServer                        = (*server)(nil)
	_ mm.FindByParticipantsServer              = (*server)(nil)
	_ mm.LaunchSessionServer                   = (*server)(nil)
	_ mm.GetSessionURLServer                   = (*server)(nil)
	_ mm.GetStateServer                        = (*server)(nil)
	_ mm.SetStateServer                        = (*server)(nil)
	_ mm.GetPendingDeletionsServer             = (*server)(nil)
	_ mm.DeleteFromDeletionsServer             = (*server)(nil)
	_ mm.MigrateGatheringOwnershipV1Server     = (*server)(nil)
	_ matchmakingext.GetParticipantsURLsServer = extServer{}
	_ matchmakingext.DeleteFromDeletionsServer = extServer{}
)

const (
	// notifyLaunched is 2000, session launched (services.md §4).
	notifyLaunched = 2000
	// maxPattern bounds the description patterns of the Find* methods.
	maxPattern = 256
	// maxFindRows bounds FindByParticipants.
	maxFindRows = 1000
)

// held is g as its real class in an AnyDataHolder: a session as the
// caller may see it, a community with its password blanked and its
// counts, a plain Gathering.
func held(g *store.Gathering, c *rpc.Call, counts communityCounts) typed.AnyData {
	switch g.Kind {
	case store.KindGathering:
		return typed.Hold(plainGathering(g))
	case store.KindPersistent:
		return typed.Hold(toPersistent(g, c.Session.Settings, counts))
	}
	return typed.Hold(seen(g, c))
}

// heldAll converts gs with held, counting only when a community is among
// them.
func (s *server) heldAll(ctx context.Context, c *rpc.Call, gs []store.Gathering) ([]typed.AnyData, error) {
	counts, err := s.countsFor(ctx, c, gs)
	if err != nil {
		return nil, err
	}
	out := make([]typed.AnyData, 0, len(gs))
	for i := range gs {
		out = append(out, held(&gs[i], c, counts))
	}
	return out, nil
}

// RegisterGathering registers a gathering of any class with the caller as
// owner, host and first participant (so it ends when the console leaves
// or disconnects, like a session): a MatchmakeSession as
// CreateMatchmakeSession, a PersistentGathering as CreateCommunity.
func (s *server) RegisterGathering(ctx context.Context, c *rpc.Call, req *mm.RegisterGatheringRequest) (*mm.RegisterGatheringResponse, error) {
	switch v := req.Gathering.Value.(type) {
	case *mm.MatchmakeSession:
		r, err := s.CreateMatchmakeSession(ctx, c, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: req.Gathering})
		if err != nil {
			return nil, err
		}
		return &mm.RegisterGatheringResponse{GID: r.GID}, nil
	case *mm.PersistentGathering:
		r, err := s.CreateCommunity(ctx, c, &matchmakeextension.CreateCommunityRequest{Community: *v})
		if err != nil {
			return nil, err
		}
		return &mm.RegisterGatheringResponse{GID: r.GID}, nil
	case *mm.Gathering:
		if len(v.Description) > maxDescription || v.MaxParticipants != 0 && v.MinParticipants > v.MaxParticipants {
			return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
		}
		pid := c.Session.PID()
		g := store.Gathering{
			Game: s.game(), Kind: store.KindGathering, Owner: pid, Host: pid,
			MinParticipants: v.MinParticipants, MaxParticipants: v.MaxParticipants, ParticipationPolicy: v.ParticipationPolicy,
			PolicyArgument: v.PolicyArgument, Flags: v.Flags, State: v.State, Description: v.Description,
			OpenParticipation: true, Participants: []store.GatheringParticipant{{PID: pid}},
		}
		j := s.track(c)
		g, err := s.gs.Create(ctx, g)
		if err != nil {
			return nil, s.failed(c, "register gathering", err)
		}
		j.add(g.ID)
		return &mm.RegisterGatheringResponse{GID: g.ID}, nil
	}
	return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
}

// UpdateGathering replaces the Gathering-level fields (not id, owner or
// host) of a gathering the caller owns; a maximum below the current
// entries is Core::InvalidArgument.
func (s *server) UpdateGathering(ctx context.Context, c *rpc.Call, req *mm.UpdateGatheringRequest) (*mm.UpdateGatheringResponse, error) {
	var in *mm.Gathering
	switch v := req.Gathering.Value.(type) {
	case *mm.Gathering:
		in = v
	case *mm.MatchmakeSession:
		in = &v.Gathering
	case *mm.PersistentGathering:
		in = &v.Gathering
	default:
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	if len(in.Description) > maxDescription || in.MaxParticipants != 0 && in.MinParticipants > in.MaxParticipants {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	err := s.ownerChange(ctx, c, in.ID, "update gathering", func(g *store.Gathering) error {
		if in.MaxParticipants != 0 && int(in.MaxParticipants) < g.Entries() {
			return rpc.Fail(rmc.ResultCoreInvalidArgument)
		}
		g.MinParticipants, g.MaxParticipants = in.MinParticipants, in.MaxParticipants
		g.ParticipationPolicy, g.PolicyArgument, g.Flags, g.State, g.Description = in.ParticipationPolicy, in.PolicyArgument, in.Flags, in.State, in.Description
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &mm.UpdateGatheringResponse{Result: true}, nil
}

// UnregisterGatherings unregisters each gathering as UnregisterGathering
// does; the first refusal is the answer (the ones before it are gone).
func (s *server) UnregisterGatherings(ctx context.Context, c *rpc.Call, req *mm.UnregisterGatheringsRequest) (*mm.UnregisterGatheringsResponse, error) {
	if len(req.GIDs) > maxFindGIDs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	for _, gid := range req.GIDs {
		if _, err := s.UnregisterGathering(ctx, c, &mm.UnregisterGatheringRequest{GID: gid}); err != nil {
			return nil, err
		}
	}
	return &mm.UnregisterGatheringsResponse{Result: true}, nil
}

// DeleteGathering is UnregisterGathering.
func (s *server) DeleteGathering(ctx context.Context, c *rpc.Call, req *mm.DeleteGatheringRequest) (*mm.DeleteGatheringResponse, error) {
	if _, err := s.UnregisterGathering(ctx, c, &mm.UnregisterGatheringRequest{GID: req.GID}); err != nil {
		return nil, err
	}
	return &mm.DeleteGatheringResponse{Result: true}, nil
}

// stationURLs returns the station URLs pid registered; none when its
// console is not connected.
func (s *server) stationURLs(ctx context.Context, c *rpc.Call, pid uint64) ([]rmc.StationURL, error) {
	if s.stations == nil || pid == 0 {
		return nil, nil
	}
	st, err := s.stations.Get(ctx, s.game(), pid)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, s.failed(c, "station", err)
	}
	var out []rmc.StationURL
	for _, u := range st.URLs {
		if su, err := rmc.ParseStationURL(u); err == nil {
			out = append(out, su)
		}
	}
	return out, nil
}

// participantURLs returns every connected participant's station URLs.
func (s *server) participantURLs(ctx context.Context, c *rpc.Call, g *store.Gathering) ([]rmc.StationURL, error) {
	var out []rmc.StationURL
	for _, p := range g.Participants {
		urls, err := s.stationURLs(ctx, c, p.PID)
		if err != nil {
			return nil, err
		}
		out = append(out, urls...)
	}
	return out, nil
}

// GetParticipantsURLs returns the station URLs of a gathering's
// connected participants, in join order.
func (s *server) GetParticipantsURLs(ctx context.Context, c *rpc.Call, req *mm.GetParticipantsURLsRequest) (*mm.GetParticipantsURLsResponse, error) {
	g, err := s.participants(ctx, c, req.GID)
	if err != nil {
		return nil, err
	}
	urls, err := s.participantURLs(ctx, c, &g)
	if err != nil {
		return nil, err
	}
	return &mm.GetParticipantsURLsResponse{URLs: urls}, nil
}

// GetParticipantsURLs is MatchMakingExt's: per existing gathering, its
// connected participants' station URLs.
func (x extServer) GetParticipantsURLs(ctx context.Context, c *rpc.Call, req *matchmakingext.GetParticipantsURLsRequest) (*matchmakingext.GetParticipantsURLsResponse, error) {
	if len(req.GIDs) > maxFindGIDs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	resp := &matchmakingext.GetParticipantsURLsResponse{}
	for _, gid := range req.GIDs {
		g, err := x.gs.Get(ctx, x.game(), gid)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return nil, x.failed(c, "get gathering", err)
		}
		urls, err := x.participantURLs(ctx, c, &g)
		if err != nil {
			return nil, err
		}
		resp.URLs = append(resp.URLs, mm.GatheringURLs{GID: gid, URLs: urls})
	}
	return resp, nil
}

// find pages the gatherings the caller may see and q selects (its Kind
// and column filters, then its Match).
func (s *server) find(ctx context.Context, c *rpc.Call, rng common.ResultRange, q store.GatheringQuery) ([]typed.AnyData, error) {
	see, err := s.seeing(ctx, c)
	if err != nil {
		return nil, err
	}
	match := q.Match
	q.Match = func(g *store.Gathering) bool { return see(g) && (match == nil || match(g)) }
	found, err := s.searchRange(ctx, c, "find gatherings", q, rng)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return s.heldAll(ctx, c, found)
}

// FindByType lists the gatherings of a class ("Gathering",
// "MatchmakeSession", "PersistentGathering"; "" is every class).
func (s *server) FindByType(ctx context.Context, c *rpc.Call, req *mm.FindByTypeRequest) (*mm.FindByTypeResponse, error) {
	switch req.Type {
	case "", store.KindGathering, store.KindMatchmakeSession, store.KindPersistent:
	default:
		return &mm.FindByTypeResponse{}, nil
	}
	out, err := s.find(ctx, c, req.Range, store.GatheringQuery{Kind: req.Type})
	if err != nil {
		return nil, err
	}
	return &mm.FindByTypeResponse{Gatherings: out}, nil
}

// FindByDescription lists the gatherings with exactly that description.
func (s *server) FindByDescription(ctx context.Context, c *rpc.Call, req *mm.FindByDescriptionRequest) (*mm.FindByDescriptionResponse, error) {
	if len(req.Description) > maxDescription {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	out, err := s.find(ctx, c, req.Range, store.GatheringQuery{Match: func(g *store.Gathering) bool { return g.Description == req.Description }})
	if err != nil {
		return nil, err
	}
	return &mm.FindByDescriptionResponse{Gatherings: out}, nil
}

// likePattern compiles an SQL LIKE pattern (% any run, _ one character,
// case-sensitive) to an anchored regular expression.
func likePattern(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`^(?s)`)
	for _, r := range p {
		switch r {
		case '%':
			b.WriteString(`.*`)
		case '_':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.Compile(b.String())
}

// FindByDescriptionLike lists the gatherings whose description matches
// an SQL LIKE pattern.
func (s *server) FindByDescriptionLike(ctx context.Context, c *rpc.Call, req *mm.FindByDescriptionLikeRequest) (*mm.FindByDescriptionLikeResponse, error) {
	if len(req.Description) > maxPattern {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	re, err := likePattern(req.Description)
	if err != nil {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	out, err := s.find(ctx, c, req.Range, store.GatheringQuery{Match: func(g *store.Gathering) bool { return re.MatchString(g.Description) }})
	if err != nil {
		return nil, err
	}
	return &mm.FindByDescriptionLikeResponse{Gatherings: out}, nil
}

// FindByDescriptionRegex lists the gatherings whose description the
// regular expression matches (RE2 syntax, which runs in linear time
// whatever the pattern; one that does not compile is
// Core::InvalidArgument).
func (s *server) FindByDescriptionRegex(ctx context.Context, c *rpc.Call, req *mm.FindByDescriptionRegexRequest) (*mm.FindByDescriptionRegexResponse, error) {
	if len(req.Regex) > maxPattern {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	re, err := regexp.Compile(req.Regex)
	if err != nil {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	out, err := s.find(ctx, c, req.Range, store.GatheringQuery{Match: func(g *store.Gathering) bool { return re.MatchString(g.Description) }})
	if err != nil {
		return nil, err
	}
	return &mm.FindByDescriptionRegexResponse{Gatherings: out}, nil
}

// FindByID returns the gatherings of the ids that exist and the caller
// may see, in the order asked.
func (s *server) FindByID(ctx context.Context, c *rpc.Call, req *mm.FindByIDRequest) (*mm.FindByIDResponse, error) {
	if len(req.IDs) > maxFindGIDs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	out, err := s.visible(ctx, c, req.IDs)
	if err != nil {
		return nil, err
	}
	return &mm.FindByIDResponse{Gatherings: out}, nil
}

// FindByParticipants returns the gatherings any of the PIDs participates
// in (each once, at most 1000).
func (s *server) FindByParticipants(ctx context.Context, c *rpc.Call, req *mm.FindByParticipantsRequest) (*mm.FindByParticipantsResponse, error) {
	if len(req.PIDs) > maxPlayingPIDs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	seen := map[uint32]bool{}
	var gids []uint32
	for _, p := range req.PIDs {
		ids, err := s.gs.OfPID(ctx, s.game(), p)
		if err != nil {
			return nil, s.failed(c, "gatherings of player", err)
		}
		for _, id := range ids {
			if !seen[id] && len(gids) < maxFindRows {
				seen[id] = true
				gids = append(gids, id)
			}
		}
	}
	out, err := s.visible(ctx, c, gids)
	if err != nil {
		return nil, err
	}
	return &mm.FindByParticipantsResponse{Gatherings: out}, nil
}

// visible returns, held in their classes and in the order given, the
// gatherings of gids that exist and the caller may see.
func (s *server) visible(ctx context.Context, c *rpc.Call, gids []uint32) ([]typed.AnyData, error) {
	see, err := s.seeing(ctx, c)
	if err != nil {
		return nil, err
	}
	var found []store.Gathering
	for _, id := range gids {
		g, err := s.gs.Get(ctx, s.game(), id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, s.failed(c, "get gathering", err)
		}
		if see(&g) {
			found = append(found, g)
		}
	}
	return s.heldAll(ctx, c, found)
}

// LaunchSession (owner only) tells the other participants the session
// started: 2000 with p1 = gid and the URL as text (services.md §4).
func (s *server) LaunchSession(ctx context.Context, c *rpc.Call, req *mm.LaunchSessionRequest) (*mm.LaunchSessionResponse, error) {
	text := launchText(c, req)
	if len(text) > maxDescription {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	pid := c.Session.PID()
	g, err := s.gs.Get(ctx, s.game(), req.GID)
	if err != nil {
		return nil, s.failed(c, "get gathering", err)
	}
	if g.Owner != pid {
		return nil, rpc.Fail(rmc.ResultRendezVousPermissionDenied)
	}
	var to []uint64
	for _, p := range g.Participants {
		if p.PID != pid {
			to = append(to, p.PID)
		}
	}
	s.notify(ctx, to, notification.NotificationEvent{SourcePID: pid, Type: notifyLaunched, Param1: uint64(g.ID), Text: text})
	return &mm.LaunchSessionResponse{Result: true}, nil
}

// launchText is LaunchSession's URL as the console sent it. A text that
// is not a station URL decodes as the empty URL: it is then read from
// the body, so that it reaches the participants unchanged.
func launchText(c *rpc.Call, req *mm.LaunchSessionRequest) string {
	if !req.URL.IsEmpty() {
		return req.URL.String()
	}
	r := rmc.NewReader(c.Body, c.Session.Settings)
	r.U32() // gid
	text := r.String()
	if r.Err() != nil {
		return ""
	}
	return text
}

// GetSessionURL returns the host's first station URL (false and "" when
// the host is not connected).
func (s *server) GetSessionURL(ctx context.Context, c *rpc.Call, req *mm.GetSessionURLRequest) (*mm.GetSessionURLResponse, error) {
	g, err := s.gs.Get(ctx, s.game(), req.GID)
	if err != nil {
		return nil, s.failed(c, "get gathering", err)
	}
	urls, err := s.hostURLs(ctx, c, &g)
	if err != nil {
		return nil, err
	}
	if len(urls) == 0 {
		return &mm.GetSessionURLResponse{}, nil
	}
	return &mm.GetSessionURLResponse{Result: true, URL: urls[0]}, nil
}

// GetState returns a gathering's state.
func (s *server) GetState(ctx context.Context, c *rpc.Call, req *mm.GetStateRequest) (*mm.GetStateResponse, error) {
	g, err := s.gs.Get(ctx, s.game(), req.GID)
	if err != nil {
		return nil, s.failed(c, "get gathering", err)
	}
	return &mm.GetStateResponse{Result: true, State: g.State}, nil
}

// SetState sets the state of a gathering the caller owns; the server
// stores it and does not act on it (services.md §2.5).
func (s *server) SetState(ctx context.Context, c *rpc.Call, req *mm.SetStateRequest) (*mm.SetStateResponse, error) {
	err := s.ownerChange(ctx, c, req.GID, "set state", func(g *store.Gathering) error { g.State = req.State; return nil })
	if err != nil {
		return nil, err
	}
	return &mm.SetStateResponse{Result: true}, nil
}

// GetPendingDeletions answers an empty list: gatherings are removed at
// once, so none ever waits for deletion.
func (s *server) GetPendingDeletions(context.Context, *rpc.Call, *mm.GetPendingDeletionsRequest) (*mm.GetPendingDeletionsResponse, error) {
	return &mm.GetPendingDeletionsResponse{Result: true}, nil
}

// DeleteFromDeletions has nothing to delete (see GetPendingDeletions).
func (s *server) DeleteFromDeletions(context.Context, *rpc.Call, *mm.DeleteFromDeletionsRequest) (*mm.DeleteFromDeletionsResponse, error) {
	return &mm.DeleteFromDeletionsResponse{Result: true}, nil
}

// DeleteFromDeletions is MatchMakingExt's (see GetPendingDeletions).
func (x extServer) DeleteFromDeletions(context.Context, *rpc.Call, *matchmakingext.DeleteFromDeletionsRequest) (*matchmakingext.DeleteFromDeletionsResponse, error) {
	return &matchmakingext.DeleteFromDeletionsResponse{}, nil
}

// MigrateGatheringOwnershipV1 is MigrateGatheringOwnership with
// candidates from anywhere.
func (s *server) MigrateGatheringOwnershipV1(ctx context.Context, c *rpc.Call, req *mm.MigrateGatheringOwnershipV1Request) (*mm.MigrateGatheringOwnershipV1Response, error) {
	_, err := s.MigrateGatheringOwnership(ctx, c, &mm.MigrateGatheringOwnershipRequest{GID: req.GID, PotentialOwners: req.PotentialOwners})
	if err != nil {
		return nil, err
	}
	return &mm.MigrateGatheringOwnershipV1Response{Result: true}, nil
}
