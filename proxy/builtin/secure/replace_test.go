package secure_test

import (
	"context"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
)

func mustURL(t *testing.T, s string) rmc.StationURL {
	t.Helper()
	u, err := rmc.ParseStationURL(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

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
	local := mustURL(t, "prudp:/address=192.168.0.10;port=40001;natf=0;natm=0;pmp=0;sid=15;type=1;upnp=0")
	r, err := sec.Register(ctx, &secureconnection.RegisterRequest{URLs: []rmc.StationURL{local}})
	if err != nil {
		t.Fatal(err)
	}
	// The console's own copy: its RVCID written in, natm/natf as it found them.
	old := mustURL(t, "prudp:/address=192.168.0.10;port=40001;natf=1;natm=1;pmp=0;sid=15;type=1;upnp=0")
	old.SetInt(rmc.URLRVCID, int64(r.ConnectionID))
	repl := mustURL(t, "prudp:/address=192.168.0.11;port=40002;natf=1;natm=1;pmp=0;sid=15;type=1;upnp=0")
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
