package datastore_test

import (
	"context"
	"slices"
	"testing"

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
