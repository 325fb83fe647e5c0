package matchmaking_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// fakeFriends is a fixed friend list per PID.
type fakeFriends map[uint64][]uint64

func (f fakeFriends) FriendsOf(_ context.Context, _ string, pid uint64) ([]uint64, error) {
	return f[pid], nil
}

// TestFriendsOnlySessions: a policy 98 session is seen and joined by the
// owner's friend only; strangers do not find it in browses, auto-matchmake
// or playing-session look-ups and get RendezVous::NotFriend on joins.
func TestFriendsOnlySessions(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	host := servicetest.Host(t)
	host.Friends = fakeFriends{1001: {1002}, 1002: {1001}}
	srv := servicetest.Start(t, nex4, host)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	cx := ctx(t)

	fo := newSession(4, 4)
	fo.ParticipationPolicy = 98
	ms := createParam(t, a, fo, 0)

	crit := mm.MatchmakeSessionSearchCriteria{}
	crit.SetDefaults()
	if n := len(browseIDs(t, c, crit)); n != 0 {
		t.Fatalf("stranger browses %d", n)
	}
	if n := len(browseIDs(t, b, crit)); n != 1 {
		t.Fatalf("friend browses %d", n)
	}
	ps, err := c.mx.GetPlayingSession(cx, &matchmakeextension.GetPlayingSessionRequest{PIDs: []uint64{1001}})
	if err != nil || len(ps.Sessions) != 0 {
		t.Fatalf("stranger playing: %+v %v", ps, err)
	}
	if _, err := c.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: ms.ID}); resultOf(err) != rmc.ResultRendezVousNotFriend {
		t.Fatalf("stranger join: %v", err)
	}
	if _, err := joinParam(t, c, mm.JoinMatchmakeSessionParam{GID: ms.ID}); resultOf(err) != rmc.ResultRendezVousNotFriend {
		t.Fatalf("stranger join with param: %v", err)
	}
	// Auto-matchmake: the stranger creates its own, the friend joins.
	like := newSession(4, 4)
	ar, err := c.mx.AutoMatchmakePostpone(cx, &matchmakeextension.AutoMatchmakePostponeRequest{Gathering: typed.Hold(like)})
	if err != nil {
		t.Fatal(err)
	}
	if got := ar.Gathering.Value.(*mm.MatchmakeSession); got.ID == ms.ID {
		t.Fatalf("stranger auto-joined the friends-only session")
	}
	if _, err := joinParam(t, b, mm.JoinMatchmakeSessionParam{GID: ms.ID}); err != nil {
		t.Fatalf("friend join: %v", err)
	}
}
