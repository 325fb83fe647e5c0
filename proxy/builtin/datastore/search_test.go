package datastore_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
)

// TestSearchFriendRecipients: an object for recipients who are also
// friends (permission 4) is found by a listed recipient only when the
// recipient is the owner's friend, as GetMeta lets it read the object.
func TestSearchFriendRecipients(t *testing.T) {
	a, b, c := friendsAndStranger(t)
	ctx := context.Background()
	fromFriend := upload(t, b, postParam(0, 4, 1001), []byte("b to a, friend"))
	fromStranger := upload(t, c, postParam(0, 4, 1001), []byte("c to a, stranger"))
	_, err := a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(fromStranger, 0)})
	wantResult(t, "stranger's object for friend recipients", err, rmc.ResultDataStorePermissionDenied)
	for _, target := range []uint8{7, 8} {
		r, err := a.c.SearchObject(ctx, &ds.SearchObjectRequest{Param: searchParam(target)})
		if err != nil {
			t.Fatalf("target %d: %v", target, err)
		}
		var got []uint64
		for _, m := range r.Result.Result {
			got = append(got, m.DataID)
		}
		if !slices.Equal(got, []uint64{fromFriend}) {
			t.Errorf("target %d: got %v, want only %d (not the stranger's %d)", target, got, fromFriend, fromStranger)
		}
	}
}

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
	ctx := context.Background()
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
		r, err := a.c.SearchObject(ctx, &ds.SearchObjectRequest{Param: p})
		if err != nil {
			t.Fatalf("target %d owner_type %d: %v", tc.target, tc.ownerType, err)
		}
		var got []uint64
		for _, m := range r.Result.Result {
			got = append(got, m.DataID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("target %d owner_type %d: got %v, want %v", tc.target, tc.ownerType, got, tc.want)
		}
		if n := friends.lookups.Load() - before; n != tc.lookups {
			t.Errorf("target %d owner_type %d: %d friend lookups, want %d", tc.target, tc.ownerType, n, tc.lookups)
		}
	}
}
