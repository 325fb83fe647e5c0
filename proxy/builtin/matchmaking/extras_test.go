package matchmaking_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/proxy/luahooks"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/typed"
	"github.com/nexproxy/nexproxy/scripts"
)

// TestBlockLists: a console's block list hides the sessions of the
// consoles it blocked, refuses joins both ways
// (RendezVous::ParticipantInBlackList) unless ignore_block_list, and is
// listed, shrunk and cleared; the violation methods answer.
func TestBlockLists(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	cx := ctx(t)

	if _, err := a.mx.AddToBlockList(cx, &matchmakeextension.AddToBlockListRequest{PIDs: []uint64{1002, 1003}}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.mx.AddToBlockList(cx, &matchmakeextension.AddToBlockListRequest{PIDs: []uint64{1001}}); resultOf(err) != rmc.ResultCoreInvalidArgument {
		t.Errorf("blocking oneself: %v", err)
	}
	if r, err := a.mx.GetMyBlockList(cx, &matchmakeextension.GetMyBlockListRequest{}); err != nil || !slices.Equal(r.PIDs, []uint64{1002, 1003}) {
		t.Fatalf("block list = %+v %v", r, err)
	}
	if _, err := a.mx.RemoveFromBlockList(cx, &matchmakeextension.RemoveFromBlockListRequest{PIDs: []uint64{1003}}); err != nil {
		t.Fatal(err)
	}
	if r, _ := a.mx.GetMyBlockList(cx, &matchmakeextension.GetMyBlockListRequest{}); !slices.Equal(r.PIDs, []uint64{1002}) {
		t.Fatalf("after remove = %v", r.PIDs)
	}

	bs, err := b.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(1, 4))})
	if err != nil {
		t.Fatal(err)
	}
	as, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(1, 4))})
	if err != nil {
		t.Fatal(err)
	}
	crit := mm.MatchmakeSessionSearchCriteria{}
	crit.SetDefaults()
	if got := browseIDs(t, a, crit); !slices.Equal(got, []uint32{as.GID}) {
		t.Errorf("a browses %v, want only its own", got)
	}
	// Selection method 0 lists in random order.
	if got := browseIDs(t, c, crit); len(got) != 2 || !slices.Contains(got, bs.GID) || !slices.Contains(got, as.GID) {
		t.Errorf("c browses %v", got)
	}
	if _, err := a.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: bs.GID}); resultOf(err) != rmc.ResultRendezVousParticipantInBlackList {
		t.Errorf("a joins the blocked console's session: %v", err)
	}
	if _, err := b.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: as.GID}); resultOf(err) != rmc.ResultRendezVousParticipantInBlackList {
		t.Errorf("the blocked console joins a's session: %v", err)
	}
	if _, err := b.mx.JoinMatchmakeSessionEx(cx, &matchmakeextension.JoinMatchmakeSessionExRequest{GID: as.GID, IgnoreBlockList: true, NumParticipants: 1, HasNumParticipants: true}); err != nil {
		t.Errorf("join ignoring the block list: %v", err)
	}
	if _, err := a.mx.ClearMyBlockList(cx, &matchmakeextension.ClearMyBlockListRequest{}); err != nil {
		t.Fatal(err)
	}
	if r, _ := a.mx.GetMyBlockList(cx, &matchmakeextension.GetMyBlockListRequest{}); len(r.PIDs) != 0 {
		t.Errorf("after clear = %v", r.PIDs)
	}
	if got := browseIDs(t, a, crit); len(got) != 2 {
		t.Errorf("a browses %v after clearing", got)
	}
	if _, err := c.mx.ReportViolation(cx, &matchmakeextension.ReportViolationRequest{PID: 1002, Username: "1002", ViolationCode: 3}); err != nil {
		t.Errorf("ReportViolation: %v", err)
	}
	if r, err := b.mx.IsViolationUser(cx, &matchmakeextension.IsViolationUserRequest{}); err != nil || r.Flag {
		t.Errorf("IsViolationUser = %+v %v", r, err)
	}
	if _, err := b.mx.UpdatePrivacySetting(cx, &matchmakeextension.UpdatePrivacySettingRequest{OnlineStatus: true}); err != nil {
		t.Errorf("UpdatePrivacySetting: %v", err)
	}
}

// TestNotificationData on Switch (NEX 4, 8-byte PIDs: u64 params):
// UpdateNotificationData
// pushes the record to the sender's connected friends and keeps it for
// Get(lst)FriendNotificationData until the sender disconnects; strangers
// see nothing; categories outside 101-108 are Core::InvalidArgument.
func TestNotificationData(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	host := servicetest.Host(t)
	host.Friends = fakeFriends{1001: {1002}, 1002: {1001}}
	srv := servicetest.Start(t, servicetest.Game{Platform: "switch"}, host)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	cx := ctx(t)

	const big = 1<<40 + 5
	if _, err := a.mx.UpdateNotificationData(cx, &matchmakeextension.UpdateNotificationDataRequest{Type: 101, Param1: 7, Param2: big, Param3: "playing"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.mx.UpdateNotificationData(cx, &matchmakeextension.UpdateNotificationDataRequest{Type: 3}); resultOf(err) != rmc.ResultCoreInvalidArgument {
		t.Errorf("category 3: %v", err)
	}
	evs := events(t, b, 1)
	if len(evs) != 1 || evs[0].Type != 101000 || evs[0].SourcePID != 1001 || evs[0].Param1 != 7 || evs[0].Param2 != big || evs[0].Text != "playing" {
		t.Fatalf("friend heard %+v", evs)
	}
	if evs := events(t, c, 0); len(evs) != 0 {
		t.Errorf("stranger heard %+v", evs)
	}
	r, err := b.mx.GetFriendNotificationData(cx, &matchmakeextension.GetFriendNotificationDataRequest{Type: 101})
	if err != nil || len(r.Notifications) != 1 || r.Notifications[0].Param2 != big || r.Notifications[0].SourcePID != 1001 {
		t.Fatalf("GetFriendNotificationData = %+v %v", r, err)
	}
	if r, err := c.mx.GetFriendNotificationData(cx, &matchmakeextension.GetFriendNotificationDataRequest{Type: 101}); err != nil || len(r.Notifications) != 0 {
		t.Errorf("stranger reads %+v %v", r, err)
	}
	if r, err := b.mx.GetlstFriendNotificationData(cx, &matchmakeextension.GetlstFriendNotificationDataRequest{Types: []uint32{102, 101}}); err != nil || len(r.Notifications) != 1 {
		t.Errorf("GetlstFriendNotificationData = %+v %v", r, err)
	}
	if _, err := b.mx.GetFriendNotificationData(cx, &matchmakeextension.GetFriendNotificationDataRequest{Type: 200}); resultOf(err) != rmc.ResultCoreInvalidArgument {
		t.Errorf("category 200: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		r, err := b.mx.GetFriendNotificationData(cx, &matchmakeextension.GetFriendNotificationDataRequest{Type: 101})
		return err == nil && len(r.Notifications) == 0
	})
}

// searchHook is a builtin.SearchHook that makes every criterion look for
// game mode 9 and adds a second, looser criterion for game mode 8.
type searchHook struct{}

func (searchHook) MatchmakeCriteria(_ context.Context, _ string, _ uint64, crits []builtin.SearchCriterion) ([]builtin.SearchCriterion, error) {
	out := slices.Clone(crits)
	for i := range out {
		out[i].GameMode = "9"
	}
	return append(out, builtin.SearchCriterion{GameMode: "8"}), nil
}

func autoWith(t *testing.T, x *console, mode uint32, crits ...mm.MatchmakeSessionSearchCriteria) *mm.MatchmakeSession {
	t.Helper()
	r, err := x.mx.AutoMatchmakeWithSearchCriteriaPostpone(ctx(t), &matchmakeextension.AutoMatchmakeWithSearchCriteriaPostponeRequest{
		SearchCriteria: crits, Gathering: typed.Hold(newSession(mode, 4))})
	if err != nil {
		t.Fatal(err)
	}
	return r.Gathering.Value.(*mm.MatchmakeSession)
}

func criteria(mode string, method uint32, attr1 string) mm.MatchmakeSessionSearchCriteria {
	c := mm.MatchmakeSessionSearchCriteria{}
	c.SetDefaults()
	c.GameMode, c.SelectionMethod, c.VacantOnly = mode, method, true
	c.Attribs = []string{"", attr1, "", "", "", ""}
	return c
}

// TestSelectionMethods: auto-matchmake prefers the first criterion's
// sessions over older ones of the second, takes the session nearest in
// attribs[1] (method 1) and the nearest progress score (method 3), and
// AutoMatchmake_Postpone without criteria the nearest attribs[1]; a
// game's search hook changes and adds criteria.
func TestSelectionMethods(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu", Users: []string{"1001:p", "1002:p", "1003:p", "1004:p", "1005:p", "1006:p", "1007:p", "1008:p", "1009:p"}}, nil)
	var cs []*console
	for _, u := range []string{"1001:p", "1002:p", "1003:p", "1004:p", "1005:p", "1006:p", "1007:p", "1008:p", "1009:p"} {
		cs = append(cs, login(t, srv, u))
	}
	cx := ctx(t)
	create := func(x *console, mode, attr1 uint32, progress uint8) uint32 {
		t.Helper()
		s := newSession(mode, 4)
		s.Attribs[1], s.ProgressScore = attr1, progress
		r, err := x.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(s)})
		if err != nil {
			t.Fatal(err)
		}
		return r.GID
	}
	m1a := create(cs[0], 1, 10, 90)
	m1b := create(cs[1], 1, 50, 20)
	m1c := create(cs[2], 1, 30, 60)
	m2 := create(cs[3], 2, 0, 0)

	// The second criterion matches older sessions; the first one's wins.
	if got := autoWith(t, cs[4], 1, criteria("2", 0, ""), criteria("1", 0, "")); got.ID != m2 {
		t.Errorf("preference: joined %d, want %d", got.ID, m2)
	}
	// Nearest attribs[1] to 33: the session with 30.
	if got := autoWith(t, cs[5], 1, criteria("1", 1, "33")); got.ID != m1c {
		t.Errorf("nearest: joined %d, want %d", got.ID, m1c)
	}
	// Progress score nearest the searcher's (25): the session with 20.
	s := newSession(1, 4)
	s.ProgressScore = 25
	r, err := cs[6].mx.AutoMatchmakeWithSearchCriteriaPostpone(cx, &matchmakeextension.AutoMatchmakeWithSearchCriteriaPostponeRequest{
		SearchCriteria: []mm.MatchmakeSessionSearchCriteria{criteria("1", 3, "")}, Gathering: typed.Hold(s)})
	if err != nil || r.Gathering.Value.(*mm.MatchmakeSession).ID != m1b {
		t.Errorf("progress score: %+v %v, want %d", r, err, m1b)
	}
	// No criteria: sessions like the supplied one, nearest attribs[1] (8).
	like := newSession(1, 4)
	like.Attribs[1] = 8
	ar, err := cs[7].mx.AutoMatchmakePostpone(cx, &matchmakeextension.AutoMatchmakePostponeRequest{Gathering: typed.Hold(like)})
	if err != nil || ar.Gathering.Value.(*mm.MatchmakeSession).ID != m1a {
		t.Errorf("AutoMatchmake_Postpone: %+v %v, want %d", ar, err, m1a)
	}
	// Browse with method 3 lists the highest progress score first.
	br, err := cs[8].mx.BrowseMatchmakeSession(cx, &matchmakeextension.BrowseMatchmakeSessionRequest{SearchCriteria: criteria("1", 3, ""), Range: common.ResultRange{Size: 10}})
	if err != nil || len(br.Gatherings) != 3 || br.Gatherings[0].Value.(*mm.MatchmakeSession).ID != m1a || br.Gatherings[2].Value.(*mm.MatchmakeSession).ID != m1b {
		t.Errorf("browse by progress score: %+v %v", br, err)
	}
}

// TestSearchHook: the host's search hook rewrites the criteria (game mode
// 9) and adds one (game mode 8), so a search for mode 1 joins the mode 8
// session, and browsing for mode 1 (every variant) lists it alone
// (services.md §3.3: the game's hook applies to browsing too).
func TestSearchHook(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	host := servicetest.Host(t)
	host.Search = searchHook{}
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, host)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	cx := ctx(t)
	for _, x := range []*console{a, b} {
		mode := map[*console]uint32{a: 1, b: 8}[x]
		if _, err := x.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(mode, 4))}); err != nil {
			t.Fatal(err)
		}
	}
	crit := criteria("1", 0, "")
	crit.VacantOnly = false
	br, err := c.mx.BrowseMatchmakeSession(cx, &matchmakeextension.BrowseMatchmakeSessionRequest{SearchCriteria: crit, Range: common.ResultRange{Size: 10}})
	if err != nil || len(br.Gatherings) != 1 || br.Gatherings[0].Value.(*mm.MatchmakeSession).GameMode != 8 {
		t.Errorf("hooked browse: %+v %v", br, err)
	}
	nh, err := c.mx.BrowseMatchmakeSessionNoHolderNoResultRange(cx, &matchmakeextension.BrowseMatchmakeSessionNoHolderNoResultRangeRequest{SearchCriteria: crit})
	if err != nil || len(nh.Sessions) != 1 || nh.Sessions[0].GameMode != 8 {
		t.Errorf("hooked browse without holders: %+v %v", nh, err)
	}
	if got := autoWith(t, c, 1, criteria("1", 0, "")); got.Owner != 1002 || got.GameMode != 8 {
		t.Errorf("hooked search joined %+v", got)
	}
}

// TestPartsAndLookupsNEX4 (Switch, NEX 4, 8-byte PIDs):
// UpdateMatchmakeSessionPart changes exactly the
// flagged fields (owner only), FindMatchmakeSessionByParticipant lists a
// player's sessions, AutoMatchmakeWithGatheringId_Postpone joins the
// first listed gid that has room and creates the supplied session when
// none has.
func TestPartsAndLookupsNEX4(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "switch"}, nil)
	a, b, c, d := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3"), login(t, srv, "1004:pw4")
	cx := ctx(t)
	full := createParam(t, a, newSession(1, 1), 0)
	open := createParam(t, b, newSession(1, 4), 0)

	up := mm.NewUpdateMatchmakeSessionParam()
	up.GID, up.ModificationFlags = open.ID, 0x1|0x400|0x4000
	up.Attributes, up.Description, up.Codeword = []uint32{9, 9}, "renamed", "cw"
	up.GameMode = 77 // not flagged: unchanged
	if _, err := a.mx.UpdateMatchmakeSessionPart(cx, &matchmakeextension.UpdateMatchmakeSessionPartRequest{Param: *up}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Errorf("part update by a stranger: %v", err)
	}
	if _, err := b.mx.UpdateMatchmakeSessionPart(cx, &matchmakeextension.UpdateMatchmakeSessionPartRequest{Param: *up}); err != nil {
		t.Fatal(err)
	}
	got, err := b.mx.FindMatchmakeSessionBySingleGatheringId(cx, &matchmakeextension.FindMatchmakeSessionBySingleGatheringIdRequest{GID: open.ID})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Session; !slices.Equal(s.Attribs, []uint32{9, 9}) || s.Description != "renamed" || s.Codeword != "cw" || s.GameMode != 1 || string(s.ApplicationData) != "app" {
		t.Errorf("after part update = %+v", s)
	}
	up.ModificationFlags, up.MinParticipants, up.MaxParticipants = 0x800|0x1000, 3, 2
	if _, err := b.mx.UpdateMatchmakeSessionPart(cx, &matchmakeextension.UpdateMatchmakeSessionPartRequest{Param: *up}); resultOf(err) != rmc.ResultCoreInvalidArgument {
		t.Errorf("min above max: %v", err)
	}

	fp, err := d.mx.FindMatchmakeSessionByParticipant(cx, &matchmakeextension.FindMatchmakeSessionByParticipantRequest{
		Param: mm.FindMatchmakeSessionByParticipantParam{PIDs: []uint64{1001, 1002, 1003}}})
	if err != nil || len(fp.Result) != 2 || fp.Result[0].PID != 1001 || fp.Result[0].Session.ID != full.ID || fp.Result[1].Session.ID != open.ID ||
		len(fp.Result[1].Session.SessionKey) != 0 {
		t.Errorf("FindMatchmakeSessionByParticipant = %+v %v", fp, err)
	}

	r, err := c.mx.AutoMatchmakeWithGatheringIdPostpone(cx, &matchmakeextension.AutoMatchmakeWithGatheringIdPostponeRequest{
		GIDs: []uint32{999, full.ID, open.ID}, Gathering: typed.Hold(newSession(1, 4)), Message: "m"})
	if err != nil || r.JoinedGathering.Value.(*mm.MatchmakeSession).ID != open.ID {
		t.Fatalf("AutoMatchmakeWithGatheringId_Postpone = %+v %v", r, err)
	}
	r, err = d.mx.AutoMatchmakeWithGatheringIdPostpone(cx, &matchmakeextension.AutoMatchmakeWithGatheringIdPostponeRequest{
		GIDs: []uint32{full.ID}, Gathering: typed.Hold(newSession(1, 4))})
	if err != nil {
		t.Fatal(err)
	}
	if s := r.JoinedGathering.Value.(*mm.MatchmakeSession); s.ID == full.ID || s.Owner != 1004 {
		t.Errorf("no room anywhere: joined %+v", s)
	}
}

// waitFor polls cond until it holds (a disconnect is handled after the
// console's Close returns) or fails after 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestLuaSearchHook: a script's nex.matchmake_criteria, wired as serve
// wires it (luahooks as the host's Search), blanks the criteria's game
// mode, so a search for mode 1 joins the mode 2 session.
func TestLuaSearchHook(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	dir := t.TempDir()
	script := `nex.matchmake_criteria = function(criteria, pid, game)
  for _, c in ipairs(criteria) do c.game_mode = "" end
  return criteria
end
`
	if err := os.WriteFile(filepath.Join(dir, "search.lua"), []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	engine, err := scripts.New(scripts.Config{Dir: dir, Logger: zap.NewNop(), LoadTimeout: 20 * time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Close)
	host := servicetest.Host(t)
	host.Search = luahooks.New(engine, nil, nil)
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, host)
	a, b := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2")
	if _, err := a.mx.CreateMatchmakeSession(ctx(t), &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(2, 4))}); err != nil {
		t.Fatal(err)
	}
	if got := autoWith(t, b, 1, criteria("1", 0, "")); got.Owner != 1001 || got.GameMode != 2 {
		t.Errorf("hooked search joined %+v", got)
	}
}
