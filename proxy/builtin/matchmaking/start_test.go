package matchmaking_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
)

// TestStartEndsWhatAnEarlierRunLeft: a single instance (in-process bus)
// starts on a store where an earlier run, which died, left 1001's
// notification data, a session of 1001 and 1003, a community of 1001 and
// a presence lease of 1001 that has not run out. Nobody is connected at
// start, whatever the lease says: 1001's data is inactive before any
// sweep (ghost_sweep is off), the session is gone and the community
// keeps its member.
func TestStartEndsWhatAnEarlierRunLeft(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	host := servicetest.Host(t)
	host.Friends = fakeFriends{1002: {1001}}
	cx := ctx(t)
	gs := host.Stores.Gatherings
	if err := gs.PutNotice(cx, "g", store.Notice{PID: 1001, Type: 101000, Param1: 1, Text: "stale"}); err != nil {
		t.Fatal(err)
	}
	sess, err := gs.Create(cx, store.Gathering{Game: "g", Owner: 1001, Host: 1001, MaxParticipants: 4, Flags: 0x10,
		Participants: []store.GatheringParticipant{{PID: 1001}, {PID: 1003}}})
	if err != nil {
		t.Fatal(err)
	}
	comm, err := gs.Create(cx, store.Gathering{Game: "g", Kind: store.KindPersistent, Owner: 1001, Host: 1001,
		Participants: []store.GatheringParticipant{{PID: 1001}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Stores.Stations.Put(cx, store.Station{Game: "g", PID: 1001, Owner: store.Owner{Instance: "earlier-run", RVCID: 9}}, time.Hour); err != nil {
		t.Fatal(err)
	}

	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu", TOML: "[games.matchmaking]\nghost_sweep = \"0s\"\n"}, host)
	b := login(t, srv, "1002:pw2")
	r, err := b.mx.GetFriendNotificationData(cx, &matchmakeextension.GetFriendNotificationDataRequest{Type: 101})
	if err != nil || len(r.Notifications) != 0 {
		t.Errorf("the earlier run's notification data after the start: %+v, %v", r, err)
	}
	if _, err := b.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: sess.ID}); resultOf(err) != rmc.ResultRendezVousSessionVoid {
		t.Errorf("the earlier run's session after the start: %v", err)
	}
	if g, err := gs.Get(cx, "g", comm.ID); err != nil || !g.Has(1001) {
		t.Errorf("the community after the start: %+v, %v", g, err)
	}
}
