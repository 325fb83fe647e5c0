package proxy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	nat "github.com/nexproxy/nexproxy/rmc/protocols/nattraversal"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
	"github.com/nexproxy/nexproxy/rmc/typed"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/matchmaking"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/nattraversal"
)

// proxiedServices starts nexproxy in local mode with every service this
// test binary registers, and a nexproxy proxying to it, which the
// consoles use.
func proxiedServices(t *testing.T) *servicetest.Server {
	t.Helper()
	up := servicetest.Start(t, servicetest.Game{}, nil)
	return servicetest.Start(t, servicetest.Game{Upstream: up.AuthAddr("g").String()}, nil)
}

// viaConsole is a console logged in through the proxy that registered a
// local station behind NAT; public is its public station as it received it.
type viaConsole struct {
	*servicetest.Console
	cid    uint32
	public rmc.StationURL
}

// joinVia logs user pid (of servicetest's accounts) in through front and
// registers with SecureConnection Register (method 1): the public station
// the upstream built from the proxy's address must come back as the
// console's own.
func joinVia(t *testing.T, front *servicetest.Server, pid int) *viaConsole {
	t.Helper()
	c := front.Login(t, fmt.Sprintf("%d:pw%d", pid, pid-1000))
	local := servicetest.StationURL(t, fmt.Sprintf("prudp:/address=192.168.0.%d;port=%d;natf=0;natm=0;pmp=0;sid=15;type=1;upnp=0", pid-1000, 40000+pid))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := secureconnection.NewClient(c.Secure, c.Settings).Register(ctx, &secureconnection.RegisterRequest{URLs: []rmc.StationURL{local}})
	if err != nil || r.ConnectionID == 0 {
		t.Fatalf("register %d: %+v, %v", pid, r, err)
	}
	checkPublic(t, c.Client, r.PublicStation)
	return &viaConsole{Console: c, cid: r.ConnectionID, public: r.PublicStation}
}

// TestProxyRewritesInitiateProbe: the upstream asks a console to probe
// another's registered public station (RequestProbeInitiation), which it
// knows at the proxy's address; the InitiateProbe the console receives
// names the other console's real address, as that one was told at
// Register.
func TestProxyRewritesInitiateProbe(t *testing.T) {
	front := proxiedServices(t)
	a, b := joinVia(t, front, 1001), joinVia(t, front, 1002)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := nat.NewClient(b.Secure, b.Settings).RequestProbeInitiation(ctx, &nat.RequestProbeInitiationRequest{TargetURLs: []rmc.StationURL{a.public}}); err != nil {
		t.Fatalf("RequestProbeInitiation: %v", err)
	}
	m := a.WaitRequest(t, nat.ProtocolID, nat.MethodInitiateProbe, 10*time.Second)
	var req nat.InitiateProbeRequest
	if err := req.Decode(m.Body, a.Settings); err != nil {
		t.Fatalf("InitiateProbe body: %v", err)
	}
	checkPublic(t, b.Client, req.StationToProbe)
	if got, want := req.StationToProbe.String(), b.public.String(); got != want {
		t.Errorf("A was asked to probe %q, want B's public station %q", got, want)
	}
}

// TestProxyRewritesMatchmakingURLs: the host's and the participants'
// stations in matchmaking results (GetSessionURLs, GetParticipantsURLs)
// name the consoles' real addresses, not the proxy's, and their local
// stations pass unchanged.
func TestProxyRewritesMatchmakingURLs(t *testing.T) {
	front := proxiedServices(t)
	a, b := joinVia(t, front, 1001), joinVia(t, front, 1002)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := &mm.MatchmakeSession{}
	s.SetDefaults()
	s.MinParticipants, s.MaxParticipants = 1, 4
	s.GameMode = 4
	s.Attribs = []uint32{7, 0, 3, 0, 0, 0}
	s.MatchmakeSystem = 1
	cr, err := matchmakeextension.NewClient(a.Secure, a.Settings).CreateMatchmakeSession(ctx, &matchmakeextension.CreateMatchmakeSessionRequest{
		Gathering: typed.Hold(s), Description: "d", NumParticipants: 1, HasNumParticipants: true})
	if err != nil || cr.GID == 0 {
		t.Fatalf("CreateMatchmakeSession: %+v %v", cr, err)
	}
	if _, err := matchmakeextension.NewClient(b.Secure, b.Settings).JoinMatchmakeSessionEx(ctx, &matchmakeextension.JoinMatchmakeSessionExRequest{
		GID: cr.GID, NumParticipants: 1, HasNumParticipants: true}); err != nil {
		t.Fatalf("JoinMatchmakeSessionEx: %v", err)
	}
	bm := mm.NewClient(b.Secure, b.Settings)
	su, err := bm.GetSessionURLs(ctx, &mm.GetSessionURLsRequest{GID: cr.GID})
	if err != nil {
		t.Fatalf("GetSessionURLs: %v", err)
	}
	if got, want := publicOf(t, "GetSessionURLs", su.URLs).String(), a.public.String(); got != want {
		t.Errorf("GetSessionURLs: host's public station %q, want %q", got, want)
	}
	pu, err := bm.GetParticipantsURLs(ctx, &mm.GetParticipantsURLsRequest{GID: cr.GID})
	if err != nil {
		t.Fatalf("GetParticipantsURLs: %v", err)
	}
	want := map[string]bool{a.public.String(): true, b.public.String(): true}
	for _, u := range pu.URLs {
		typ, _ := u.Int(rmc.URLType)
		addr, _ := u.Address()
		switch {
		case typ == 3 && !want[u.String()]:
			t.Errorf("GetParticipantsURLs: public station %q is not a console's own", u.String())
		case typ == 3:
			delete(want, u.String())
		case addr != "192.168.0.1" && addr != "192.168.0.2":
			t.Errorf("GetParticipantsURLs: local station %q changed", u.String())
		}
	}
	if len(want) != 0 {
		t.Errorf("GetParticipantsURLs %v lacks %v", pu.URLs, want)
	}
}
