package matchmaking

import (
	"context"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// UpdateMatchmakeSessionPart, FindMatchmakeSessionByParticipant and
// AutoMatchmakeWithGatheringId_Postpone (109/44, 51, 33).

var (
	_ matchmakeextension.UpdateMatchmakeSessionPartServer           = (*server)(nil)
	_ matchmakeextension.FindMatchmakeSessionByParticipantServer    = (*server)(nil)
	_ matchmakeextension.AutoMatchmakeWithGatheringIdPostponeServer = (*server)(nil)
)

// UpdateMatchmakeSessionParam.modification_flags: which fields change
// (nex-protocols-go's MatchmakeSessionModificationFlag values).
const (
	modAttributes        = 0x1
	modOpenParticipation = 0x2
	modApplicationBuffer = 0x4
	modProgressScore     = 0x8
	modParam             = 0x20 // replace the MatchmakeParam
	modParamOverride     = 0x40 // add or replace its entries, keep the rest
	modStartedTime       = 0x80
	modUserPassword      = 0x100
	modGameMode          = 0x200
	modDescription       = 0x400
	modMinParticipants   = 0x800
	modMaxParticipants   = 0x1000
	modMatchmakeSystem   = 0x2000
	modCodeword          = 0x4000
	// maxUserPassword is the user password's length limit (PG: 32).
	maxUserPassword = 32
)

// UpdateMatchmakeSessionPart changes the fields modification_flags names
// in a session the caller owns (RendezVous::PermissionDenied otherwise);
// both param flags at once, out-of-range values or a maximum (0: no
// limit) below the current entries are Core::InvalidArgument.
func (s *server) UpdateMatchmakeSessionPart(ctx context.Context, c *rpc.Call, req *matchmakeextension.UpdateMatchmakeSessionPartRequest) (*matchmakeextension.UpdateMatchmakeSessionPartResponse, error) {
	p := &req.Param
	f := p.ModificationFlags
	if f&modParam != 0 && f&modParamOverride != 0 || len(p.Attributes) > maxAttribs || len(p.ApplicationBuffer) > maxBuffer ||
		p.ProgressScore > 100 || len(p.Description) > maxDescription || len(p.UserPassword) > maxUserPassword ||
		len(p.Codeword) > maxDescription || len(p.Param.Params) > maxAttribs*4 {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	set := c.Session.Settings
	err := s.ownerChange(ctx, c, p.GID, "update session part", func(g *store.Gathering) error {
		if !isSession(g) {
			return rpc.Fail(rmc.ResultRendezVousSessionVoid)
		}
		ms := fromStore(g, set)
		sysPW := storedSystemPassword(g, set)
		if f&modAttributes != 0 {
			ms.Attribs = append([]uint32(nil), p.Attributes...)
		}
		if f&modOpenParticipation != 0 {
			ms.OpenParticipation = p.OpenParticipation
		}
		if f&modApplicationBuffer != 0 {
			ms.ApplicationData = append([]byte(nil), p.ApplicationBuffer...)
		}
		if f&modProgressScore != 0 {
			ms.ProgressScore = p.ProgressScore
		}
		if f&modParam != 0 {
			ms.Param.Params = append(typed.Map[string, rmc.Variant](nil), p.Param.Params...)
		}
		if f&modParamOverride != 0 {
			for _, kv := range p.Param.Params {
				ms.Param.Params.Set(kv.Key, kv.Value)
			}
		}
		if f&modStartedTime != 0 {
			ms.StartedTime = p.StartedTime
		}
		if f&modUserPassword != 0 {
			ms.UserPassword, ms.UserPasswordEnabled = p.UserPassword, p.UserPassword != ""
		}
		if f&modGameMode != 0 {
			ms.GameMode = p.GameMode
		}
		if f&modDescription != 0 {
			ms.Description = p.Description
		}
		if f&modMinParticipants != 0 {
			ms.MinParticipants = p.MinParticipants
		}
		if f&modMaxParticipants != 0 {
			ms.MaxParticipants = p.MaxParticipants
		}
		if f&modMatchmakeSystem != 0 {
			ms.MatchmakeSystem = p.MatchmakeSystem
		}
		if f&modCodeword != 0 {
			ms.Codeword = p.Codeword
		}
		// A maximum of 0 is no limit (services.md §2.8).
		if ms.MaxParticipants != 0 && (ms.MinParticipants > ms.MaxParticipants || int(ms.MaxParticipants) < g.Entries()) {
			return rpc.Fail(rmc.ResultCoreInvalidArgument)
		}
		// The server's own entry is never the console's to set or drop.
		stripPrivate(ms)
		if sysPW != "" {
			ms.Param.Params.Set(systemPasswordKey, rmc.Variant{Type: rmc.VariantString, Value: sysPW})
		}
		u := toStore(ms, set)
		u.Game, u.ID, u.Participants, u.Created = g.Game, g.ID, g.Participants, g.Created
		*g = u
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.UpdateMatchmakeSessionPartResponse{}, nil
}

// FindMatchmakeSessionByParticipant returns, for each PID, the sessions
// it is in that the caller may see (one row per PID and session, at most
// 1000), keys blanked unless the caller participates.
func (s *server) FindMatchmakeSessionByParticipant(ctx context.Context, c *rpc.Call, req *matchmakeextension.FindMatchmakeSessionByParticipantRequest) (*matchmakeextension.FindMatchmakeSessionByParticipantResponse, error) {
	if len(req.Param.PIDs) > maxPlayingPIDs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	resp := &matchmakeextension.FindMatchmakeSessionByParticipantResponse{}
	err := s.playing(ctx, c, req.Param.PIDs, func(pid uint64, g *store.Gathering) bool {
		resp.Result = append(resp.Result, mm.FindMatchmakeSessionByParticipantResult{PID: pid, Session: *seen(g, c)})
		return len(resp.Result) < maxPlayingRows
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// AutoMatchmakeWithGatheringId_Postpone joins the first of the gids, in
// the order given, that is an open session with room the caller may join
// (no password), or else creates the supplied session.
func (s *server) AutoMatchmakeWithGatheringIdPostpone(ctx context.Context, c *rpc.Call, req *matchmakeextension.AutoMatchmakeWithGatheringIdPostponeRequest) (*matchmakeextension.AutoMatchmakeWithGatheringIdPostponeResponse, error) {
	if len(req.GIDs) > maxFindGIDs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	ms, err := s.session(c, req.Gathering)
	if err != nil {
		return nil, err
	}
	order := make(map[uint32]int64, len(req.GIDs))
	for i, gid := range req.GIDs {
		if _, dup := order[gid]; !dup {
			order[gid] = int64(i)
		}
	}
	q := store.GatheringQuery{
		Match: func(g *store.Gathering) bool { _, ok := order[g.ID]; return ok },
		Rank:  func(g *store.Gathering) int64 { return order[g.ID] },
	}
	held, err := s.autoJoin(ctx, c, ms, q, 1, req.Message)
	if err != nil {
		return nil, err
	}
	return &matchmakeextension.AutoMatchmakeWithGatheringIdPostponeResponse{JoinedGathering: held}, nil
}
