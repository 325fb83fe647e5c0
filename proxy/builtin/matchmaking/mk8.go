package matchmaking

import (
	"context"
	"slices"

	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mmk8 "github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension/mk8"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// mk8Server is MatchmakeExtension with Mario Kart 8's method set
// (game variant "mk8", services.md §7.13): MK8 reuses ids 36-41 for its
// tournament search objects and JoinMatchmakeSessionWithExtraParticipants.
// Its methods shadow the standard ones at those ids with signatures the
// standard Register does not recognise, so the mk8 package's layouts
// serve them. The SimpleSearchObject methods (36-39, 41) have no server
// behaviour any source describes: they stay unregistered and answer
// Core::NotImplemented.
type mk8Server struct{ *server }

var _ mmk8.JoinMatchmakeSessionWithExtraParticipantsServer = mk8Server{}

// isMK8 reports whether the game uses Mario Kart 8's method set.
func (s *server) isMK8() bool { return slices.Contains(s.env.Game.Variants, "mk8") }

// JoinMatchmakeSessionWithExtraParticipants is JoinMatchmakeSessionEx
// with a trailing u32 that servers ignore (services.md §2.8).
func (v mk8Server) JoinMatchmakeSessionWithExtraParticipants(ctx context.Context, c *rpc.Call, req *mmk8.JoinMatchmakeSessionWithExtraParticipantsRequest) (*mmk8.JoinMatchmakeSessionWithExtraParticipantsResponse, error) {
	r, err := v.JoinMatchmakeSessionEx(ctx, c, &matchmakeextension.JoinMatchmakeSessionExRequest{
		GID: req.GID, Gmessage: req.JoinMessage, IgnoreBlockList: req.IgnoreBlockList,
		NumParticipants: req.ParticipationCount, HasNumParticipants: true})
	if err != nil {
		return nil, err
	}
	return &mmk8.JoinMatchmakeSessionWithExtraParticipantsResponse{SessionKey: r.SessionKey}, nil
}

// The standard methods at ids 36-41, hidden from the standard Register.

// GenerateMatchmakeSessionSystemPassword hides 36 (CreateSimpleSearchObject).
func (mk8Server) GenerateMatchmakeSessionSystemPassword() {}

// ClearMatchmakeSessionSystemPassword hides 37 (UpdateSimpleSearchObject).
func (mk8Server) ClearMatchmakeSessionSystemPassword() {}

// CreateMatchmakeSessionWithParam hides 38 (DeleteSimpleSearchObject).
func (mk8Server) CreateMatchmakeSessionWithParam() {}

// JoinMatchmakeSessionWithParam hides 39 (SearchSimpleSearchObject).
func (mk8Server) JoinMatchmakeSessionWithParam() {}

// AutoMatchmakeWithParamPostpone hides 40
// (JoinMatchmakeSessionWithExtraParticipants).
func (mk8Server) AutoMatchmakeWithParamPostpone() {}

// FindMatchmakeSessionByGatheringIdDetail hides 41
// (SearchSimpleSearchObjectByObjectIds).
func (mk8Server) FindMatchmakeSessionByGatheringIdDetail() {}
