package matchmaking_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// TestSessionUpdatesAndSystemPassword: the owner changes attributes and
// the whole session (others are refused, the server's fields stay), sets a
// system password that JoinMatchmakeSessionWithParam then requires and the
// participants hear about (120000), and clears it (121000); the password
// never shows in a session.
func TestSessionUpdatesAndSystemPassword(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, nex4, nil)
	a, b, c, d := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3"), login(t, srv, "1004:pw4")
	cx := ctx(t)
	ms := createParam(t, a, newSession(3, 4), 0)
	if _, err := joinParam(t, b, mm.JoinMatchmakeSessionParam{GID: ms.ID}); err != nil {
		t.Fatal(err)
	}
	get := func() mm.MatchmakeSession {
		t.Helper()
		r, err := a.mx.FindMatchmakeSessionBySingleGatheringId(cx, &matchmakeextension.FindMatchmakeSessionBySingleGatheringIdRequest{GID: ms.ID})
		if err != nil {
			t.Fatal(err)
		}
		return r.Session
	}

	if _, err := b.mx.ModifyCurrentGameAttribute(cx, &matchmakeextension.ModifyCurrentGameAttributeRequest{GID: ms.ID, Attrib: 2, Value: 9}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Fatalf("modify by other: %v", err)
	}
	if _, err := a.mx.ModifyCurrentGameAttribute(cx, &matchmakeextension.ModifyCurrentGameAttributeRequest{GID: ms.ID, Attrib: 6, Value: 9}); resultOf(err) != rmc.ResultCoreInvalidIndex {
		t.Fatalf("modify index 6: %v", err)
	}
	if _, err := a.mx.ModifyCurrentGameAttribute(cx, &matchmakeextension.ModifyCurrentGameAttributeRequest{GID: ms.ID, Attrib: 2, Value: 9}); err != nil {
		t.Fatal(err)
	}
	if got := get().Attribs; got[2] != 9 || got[0] != 7 {
		t.Fatalf("attribs after modify = %v", got)
	}
	if _, err := a.mx.UpdateMatchmakeSessionAttribute(cx, &matchmakeextension.UpdateMatchmakeSessionAttributeRequest{GID: ms.ID, Attribs: []uint32{1, 2, 3, 4, 5, 6}}); err != nil {
		t.Fatal(err)
	}
	if got := get().Attribs; len(got) != 6 || got[5] != 6 {
		t.Fatalf("attribs after update = %v", got)
	}

	upd := get()
	upd.Description, upd.GameMode, upd.Owner, upd.SessionKey = "renamed", 11, 1003, []byte("x")
	if _, err := b.mx.UpdateMatchmakeSession(cx, &matchmakeextension.UpdateMatchmakeSessionRequest{Gathering: typedHold(&upd)}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Fatalf("update by other: %v", err)
	}
	if _, err := a.mx.UpdateMatchmakeSession(cx, &matchmakeextension.UpdateMatchmakeSessionRequest{Gathering: typedHold(&upd)}); err != nil {
		t.Fatal(err)
	}
	if got := get(); got.Description != "renamed" || got.GameMode != 11 || got.Owner != 1001 || len(got.SessionKey) != 32 || got.ParticipationCount != 2 {
		t.Fatalf("after update = %+v", got)
	}

	if _, err := b.mx.GenerateMatchmakeSessionSystemPassword(cx, &matchmakeextension.GenerateMatchmakeSessionSystemPasswordRequest{GID: ms.ID}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Fatalf("generate by other: %v", err)
	}
	gen, err := a.mx.GenerateMatchmakeSessionSystemPassword(cx, &matchmakeextension.GenerateMatchmakeSessionSystemPasswordRequest{GID: ms.ID})
	if err != nil || len(gen.Password) != 16 {
		t.Fatalf("generate: %+v %v", gen, err)
	}
	if n := countType(events(t, b, 1), 120000); n != 1 {
		t.Fatalf("b heard %d 120000", n)
	}
	got := get()
	if !got.SystemPasswordEnabled {
		t.Fatal("system password not enabled")
	}
	for _, p := range got.Param.Params {
		if p.Value.Value == gen.Password {
			t.Fatalf("password shown in param %q", p.Key)
		}
	}
	if _, err := joinParam(t, c, mm.JoinMatchmakeSessionParam{GID: ms.ID, SystemPassword: "WRONGWRONGWRONG1"}); resultOf(err) != rmc.ResultRendezVousMatchmakeSessionSystemPasswordUnmatch {
		t.Fatalf("wrong system password: %v", err)
	}
	if _, err := joinParam(t, c, mm.JoinMatchmakeSessionParam{GID: ms.ID, SystemPassword: gen.Password}); err != nil {
		t.Fatalf("right system password: %v", err)
	}
	if _, err := a.mx.ClearMatchmakeSessionSystemPassword(cx, &matchmakeextension.ClearMatchmakeSessionSystemPasswordRequest{GID: ms.ID}); err != nil {
		t.Fatal(err)
	}
	if n := countType(events(t, c, 1), 121000); n != 1 {
		t.Fatalf("c heard %d 121000", n)
	}
	if _, err := joinParam(t, d, mm.JoinMatchmakeSessionParam{GID: ms.ID}); err != nil {
		t.Fatalf("join after clear: %v", err)
	}
}

// TestPlayingSessions: GetPlayingSession lists each PID's sessions without
// keys; GetSimplePlayingSession one row per PID, the caller only with
// include_login_user.
func TestPlayingSessions(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, nex4, nil)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	cx := ctx(t)
	s1 := createParam(t, a, newSession(5, 4), 0)
	s2 := createParam(t, b, newSession(6, 4), 0)
	if _, err := joinParam(t, a, mm.JoinMatchmakeSessionParam{GID: s2.ID}); err != nil {
		t.Fatal(err)
	}
	ps, err := c.mx.GetPlayingSession(cx, &matchmakeextension.GetPlayingSessionRequest{PIDs: []uint64{1001, 1002, 1003}})
	if err != nil || len(ps.Sessions) != 3 {
		t.Fatalf("playing: %+v %v", ps, err)
	}
	want := []struct {
		pid uint64
		gid uint32
	}{{1001, s1.ID}, {1001, s2.ID}, {1002, s2.ID}}
	for i, w := range want {
		got, ok := ps.Sessions[i].Gathering.Value.(*mm.MatchmakeSession)
		if ps.Sessions[i].PID != w.pid || !ok || got.ID != w.gid || len(got.SessionKey) != 0 {
			t.Fatalf("row %d = %+v", i, ps.Sessions[i])
		}
	}
	if _, err := c.mx.GetPlayingSession(cx, &matchmakeextension.GetPlayingSessionRequest{PIDs: make([]uint64, 301)}); resultOf(err) != rmc.ResultCoreInvalidArgument {
		t.Fatalf("301 pids: %v", err)
	}
	sp, err := a.mx.GetSimplePlayingSession(cx, &matchmakeextension.GetSimplePlayingSessionRequest{PIDs: []uint64{1001, 1002, 1003}})
	if err != nil || len(sp.Session) != 1 || sp.Session[0].PID != 1002 || sp.Session[0].GID != s2.ID || sp.Session[0].GameMode != 6 || sp.Session[0].Attribute != 7 {
		t.Fatalf("simple: %+v %v", sp, err)
	}
	sp, err = a.mx.GetSimplePlayingSession(cx, &matchmakeextension.GetSimplePlayingSessionRequest{PIDs: []uint64{1002}, IncludeLoginUser: true})
	if err != nil || len(sp.Session) != 2 || sp.Session[1].PID != 1001 || sp.Session[1].GID != s1.ID {
		t.Fatalf("simple with me: %+v %v", sp, err)
	}
}

func typedHold(ms *mm.MatchmakeSession) typed.AnyData { return typed.Hold(ms) }
