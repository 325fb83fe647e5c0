package matchmaking_test

import (
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
)

// browseIDs browses with sc and returns the gids found, in order.
func browseIDs(t *testing.T, x *console, sc mm.MatchmakeSessionSearchCriteria) []uint32 {
	t.Helper()
	r, err := x.mx.BrowseMatchmakeSession(ctx(t), &matchmakeextension.BrowseMatchmakeSessionRequest{SearchCriteria: sc, Range: rangeAll()})
	if err != nil {
		t.Fatalf("browse: %v", err)
	}
	var out []uint32
	for _, g := range r.Gatherings {
		out = append(out, g.Value.(*mm.MatchmakeSession).ID)
	}
	return out
}

// TestBrowseExcludesEachPasswordOnItsOwn: exclude_user_password drops the
// sessions with a user password only, exclude_system_password those with
// a system password only (services.md §3.1).
func TestBrowseExcludesEachPasswordOnItsOwn(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, nex4, nil)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	withUser := newSession(1, 4)
	withUser.UserPasswordEnabled, withUser.UserPassword = true, "secret"
	user := createParam(t, a, withUser, 0)
	system := createParam(t, b, newSession(1, 4), 0)
	if _, err := b.mx.GenerateMatchmakeSessionSystemPassword(ctx(t), &matchmakeextension.GenerateMatchmakeSessionSystemPasswordRequest{GID: system.ID}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, system bool
		want         []uint32
	}{
		{false, false, []uint32{user.ID, system.ID}},
		{true, false, []uint32{system.ID}},
		{false, true, []uint32{user.ID}},
		{true, true, nil},
	} {
		sc := criteria("1", 0, "")
		sc.ExcludeUserPassword, sc.ExcludeSystemPassword = tc.user, tc.system
		got := browseIDs(t, c, sc)
		slices.Sort(got) // selection method 0 orders at random
		if !slices.Equal(got, tc.want) {
			t.Errorf("exclude user %v system %v: found %v, want %v", tc.user, tc.system, got, tc.want)
		}
	}
}

// TestSearchByReferGID: on NEX 4 a criterion selects the sessions with
// exactly its refer_gid, 0 included, as it does with the codeword
// (services.md §3.1), in browses and auto-matchmake alike.
func TestSearchByReferGID(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, nex4, nil)
	a, b, c := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3")
	plain := createParam(t, a, newSession(1, 4), 0)
	referring := newSession(1, 4)
	referring.ReferGID = plain.ID
	ref := createParam(t, b, referring, 0)

	sc := criteria("1", 0, "")
	if got := browseIDs(t, c, sc); !slices.Equal(got, []uint32{plain.ID}) {
		t.Errorf("refer_gid 0: found %v, want [%d]", got, plain.ID)
	}
	sc.ReferGID = plain.ID
	if got := browseIDs(t, c, sc); !slices.Equal(got, []uint32{ref.ID}) {
		t.Errorf("refer_gid %d: found %v, want [%d]", plain.ID, got, ref.ID)
	}
	sc.ReferGID = 999
	if got := browseIDs(t, c, sc); len(got) != 0 {
		t.Errorf("refer_gid 999: found %v", got)
	}
	sc.ReferGID = plain.ID
	if g := autoWith(t, c, 1, sc); g.ID != ref.ID {
		t.Errorf("auto-matchmake with refer_gid %d joined %d, want %d", plain.ID, g.ID, ref.ID)
	}
}

// TestNewSessionParam: a new session's MatchmakeParam carries the
// server's @SR = true and @GIR = 3 beside the console's own entries
// (services.md §2.7).
func TestNewSessionParam(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, nex4, nil)
	a := login(t, srv, "1001:pw1")
	ms := newSession(1, 4)
	ms.Param.Params.Set("mine", rmc.VariantOfInt(5))
	got := createParam(t, a, ms, 0)
	want := map[string]rmc.Variant{"mine": rmc.VariantOfInt(5), "@SR": {Type: rmc.VariantBool, Value: true}, "@GIR": rmc.VariantOfInt(3)}
	if len(got.Param.Params) != len(want) {
		t.Errorf("params = %+v, want %+v", got.Param.Params, want)
	}
	for k, v := range want {
		if p, ok := got.Param.Params.Get(k); !ok || p != v {
			t.Errorf("param %q = %+v %v, want %+v", k, p, ok, v)
		}
	}
	if len(ms.Param.Params) != 1 {
		t.Errorf("the request's params changed: %+v", ms.Param.Params)
	}
}
