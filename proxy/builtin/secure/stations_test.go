package secure_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// TestReplaceURLByAddress: ReplaceURL finds the station to replace by its
// address and port, as the console knows it (without the PID and RVCID
// the server added, in its own key order), and the replacement is stored
// with the console's PID and RVCID; the public station stays.
func TestReplaceURLByAddress(t *testing.T) {
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := srv.Login(t, "1001:pw1")
	sec := secureconnection.NewClient(c.Secure, c.Settings)
	local := servicetest.StationURL(t, "prudp:/address=192.168.0.10;port=40001;natf=0;natm=0;pmp=0;sid=15;type=1;upnp=0")
	r, err := sec.Register(ctx, &secureconnection.RegisterRequest{URLs: []rmc.StationURL{local}})
	if err != nil {
		t.Fatal(err)
	}
	// The console's own copy: its RVCID written in, natm/natf as it found them.
	old := servicetest.StationURL(t, "prudp:/address=192.168.0.10;port=40001;natf=1;natm=1;pmp=0;sid=15;type=1;upnp=0")
	old.SetInt(rmc.URLRVCID, int64(r.ConnectionID))
	repl := servicetest.StationURL(t, "prudp:/address=192.168.0.11;port=40002;natf=1;natm=1;pmp=0;sid=15;type=1;upnp=0")
	if _, err := sec.ReplaceURL(ctx, &secureconnection.ReplaceURLRequest{URL: old, New: repl}); err != nil {
		t.Fatal(err)
	}
	got, err := sec.RequestUrls(ctx, &secureconnection.RequestUrlsRequest{CID: r.ConnectionID, PID: 1001})
	if err != nil || !got.Result || len(got.URLs) != 2 {
		t.Fatalf("RequestUrls: %+v, %v", got, err)
	}
	want := repl.Clone()
	want.SetInt(rmc.URLPID, 1001)
	want.SetInt(rmc.URLRVCID, int64(r.ConnectionID))
	if got.URLs[0].String() != want.String() {
		t.Errorf("replaced station %s, want %s", got.URLs[0].String(), want.String())
	}
	if got.URLs[1].String() != r.PublicStation.String() {
		t.Errorf("public station %s, want %s", got.URLs[1].String(), r.PublicStation.String())
	}
}

// TestRequestUrlsStaleCID: RequestUrls finds the console by its
// connection id (whatever the PID, even 0 or another's) and, when that id is no longer live (the console
// reconnected since the asker learnt it), by its PID, as Pretendo does:
// the asker gets the console's current stations.
func TestRequestUrlsStaleCID(t *testing.T) {
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	asker := srv.Login(t, "1002:pw2")
	old := register(t, ctx, srv.Login(t, "1001:pw1"))
	again := register(t, ctx, srv.Login(t, "1001:pw1"))
	if old.ConnectionID == again.ConnectionID {
		t.Fatalf("the reconnect kept connection id %d", old.ConnectionID)
	}
	sec := secureconnection.NewClient(asker.Secure, asker.Settings)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := sec.RequestUrls(ctx, &secureconnection.RequestUrlsRequest{CID: old.ConnectionID, PID: 1001})
		if err == nil && got.Result && len(got.URLs) == 2 && got.URLs[1].String() == again.PublicStation.String() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("RequestUrls(old cid %d, 1001): %+v, %v (want the stations of cid %d)", old.ConnectionID, got, err, again.ConnectionID)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// By the live connection id, whatever the PID.
	got, err := sec.RequestUrls(ctx, &secureconnection.RequestUrlsRequest{CID: again.ConnectionID, PID: 1001})
	if err != nil || !got.Result || len(got.URLs) != 2 {
		t.Fatalf("RequestUrls(cid %d): %+v, %v", again.ConnectionID, got, err)
	}
	// The PID unknown (0) or another's (4242): the live connection id
	// alone finds 1001's stations.
	for _, pid := range []uint64{0, 4242} {
		got, err := sec.RequestUrls(ctx, &secureconnection.RequestUrlsRequest{CID: again.ConnectionID, PID: pid})
		if err != nil || !got.Result || len(got.URLs) != 2 || got.URLs[1].String() != again.PublicStation.String() {
			t.Fatalf("RequestUrls(cid %d, pid %d): %+v, %v (want the stations of 1001)", again.ConnectionID, pid, got, err)
		}
	}
	// Neither known: false, no stations.
	got, err = sec.RequestUrls(ctx, &secureconnection.RequestUrlsRequest{CID: 999999, PID: 4242})
	if err != nil || got.Result || len(got.URLs) != 0 {
		t.Fatalf("RequestUrls of nobody: %+v, %v", got, err)
	}
}

// TestRegisterWithoutStations: Register and RegisterEx with no station
// are refused with Core::InvalidArgument, as Pretendo does (it finds no
// local station); nothing is registered.
func TestRegisterWithoutStations(t *testing.T) {
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := srv.Login(t, "1001:pw1")
	sec := secureconnection.NewClient(c.Secure, c.Settings)
	_, err := sec.Register(ctx, &secureconnection.RegisterRequest{})
	var re *rpc.ResultError
	if !errors.As(err, &re) || re.Result != rmc.ResultCoreInvalidArgument {
		t.Errorf("Register([]): %v, want Core::InvalidArgument", err)
	}
	login := secureconnection.NintendoLoginData{Token: "x"}
	_, err = sec.RegisterEx(ctx, &secureconnection.RegisterExRequest{LoginData: typed.Hold(&login)})
	if !errors.As(err, &re) || re.Result != rmc.ResultCoreInvalidArgument {
		t.Errorf("RegisterEx([]): %v, want Core::InvalidArgument", err)
	}
	got, err := sec.RequestUrls(ctx, &secureconnection.RequestUrlsRequest{PID: 1001})
	if err != nil || got.Result {
		t.Errorf("stations after the refusals: %+v, %v", got, err)
	}
}
