package matchmaking_test

import (
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
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
