package secure_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
	"github.com/nexproxy/nexproxy/rmc/protocols/utility"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/utility"
)

func register(t *testing.T, ctx context.Context, c *servicetest.Console) *secureconnection.RegisterResponse {
	t.Helper()
	u := rmc.StationURL{Scheme: "prudp"}
	u.SetAddress(c.SecureLocal.Addr().String())
	u.SetPort(c.SecureLocal.Port())
	u.SetInt(rmc.URLType, 2)
	r, err := secureconnection.NewClient(c.Secure, c.Settings).Register(ctx, &secureconnection.RegisterRequest{URLs: []rmc.StationURL{u}})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	return r
}

// twoInstances starts two local-mode instances of one Wii U game sharing
// PostgreSQL and Redis (servicetest.ScaleOutConfig).
func twoInstances(t *testing.T) (a, b *servicetest.Server) {
	t.Helper()
	cfg := servicetest.ScaleOutConfig(t)
	a = servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, servicetest.HostWith(t, cfg))
	b = servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, servicetest.HostWith(t, cfg))
	return a, b
}

// TestStationsAcrossInstances: two nexproxy instances on one PostgreSQL
// and Redis serve one game as one. A console registered on one is found
// from the other, connection ids and unique ids never collide, and a
// console that reconnects on the other instance takes its station with it
// (the old connection's end does not remove the new registration).
func TestStationsAcrossInstances(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	a, b := twoInstances(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	onA := a.Login(t, "1001:pw1")
	onB := b.Login(t, "1002:pw2")
	ra, rb := register(t, ctx, onA), register(t, ctx, onB)
	if ra.ConnectionID == rb.ConnectionID {
		t.Fatalf("both instances handed out connection id %d", ra.ConnectionID)
	}
	urls, err := secureconnection.NewClient(onB.Secure, onB.Settings).RequestUrls(ctx, &secureconnection.RequestUrlsRequest{PID: 1001})
	if err != nil || !urls.Result || len(urls.URLs) != 2 || urls.URLs[1].String() != ra.PublicStation.String() {
		t.Fatalf("A's stations seen from B: %+v, %v (want the public %s)", urls, err, ra.PublicStation.String())
	}

	seen := map[uint64]bool{}
	for _, c := range []*servicetest.Console{onA, onB, onA, onB} {
		r, err := utility.NewClient(c.Secure, c.Settings).AcquireNexUniqueId(ctx, &utility.AcquireNexUniqueIdRequest{})
		if err != nil || seen[r.UniqueID] {
			t.Fatalf("unique id %+v (%v) repeats across instances", r, err)
		}
		seen[r.UniqueID] = true
	}

	// The console of A reconnects on B; its old connection on A ends.
	again := b.Login(t, "1001:pw1")
	rr := register(t, ctx, again)
	_ = onA.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		urls, err = secureconnection.NewClient(onB.Secure, onB.Settings).RequestUrls(ctx, &secureconnection.RequestUrlsRequest{PID: 1001})
		if err == nil && urls.Result && len(urls.URLs) == 2 && urls.URLs[1].String() == rr.PublicStation.String() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the reconnect: %+v, %v (want %s)", urls, err, rr.PublicStation.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Once A has ended the old session, the station is still B's.
	time.Sleep(200 * time.Millisecond)
	urls, err = secureconnection.NewClient(onB.Secure, onB.Settings).RequestUrls(ctx, &secureconnection.RequestUrlsRequest{PID: 1001})
	if err != nil || !urls.Result {
		t.Errorf("the old connection's end removed the new registration: %+v, %v", urls, err)
	}
}

// TestReconnectElsewhereEndsStaleConnection: a console that connects
// again to another instance while its old connection still lives (the
// old one never said goodbye) is disconnected from the old instance once
// that instance refreshes its leases and sees the entry taken, so that
// the old instance stops delivering to a dead console.
func TestReconnectElsewhereEndsStaleConnection(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	t.Cleanup(secure.SetLeaseRefresh(100 * time.Millisecond))
	a, b := twoInstances(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	onA := a.Login(t, "1001:pw1")
	other := a.Login(t, "1002:pw2")
	register(t, ctx, onA)
	again := b.Login(t, "1001:pw1")
	rr := register(t, ctx, again)
	select {
	case <-onA.Secure.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the stale connection on the first instance is still up")
	}
	// The console's station is still the new connection's, and the other
	// console of the first instance was left alone.
	urls, err := secureconnection.NewClient(other.Secure, other.Settings).RequestUrls(ctx, &secureconnection.RequestUrlsRequest{PID: 1001})
	if err != nil || !urls.Result || len(urls.URLs) != 2 || urls.URLs[1].String() != rr.PublicStation.String() {
		t.Fatalf("after the stale connection ended: %+v, %v (want %s)", urls, err, rr.PublicStation.String())
	}
}

// TestPresenceFromLogin: a console's presence entry exists from its
// secure login on, before it registers: without stations (RequestUrls
// says false), with the connection id Register then hands out; it ends
// with the connection.
func TestPresenceFromLogin(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	host := servicetest.Host(t)
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, host)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	c := srv.Login(t, "1001:pw1")
	other := srv.Login(t, "1002:pw2")
	// The lease is taken before the session serves its first call.
	if _, err := secureconnection.NewClient(c.Secure, c.Settings).TestConnectivity(ctx, &secureconnection.TestConnectivityRequest{}); err != nil {
		t.Fatal(err)
	}
	st, err := host.Stores.Stations.Get(ctx, "g", 1001)
	if err != nil || st.Owner.RVCID == 0 || len(st.URLs) != 0 {
		t.Fatalf("presence before Register: %+v, %v", st, err)
	}
	urls, err := secureconnection.NewClient(other.Secure, other.Settings).RequestUrls(ctx, &secureconnection.RequestUrlsRequest{PID: 1001})
	if err != nil || urls.Result || len(urls.URLs) != 0 {
		t.Fatalf("stations of a console that has not registered: %+v, %v", urls, err)
	}
	r := register(t, ctx, c)
	if r.ConnectionID != st.Owner.RVCID {
		t.Errorf("Register's connection id %d, presence's %d", r.ConnectionID, st.Owner.RVCID)
	}
	if st, err = host.Stores.Stations.Get(ctx, "g", 1001); err != nil || len(st.URLs) != 2 {
		t.Fatalf("station after Register: %+v, %v", st, err)
	}
	_ = c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := host.Stores.Stations.Get(ctx, "g", 1001)
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("presence after the disconnect: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
