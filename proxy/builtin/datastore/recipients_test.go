package datastore

import (
	"context"
	"slices"
	"testing"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
)

// countingFriends is a fixed friend list that counts its lookups.
type countingFriends struct {
	of      map[uint64][]uint64
	lookups int
}

func (f *countingFriends) FriendsOf(_ context.Context, _ string, pid uint64) ([]uint64, error) {
	f.lookups++
	return f.of[pid], nil
}

// TestRecipientsLookFriendsUpOnce: an object for the recipients who are
// friends (permission 4) reads the owner's friends once, however many
// recipients it lists; the owner and strangers are left out.
func TestRecipientsLookFriendsUpOnce(t *testing.T) {
	f := &countingFriends{of: map[uint64][]uint64{1: {2, 3, 5}}}
	s := &server{friends: f, game: "g", log: zap.NewNop()}
	o := &store.DataObject{Owner: 1, Permission: store.DataPermission{Permission: 4, Recipients: []uint64{1, 2, 3, 4, 5, 6}}}
	got := s.recipients(context.Background(), o)
	if !slices.Equal(got, []uint64{2, 3, 5}) {
		t.Errorf("recipients %v, want the friends among them [2 3 5]", got)
	}
	if f.lookups != 1 {
		t.Errorf("%d friend lookups for one object, want 1", f.lookups)
	}
	o.Permission.Permission = 1
	if got := s.recipients(context.Background(), o); !slices.Equal(got, []uint64{2, 3, 5}) {
		t.Errorf("friends-only object notifies %v, want the owner's friends [2 3 5]", got)
	}
}
