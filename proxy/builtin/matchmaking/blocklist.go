package matchmaking

import (
	"context"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Block lists, violation reports and the privacy setting of
// MatchmakeExtension (109/23-29). A console never sees sessions with a
// console it blocked, and neither it nor the consoles its owner blocked
// join them (RendezVous::ParticipantInBlackList), except with
// JoinMatchmakeSessionEx's ignore_block_list.

var (
	_ matchmakeextension.GetMyBlockListServer       = (*server)(nil)
	_ matchmakeextension.AddToBlockListServer       = (*server)(nil)
	_ matchmakeextension.RemoveFromBlockListServer  = (*server)(nil)
	_ matchmakeextension.ClearMyBlockListServer     = (*server)(nil)
	_ matchmakeextension.ReportViolationServer      = (*server)(nil)
	_ matchmakeextension.IsViolationUserServer      = (*server)(nil)
	_ matchmakeextension.UpdatePrivacySettingServer = (*server)(nil)
)

// blockedBy returns pid's block list as a set.
func (s *server) blockedBy(ctx context.Context, c *rpc.Call, pid uint64) (map[uint64]bool, error) {
	list, err := s.gs.BlockList(ctx, s.game(), pid)
	if err != nil {
		return nil, s.failed(c, "block list", err)
	}
	set := make(map[uint64]bool, len(list))
	for _, p := range list {
		set[p] = true
	}
	return set, nil
}

// ownerBlocks refuses a join to gid when its owner blocked the caller.
// An unknown gid passes: the join itself answers SessionVoid.
func (s *server) ownerBlocks(ctx context.Context, c *rpc.Call, gid uint32) error {
	g, err := s.gs.Get(ctx, s.game(), gid)
	if err != nil {
		if isNotFound(err) {
			return nil
		}
		return s.failed(c, "get session", err)
	}
	theirs, err := s.blockedBy(ctx, c, g.Owner)
	if err != nil {
		return err
	}
	if theirs[c.Session.PID()] {
		return rpc.Fail(rmc.ResultRendezVousParticipantInBlackList)
	}
	return nil
}

// GetMyBlockList returns the caller's block list, ascending.
func (s *server) GetMyBlockList(ctx context.Context, c *rpc.Call, _ *matchmakeextension.GetMyBlockListRequest) (*matchmakeextension.GetMyBlockListResponse, error) {
	list, err := s.gs.BlockList(ctx, s.game(), c.Session.PID())
	if err != nil {
		return nil, s.failed(c, "block list", err)
	}
	return &matchmakeextension.GetMyBlockListResponse{PIDs: list}, nil
}

// setBlocked changes the caller's block list; blocking oneself, PID 0 or
// more than store.MaxBlockList PIDs is Core::InvalidArgument.
func (s *server) setBlocked(ctx context.Context, c *rpc.Call, pids []uint64, blocked bool) error {
	pid := c.Session.PID()
	if len(pids) > store.MaxBlockList {
		return rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	for _, p := range pids {
		if p == 0 || (blocked && p == pid) {
			return rpc.Fail(rmc.ResultCoreInvalidArgument)
		}
	}
	if err := s.gs.SetBlocked(ctx, s.game(), pid, pids, blocked); err != nil {
		return s.failed(c, "change block list", err)
	}
	return nil
}

// AddToBlockList blocks the PIDs.
func (s *server) AddToBlockList(ctx context.Context, c *rpc.Call, req *matchmakeextension.AddToBlockListRequest) (*matchmakeextension.AddToBlockListResponse, error) {
	if err := s.setBlocked(ctx, c, req.PIDs, true); err != nil {
		return nil, err
	}
	return &matchmakeextension.AddToBlockListResponse{}, nil
}

// RemoveFromBlockList unblocks the PIDs.
func (s *server) RemoveFromBlockList(ctx context.Context, c *rpc.Call, req *matchmakeextension.RemoveFromBlockListRequest) (*matchmakeextension.RemoveFromBlockListResponse, error) {
	if err := s.setBlocked(ctx, c, req.PIDs, false); err != nil {
		return nil, err
	}
	return &matchmakeextension.RemoveFromBlockListResponse{}, nil
}

// ClearMyBlockList empties the caller's block list.
func (s *server) ClearMyBlockList(ctx context.Context, c *rpc.Call, _ *matchmakeextension.ClearMyBlockListRequest) (*matchmakeextension.ClearMyBlockListResponse, error) {
	if err := s.gs.ClearBlockList(ctx, s.game(), c.Session.PID()); err != nil {
		return nil, s.failed(c, "clear block list", err)
	}
	return &matchmakeextension.ClearMyBlockListResponse{}, nil
}

// ReportViolation records a report in the log for the operator: no
// source describes a server acting on reports.
func (s *server) ReportViolation(_ context.Context, c *rpc.Call, req *matchmakeextension.ReportViolationRequest) (*matchmakeextension.ReportViolationResponse, error) {
	if len(req.Username) > maxDescription {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	s.logger(c).Info("matchmaking: violation reported", zap.Uint64("reported", req.PID), zap.String("username", req.Username),
		zap.Uint32("code", req.ViolationCode))
	return &matchmakeextension.ReportViolationResponse{}, nil
}

// IsViolationUser answers that the caller is not flagged (score 0): the
// server keeps no violation score.
func (s *server) IsViolationUser(context.Context, *rpc.Call, *matchmakeextension.IsViolationUserRequest) (*matchmakeextension.IsViolationUserResponse, error) {
	return &matchmakeextension.IsViolationUserResponse{}, nil
}

// UpdatePrivacySetting is accepted: the server publishes no online status
// or community participation that the setting could hide.
func (s *server) UpdatePrivacySetting(context.Context, *rpc.Call, *matchmakeextension.UpdatePrivacySettingRequest) (*matchmakeextension.UpdatePrivacySettingResponse, error) {
	return &matchmakeextension.UpdatePrivacySettingResponse{}, nil
}
