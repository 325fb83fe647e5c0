package proxy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// ticketOf returns the ticket buffer of a recorded login response.
func ticketOf(e *record.CallEvent) []byte {
	var out []byte
	if e == nil || e.Response == nil {
		return nil
	}
	_ = e.Response.Walk(func(_ string, v *schema.Value) error {
		if v.Kind == schema.KindBuffer && out == nil {
			out = v.Bytes
		}
		return nil
	})
	return out
}

// upstreamAddr formats the upstream of a proxying game.
func upstreamAddr(up *proxy.Server) string {
	return up.AuthAddr("g").String()
}

func TestProxyToLocalUpstream(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	for _, platform := range []string{"wiiu", "3ds", "friends", "switch"} {
		t.Run(platform, func(t *testing.T) {
			upRec, frontRec := &memRecorder{}, &memRecorder{}
			upGame := testGame{platform: platform, upstream: "local", accounts: true}
			if platform == "switch" {
				upGame.tlsDir = writeCert(t)
			}
			up, _ := startServer(t, upGame, upRec)
			defer up.Close()
			front, cfg := startServer(t, testGame{platform: platform, upstream: upstreamAddr(up), accounts: true}, frontRec)
			defer front.Close()

			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := proxy.Login(ctx, clientConfig(cfg, front))
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			defer c.Close()
			if port, _ := c.Station.Port(); port != portOf(front.SecureAddr("g")) {
				t.Errorf("client station %s, want nexproxy's secure port %s", c.Station.String(), front.SecureAddr("g"))
			}
			upTicket := ticketOf(upRec.find(10, 1))
			if len(upTicket) == 0 || bytes.Equal(upTicket, c.Ticket) {
				t.Errorf("tickets of the two legs are equal or missing (%d bytes upstream)", len(upTicket))
			}
			pub := registerEx(t, ctx, c, cfg.Games[0].RMC)
			checkPublic(t, c, pub)

			// RequestURLs returns the stored public URL, seen upstream as
			// nexproxy's address: it must come back as the client's.
			w := rmc.NewWriter(cfg.Games[0].RMC)
			w.U32(0)
			w.PID(c.PID)
			m, err := c.Call(ctx, 11, 3, w.Bytes())
			if err != nil || !m.Success {
				t.Fatalf("RequestURLs: %v %v", err, m)
			}
			r := rmc.NewReader(m.Body, cfg.Games[0].RMC)
			if !r.Bool() {
				t.Fatal("RequestURLs: false")
			}
			n := r.ListLen()
			found := false
			for range n {
				u := r.StationURL()
				if typ, _ := u.Int("type"); typ == 3 {
					found = true
					checkPublic(t, c, u)
				}
			}
			if !found || r.Err() != nil {
				t.Errorf("RequestURLs: no public URL (%v)", r.Err())
			}
			m, err = c.Call(ctx, 0x7F0, 1, nil)
			if err != nil || m.Success {
				t.Fatalf("unknown protocol through the proxy: %v %v", err, m)
			}
			// The upstream's error result reaches the console unchanged,
			// forwarded under a call id of nexproxy's upstream connection.
			if want, _ := rmc.ResultByName("Core::NotImplemented"); m.Error != want {
				t.Errorf("unknown protocol through the proxy answered %s, want the upstream's %s", m.Error, want)
			}
			if e := frontRec.find(0x7F0, 1); e == nil || e.Handler != record.HandlerUpstream || e.ForwardedCallID == 0 || e.Error != m.Error {
				t.Errorf("session log of the unknown protocol: %+v, want the upstream's answer to a forwarded call", e)
			}
			for _, want := range [][2]uint32{{10, 1}, {11, 4}, {11, 3}} {
				if e := frontRec.find(uint16(want[0]), want[1]); e == nil || e.Request == nil || (e.Response == nil && e.Error == 0) {
					t.Errorf("session log lacks call %d.%d", want[0], want[1])
				}
			}
			logins := frontRec.loginsString()
			if logins != "[1234567:intercepted]" {
				t.Errorf("logins %s", logins)
			}
		})
	}
}

func TestBlindRelay(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	upRec, frontRec := &memRecorder{}, &memRecorder{}
	up, _ := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, upRec)
	defer up.Close()
	// The front does not know the user's password.
	front, cfg := startServer(t, testGame{platform: "wiiu", upstream: upstreamAddr(up)}, frontRec)
	defer front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	if !bytes.Equal(ticketOf(upRec.find(10, 1)), c.Ticket) {
		t.Error("blind relay changed the ticket")
	}
	if port, _ := c.Station.Port(); port == portOf(front.SecureAddr("g")) || port == portOf(up.SecureAddr("g")) {
		t.Errorf("station %s should name a relay", c.Station.String())
	}
	m, err := c.Call(ctx, 11, 5, nil)
	if err != nil || !m.Success {
		t.Fatalf("TestConnectivity through the relay: %v %v", err, m)
	}
	logins := frontRec.loginsString()
	if logins != "[1234567:blind-relay]" {
		t.Errorf("logins %s", logins)
	}
}

func TestUpstreamDown(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	dead := fmt.Sprintf("127.0.0.1:%d", freePort(t, "udp"))
	front, cfg := startServer(t, testGame{platform: "wiiu", upstream: dead, accounts: true}, nil)
	defer front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err == nil {
		t.Fatal("login succeeded with the upstream down")
	}
	checkCleanRefusal(t, err)
}

// checkCleanRefusal fails unless a login failed cleanly: with a NEX error
// result telling the console the server cannot be reached, not with a
// timeout or a dropped connection.
func checkCleanRefusal(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, proxy.ErrLoginRefused) || !strings.Contains(err.Error(), "RendezVous::ConnectionFailure") {
		t.Errorf("login error %v, want a refusal with RendezVous::ConnectionFailure", err)
	}
}

func TestUpstreamDiesMidSession(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	up, _ := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, nil)
	front, cfg := startServer(t, testGame{platform: "wiiu", upstream: upstreamAddr(up), accounts: true}, nil)
	defer front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	up.Close()
	select {
	case <-c.Secure.Done():
	case <-ctx.Done():
		t.Fatal("console not disconnected after the upstream died")
	}
	// nexproxy still serves others: a fresh login fails cleanly.
	if _, err := proxy.Login(ctx, clientConfig(cfg, front)); err == nil {
		t.Error("login succeeded with the upstream gone")
	} else {
		checkCleanRefusal(t, err)
	}
}

func TestManyClients(t *testing.T) {
	if testing.Short() {
		t.Skip("200 clients")
	}
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	const n = 200
	// One account per console: a PID has one secure session, and a second
	// one replaces the first.
	srv, cfg := startServer(t, testGame{platform: "wiiu", upstream: "local", moreUsers: n}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	clients := make(chan *proxy.Client, n)
	keys := kerberos.NewKeyCache(0)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := clientConfig(cfg, srv)
			cc.Username, cc.Password = otherUser(i + 1)
			cc.Keys = keys
			c, err := proxy.Login(ctx, cc)
			if err != nil {
				errs <- err
				return
			}
			clients <- c
			for range 5 {
				m, err := c.Call(ctx, 11, 5, nil)
				if err != nil || !m.Success {
					errs <- fmt.Errorf("call: %v %v", err, m)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	close(clients)
	for err := range errs {
		t.Error(err)
	}
	if got := srv.Conns(); got != 2*n {
		t.Errorf("%d connections open, want %d", got, 2*n)
	}
	srv.Close()
	for c := range clients {
		c.Close()
	}
}
