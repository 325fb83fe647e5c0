package matchmaking_test

import (
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// TestJoinRecapWithFlag0x800: in a session with flag 0x800 a joiner hears
// 3001 for its own join and then one per participant already there
// (services.md §2.4, §2.8); with 0x400 alone only its own.
func TestJoinRecapWithFlag0x800(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	d, e := login(t, srv, "1004:pw4"), login(t, srv, "1005:pw5")
	cx := ctx(t)
	joined := func(x *console, want int) []uint64 {
		t.Helper()
		var out []uint64
		for _, ev := range events(t, x, want) {
			if ev.Type == 3001 {
				out = append(out, ev.Param2)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		flags  uint32
		joiner *console
		first  *console
		want   []uint64
	}{
		{0x800, c, a, []uint64{1001, 1002, 1003}},
		{0x400, e, d, []uint64{1005}},
	} {
		ms := newSession(1, 4)
		ms.Flags = tc.flags
		cr, err := tc.first.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(ms), Description: "hi"})
		if err != nil {
			t.Fatal(err)
		}
		if tc.flags == 0x800 {
			if _, err := b.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: cr.GID}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tc.joiner.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: cr.GID, Message: "m"}); err != nil {
			t.Fatal(err)
		}
		if got := joined(tc.joiner, len(tc.want)); !slices.Equal(got, tc.want) {
			t.Errorf("flags %#x: the joiner heard 3001 for %v, want %v", tc.flags, got, tc.want)
		}
	}
	// b joined a session of a alone: its own join and a.
	if got := joined(b, 3); !slices.Equal(got, []uint64{1001, 1002, 1003}) {
		t.Errorf("b heard 3001 for %v, want its own, a's and then c's join", got)
	}
}

// TestWithParamRecapSkipsNewcomers: with flag 0x800, the newcomers of one
// JoinMatchmakeSessionWithParam or CreateMatchmakeSessionWithParam (the
// caller and its additional participants) each hear a recap 3001 for
// every participant already there, never for another newcomer of the
// same call, whose join they hear as its own 3001 (services.md §2.8, §4).
func TestWithParamRecapSkipsNewcomers(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, nex4, nil)
	a, b, c, d := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3"), login(t, srv, "1004:pw4")
	e, f := login(t, srv, "1005:pw5"), login(t, srv, "1006:pw6")
	cx := ctx(t)
	lobby := createParam(t, a, newSession(1, 8), 0)
	for _, x := range []*console{b, c, d} {
		if _, err := joinParam(t, x, mm.JoinMatchmakeSessionParam{GID: lobby.ID}); err != nil {
			t.Fatalf("join lobby: %v", err)
		}
	}
	// recaps returns the participants x heard a recap 3001 about in gid
	// (source x, another participant) before f's join, which every
	// participant hears after all the call's notifications.
	recaps := func(x *console, gid uint32) []uint64 {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			var out []uint64
			for _, ev := range events(t, x, 0) {
				if ev.Type != 3001 || ev.Param1 != uint64(gid) {
					continue
				}
				if ev.SourcePID == f.PID && ev.Param2 == f.PID {
					slices.Sort(out)
					return out
				}
				if ev.SourcePID == x.PID && ev.Param2 != x.PID {
					out = append(out, ev.Param2)
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d never heard f's join of %d", x.PID, gid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	marker := func(gid uint32) {
		t.Helper()
		if _, err := f.mx.JoinMatchmakeSession(cx, &matchmakeextension.JoinMatchmakeSessionRequest{GID: gid}); err != nil {
			t.Fatalf("f joins %d: %v", gid, err)
		}
	}
	flagged := func() *mm.MatchmakeSession {
		ms := newSession(2, 8)
		ms.Flags = 0x800
		return ms
	}

	// Join: e is there; b joins with c and d.
	s1 := createParam(t, e, flagged(), 0)
	if _, err := joinParam(t, b, mm.JoinMatchmakeSessionParam{GID: s1.ID, AdditionalParticipants: []uint64{1003, 1004}, GIDForParticipationCheck: lobby.ID}); err != nil {
		t.Fatalf("join with param: %v", err)
	}
	marker(s1.ID)
	for _, x := range []*console{b, c, d} {
		if got := recaps(x, s1.ID); !slices.Equal(got, []uint64{1005}) {
			t.Errorf("join: %d heard a recap for %v, want only 1005 (already there)", x.PID, got)
		}
	}

	// Create: a with b and c, nobody there before them.
	s2 := createParam(t, a, flagged(), lobby.ID, 1002, 1003)
	marker(s2.ID)
	for _, x := range []*console{a, b, c} {
		if got := recaps(x, s2.ID); len(got) != 0 {
			t.Errorf("create: %d heard a recap for %v, want none", x.PID, got)
		}
	}
}
