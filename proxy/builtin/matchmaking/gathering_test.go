package matchmaking_test

import (
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakingext"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// TestPlainGatheringsAndLookups: RegisterGathering of a plain Gathering
// (found as its own class), the Find* look-ups by type, description (exact,
// LIKE, regex), ids and participants, participant URLs (21/16, 50/4),
// GetSessionURL, Get/SetState (owner only), LaunchSession (2000 to the
// others), UpdateGathering, the deletion methods and UnregisterGatherings
// (109000).
func TestPlainGatheringsAndLookups(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	ua, ub := register(t, a), register(t, b)
	cx := ctx(t)

	g := mm.NewGathering()
	g.MinParticipants, g.MaxParticipants, g.Description = 1, 4, "lobby one"
	rg, err := a.mm.RegisterGathering(cx, &mm.RegisterGatheringRequest{Gathering: typed.Hold(g)})
	if err != nil || rg.GID == 0 {
		t.Fatalf("register gathering: %+v %v", rg, err)
	}
	gid := rg.GID
	cr, err := c.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(1, 4))})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := b.mm.Participate(cx, &mm.ParticipateRequest{GID: gid, Message: "hi"}); err != nil || !r.Result {
		t.Fatalf("participate: %+v %v", r, err)
	}
	fs, err := c.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: gid})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := fs.Gathering.Value.(*mm.Gathering); !ok || got.Owner != 1001 || got.Host != 1001 || got.Description != "lobby one" || got.MaxParticipants != 4 {
		t.Fatalf("FindBySingleID = %T %+v", fs.Gathering.Value, fs.Gathering.Value)
	}
	rng := common.ResultRange{Offset: 0xFFFFFFFF, Size: 10}
	ids := func(gs []typed.AnyData) []uint32 {
		var out []uint32
		for _, h := range gs {
			switch v := h.Value.(type) {
			case *mm.Gathering:
				out = append(out, v.ID)
			case *mm.MatchmakeSession:
				out = append(out, v.ID)
			}
		}
		return out
	}
	if r, err := c.mm.FindByType(cx, &mm.FindByTypeRequest{Type: "Gathering", Range: rng}); err != nil || len(r.Gatherings) != 1 || ids(r.Gatherings)[0] != gid {
		t.Errorf("FindByType(Gathering) = %v %v", r, err)
	}
	if r, err := c.mm.FindByType(cx, &mm.FindByTypeRequest{Type: "MatchmakeSession", Range: rng}); err != nil || len(r.Gatherings) != 1 || ids(r.Gatherings)[0] != cr.GID {
		t.Errorf("FindByType(MatchmakeSession) = %v %v", r, err)
	}
	if r, err := c.mm.FindByDescription(cx, &mm.FindByDescriptionRequest{Description: "lobby one", Range: rng}); err != nil || len(r.Gatherings) != 1 {
		t.Errorf("FindByDescription = %v %v", r, err)
	}
	if r, err := c.mm.FindByDescription(cx, &mm.FindByDescriptionRequest{Description: "lobby", Range: rng}); err != nil || len(r.Gatherings) != 0 {
		t.Errorf("FindByDescription(prefix) = %v %v", r, err)
	}
	if r, err := c.mm.FindByDescriptionLike(cx, &mm.FindByDescriptionLikeRequest{Description: "lob_y%", Range: rng}); err != nil || len(r.Gatherings) != 1 {
		t.Errorf("FindByDescriptionLike = %v %v", r, err)
	}
	if r, err := c.mm.FindByDescriptionLike(cx, &mm.FindByDescriptionLikeRequest{Description: "l.bby%", Range: rng}); err != nil || len(r.Gatherings) != 0 {
		t.Errorf("FindByDescriptionLike(. is literal) = %v %v", r, err)
	}
	if r, err := c.mm.FindByDescriptionRegex(cx, &mm.FindByDescriptionRegexRequest{Regex: "^lob+y [a-z]+$", Range: rng}); err != nil || len(r.Gatherings) != 1 {
		t.Errorf("FindByDescriptionRegex = %v %v", r, err)
	}
	if _, err := c.mm.FindByDescriptionRegex(cx, &mm.FindByDescriptionRegexRequest{Regex: "(", Range: rng}); resultOf(err) != rmc.ResultCoreInvalidArgument {
		t.Errorf("bad regex: %v", err)
	}
	if r, err := c.mm.FindByID(cx, &mm.FindByIDRequest{IDs: []uint32{cr.GID, 999, gid}}); err != nil || len(r.Gatherings) != 2 || ids(r.Gatherings)[0] != cr.GID || ids(r.Gatherings)[1] != gid {
		t.Errorf("FindByID = %v %v", r, err)
	}
	if r, err := c.mm.FindByParticipants(cx, &mm.FindByParticipantsRequest{PIDs: []uint64{1002, 1003}}); err != nil || len(r.Gatherings) != 2 {
		t.Errorf("FindByParticipants = %v %v", r, err)
	}
	if r, err := c.mm.FindByOwner(cx, &mm.FindByOwnerRequest{Owner: 1001, Range: rng}); err != nil || len(r.Gatherings) != 1 || ids(r.Gatherings)[0] != gid {
		t.Errorf("FindByOwner = %v %v", r, err)
	}

	pu, err := c.mm.GetParticipantsURLs(cx, &mm.GetParticipantsURLsRequest{GID: gid})
	// Each console's registered URL and the public one the server saw.
	if err != nil || len(pu.URLs) != 4 || !strings.Contains(pu.URLs[0].String(), "port="+portOf(ua)) || !strings.Contains(pu.URLs[3].String(), "PID=1002") ||
		!strings.Contains(pu.URLs[2].String(), "port="+portOf(ub)) {
		t.Errorf("GetParticipantsURLs = %+v %v", pu, err)
	}
	eu, err := c.ext.GetParticipantsURLs(cx, &matchmakingext.GetParticipantsURLsRequest{GIDs: []uint32{gid, 999}})
	if err != nil || len(eu.URLs) != 1 || eu.URLs[0].GID != gid || len(eu.URLs[0].URLs) != 4 {
		t.Errorf("ext GetParticipantsURLs = %+v %v", eu, err)
	}
	if su, err := c.mm.GetSessionURL(cx, &mm.GetSessionURLRequest{GID: gid}); err != nil || !su.Result || !strings.Contains(su.URL.String(), "port="+portOf(ua)) {
		t.Errorf("GetSessionURL = %+v %v", su, err)
	}

	if _, err := b.mm.SetState(cx, &mm.SetStateRequest{GID: gid, State: 2}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Errorf("SetState by a participant: %v", err)
	}
	if r, err := a.mm.SetState(cx, &mm.SetStateRequest{GID: gid, State: 2}); err != nil || !r.Result {
		t.Fatalf("SetState: %+v %v", r, err)
	}
	if r, err := c.mm.GetState(cx, &mm.GetStateRequest{GID: gid}); err != nil || !r.Result || r.State != 2 {
		t.Errorf("GetState = %+v %v", r, err)
	}
	if _, err := c.mm.GetState(cx, &mm.GetStateRequest{GID: 999}); resultOf(err) != rmc.ResultRendezVousSessionVoid {
		t.Errorf("GetState(unknown): %v", err)
	}

	// A text that is no station URL reaches the others as sent, a URL
	// as its text.
	w := rmc.NewWriter(a.Settings)
	w.U32(gid)
	w.String("go")
	if m, err := a.Call(cx, mm.ProtocolID, mm.MethodLaunchSession, w.Bytes()); err != nil {
		t.Fatalf("LaunchSession: %v", err)
	} else if r := new(mm.LaunchSessionResponse); r.Decode(m.Body, a.Settings) != nil || !r.Result {
		t.Fatalf("LaunchSession: %x", m.Body)
	}
	if evs := events(t, b, 1); countType(evs, 2000) != 1 || evs[0].Param1 != uint64(gid) || evs[0].SourcePID != 1001 || evs[0].Text != "go" {
		t.Errorf("b heard %+v", evs)
	}
	if r, err := a.mm.LaunchSession(cx, &mm.LaunchSessionRequest{GID: gid, URL: ua}); err != nil || !r.Result {
		t.Fatalf("LaunchSession: %+v %v", r, err)
	}
	if evs := events(t, b, 2); countType(evs, 2000) != 2 || evs[1].Text != ua.String() {
		t.Errorf("b heard %+v, want %q", evs, ua.String())
	}

	up := mm.NewGathering()
	up.ID, up.MinParticipants, up.MaxParticipants, up.Description = gid, 2, 6, "lobby two"
	if _, err := b.mm.UpdateGathering(cx, &mm.UpdateGatheringRequest{Gathering: typed.Hold(up)}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Errorf("UpdateGathering by a participant: %v", err)
	}
	if r, err := a.mm.UpdateGathering(cx, &mm.UpdateGatheringRequest{Gathering: typed.Hold(up)}); err != nil || !r.Result {
		t.Fatalf("UpdateGathering: %+v %v", r, err)
	}
	fs, _ = c.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: gid})
	if got := fs.Gathering.Value.(*mm.Gathering); got.Description != "lobby two" || got.MaxParticipants != 6 || got.Owner != 1001 {
		t.Errorf("after update = %+v", got)
	}

	if r, err := c.mm.GetPendingDeletions(cx, &mm.GetPendingDeletionsRequest{Range: rng}); err != nil || !r.Result || len(r.Deletions) != 0 {
		t.Errorf("GetPendingDeletions = %+v %v", r, err)
	}
	if r, err := c.mm.DeleteFromDeletions(cx, &mm.DeleteFromDeletionsRequest{Deletions: []uint32{1}}); err != nil || !r.Result {
		t.Errorf("DeleteFromDeletions = %+v %v", r, err)
	}
	if _, err := c.ext.DeleteFromDeletions(cx, &matchmakingext.DeleteFromDeletionsRequest{Deletions: []uint32{1}, PID: 1003}); err != nil {
		t.Errorf("ext DeleteFromDeletions: %v", err)
	}

	if _, err := a.mm.UnregisterGatherings(cx, &mm.UnregisterGatheringsRequest{GIDs: []uint32{cr.GID}}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Errorf("unregister another's: %v", err)
	}
	if r, err := a.mm.UnregisterGatherings(cx, &mm.UnregisterGatheringsRequest{GIDs: []uint32{gid}}); err != nil || !r.Result {
		t.Fatalf("UnregisterGatherings: %+v %v", r, err)
	}
	if evs := events(t, b, 3); countType(evs, 109000) != 1 { // after the two 2000s
		t.Errorf("b heard %+v", evs)
	}
	if r, err := c.mm.DeleteGathering(cx, &mm.DeleteGatheringRequest{GID: cr.GID}); err != nil || !r.Result {
		t.Fatalf("DeleteGathering: %+v %v", r, err)
	}
	if _, err := c.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: cr.GID}); resultOf(err) != rmc.ResultRendezVousSessionVoid {
		t.Errorf("deleted session: %v", err)
	}
}

func community(typ uint32, password string) mm.PersistentGathering {
	pg := mm.NewPersistentGathering()
	pg.Type, pg.Password = typ, password
	pg.MinParticipants, pg.MaxParticipants = 1, 8
	pg.Description = "club"
	pg.Attribs = []uint32{1, 2}
	pg.ApplicationBuffer = []byte("buf")
	return *pg
}

// TestCommunities: a password community is created (the creator joins;
// at most 4 per user), joined with its password only, found by gid and
// by participant with its password blanked, its session count and the
// caller's participation count; sessions of matchmake system 5 need a community the creator is
// in; a member's disconnect keeps its membership; EndParticipation leaves
// and the community survives its last member.
func TestCommunities(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	cx := ctx(t)

	cc, err := a.mx.CreateCommunity(cx, &matchmakeextension.CreateCommunityRequest{Community: community(1, "secret"), Message: "m"})
	if err != nil || cc.GID == 0 {
		t.Fatalf("create community: %+v %v", cc, err)
	}
	gid := cc.GID
	if _, err := a.mx.CreateCommunity(cx, &matchmakeextension.CreateCommunityRequest{Community: community(2, "")}); resultOf(err) != rmc.ResultCoreInvalidArgument {
		t.Errorf("official by a user: %v", err)
	}
	for i := 0; i < 3; i++ {
		if _, err := a.mx.CreateCommunity(cx, &matchmakeextension.CreateCommunityRequest{Community: community(0, "")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.mx.CreateCommunity(cx, &matchmakeextension.CreateCommunityRequest{Community: community(0, "")}); resultOf(err) != rmc.ResultRendezVousPersistentGatheringCreationMax {
		t.Errorf("fifth community: %v", err)
	}
	if _, err := b.mx.JoinCommunity(cx, &matchmakeextension.JoinCommunityRequest{GID: gid, Password: "nope"}); resultOf(err) != rmc.ResultRendezVousInvalidGatheringPassword {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := b.mx.JoinCommunity(cx, &matchmakeextension.JoinCommunityRequest{GID: gid, Message: "in", Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	if evs := events(t, a, 1); countType(evs, 3001) != 1 || evs[0].Param2 != 1002 || evs[0].Text != "in" {
		t.Errorf("owner heard %+v", evs)
	}
	if _, err := b.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: gid}); resultOf(err) != rmc.ResultRendezVousSessionVoid {
		t.Errorf("community joined as a session: %v", err)
	}

	// A session in the community: only its members create one.
	s := newSession(1, 4)
	s.MatchmakeSystem, s.Attribs[0] = 5, gid
	if _, err := c.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(s)}); resultOf(err) != rmc.ResultRendezVousNotParticipatedGathering {
		t.Errorf("session in a community by a stranger: %v", err)
	}
	if _, err := b.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(s)}); err != nil {
		t.Fatal(err)
	}

	fc, err := c.mx.FindCommunityByGatheringId(cx, &matchmakeextension.FindCommunityByGatheringIdRequest{GIDs: []uint32{gid, 999}})
	if err != nil || len(fc.Communities) != 1 {
		t.Fatalf("FindCommunityByGatheringId = %+v %v", fc, err)
	}
	if got := fc.Communities[0]; got.ID != gid || got.Owner != 1001 || got.Type != 1 || got.Password != "" || got.NumParticipants != 0 ||
		got.MatchmakeSessionCount != 1 || got.Description != "club" || string(got.ApplicationBuffer) != "buf" || len(got.Attribs) != 2 {
		t.Errorf("community = %+v", got)
	}
	if sc, err := c.mx.GetSimpleCommunity(cx, &matchmakeextension.GetSimpleCommunityRequest{GIDs: []uint32{gid}}); err != nil || len(sc.Communities) != 1 || sc.Communities[0].MatchmakeSessionCount != 1 {
		t.Errorf("GetSimpleCommunity = %+v %v", sc, err)
	}
	rng := common.ResultRange{Size: 10}
	if fp, err := c.mx.FindCommunityByParticipant(cx, &matchmakeextension.FindCommunityByParticipantRequest{PID: 1002, Range: rng}); err != nil || len(fp.Communities) != 1 || fp.Communities[0].ID != gid {
		t.Errorf("FindCommunityByParticipant = %+v %v", fp, err)
	}
	if fo, err := c.mx.FindOfficialCommunity(cx, &matchmakeextension.FindOfficialCommunityRequest{Range: rng}); err != nil || len(fo.Communities) != 0 {
		t.Errorf("FindOfficialCommunity = %+v %v", fo, err)
	}
	if fs, err := c.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: gid}); err != nil {
		t.Errorf("FindBySingleID: %v", err)
	} else if pg, ok := fs.Gathering.Value.(*mm.PersistentGathering); !ok || pg.Password != "" || pg.Type != 1 {
		t.Errorf("FindBySingleID = %T %+v", fs.Gathering.Value, fs.Gathering.Value)
	}

	up := community(1, "new")
	up.ID, up.Description = gid, "club 2"
	if _, err := b.mx.UpdateCommunity(cx, &matchmakeextension.UpdateCommunityRequest{Community: up}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Errorf("update by a member: %v", err)
	}
	if _, err := a.mx.UpdateCommunity(cx, &matchmakeextension.UpdateCommunityRequest{Community: up}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.mx.JoinCommunity(cx, &matchmakeextension.JoinCommunityRequest{GID: gid, Password: "new"}); err != nil {
		t.Fatalf("join with the new password: %v", err)
	}

	// A disconnect keeps the membership (no flag 0x40).
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if ps, err := a.mm.GetParticipants(cx, &mm.GetParticipantsRequest{GID: gid}); err != nil || len(ps.Participants) != 3 {
		t.Errorf("after a member's disconnect: %+v %v", ps, err)
	}
	for _, x := range []*console{a, b} {
		if _, err := x.ext.EndParticipation(cx, &matchmakingext.EndParticipationRequest{GID: gid}); err != nil {
			t.Fatal(err)
		}
	}
	fc, err = b.mx.FindCommunityByGatheringId(cx, &matchmakeextension.FindCommunityByGatheringIdRequest{GIDs: []uint32{gid}})
	if err != nil || len(fc.Communities) != 1 || fc.Communities[0].Owner != 1001 || fc.Communities[0].NumParticipants != 2 || fc.Communities[0].Description != "club 2" {
		t.Errorf("after leaving = %+v %v", fc, err)
	}
}

func portOf(u rmc.StationURL) string {
	p, _ := u.Port()
	return strconv.Itoa(int(p))
}
