package matchmaking_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/notification"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// TestNotificationAcrossInstances: two instances share PostgreSQL and
// Redis; console 1001 on A creates a session, 1002 on B joins it, and
// 1001 hears the 3001 join notification through the bus.
func TestNotificationAcrossInstances(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	cfg := servicetest.ScaleOutConfig(t)
	cfg.Backends.Gatherings = store.BackendPostgres
	game := servicetest.Game{Platform: "wiiu"}
	srvA := servicetest.Start(t, game, servicetest.HostWith(t, cfg))
	srvB := servicetest.Start(t, game, servicetest.HostWith(t, cfg))
	a, b := login(t, srvA, "1001:pw1"), login(t, srvB, "1002:pw2")
	register(t, a)
	register(t, b)
	cx := ctx(t)

	cr, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{
		Gathering: typed.Hold(newSession(4, 4)), Description: "hi", NumParticipants: 1, HasNumParticipants: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.mx.JoinMatchmakeSessionEx(cx, &matchmakeextension.JoinMatchmakeSessionExRequest{GID: cr.GID, Gmessage: "from B", NumParticipants: 1, HasNumParticipants: true}); err != nil {
		t.Fatal(err)
	}
	m := a.WaitRequest(t, notification.ProtocolID, notification.MethodProcessNotificationEvent, 10*time.Second)
	var ev notification.ProcessNotificationEventRequest
	if err := ev.Decode(m.Body, a.Settings); err != nil {
		t.Fatal(err)
	}
	if e := ev.Event; e.Type != 3001 || e.SourcePID != 1002 || e.Param1 != uint64(cr.GID) || e.Param2 != 1002 || e.Text != "from B" {
		t.Errorf("3001 = %+v", e)
	}

	// 1002 is online on B: ownership may move to it.
	if _, err := a.mm.MigrateGatheringOwnership(cx, &mm.MigrateGatheringOwnershipRequest{GID: cr.GID, PotentialOwners: []uint64{1002}}); err != nil {
		t.Fatalf("migrate ownership to a console on B: %v", err)
	}
}
