package matchmaking_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakingext"
)

// TestHostAndOwnerChanges: Participate/CancelParticipation (3002), the
// participant look-ups of 21 and 50, FindByOwner, UpdateSessionURL and
// UpdateSessionHost(V1) with and without flag 0x200, and
// MigrateGatheringOwnership to the first online candidate (4000).
func TestHostAndOwnerChanges(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	a, b, c, d := login(t, srv, "1001:pw1"), login(t, srv, "1002:pw2"), login(t, srv, "1003:pw3"), login(t, srv, "1004:pw4")
	cx := ctx(t)

	s := newSession(1, 8)
	s.Flags = 0 // no takeover
	cr, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typedHold(s), NumParticipants: 1, HasNumParticipants: true})
	if err != nil {
		t.Fatal(err)
	}
	gid := cr.GID
	for _, x := range []*console{b, c} {
		if r, err := x.mm.Participate(cx, &mm.ParticipateRequest{GID: gid, Message: "p"}); err != nil || !r.Result {
			t.Fatalf("participate: %+v %v", r, err)
		}
	}
	if r, err := c.mm.CancelParticipation(cx, &mm.CancelParticipationRequest{GID: gid, Message: "bye"}); err != nil || !r.Result {
		t.Fatalf("cancel: %+v %v", r, err)
	}
	if n := countType(events(t, a, 3), 3002); n != 1 {
		t.Fatalf("owner heard %d 3002", n)
	}
	ps, err := d.mm.GetParticipants(cx, &mm.GetParticipantsRequest{GID: gid})
	if err != nil || len(ps.Participants) != 2 || ps.Participants[0] != 1001 || ps.Participants[1] != 1002 {
		t.Fatalf("participants: %+v %v", ps, err)
	}
	pe, err := d.ext.GetParticipants(cx, &matchmakingext.GetParticipantsRequest{GID: gid, OnlyActive: true})
	if err != nil || len(pe.Participants) != 2 {
		t.Fatalf("ext participants: %+v %v", pe, err)
	}
	dp, err := d.ext.GetDetailedParticipants(cx, &matchmakingext.GetDetailedParticipantsRequest{GID: gid})
	if err != nil || len(dp.Details) != 2 || dp.Details[1].PID != 1002 || dp.Details[1].Name != "1002" || dp.Details[1].Participants != 1 {
		t.Fatalf("ext details: %+v %v", dp, err)
	}
	if dd, err := d.mm.GetDetailedParticipants(cx, &mm.GetDetailedParticipantsRequest{GID: gid}); err != nil || len(dd.Details) != 2 {
		t.Fatalf("details: %+v %v", dd, err)
	}
	fo, err := d.mm.FindByOwner(cx, &mm.FindByOwnerRequest{Owner: 1001, Range: common.ResultRange{Offset: 0xFFFFFFFF, Size: 5}})
	if err != nil || len(fo.Gatherings) != 1 {
		t.Fatalf("find by owner: %+v %v", fo, err)
	}
	host := func() (uint64, uint64) {
		t.Helper()
		r, err := a.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: gid})
		if err != nil {
			t.Fatal(err)
		}
		g := r.Gathering.Value.(*mm.MatchmakeSession)
		return g.Owner, g.Host
	}

	// Non-participants may not take the host.
	if _, err := d.mm.UpdateSessionURL(cx, &mm.UpdateSessionURLRequest{GID: gid}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Fatalf("url by stranger: %v", err)
	}
	if r, err := b.mm.UpdateSessionURL(cx, &mm.UpdateSessionURLRequest{GID: gid}); err != nil || !r.Result {
		t.Fatalf("url: %+v %v", r, err)
	}
	if o, h := host(); o != 1001 || h != 1002 {
		t.Fatalf("after url: owner %d host %d", o, h)
	}
	if _, err := a.mm.UpdateSessionHostV1(cx, &mm.UpdateSessionHostV1Request{GID: gid}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.mm.UpdateSessionHostV1(cx, &mm.UpdateSessionHostV1Request{GID: gid}); err != nil {
		t.Fatal(err)
	}
	if o, h := host(); o != 1001 || h != 1002 {
		t.Fatalf("V1 without 0x200: owner %d host %d", o, h)
	}
	if _, err := b.mm.UpdateSessionHost(cx, &mm.UpdateSessionHostRequest{GID: gid, IsMigrateOwner: true}); resultOf(err) != rmc.ResultRendezVousInvalidOperation {
		t.Fatalf("migrate without 0x200: %v", err)
	}

	// Migration: an offline candidate is skipped, the first online one
	// takes over and everyone hears 4000.
	if _, err := b.mm.MigrateGatheringOwnership(cx, &mm.MigrateGatheringOwnershipRequest{GID: gid}); resultOf(err) != rmc.ResultRendezVousPermissionDenied {
		t.Fatalf("migrate by non-owner: %v", err)
	}
	if _, err := a.mm.MigrateGatheringOwnership(cx, &mm.MigrateGatheringOwnershipRequest{GID: gid, PotentialOwners: []uint64{1007}}); resultOf(err) != rmc.ResultRendezVousUserIsOffline {
		t.Fatalf("migrate to offline: %v", err)
	}
	if _, err := a.mm.MigrateGatheringOwnership(cx, &mm.MigrateGatheringOwnershipRequest{GID: gid, PotentialOwners: []uint64{1007, 1002}}); err != nil {
		t.Fatal(err)
	}
	if o, _ := host(); o != 1002 {
		t.Fatalf("owner after migrate = %d", o)
	}
	for _, x := range []*console{a, b} {
		evs := events(t, x, 1)
		found := false
		for _, e := range evs {
			found = found || e.Type == 4000 && e.Param1 == uint64(gid) && e.Param2 == 1002
		}
		if !found {
			t.Fatalf("%d heard %+v", x.PID, evs)
		}
	}

	// With 0x200, V1 moves owner and host.
	s2 := newSession(2, 4)
	s2.Flags = 0x200
	cr2, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typedHold(s2), NumParticipants: 1, HasNumParticipants: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.mm.Participate(cx, &mm.ParticipateRequest{GID: cr2.GID}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.mm.UpdateSessionHostV1(cx, &mm.UpdateSessionHostV1Request{GID: cr2.GID}); err != nil {
		t.Fatal(err)
	}
	r2, err := d.mm.FindBySingleID(cx, &mm.FindBySingleIDRequest{GID: cr2.GID})
	if err != nil {
		t.Fatal(err)
	}
	if g := r2.Gathering.Value.(*mm.MatchmakeSession); g.Owner != 1004 || g.Host != 1004 {
		t.Fatalf("V1 with 0x200: %+v", g)
	}

	// Methods no source describes answer Core::NotImplemented (the
	// README lists them).
	gid = cr2.GID
	for name, call := range map[string]func() error{
		"FindBySQLQuery": func() error { _, err := a.mm.FindBySQLQuery(cx, &mm.FindBySQLQueryRequest{Query: "x"}); return err },
		"Invite": func() error {
			_, err := d.mm.Invite(cx, &mm.InviteRequest{GID: gid, PIDs: []uint64{1001}, Message: "come"})
			return err
		},
		"AcceptInvitation":  func() error { _, err := a.mm.AcceptInvitation(cx, &mm.AcceptInvitationRequest{GID: gid}); return err },
		"DeclineInvitation": func() error { _, err := a.mm.DeclineInvitation(cx, &mm.DeclineInvitationRequest{GID: gid}); return err },
		"CancelInvitation": func() error {
			_, err := d.mm.CancelInvitation(cx, &mm.CancelInvitationRequest{GID: gid, PIDs: []uint64{1001}})
			return err
		},
		"GetInvitationsSent": func() error {
			_, err := d.mm.GetInvitationsSent(cx, &mm.GetInvitationsSentRequest{GID: gid})
			return err
		},
		"GetInvitationsReceived": func() error {
			_, err := a.mm.GetInvitationsReceived(cx, &mm.GetInvitationsReceivedRequest{})
			return err
		},
		"FindInvitations": func() error {
			_, err := a.mm.FindInvitations(cx, &mm.FindInvitationsRequest{Range: common.ResultRange{Size: 10}})
			return err
		},
		"ReportStats": func() error {
			_, err := d.mm.ReportStats(cx, &mm.ReportStatsRequest{GID: gid, Stats: []mm.GatheringStats{{PID: 1004, Values: []float32{1}}}})
			return err
		},
		"GetStats": func() error {
			_, err := d.mm.GetStats(cx, &mm.GetStatsRequest{GID: gid, PIDs: []uint64{1004}, Columns: []uint8{0}})
			return err
		},
	} {
		if err := call(); resultOf(err) != rmc.ResultCoreNotImplemented {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := a.mx.DebugNotifyEvent(cx, &matchmakeextension.DebugNotifyEventRequest{PID: 1002}); resultOf(err) != rmc.ResultCoreNotImplemented {
		t.Fatalf("DebugNotifyEvent: %v", err)
	}
}
