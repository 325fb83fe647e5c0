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

// visibility is the filter of the sessions the caller may see. It reads
// the friend list once, before any store transaction, since the filter
// runs inside one.
func (s *server) visibility(ctx context.Context, c *rpc.Call) (func(*store.Gathering) bool, error) {
	friends, err := s.friendsOf(ctx, c)
	if err != nil {
		return nil, err
	}
	pid := c.Session.PID()
	return func(g *store.Gathering) bool { return friendOK(g, pid, friends) }, nil
}

// friendCheck wraps a join check with policy 98 (RendezVous::NotFriend).
func (s *server) friendCheck(ctx context.Context, c *rpc.Call, check func(*store.Gathering) error) (func(*store.Gathering) error, error) {
	vis, err := s.visibility(ctx, c)
	if err != nil {
		return nil, err
	}
	return func(g *store.Gathering) error {
		if !vis(g) {
			return rpc.Fail(rmc.ResultRendezVousNotFriend)
		}
		if check != nil {
			return check(g)
		}
		return nil
	}, nil
}
