package proxy_test

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/rmc"
)

// TestBlindRelayLoginsBounded: logins relayed blindly that never reach the
// secure server (NintendoClients logs in three times per session) leave
// a bounded number of sockets open: the game's logins share one relay,
// and a console's upstream socket is opened by its first datagram. A
// console that then connects is relayed as before.
func TestBlindRelayLoginsBounded(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	up, _ := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, nil)
	defer up.Close()
	frontRec := &memRecorder{}
	front, cfg := startServer(t, testGame{platform: "wiiu", upstream: upstreamAddr(up)}, frontRec) // password unknown
	defer front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const logins = 12
	var stations []rmc.StationURL
	for range logins {
		c, err := proxy.AuthOnlyForTest(ctx, clientConfig(cfg, front))
		if err != nil {
			t.Fatal(err)
		}
		w := rmc.NewWriter(cfg.Games[0].RMC)
		w.String(testUser)
		m, err := c.Auth.Call(ctx, 10, 1, w.Bytes())
		c.Close()
		if err != nil || !m.Success {
			t.Fatalf("login: %v %v", err, m)
		}
		r := rmc.NewReader(m.Body, cfg.Games[0].RMC)
		r.Result()
		r.PID()
		r.Buffer()
		r.StructBegin()
		stations = append(stations, r.StationURL())
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
	}
	if got := len(frontRec.loginList()); got != logins {
		t.Fatalf("%d logins recorded, want %d", got, logins)
	}
	st := front.Stats()
	if st.BlindRelays != 1 || st.BlindRelayConsoles != 0 {
		t.Errorf("after %d logins without a secure connection: %d relays with %d console sockets open, want 1 relay and none",
			logins, st.BlindRelays, st.BlindRelayConsoles)
	}
	for _, s := range stations[1:] {
		if s.String() != stations[0].String() {
			t.Errorf("logins got relays %s and %s, want the game's one", stations[0].String(), s.String())
			break
		}
	}
	// A console that connects is still relayed.
	c, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatalf("login through the relay: %v", err)
	}
	defer c.Close()
	if m, err := c.Call(ctx, 11, 5, nil); err != nil || !m.Success {
		t.Fatalf("TestConnectivity through the relay: %v %v", err, m)
	}
	if st := front.Stats(); st.BlindRelays != 1 || st.BlindRelayConsoles != 1 {
		t.Errorf("with one console relayed: %d relays, %d console sockets, want 1 and 1", st.BlindRelays, st.BlindRelayConsoles)
	}
}
