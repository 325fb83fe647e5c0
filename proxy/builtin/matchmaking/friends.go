package matchmaking

import (
	"context"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// policyFriendsOnly is participation policy 98: only friends of the owner
// may join or see the session (services.md §2.5).
const policyFriendsOnly = 98

// friendsOf returns the caller's friends as a set, from the host's friend
// source (none without one).
func (s *server) friendsOf(ctx context.Context, c *rpc.Call) (map[uint64]bool, error) {
	list, err := s.env.Host.FriendsOf(ctx, s.game(), c.Session.PID())
	if err != nil {
		return nil, s.failed(c, "friend list", err)
	}
	set := make(map[uint64]bool, len(list))
	for _, p := range list {
		set[p] = true
	}
	return set, nil
}

// friendOK reports whether pid, whose friends are friends, may join or see
// g: any session but a friends-only one, whose owner must be pid or its
// friend, or which pid is already in.
func friendOK(g *store.Gathering, pid uint64, friends map[uint64]bool) bool {
	return g.ParticipationPolicy != policyFriendsOnly || g.Owner == pid || friends[g.Owner] || g.Has(pid)
}

// visibility is the filter of the matchmake sessions the caller may
// see: friends-only sessions of strangers and sessions with a console the
// caller blocked are hidden. It reads the friend and block lists once,
// before any store transaction, since the filter runs inside one.
func (s *server) visibility(ctx context.Context, c *rpc.Call) (func(*store.Gathering) bool, error) {
	see, err := s.seeing(ctx, c)
	if err != nil {
		return nil, err
	}
	return func(g *store.Gathering) bool { return isSession(g) && see(g) }, nil
}

// seeing is visibility for gatherings of every kind (MatchMaking's
// look-ups).
func (s *server) seeing(ctx context.Context, c *rpc.Call) (func(*store.Gathering) bool, error) {
	friends, err := s.friendsOf(ctx, c)
	if err != nil {
		return nil, err
	}
	blocked, err := s.blockedBy(ctx, c, c.Session.PID())
	if err != nil {
		return nil, err
	}
	pid := c.Session.PID()
	return func(g *store.Gathering) bool { return friendOK(g, pid, friends) && !hasAny(g, blocked) }, nil
}

// hasAny reports whether a PID of set participates in g.
func hasAny(g *store.Gathering, set map[uint64]bool) bool {
	if len(set) == 0 {
		return false
	}
	for _, p := range g.Participants {
		if set[p.PID] {
			return true
		}
	}
	return false
}

// isSession reports whether g is a matchmake session (the other kinds are
// plain gatherings and communities).
func isSession(g *store.Gathering) bool {
	return g.Kind == "" || g.Kind == store.KindMatchmakeSession
}

// friendCheck wraps a join check with policy 98 (RendezVous::NotFriend),
// communities (joined only through JoinCommunity: SessionVoid) and, unless
// ignoreBlocks, the block lists: the caller's and the owner's
// (RendezVous::ParticipantInBlackList). The lists are read before the
// store's transaction, which runs the returned check.
func (s *server) friendCheck(ctx context.Context, c *rpc.Call, ignoreBlocks bool, check func(*store.Gathering) error) (func(*store.Gathering) error, error) {
	friends, err := s.friendsOf(ctx, c)
	if err != nil {
		return nil, err
	}
	pid := c.Session.PID()
	var mine map[uint64]bool
	if !ignoreBlocks {
		if mine, err = s.blockedBy(ctx, c, pid); err != nil {
			return nil, err
		}
	}
	return func(g *store.Gathering) error {
		if g.Kind == store.KindPersistent {
			return rpc.Fail(rmc.ResultRendezVousSessionVoid)
		}
		if !friendOK(g, pid, friends) {
			return rpc.Fail(rmc.ResultRendezVousNotFriend)
		}
		if hasAny(g, mine) {
			return rpc.Fail(rmc.ResultRendezVousParticipantInBlackList)
		}
		if check != nil {
			return check(g)
		}
		return nil
	}, nil
}
