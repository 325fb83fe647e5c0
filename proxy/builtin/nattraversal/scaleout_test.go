package nattraversal_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	nat "github.com/nexproxy/nexproxy/rmc/protocols/nattraversal"
)

// TestProbeAcrossInstances: two instances share PostgreSQL and Redis; a
// console on B asks for a probe of a console on A, which receives
// InitiateProbe through the bus, with B's station to probe.
func TestProbeAcrossInstances(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	cfg := servicetest.ScaleOutConfig(t)
	game := servicetest.Game{Platform: "wiiu"}
	srvA := servicetest.Start(t, game, servicetest.HostWith(t, cfg))
	srvB := servicetest.Start(t, game, servicetest.HostWith(t, cfg))
	a, b := join(t, srvA, 1001), join(t, srvB, 1002)

	if _, err := b.nat.RequestProbeInitiation(ctxT(t), &nat.RequestProbeInitiationRequest{TargetURLs: []rmc.StationURL{a.public}}); err != nil {
		t.Fatalf("RequestProbeInitiation: %v", err)
	}
	m := a.WaitRequest(t, nat.ProtocolID, nat.MethodInitiateProbe, wait)
	var req nat.InitiateProbeRequest
	if err := req.Decode(m.Body, a.Settings); err != nil {
		t.Fatalf("InitiateProbe body: %v", err)
	}
	if got, want := req.StationToProbe.String(), b.public.String(); got != want {
		t.Fatalf("A was asked to probe %q, want B's %q", got, want)
	}
	if n := probes(b.Console); n != 0 {
		t.Fatalf("B, the caller, received %d InitiateProbe", n)
	}
}
