package proxy_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin/auth"
	"github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/scripts"
)

// startKeylessSwitch starts a local Switch upstream (built-in
// authentication and secure server) and, in front of it, a proxy that
// knows no password, so that Login (ValidateAndRequestTicket) responses,
// which carry no source key, leave it unable to open the ticket; hooks
// is the front's hook engine (nil: none). Both close with the test.
func startKeylessSwitch(t *testing.T, hooks *scripts.Engine) (front *proxy.Server, cfg *config.Config, upRec, frontRec *memRecorder) {
	t.Helper()
	upRec, frontRec = &memRecorder{}, &memRecorder{}
	up, _ := startWithOptions(t, testGame{platform: "switch", upstream: "local", accounts: true, tlsDir: writeCert(t)},
		proxy.Options{Builtins: []proxy.Builtin{servicetest.Host(t).Named(auth.Name, secure.Name)}, Recorder: upRec}, nil)
	t.Cleanup(func() { up.Close() })
	front, cfg = startWithOptions(t, testGame{platform: "switch", upstream: upstreamAddr(up)}, proxy.Options{Recorder: frontRec}, hooks)
	t.Cleanup(func() { front.Close() })
	return front, cfg, upRec, frontRec
}

// TestSwitchWithoutKeyRelayedDecoded: a Switch login whose response
// carries no source key and whose password nexproxy does not know (the
// NintendoClients server's NullData logins) still sends the console to
// nexproxy's secure endpoint: its CONNECT is passed to the upstream
// unchanged (PRUDPLite needs no session key), and its calls are decoded,
// logged, URL-rewritten and hookable. Both session logs say
// relay-decoded.
func TestSwitchWithoutKeyRelayedDecoded(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	e, _ := newHookEngine(t, scriptDir(t, map[string]string{"answer.lua": `
nex.on_request(0x7E1, 1, function(call) return nex.answer_raw("from-hook") end)`}), nil)
	t.Cleanup(e.Close) // after the front closes (cleanups run last first)
	front, cfg, upRec, frontRec := startKeylessSwitch(t, e)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	if port, _ := c.Station.Port(); port != portOf(front.SecureAddr("g")) {
		t.Fatalf("station %s: the console is sent around nexproxy (its secure port is %s)", c.Station.String(), front.SecureAddr("g"))
	}
	pub := registerEx(t, ctx, c, cfg.Games[0].RMC)
	checkPublic(t, c, pub)
	if m, err := c.Call(ctx, 11, 5, nil); err != nil || !m.Success {
		t.Fatalf("TestConnectivity: %v %v", err, m)
	}
	m, err := c.Call(ctx, 0x7E1, 1, nil)
	if err != nil || !m.Success || string(m.Body) != "from-hook" {
		t.Fatalf("hooked call: %v %v %q", err, m, m.Body)
	}
	if e := frontRec.find(11, 4); e == nil || e.Request == nil || e.Response == nil || e.Handler != record.HandlerUpstream {
		t.Errorf("front session log of RegisterEx: %+v, want it decoded and forwarded", e)
	}
	if e := upRec.find(11, 5); e == nil {
		t.Error("the upstream did not serve the secure calls")
	}
	if got := frontRec.loginsString(); got != "[1234567:relay-decoded 1234567:relay-decoded]" {
		t.Errorf("logins %s, want the login and the secure session relay-decoded", got)
	}
}

// TestRequestTicketRelayedDecoded: after a Switch login relayed decoded
// (nexproxy cannot open the ticket), a RequestTicket on the same
// authentication connection hands the console the upstream's ticket
// unchanged, and the console's next secure CONNECT with it is relayed like
// the login's, even once the login's own window has passed.
func TestRequestTicketRelayedDecoded(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	front, cfg, upRec, frontRec := startKeylessSwitch(t, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cc := clientConfig(cfg, front)
	s := cfg.Games[0].RMC
	c, err := proxy.AuthOnlyForTest(ctx, cc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	login := rmc.NewWriter(s)
	login.String(testUser)
	lm, err := c.Auth.Call(ctx, 10, 1, login.Bytes())
	if err != nil || !lm.Success {
		t.Fatalf("login: %v %v", err, lm)
	}
	lr := rmc.NewReader(lm.Body, s)
	lr.Result()
	lr.PID()
	lr.Buffer()
	lr.StructBegin()
	station := lr.StationURL()
	if port, _ := station.Port(); lr.Err() != nil || port != portOf(front.SecureAddr("g")) {
		t.Fatalf("station %s (%v): the console is sent around nexproxy (its secure port is %s)", station.String(), lr.Err(), front.SecureAddr("g"))
	}
	key, err := cc.Keys.Key(cc.Kerberos.Derivation, 1234567, cc.Password)
	if err != nil {
		t.Fatal(err)
	}
	dial := func(ticket []byte) (*prudp.Conn, error) {
		t.Helper()
		ct, err := kerberos.DecryptClientTicket(key, ticket, cc.Kerberos)
		if err != nil {
			t.Fatalf("client ticket: %v", err)
		}
		payload, err := kerberos.BuildConnectPayload(ct.InternalTicket, ct.SessionKey, kerberos.ConnectRequest{PID: 1234567, CID: 1, Check: 7}, cc.Kerberos)
		if err != nil {
			t.Fatal(err)
		}
		dctx, dcancel := context.WithTimeout(ctx, 2*time.Second)
		defer dcancel()
		return proxy.DialStationForTest(dctx, cc, station, payload, ct.SessionKey)
	}
	// Past the login's window its ticket no longer gets through: what
	// follows rests on the RequestTicket alone.
	proxy.ExpireKeylessForTest(front)
	if conn, err := dial(ticketOf(upRec.find(10, 1))); err == nil {
		conn.Close()
		t.Fatal("a CONNECT was relayed for a login past its window")
	}

	m, err := c.Auth.Call(ctx, 10, 3, requestTicket(s, 1234567))
	if err != nil || !m.Success {
		t.Fatalf("RequestTicket: %v %v", err, m)
	}
	upTicket := ticketOf(upRec.find(10, 3))
	r := rmc.NewReader(m.Body, s)
	res := r.Result()
	ticket := r.Buffer()
	if r.Err() != nil || res.IsError() || len(upTicket) == 0 || !bytes.Equal(ticket, upTicket) {
		t.Fatalf("RequestTicket answered %s with a ticket of %d bytes (%v), want the upstream's %d bytes unchanged", res, len(ticket), r.Err(), len(upTicket))
	}
	conn, err := dial(ticket)
	if err != nil {
		t.Fatalf("secure CONNECT with the requested ticket: %v", err)
	}
	defer conn.Close()
	if err := conn.Send(ctx, 0, rmc.NewRequest(11, 5, 1, nil).Encode()); err != nil {
		t.Fatal(err)
	}
	for {
		msg, err := conn.Recv(ctx)
		if err != nil {
			t.Fatalf("TestConnectivity: %v", err)
		}
		if len(msg.Data) == 0 {
			continue
		}
		ans, err := rmc.Parse(msg.Data)
		if err != nil || ans.Request || ans.CallID != 1 || !ans.Success {
			t.Fatalf("TestConnectivity answered %+v (%v)", ans, err)
		}
		break
	}
	if upRec.find(11, 5) == nil {
		t.Error("the upstream did not serve the secure call")
	}
	if got := frontRec.loginsString(); got != "[1234567:relay-decoded 1234567:relay-decoded]" {
		t.Errorf("logins %s, want the login and the secure session relay-decoded", got)
	}
}
