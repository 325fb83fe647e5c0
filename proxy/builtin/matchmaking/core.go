package matchmaking

import (
	"context"
	"strconv"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakingext"
	"github.com/nexproxy/nexproxy/rmc/protocols/notification"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// MatchMaking (21) and MatchMakingExt (50) beyond the basics: host and
// owner changes (services.md §2.9), participation and participant
// look-ups, FindByOwner.

var (
	_ mm.ParticipateServer                         = (*server)(nil)
	_ mm.CancelParticipationServer                 = (*server)(nil)
	_ mm.GetParticipantsServer                     = (*server)(nil)
	_ mm.GetDetailedParticipantsServer             = (*server)(nil)
	_ mm.FindByOwnerServer                         = (*server)(nil)
	_ mm.UpdateSessionURLServer                    = (*server)(nil)
	_ mm.UpdateSessionHostV1Server                 = (*server)(nil)
	_ mm.UpdateSessionHostServer                   = (*server)(nil)
	_ mm.MigrateGatheringOwnershipServer           = (*server)(nil)
	_ matchmakingext.GetParticipantsServer         = extServer{}
	_ matchmakingext.GetDetailedParticipantsServer = extServer{}
	_ matchmakingext.EndParticipationServer        = extServer{}
)

const (
	// flagOwnerTakeover (0x200): UpdateSessionHostV1 moves the owner too,
	// UpdateSessionHost may migrate the owner (services.md §2.4).
	flagOwnerTakeover = 0x200
	// notifyCancelled is 3002, participation cancelled (services.md §4).
	notifyCancelled = 3002
	// maxCandidates bounds MigrateGatheringOwnership's potential owners.
	maxCandidates = 64
)

// Participate joins the caller to a session alone (as JoinMatchmakeSession).
func (s *server) Participate(ctx context.Context, c *rpc.Call, req *mm.ParticipateRequest) (*mm.ParticipateResponse, error) {
	if _, err := s.join(ctx, c, req.GID, 1, req.Message, false); err != nil {
		return nil, err
	}
	return &mm.ParticipateResponse{Result: true}, nil
}

// CancelParticipation makes the caller leave, as EndParticipation but
// with 3002 (services.md §4).
func (s *server) CancelParticipation(ctx context.Context, c *rpc.Call, req *mm.CancelParticipationRequest) (*mm.CancelParticipationResponse, error) {
	if len(req.Message) > maxDescription {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	pid := c.Session.PID()
	res, err := s.gs.Leave(ctx, s.game(), req.GID, pid)
	if err != nil {
		return nil, s.failed(c, "cancel participation", err)
	}
	s.track(c).remove(req.GID)
	s.notifyLeave(ctx, pid, res, notifyCancelled, req.Message)
	return &mm.CancelParticipationResponse{Result: true}, nil
}

// participants reads a session for the participant look-ups.
func (s *server) participants(ctx context.Context, c *rpc.Call, gid uint32) (store.Gathering, error) {
	g, err := s.gs.Get(ctx, s.game(), gid)
	if err != nil {
		return store.Gathering{}, s.failed(c, "get session", err)
	}
	return g, nil
}

// GetParticipants lists a session's participants.
func (s *server) GetParticipants(ctx context.Context, c *rpc.Call, req *mm.GetParticipantsRequest) (*mm.GetParticipantsResponse, error) {
	g, err := s.participants(ctx, c, req.GID)
	if err != nil {
		return nil, err
	}
	return &mm.GetParticipantsResponse{Participants: pids(&g)}, nil
}

// details are the participants with their names and entries; a name the
// account store does not know is the PID in decimal.
func (s *server) details(ctx context.Context, g *store.Gathering) []mm.ParticipantDetails {
	out := make([]mm.ParticipantDetails, 0, len(g.Participants))
	for _, p := range g.Participants {
		name := strconv.FormatUint(p.PID, 10)
		if s.env.Host.Stores.Accounts != nil {
			if a, err := s.env.Host.Stores.Accounts.Get(ctx, p.PID); err == nil {
				name = a.Username
			}
		}
		out = append(out, mm.ParticipantDetails{PID: p.PID, Name: name, Participants: 1 + p.Extra})
	}
	return out
}

// GetDetailedParticipants lists a session's participants with details.
func (s *server) GetDetailedParticipants(ctx context.Context, c *rpc.Call, req *mm.GetDetailedParticipantsRequest) (*mm.GetDetailedParticipantsResponse, error) {
	g, err := s.participants(ctx, c, req.GID)
	if err != nil {
		return nil, err
	}
	return &mm.GetDetailedParticipantsResponse{Details: s.details(ctx, &g)}, nil
}

// extServer serves MatchMakingExt (50), whose method names clash with
// MatchMaking's.
type extServer struct{ *server }

// GetParticipants is MatchMakingExt's: every participant is active (a
// disconnect removes the console), so only_active changes nothing.
func (x extServer) GetParticipants(ctx context.Context, c *rpc.Call, req *matchmakingext.GetParticipantsRequest) (*matchmakingext.GetParticipantsResponse, error) {
	g, err := x.participants(ctx, c, req.GID)
	if err != nil {
		return nil, err
	}
	return &matchmakingext.GetParticipantsResponse{Participants: pids(&g)}, nil
}

// GetDetailedParticipants is MatchMakingExt's (only_active as above).
func (x extServer) GetDetailedParticipants(ctx context.Context, c *rpc.Call, req *matchmakingext.GetDetailedParticipantsRequest) (*matchmakingext.GetDetailedParticipantsResponse, error) {
	g, err := x.participants(ctx, c, req.GID)
	if err != nil {
		return nil, err
	}
	return &matchmakingext.GetDetailedParticipantsResponse{Details: x.details(ctx, &g)}, nil
}

// FindByOwner returns the gatherings owner owns within the range.
func (s *server) FindByOwner(ctx context.Context, c *rpc.Call, req *mm.FindByOwnerRequest) (*mm.FindByOwnerResponse, error) {
	owner := req.Owner
	out, err := s.find(ctx, c, req.Range, store.GatheringQuery{Owner: owner, Match: func(g *store.Gathering) bool { return g.Owner == owner }})
	if err != nil {
		return nil, err
	}
	return &mm.FindByOwnerResponse{Gatherings: out}, nil
}

// takeHost makes the caller host (and owner when owner) of a session it
// participates in; non-participants get RendezVous::PermissionDenied,
// and needTakeover without flag 0x200 RendezVous::InvalidOperation. An
// owner change sends 4000 to every participant (services.md §2.9).
func (s *server) takeHost(ctx context.Context, c *rpc.Call, gid uint32, owner func(g *store.Gathering) (bool, error)) error {
	pid := c.Session.PID()
	var before uint64
	g, err := s.gs.Update(ctx, s.game(), gid, func(g *store.Gathering) error {
		if !g.Has(pid) {
			return rpc.Fail(rmc.ResultRendezVousPermissionDenied)
		}
		before = g.Owner
		g.Host = pid
		if owner == nil {
			return nil
		}
		take, err := owner(g)
		if err != nil {
			return err
		}
		if take {
			g.Owner = pid
		}
		return nil
	})
	if err != nil {
		return s.failed(c, "update session host", err)
	}
	if g.Owner != before {
		s.notifyOwner(ctx, &g, pid)
	}
	return nil
}

// notifyOwner sends 4000 (source = caller as P does, p2 = new owner).
func (s *server) notifyOwner(ctx context.Context, g *store.Gathering, source uint64) {
	s.notify(ctx, pids(g), notification.NotificationEvent{SourcePID: source, Type: notifyOwnerChanged, Param1: uint64(g.ID), Param2: g.Owner})
}

// UpdateSessionURL makes the caller host (MK7 sends an empty URL).
func (s *server) UpdateSessionURL(ctx context.Context, c *rpc.Call, req *mm.UpdateSessionURLRequest) (*mm.UpdateSessionURLResponse, error) {
	if err := s.takeHost(ctx, c, req.GID, nil); err != nil {
		return nil, err
	}
	return &mm.UpdateSessionURLResponse{Result: true}, nil
}

// UpdateSessionHostV1 makes the caller host, and owner too with 0x200.
func (s *server) UpdateSessionHostV1(ctx context.Context, c *rpc.Call, req *mm.UpdateSessionHostV1Request) (*mm.UpdateSessionHostV1Response, error) {
	err := s.takeHost(ctx, c, req.GID, func(g *store.Gathering) (bool, error) { return g.Flags&flagOwnerTakeover != 0, nil })
	if err != nil {
		return nil, err
	}
	return &mm.UpdateSessionHostV1Response{}, nil
}

// UpdateSessionHost makes the caller host, and with is_migrate_owner owner
// too, which needs 0x200 (RendezVous::InvalidOperation otherwise).
func (s *server) UpdateSessionHost(ctx context.Context, c *rpc.Call, req *mm.UpdateSessionHostRequest) (*mm.UpdateSessionHostResponse, error) {
	err := s.takeHost(ctx, c, req.GID, func(g *store.Gathering) (bool, error) {
		if !req.IsMigrateOwner {
			return false, nil
		}
		if g.Flags&flagOwnerTakeover == 0 {
			return false, rpc.Fail(rmc.ResultRendezVousInvalidOperation)
		}
		return true, nil
	})
	if err != nil {
		return nil, err
	}
	return &mm.UpdateSessionHostResponse{}, nil
}

// online reports whether pid has a session on this instance or a live
// station entry owned by another instance sharing the store (its
// console is connected there). A store error counts as offline.
func (s *server) online(ctx context.Context, pid uint64) bool {
	if s.env.Console != nil && s.env.Console(pid) != nil {
		return true
	}
	if s.stations == nil {
		return false
	}
	st, err := s.stations.Get(ctx, s.game(), pid)
	return err == nil && st.Owner.Instance != s.env.Host.Instance
}

// MigrateGatheringOwnership (Splatfest team merges, services.md §2.9):
// the owner hands the session to the first online candidate other than
// itself (a participant when participants_only; with no candidates, the
// participants); all candidates offline → RendezVous::UserIsOffline. 4000
// goes to every participant.
func (s *server) MigrateGatheringOwnership(ctx context.Context, c *rpc.Call, req *mm.MigrateGatheringOwnershipRequest) (*mm.MigrateGatheringOwnershipResponse, error) {
	if len(req.PotentialOwners) > maxCandidates {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	pid := c.Session.PID()
	// Who is online is read before the change: the store's function must
	// stay quick, and a candidate's connection is what it is now.
	online := map[uint64]bool{}
	for _, p := range req.PotentialOwners {
		online[p] = s.online(ctx, p)
	}
	g, err := s.gs.Get(ctx, s.game(), req.GID)
	if err != nil {
		return nil, s.failed(c, "get session", err)
	}
	for _, p := range g.Participants {
		if _, ok := online[p.PID]; !ok {
			online[p.PID] = s.online(ctx, p.PID)
		}
	}
	g, err = s.gs.Update(ctx, s.game(), req.GID, func(g *store.Gathering) error {
		if g.Owner != pid {
			return rpc.Fail(rmc.ResultRendezVousPermissionDenied)
		}
		cands := req.PotentialOwners
		if len(cands) == 0 {
			cands = pids(g)
		}
		for _, p := range cands {
			if p == 0 || p == g.Owner || !online[p] || (req.ParticipantsOnly && !g.Has(p)) {
				continue
			}
			g.Owner = p
			return nil
		}
		return rpc.Fail(rmc.ResultRendezVousUserIsOffline)
	})
	if err != nil {
		return nil, s.failed(c, "migrate ownership", err)
	}
	s.notifyOwner(ctx, &g, pid)
	return &mm.MigrateGatheringOwnershipResponse{}, nil
}
