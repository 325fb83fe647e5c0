package datastore_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/nexproxy/nexproxy/internal/servicetest"
)

// lookupCounter is dsFriends counting its lookups.
type lookupCounter struct {
	dsFriends
	lookups atomic.Int64
}

func (f *lookupCounter) FriendsOf(ctx context.Context, game string, pid uint64) ([]uint64, error) {
	f.lookups.Add(1)
	return f.dsFriends.FriendsOf(ctx, game, pid)
}

// TestSearchLooksFriendsUpOnce: a search reads the caller's friends (a
// lookup that may run a hook) at most once, however many of its parts
// need them (the target, owner_type 1, the friend check of permission-4
// results), and not at all when none does.
func TestSearchLooksFriendsUpOnce(t *testing.T) {
	friends := &lookupCounter{dsFriends: dsFriends{1001: {1002}, 1002: {1001}}}
	_, a, b := setup(t, func(t *testing.T) *servicetest.Server {
		host := servicetest.Host(t)
		host.Friends = friends
		return servicetest.Start(t, servicetest.Game{}, host)
	})
	forA := upload(t, b, postParam(0, 4, 1001), []byte("b to a, friend"))
	public := upload(t, b, postParam(0, 0), []byte("b public"))
	for _, tc := range []struct {
		target, ownerType uint8
		want              []uint64
		lookups           int64
	}{
		{8, 1, []uint64{forA}, 1}, // target, owner_type and result check
		{11, 1, nil, 1},           // target and owner_type
		{7, 0, []uint64{forA}, 1}, // result check
		{1, 1, []uint64{public}, 1},
		{1, 0, []uint64{public}, 0}, // no part needs friends
	} {
		p := searchParam(tc.target)
		p.OwnerType = tc.ownerType
		before := friends.lookups.Load()
		got, _ := searchIDs(t, a, p)
		if !slices.Equal(got, tc.want) {
			t.Errorf("target %d owner_type %d: got %v, want %v", tc.target, tc.ownerType, got, tc.want)
		}
		if n := friends.lookups.Load() - before; n != tc.lookups {
			t.Errorf("target %d owner_type %d: %d friend lookups, want %d", tc.target, tc.ownerType, n, tc.lookups)
		}
	}
}
