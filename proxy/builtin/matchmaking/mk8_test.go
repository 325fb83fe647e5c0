package matchmaking_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mmk8 "github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension/mk8"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// TestMK8Variant: a game with variants = ["mk8"] serves MK8's
// JoinMatchmakeSessionWithExtraParticipants at 109/40 (the caller joins
// with participation_count entries, the trailing u32 ignored) instead of
// AutoMatchmakeWithParam_Postpone, and the standard methods at 36-41
// are not served with their standard layouts.
func TestMK8Variant(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu", NEX: 30504, TOML: "variants = [\"mk8\"]\n"}, nil)
	a, b := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2")
	cx := ctx(t)
	cr, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(1, 12))})
	if err != nil {
		t.Fatal(err)
	}
	k8 := mmk8.NewClient(b.Secure, b.Settings)
	r, err := k8.JoinMatchmakeSessionWithExtraParticipants(cx, &mmk8.JoinMatchmakeSessionWithExtraParticipantsRequest{
		GID: cr.GID, JoinMessage: "hi", ParticipationCount: 2, ExtraParticipants: 7})
	if err != nil || len(r.SessionKey) != 32 {
		t.Fatalf("JoinMatchmakeSessionWithExtraParticipants = %+v %v", r, err)
	}
	fs, err := b.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: cr.GID})
	if err != nil || fs.Gathering.Value.(*mm.MatchmakeSession).ParticipationCount != 3 {
		t.Fatalf("after the MK8 join: %+v %v", fs, err)
	}
	if evs := events(t, a, 1); countType(evs, 3001) != 1 || evs[0].Text != "hi" {
		t.Errorf("owner heard %+v", evs)
	}
	if _, err := b.mx.GenerateMatchmakeSessionSystemPassword(cx, &matchmakeextension.GenerateMatchmakeSessionSystemPasswordRequest{GID: cr.GID}); resultOf(err) != rmc.ResultCoreNotImplemented {
		t.Errorf("standard 36 on MK8: %v", err)
	}
}
