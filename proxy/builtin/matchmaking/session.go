package matchmaking

import (
	"context"
	"crypto/rand"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/notification"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// Session changes and the playing-session look-ups of protocol 109
// (services.md §2.2, §2.6, §2.11).

var (
	_ matchmakeextension.UpdateMatchmakeSessionServer                 = (*server)(nil)
	_ matchmakeextension.UpdateMatchmakeSessionAttributeServer        = (*server)(nil)
	_ matchmakeextension.ModifyCurrentGameAttributeServer             = (*server)(nil)
	_ matchmakeextension.GenerateMatchmakeSessionSystemPasswordServer = (*server)(nil)
	_ matchmakeextension.ClearMatchmakeSessionSystemPasswordServer    = (*server)(nil)
	_ matchmakeextension.GetPlayingSessionServer                      = (*server)(nil)
	_ matchmakeextension.GetSimplePlayingSessionServer                = (*server)(nil)
)

const (
	// maxPlayingPIDs and maxPlayingRows are GetPlayingSession's limits
	// (services.md §2.11).
	maxPlayingPIDs = 300
	maxPlayingRows = 1000
	// systemPasswordLen is the system password's length (PG: 16).
	systemPasswordLen = 16
	// Notification types of the system password (services.md §4).
	notifySystemPasswordSet     = 120000
	notifySystemPasswordCleared = 121000
)

// setExtra re-encodes ms as g's stored session (Extra).
func setExtra(g *store.Gathering, ms *mm.MatchmakeSession, set rmc.Settings) error {
	e := typed.NewEncoder(set)
	ms.EncodeTo(e)
	b, err := e.Close(nil, "MatchmakeSession")
	if err != nil {
		return err
	}
	g.Extra = b
	return nil
}

// UpdateMatchmakeSession replaces what the owner may change of a session:
// everything the console sent except its id, owner, host, count, session
// key, start time and system password, which stay the server's. A maximum
// below the current entries is refused (Core::InvalidArgument).
func (s *server) UpdateMatchmakeSession(ctx context.Context, c *rpc.Call, req *matchmakeextension.UpdateMatchmakeSessionRequest) (*matchmakeextension.UpdateMatchmakeSessionResponse, error) {
	in, err := s.session(c, req.Gathering)
	if err != nil {
		return nil, err
	}
	set := c.Session.Settings
	pid := c.Session.PID()
	_, err = s.gs.Update(ctx, s.game(), in.ID, func(g *store.Gathering) error {
		if g.Owner != pid {
			return rpc.Fail(rmc.ResultRendezVousPermissionDenied)
		}
		if in.MaxParticipants != 0 && int(in.MaxParticipants) < g.Entries() {
			return rpc.Fail(rmc.ResultCoreInvalidArgument)
		}
		cur := fromStore(g, set)
		sysPW := storedSystemPassword(g, set)
		next := *in
		next.ID, next.Owner, next.Host = g.ID, g.Owner, g.Host
		next.SessionKey, next.StartedTime = cur.SessionKey, cur.StartedTime
		next.SystemPasswordEnabled = cur.SystemPasswordEnabled
		stripPrivate(&next)
		if sysPW != "" {
			next.Param.Params.Set(systemPasswordKey, rmc.Variant{Type: rmc.VariantString, Value: sysPW})
		}
		u := toStore(&next, set)
		u.Game, u.Participants, u.Created = g.Game, g.Participants, g.Created
		*g = u
		return nil
	})
	if err != nil {
		return nil, s.failed(c, "update session", err)
	}
	return &matchmakeextension.UpdateMatchmakeSessionResponse{}, nil
}

// UpdateMatchmakeSessionAttribute replaces the session's attribs (owner
// only).
func (s *server) UpdateMatchmakeSessionAttribute(ctx context.Context, c *rpc.Call, req *matchmakeextension.UpdateMatchmakeSessionAttributeRequest) (*matchmakeextension.UpdateMatchmakeSessionAttributeResponse, error) {
	if len(req.Attribs) > maxAttribs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	attribs := append([]uint32(nil), req.Attribs...)
	if err := s.ownerUpdate(ctx, c, req.GID, "update attributes", func(g *store.Gathering) { g.Attributes = attribs }); err != nil {
		return nil, err
	}
	return &matchmakeextension.UpdateMatchmakeSessionAttributeResponse{}, nil
}

// ModifyCurrentGameAttribute sets one attrib (owner only); an index past
// the attribs is Core::InvalidIndex (services.md §2.11).
func (s *server) ModifyCurrentGameAttribute(ctx context.Context, c *rpc.Call, req *matchmakeextension.ModifyCurrentGameAttributeRequest) (*matchmakeextension.ModifyCurrentGameAttributeResponse, error) {
	pid := c.Session.PID()
	_, err := s.gs.Update(ctx, s.game(), req.GID, func(g *store.Gathering) error {
		if g.Owner != pid {
			return rpc.Fail(rmc.ResultRendezVousPermissionDenied)
		}
		if int64(req.Attrib) >= int64(len(g.Attributes)) {
			return rpc.Fail(rmc.ResultCoreInvalidIndex)
		}
		g.Attributes[req.Attrib] = req.Value
		return nil
	})
	if err != nil {
		return nil, s.failed(c, "modify attribute", err)
	}
	return &matchmakeextension.ModifyCurrentGameAttributeResponse{}, nil
}

// newSystemPassword is 16 random characters from an unambiguous alphabet.
func newSystemPassword() (string, error) {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" // 32: no modulo bias
	b := make([]byte, systemPasswordLen)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b), nil
}

// setSystemPassword stores pw ("" clears it) on the caller's session and
// tells the other participants with typ. No source implements 36/37
// (services.md §2.6); here only the owner may, and the notification
// carries the gid only (recipients: the other participants, unverified).
func (s *server) setSystemPassword(ctx context.Context, c *rpc.Call, gid uint32, pw string, typ uint32) error {
	set := c.Session.Settings
	pid := c.Session.PID()
	g, err := s.gs.Update(ctx, s.game(), gid, func(g *store.Gathering) error {
		if g.Owner != pid {
			return rpc.Fail(rmc.ResultRendezVousPermissionDenied)
		}
		ms, ok := rawSession(g, set)
		if !ok {
			ms = fromStore(g, set)
		}
		stripPrivate(ms)
		ms.SystemPasswordEnabled = pw != ""
		if pw != "" {
			ms.Param.Params.Set(systemPasswordKey, rmc.Variant{Type: rmc.VariantString, Value: pw})
		}
		return setExtra(g, ms, set)
	})
	if err != nil {
		return s.failed(c, "system password", err)
	}
	rest := make([]uint64, 0, len(g.Participants))
	for _, p := range g.Participants {
		if p.PID != pid {
			rest = append(rest, p.PID)
		}
	}
	s.notify(ctx, rest, notification.NotificationEvent{SourcePID: pid, Type: typ, Param1: uint64(gid)})
	return nil
}

// GenerateMatchmakeSessionSystemPassword gives the caller's session a new
// system password, which JoinMatchmakeSessionWithParam then requires.
func (s *server) GenerateMatchmakeSessionSystemPassword(ctx context.Context, c *rpc.Call, req *matchmakeextension.GenerateMatchmakeSessionSystemPasswordRequest) (*matchmakeextension.GenerateMatchmakeSessionSystemPasswordResponse, error) {
	pw, err := newSystemPassword()
	if err != nil {
		return nil, s.failed(c, "system password", err)
	}
	if err := s.setSystemPassword(ctx, c, req.GID, pw, notifySystemPasswordSet); err != nil {
		return nil, err
	}
	return &matchmakeextension.GenerateMatchmakeSessionSystemPasswordResponse{Password: pw}, nil
}

// ClearMatchmakeSessionSystemPassword removes the system password.
func (s *server) ClearMatchmakeSessionSystemPassword(ctx context.Context, c *rpc.Call, req *matchmakeextension.ClearMatchmakeSessionSystemPasswordRequest) (*matchmakeextension.ClearMatchmakeSessionSystemPasswordResponse, error) {
	if err := s.setSystemPassword(ctx, c, req.GID, "", notifySystemPasswordCleared); err != nil {
		return nil, err
	}
	return &matchmakeextension.ClearMatchmakeSessionSystemPasswordResponse{}, nil
}

// playing calls fn for each session of each pid, oldest first, until fn
// returns false; sessions the caller may not see are skipped.
func (s *server) playing(ctx context.Context, c *rpc.Call, pids []uint64, fn func(pid uint64, g *store.Gathering) bool) error {
	vis, err := s.visibility(ctx, c)
	if err != nil {
		return err
	}
	for _, p := range pids {
		ids, err := s.gs.OfPID(ctx, s.game(), p)
		if err != nil {
			return s.failed(c, "sessions of player", err)
		}
		for _, id := range ids {
			g, err := s.gs.Get(ctx, s.game(), id)
			if err != nil {
				if isNotFound(err) {
					continue // left meanwhile
				}
				return s.failed(c, "get session", err)
			}
			if !vis(&g) {
				continue
			}
			if !fn(p, &g) {
				return nil
			}
		}
	}
	return nil
}

// GetPlayingSession returns every session of each PID (at most 300 PIDs,
// 1000 rows), without session keys or user passwords.
func (s *server) GetPlayingSession(ctx context.Context, c *rpc.Call, req *matchmakeextension.GetPlayingSessionRequest) (*matchmakeextension.GetPlayingSessionResponse, error) {
	if len(req.PIDs) > maxPlayingPIDs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	resp := &matchmakeextension.GetPlayingSessionResponse{}
	set := c.Session.Settings
	err := s.playing(ctx, c, req.PIDs, func(pid uint64, g *store.Gathering) bool {
		resp.Sessions = append(resp.Sessions, mm.PlayingSession{PID: pid, Gathering: typed.Hold(blanked(g, set))})
		return len(resp.Sessions) < maxPlayingRows
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetSimplePlayingSession returns (pid, gid, game mode, attribs[0]) for
// the oldest session of each PID: the caller is removed from the list and
// appended when include_login_user (services.md §2.11, one row per PID as
// P does).
func (s *server) GetSimplePlayingSession(ctx context.Context, c *rpc.Call, req *matchmakeextension.GetSimplePlayingSessionRequest) (*matchmakeextension.GetSimplePlayingSessionResponse, error) {
	if len(req.PIDs) > maxPlayingPIDs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	me := c.Session.PID()
	pids := make([]uint64, 0, len(req.PIDs)+1)
	seenPID := map[uint64]bool{}
	for _, p := range req.PIDs {
		if p != me && !seenPID[p] {
			seenPID[p] = true
			pids = append(pids, p)
		}
	}
	if req.IncludeLoginUser {
		pids = append(pids, me)
	}
	resp := &matchmakeextension.GetSimplePlayingSessionResponse{}
	done := map[uint64]bool{}
	err := s.playing(ctx, c, pids, func(pid uint64, g *store.Gathering) bool {
		if done[pid] {
			return true
		}
		done[pid] = true
		row := mm.SimplePlayingSession{PID: pid, GID: g.ID, GameMode: g.GameMode}
		if len(g.Attributes) > 0 {
			row.Attribute = g.Attributes[0]
		}
		resp.Session = append(resp.Session, row)
		return true
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
