package matchmaking_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// TestCommunityParticipationCount: each console's participation count in
// a community grows by one for each JoinCommunity and each entry into one
// of the community's matchmake sessions (system 5, the community in
// attribs[0]): created, joined or auto-matchmade. Creating the community
// and joining a session of another system do not count. Every look-up of
// the community answers the caller's own count.
func TestCommunityParticipationCount(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	cx := ctx(t)
	count := func(x *console, gid uint32) uint32 {
		t.Helper()
		r, err := x.mx.FindCommunityByGatheringId(cx, &matchmakeextension.FindCommunityByGatheringIdRequest{GIDs: []uint32{gid}})
		if err != nil || len(r.Communities) != 1 {
			t.Fatalf("FindCommunityByGatheringId = %+v %v", r, err)
		}
		return r.Communities[0].NumParticipants
	}

	cc, err := a.mx.CreateCommunity(cx, &matchmakeextension.CreateCommunityRequest{Community: community(0, "")})
	if err != nil {
		t.Fatal(err)
	}
	gid := cc.GID
	for _, x := range []*console{b, c} {
		if _, err := x.mx.JoinCommunity(cx, &matchmakeextension.JoinCommunityRequest{GID: gid}); err != nil {
			t.Fatal(err)
		}
	}
	s := newSession(1, 4)
	s.MatchmakeSystem, s.Attribs[0] = 5, gid
	cr, err := b.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(s)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: cr.GID}); err != nil {
		t.Fatal(err)
	}
	ar, err := c.mx.AutoMatchmakePostpone(cx, &matchmakeextension.AutoMatchmakePostponeRequest{Gathering: typed.Hold(s)})
	if err != nil {
		t.Fatal(err)
	}
	if got := ar.Gathering.Value.(*mm.MatchmakeSession).ID; got != cr.GID {
		t.Fatalf("auto-matchmake joined %d, want %d", got, cr.GID)
	}
	// A session of another system naming the community counts nothing.
	other := newSession(2, 4)
	other.Attribs[0] = gid
	if _, err := c.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(other)}); err != nil {
		t.Fatal(err)
	}

	for i, want := range []uint32{1, 2, 2} {
		if got := count([]*console{a, b, c}[i], gid); got != want {
			t.Errorf("%d's participation count = %d, want %d", 1001+i, got, want)
		}
	}
	fp, err := b.mx.FindCommunityByParticipant(cx, &matchmakeextension.FindCommunityByParticipantRequest{PID: 1001, Range: common.ResultRange{Size: 10}})
	if err != nil || len(fp.Communities) != 1 || fp.Communities[0].NumParticipants != 2 || fp.Communities[0].MatchmakeSessionCount != 1 {
		t.Errorf("FindCommunityByParticipant (as 1002) = %+v %v", fp, err)
	}
	fs, err := a.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: gid})
	if err != nil {
		t.Fatal(err)
	}
	if pg, ok := fs.Gathering.Value.(*mm.PersistentGathering); !ok || pg.NumParticipants != 1 {
		t.Errorf("FindBySingleID (as 1001) = %+v", fs.Gathering.Value)
	}
}

// TestCommunityParticipationWithParam (NEX 4): the additional
// participants a CreateMatchmakeSessionWithParam brings into a community's
// session count a participation each, as the caller does.
func TestCommunityParticipationWithParam(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, nex4, nil)
	a, b := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2")
	cx := ctx(t)
	cc, err := a.mx.CreateCommunity(cx, &matchmakeextension.CreateCommunityRequest{Community: community(0, "")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.mx.JoinCommunity(cx, &matchmakeextension.JoinCommunityRequest{GID: cc.GID}); err != nil {
		t.Fatal(err)
	}
	lobby := createParam(t, a, newSession(1, 8), 0)
	if _, err := joinParam(t, b, mm.JoinMatchmakeSessionParam{GID: lobby.ID}); err != nil {
		t.Fatal(err)
	}
	s := newSession(1, 4)
	s.MatchmakeSystem, s.Attribs[0] = 5, cc.GID
	createParam(t, a, s, lobby.ID, 1002)
	for i, x := range []*console{a, b} {
		r, err := x.mx.FindCommunityByGatheringId(cx, &matchmakeextension.FindCommunityByGatheringIdRequest{GIDs: []uint32{cc.GID}})
		if err != nil || len(r.Communities) != 1 || r.Communities[0].NumParticipants != uint32(1+i) {
			t.Errorf("%d: %+v %v (want a participation count of %d)", 1001+i, r, err, 1+i)
		}
	}
}
