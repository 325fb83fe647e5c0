package matchmaking_test

import (
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/notification"
)

// nex4 is a Wii U game on NEX 4, where the WithParam family lives.
var nex4 = servicetest.Game{Platform: "wiiu", NEX: 40000}

func createParam(t *testing.T, c *console, ms *mm.MatchmakeSession, checkGID uint32, others ...uint64) mm.MatchmakeSession {
	t.Helper()
	p := mm.CreateMatchmakeSessionParam{Session: *ms, AdditionalParticipants: others, GIDForParticipationCheck: checkGID, JoinMessage: "hello", ParticipationCount: 1}
	r, err := c.mx.CreateMatchmakeSessionWithParam(ctx(t), &matchmakeextension.CreateMatchmakeSessionWithParamRequest{Param: p})
	if err != nil {
		t.Fatalf("create with param: %v", err)
	}
	return r.Session
}

func joinParam(t *testing.T, c *console, p mm.JoinMatchmakeSessionParam) (*matchmakeextension.JoinMatchmakeSessionWithParamResponse, error) {
	if p.ParticipationCount == 0 {
		p.ParticipationCount = 1
	}
	return c.mx.JoinMatchmakeSessionWithParam(ctx(t), &matchmakeextension.JoinMatchmakeSessionWithParamRequest{Param: p})
}

func countType(evs []notification.NotificationEvent, typ uint32) int {
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// TestPrivateBattleWithParam is the flow of services.md §8 "Private
// battle": a lobby of three, its owner creates a battle session with the
// two others as additional participants (gid check on the lobby), they hear
// 122000; a fourth console joins with the user password, behaviour 1 adds
// nobody twice, and the checks refuse wrong passwords, strangers in
// additional_participants and full sessions.
func TestPrivateBattleWithParam(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, nex4, nil)
	a, b, c, d, e := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3"), login(t, srv, "1004:pw4"), login(t, srv, "1005:pw5")
	cx := ctx(t)

	lobby := createParam(t, a, newSession(1, 8), 0)
	for _, x := range []*console{b, c} {
		if _, err := joinParam(t, x, mm.JoinMatchmakeSessionParam{GID: lobby.ID}); err != nil {
			t.Fatalf("join lobby: %v", err)
		}
	}
	// Additional participants without a participation check gid, or not
	// in the check gathering, are refused.
	p := mm.CreateMatchmakeSessionParam{Session: *newSession(2, 4), AdditionalParticipants: []uint64{1002}, ParticipationCount: 1}
	if _, err := a.mx.CreateMatchmakeSessionWithParam(cx, &matchmakeextension.CreateMatchmakeSessionWithParamRequest{Param: p}); resultOf(err) != rmc.ResultRendezVousNotParticipatedGathering {
		t.Fatalf("no check gid: %v", err)
	}
	p.GIDForParticipationCheck, p.AdditionalParticipants = lobby.ID, []uint64{1002, 1004}
	if _, err := a.mx.CreateMatchmakeSessionWithParam(cx, &matchmakeextension.CreateMatchmakeSessionWithParamRequest{Param: p}); resultOf(err) != rmc.ResultRendezVousNotParticipatedGathering {
		t.Fatalf("stranger added: %v", err)
	}

	battle := newSession(2, 4)
	battle.UserPasswordEnabled, battle.UserPassword = true, "secret"
	bs := createParam(t, a, battle, lobby.ID, 1002, 1003)
	if bs.ID == 0 || bs.ParticipationCount != 3 || bs.Owner != 1001 || len(bs.SessionKey) != 32 || bs.UserPassword != "secret" {
		t.Fatalf("battle = %+v", bs)
	}
	for _, x := range []*console{b, c} {
		evs := events(t, x, 1)
		if countType(evs, 122000) != 1 {
			t.Fatalf("%d heard %+v", x.PID, evs)
		}
		for _, ev := range evs {
			if ev.Type == 122000 && (ev.SourcePID != 1001 || ev.Param1 != uint64(bs.ID) || ev.Param2 != x.PID) {
				t.Fatalf("122000 = %+v", ev)
			}
		}
	}
	if got := countType(events(t, a, 0), 3001); got != 2 {
		// a heard the lobby joins only: creation sends no 3001.
		t.Fatalf("owner heard %d 3001", got)
	}

	// d joins: wrong password, then the right one.
	if _, err := joinParam(t, d, mm.JoinMatchmakeSessionParam{GID: bs.ID, UserPassword: "nope"}); resultOf(err) != rmc.ResultRendezVousMatchmakeSessionUserPasswordUnmatch {
		t.Fatalf("wrong password: %v", err)
	}
	jr, err := joinParam(t, d, mm.JoinMatchmakeSessionParam{GID: bs.ID, UserPassword: "secret", JoinMessage: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if jr.Session.ParticipationCount != 4 || len(jr.Session.SessionKey) != 32 {
		t.Fatalf("joined = %+v", jr.Session)
	}
	// Full now.
	if _, err := joinParam(t, e, mm.JoinMatchmakeSessionParam{GID: bs.ID, UserPassword: "secret"}); resultOf(err) != rmc.ResultRendezVousSessionFull {
		t.Fatalf("full: %v", err)
	}
	// Behaviour 1 from a non-participant.
	if _, err := joinParam(t, e, mm.JoinMatchmakeSessionParam{GID: bs.ID, Behavior: 1, UserPassword: "secret"}); resultOf(err) != rmc.ResultRendezVousNotParticipatedGathering {
		t.Fatalf("behaviour 1 stranger: %v", err)
	}
	// Plain join refuses password sessions.
	if _, err := e.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: bs.ID}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Fatalf("plain join: %v", err)
	}

	// Look-ups: detail for participants only; by id blanked for others.
	det, err := b.mx.FindMatchmakeSessionByGatheringIdDetail(cx, &matchmakeextension.FindMatchmakeSessionByGatheringIdDetailRequest{GID: bs.ID})
	if err != nil || len(det.Session.SessionKey) != 32 {
		t.Fatalf("detail: %+v %v", det, err)
	}
	if _, err := e.mx.FindMatchmakeSessionByGatheringIdDetail(cx, &matchmakeextension.FindMatchmakeSessionByGatheringIdDetailRequest{GID: bs.ID}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Fatalf("detail stranger: %v", err)
	}
	byID, err := e.mx.FindMatchmakeSessionByGatheringId(cx, &matchmakeextension.FindMatchmakeSessionByGatheringIdRequest{GIDs: []uint32{bs.ID, 999999, lobby.ID}})
	if err != nil || len(byID.Sessions) != 2 || byID.Sessions[0].ID != bs.ID || byID.Sessions[1].ID != lobby.ID ||
		len(byID.Sessions[0].SessionKey) != 0 || byID.Sessions[0].UserPassword != "" {
		t.Fatalf("by ids: %+v %v", byID, err)
	}
	if _, err := e.mx.FindMatchmakeSessionBySingleGatheringId(cx, &matchmakeextension.FindMatchmakeSessionBySingleGatheringIdRequest{GID: 999999}); resultOf(err) != rmc.ResultRendezVousSessionVoid {
		t.Fatalf("single unknown: %v", err)
	}
	single, err := e.mx.FindMatchmakeSessionBySingleGatheringId(cx, &matchmakeextension.FindMatchmakeSessionBySingleGatheringIdRequest{GID: lobby.ID})
	if err != nil || single.Session.ID != lobby.ID || single.Session.ParticipationCount != 3 {
		t.Fatalf("single: %+v %v", single, err)
	}
	own, err := e.mx.FindMatchmakeSessionByOwner(cx, &matchmakeextension.FindMatchmakeSessionByOwnerRequest{PID: 1001, Range: common.ResultRange{Offset: 0xFFFFFFFF, Size: 10}})
	if err != nil || len(own.Sessions) != 2 {
		t.Fatalf("by owner: %+v %v", own, err)
	}
}

// TestAutoMatchmakeWithParam: the first console creates (no criterion
// matches), a second one with a friend as additional participant joins
// it through a criterion whose own range has the "any offset" (common-go
// #70) and min/max compared on the gathering, attribute 1 ignored.
func TestAutoMatchmakeWithParam(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, nex4, nil)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	cx := ctx(t)

	crit := mm.MatchmakeSessionSearchCriteria{}
	crit.SetDefaults()
	crit.Attribs = []string{"7", "55", "", "", "", ""}
	crit.MinParticipants, crit.MaxParticipants = "1", "2,8"
	crit.GameMode = "4"
	crit.VacantParticipants = 2
	crit.Range = common.ResultRange{Offset: 0xFFFFFFFF, Size: 1}
	auto := func(x *console, check uint32, others ...uint64) mm.MatchmakeSession {
		t.Helper()
		p := mm.AutoMatchmakeParam{Session: *newSession(4, 4), SearchCriteria: []mm.MatchmakeSessionSearchCriteria{crit},
			AdditionalParticipants: others, GIDForParticipationCheck: check, ParticipationCount: 1, JoinMessage: "m"}
		r, err := x.mx.AutoMatchmakeWithParamPostpone(cx, &matchmakeextension.AutoMatchmakeWithParamPostponeRequest{Param: p})
		if err != nil {
			t.Fatalf("auto: %v", err)
		}
		return r.Session
	}
	first := auto(a, 0)
	if first.Owner != 1001 || first.ParticipationCount != 1 {
		t.Fatalf("first = %+v", first)
	}
	// b and c in a party of their own.
	party := createParam(t, b, newSession(9, 2), 0)
	if _, err := joinParam(t, c, mm.JoinMatchmakeSessionParam{GID: party.ID}); err != nil {
		t.Fatal(err)
	}
	second := auto(b, party.ID, 1003)
	if second.ID != first.ID || second.ParticipationCount != 3 || second.Owner != 1001 {
		t.Fatalf("second = %+v (first %d)", second, first.ID)
	}
	if n := countType(events(t, c, 1), 122000); n != 1 {
		t.Fatalf("c heard %d 122000", n)
	}

	// Browse variants see it; WithHostUrls lists the host's URLs.
	ua := register(t, a)
	bc := crit
	bc.VacantOnly = false
	nh, err := c.mx.BrowseMatchmakeSessionNoHolder(cx, &matchmakeextension.BrowseMatchmakeSessionNoHolderRequest{SearchCriteria: bc, Range: common.ResultRange{Offset: 0xFFFFFFFF, Size: 10}})
	if err != nil || len(nh.Sessions) != 1 || nh.Sessions[0].ID != first.ID || len(nh.Sessions[0].SessionKey) != 0 {
		t.Fatalf("no holder: %+v %v", nh, err)
	}
	wu, err := c.mx.BrowseMatchmakeSessionWithHostUrls(cx, &matchmakeextension.BrowseMatchmakeSessionWithHostUrlsRequest{SearchCriteria: bc, Range: common.ResultRange{Size: 10}})
	if err != nil || len(wu.Gatherings) != 1 || len(wu.URLs) != 1 || wu.URLs[0].GID != first.ID || len(wu.URLs[0].URLs) == 0 {
		t.Fatalf("with urls: %+v %v", wu, err)
	}
	if a0, _ := wu.URLs[0].URLs[0].Address(); func() string { s, _ := ua.Address(); return s }() != a0 {
		t.Fatalf("host url %v, registered %v", wu.URLs[0].URLs, ua)
	}
	wn, err := c.mx.BrowseMatchmakeSessionWithHostUrlsNoHolderNoResultRange(cx, &matchmakeextension.BrowseMatchmakeSessionWithHostUrlsNoHolderNoResultRangeRequest{SearchCriteria: bc})
	if err != nil || len(wn.Sessions) != 1 || len(wn.URLs) != 1 {
		t.Fatalf("no range: %+v %v", wn, err)
	}
	w43, err := c.mx.BrowseMatchmakeSessionWithHostUrlsNoHolder(cx, &matchmakeextension.BrowseMatchmakeSessionWithHostUrlsNoHolderRequest{SearchCriteria: bc, Range: common.ResultRange{Size: 10}})
	if err != nil || len(w43.Sessions) != 1 || len(w43.URLs) != 1 {
		t.Fatalf("43: %+v %v", w43, err)
	}
	n52, err := c.mx.BrowseMatchmakeSessionNoHolderNoResultRange(cx, &matchmakeextension.BrowseMatchmakeSessionNoHolderNoResultRangeRequest{SearchCriteria: bc})
	if err != nil || len(n52.Sessions) != 1 {
		t.Fatalf("52: %+v %v", n52, err)
	}
}

// eventWith waits up to 5 s for c's first notification of type typ about
// gathering gid.
func eventWith(t *testing.T, c *console, typ uint32, gid uint32) (notification.NotificationEvent, bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, ev := range events(t, c, 0) {
			if ev.Type == typ && ev.Param1 == uint64(gid) {
				return ev, true
			}
		}
		if time.Now().After(deadline) {
			return notification.NotificationEvent{}, false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// participantsOf lists a gathering's participants as c sees them.
func participantsOf(t *testing.T, c *console, gid uint32) []uint64 {
	t.Helper()
	r, err := c.mm.GetParticipants(ctx(t), &mm.GetParticipantsRequest{GID: gid})
	if err != nil {
		t.Fatalf("participants of %d: %v", gid, err)
	}
	return r.Participants
}

// TestAddedParticipantLeavesOnDisconnect: a console another one added to
// a session (additional_participants, 122000) leaves it when its
// connection ends, as for a session it joined itself (services.md §2.9,
// §8 "Re-match after disconnect"): the owner hears 3007 and the console
// can join again once it logged in again. The same holds when the
// console reconnects while its old connection lingers: the new
// connection's calls find the old places gone.
func TestAddedParticipantLeavesOnDisconnect(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, nex4, nil)
	a, b := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2")
	cx := ctx(t)

	lobby := createParam(t, a, newSession(1, 8), 0)
	if _, err := joinParam(t, b, mm.JoinMatchmakeSessionParam{GID: lobby.ID}); err != nil {
		t.Fatalf("join lobby: %v", err)
	}
	battle := createParam(t, a, newSession(2, 4), lobby.ID, 1002)
	if got := participantsOf(t, a, battle.ID); !slices.Equal(got, []uint64{1001, 1002}) {
		t.Fatalf("battle participants = %v", got)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	ev, ok := eventWith(t, a, 3007, battle.ID)
	if !ok || ev.SourcePID != 1002 || ev.Param2 != 1002 {
		t.Fatalf("3007 for the battle = %+v (found %v); events = %+v", ev, ok, events(t, a, 0))
	}
	if got := participantsOf(t, a, battle.ID); !slices.Equal(got, []uint64{1001}) {
		t.Fatalf("battle participants after the disconnect = %v", got)
	}
	b2 := login(t, srv, "1002:pw2")
	if _, err := b2.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: battle.ID}); err != nil {
		t.Fatalf("join again after logging in again: %v", err)
	}

	// Added again, to another session; then the console reconnects
	// without its old connection ending first.
	if _, err := joinParam(t, b2, mm.JoinMatchmakeSessionParam{GID: lobby.ID}); err != nil {
		t.Fatalf("join lobby again: %v", err)
	}
	rematch := createParam(t, a, newSession(3, 4), lobby.ID, 1002)
	b3 := login(t, srv, "1002:pw2")
	if _, err := b3.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: rematch.ID}); err != nil {
		t.Fatalf("join from the new connection: %v", err)
	}
	if got := participantsOf(t, a, rematch.ID); !slices.Equal(got, []uint64{1001, 1002}) {
		t.Fatalf("rematch participants = %v", got)
	}
}

// playing lists the gids of the sessions pid is in, as c sees them.
func playing(t *testing.T, c *console, pid uint64) []uint32 {
	t.Helper()
	r, err := c.mx.GetPlayingSession(ctx(t), &matchmakeextension.GetPlayingSessionRequest{PIDs: []uint64{pid}})
	if err != nil {
		t.Fatal(err)
	}
	var out []uint32
	for _, s := range r.Sessions {
		out = append(out, s.Gathering.Value.(*mm.MatchmakeSession).ID)
	}
	return out
}

// TestAutoMatchmakeWithParamAllOrNothing: AutoMatchmakeWithParam never
// leaves the caller in a session without its additional participants
// (services.md §3.4): a session one of them is already in is not picked
// (the call creates its own), and when they cannot be added to the
// session it created (no room) the caller's join is undone and the
// session is gone.
func TestAutoMatchmakeWithParamAllOrNothing(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, nex4, nil)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	cx := ctx(t)
	auto := func(x *console, ms *mm.MatchmakeSession, check uint32, others ...uint64) (*mm.MatchmakeSession, error) {
		p := mm.AutoMatchmakeParam{Session: *ms, AdditionalParticipants: others, GIDForParticipationCheck: check, ParticipationCount: 1, JoinMessage: "m"}
		r, err := x.mx.AutoMatchmakeWithParamPostpone(cx, &matchmakeextension.AutoMatchmakeWithParamPostponeRequest{Param: p})
		if err != nil {
			return nil, err
		}
		return &r.Session, nil
	}

	taken, err := auto(a, newSession(4, 8), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := joinParam(t, c, mm.JoinMatchmakeSessionParam{GID: taken.ID}); err != nil {
		t.Fatal(err)
	}
	party := createParam(t, b, newSession(9, 2), 0)
	if _, err := joinParam(t, c, mm.JoinMatchmakeSessionParam{GID: party.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := auto(b, newSession(4, 8), party.ID, 1003)
	if err != nil {
		t.Fatalf("auto-matchmake with a companion already in the matching session: %v", err)
	}
	if got.ID == taken.ID || got.Owner != 1002 || got.ParticipationCount != 2 {
		t.Fatalf("joined %+v; the session c is in is %d", got, taken.ID)
	}
	if ps := participantsOf(t, a, taken.ID); !slices.Equal(ps, []uint64{1001, 1003}) {
		t.Fatalf("participants of the session c was in = %v", ps)
	}

	// No room for the companion in the session the call creates.
	before := playing(t, a, 1002)
	if _, err := auto(b, newSession(5, 1), party.ID, 1003); resultOf(err) != rmc.ResultRendezVousSessionFull {
		t.Fatalf("no room for the companion: %v", err)
	}
	if after := playing(t, a, 1002); !slices.Equal(after, before) {
		t.Fatalf("b's sessions after the failed call = %v, before %v", after, before)
	}
}

// TestAutoMatchmakeWithParamNotificationOrder: AutoMatchmakeWithParam
// sends the additional participants' 122000 before any 3001 (services.md
// §4: "122000s, then 3001s"). The owner and the companion are connected
// to another instance, so everything they hear goes over the bus, in the
// order the server sent it.
func TestAutoMatchmakeWithParamNotificationOrder(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	host := servicetest.Host(t)
	srv := servicetest.Start(t, nex4, host)
	b := login(t, srv, "1002:pw2")
	cx := ctx(t)
	st := host.Stores
	for i, pid := range []uint64{1001, 1003} {
		if err := st.Stations.Put(cx, store.Station{Game: "g", PID: pid, Owner: store.Owner{Instance: "elsewhere", RVCID: uint32(900 + i)}}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	delivered, err := st.Bus.Subscribe(cx, "deliver/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	owned, err := st.Gatherings.Create(cx, store.Gathering{Game: "g", Kind: store.KindMatchmakeSession, Owner: 1001, Host: 1001,
		MinParticipants: 1, MaxParticipants: 8, GameMode: 4, Attributes: []uint32{7, 0, 3, 0, 0, 0}, OpenParticipation: true,
		MatchmakeSystem: 1, Participants: []store.GatheringParticipant{{PID: 1001}}})
	if err != nil {
		t.Fatal(err)
	}
	party, err := st.Gatherings.Create(cx, store.Gathering{Game: "g", Kind: store.KindMatchmakeSession, Owner: 1002, Host: 1002,
		MinParticipants: 1, MaxParticipants: 2, GameMode: 9, OpenParticipation: true, MatchmakeSystem: 1,
		Participants: []store.GatheringParticipant{{PID: 1002}, {PID: 1003}}})
	if err != nil {
		t.Fatal(err)
	}

	p := mm.AutoMatchmakeParam{Session: *newSession(4, 8), AdditionalParticipants: []uint64{1003}, GIDForParticipationCheck: party.ID,
		ParticipationCount: 1, JoinMessage: "m"}
	r, err := b.mx.AutoMatchmakeWithParamPostpone(cx, &matchmakeextension.AutoMatchmakeWithParamPostponeRequest{Param: p})
	if err != nil {
		t.Fatal(err)
	}
	if r.Session.ID != owned.ID || r.Session.ParticipationCount != 3 {
		t.Fatalf("joined %+v, want %d", r.Session, owned.ID)
	}
	type heard struct {
		to         uint64
		typ        uint32
		subject    uint64
		gid, count uint64
	}
	var got []heard
	timeout := time.After(5 * time.Second)
	for len(got) < 3 {
		select {
		case msg := <-delivered:
			var d builtin.Delivery
			if err := d.UnmarshalBinary(msg); err != nil {
				t.Fatal(err)
			}
			body := d.Bodies[0]
			if b.Settings.StructHeader {
				body = d.Bodies[1]
			}
			var req notification.ProcessNotificationEventRequest
			if err := req.Decode(body, b.Settings); err != nil {
				t.Fatal(err)
			}
			e := req.Event
			got = append(got, heard{d.PID, e.Type, e.Param2, e.Param1, e.Param3})
		case <-timeout:
			t.Fatalf("heard only %+v", got)
		}
	}
	gid := uint64(owned.ID)
	want := []heard{{1003, 122000, 1003, gid, 0}, {1001, 3001, 1002, gid, 3}, {1001, 3001, 1003, gid, 3}}
	if !slices.Equal(got, want) {
		t.Fatalf("sent %+v, want %+v", got, want)
	}
}

// TestJoinClosedWithParam: a closed session (open_participation false)
// refuses every join by default; with [games.matchmaking]
// join_closed_with_param (Splatfest team merges, services.md §2.6, §8)
// JoinMatchmakeSessionWithParam enters it, additional participants
// included, while the plain joins still refuse it.
func TestJoinClosedWithParam(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	allowed := nex4
	allowed.TOML = "[games.matchmaking]\njoin_closed_with_param = true\n"
	for _, tc := range []struct {
		name string
		game servicetest.Game
		want rmc.Result
	}{
		{"default", nex4, rmc.ResultRendezVousPermissionDenied},
		{"join_closed_with_param", allowed, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := servicetest.Start(t, tc.game, nil)
			a, b, c, d := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3"), login(t, srv, "1004:pw4")
			cx := ctx(t)
			team := createParam(t, b, newSession(9, 4), 0)
			if _, err := joinParam(t, c, mm.JoinMatchmakeSessionParam{GID: team.ID}); err != nil {
				t.Fatal(err)
			}
			room := newSession(1, 8)
			room.OpenParticipation = false
			closed := createParam(t, a, room, 0)
			if _, err := d.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: closed.ID}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
				t.Fatalf("plain join of a closed session: %v", err)
			}
			r, err := joinParam(t, b, mm.JoinMatchmakeSessionParam{GID: closed.ID, AdditionalParticipants: []uint64{1003}, GIDForParticipationCheck: team.ID})
			if resultOf(err) != tc.want {
				t.Fatalf("WithParam join of a closed session: %v, want %v", err, tc.want)
			}
			if tc.want == 0 && r.Session.ParticipationCount != 3 {
				t.Fatalf("joined %+v", r.Session)
			}
		})
	}
}
