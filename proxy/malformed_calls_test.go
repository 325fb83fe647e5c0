package proxy_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin/auth"
	"github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// trailer is what the tests append to well-formed requests.
var trailer = []byte{0xde, 0xad, 0xbe, 0xef}

// lenientUpstream is a built-in link for a test upstream that behaves as
// servers reading only the parameters they know do (NintendoClients):
// it ignores trailer at the end of an authentication request, and it
// answers a console's call on protocol 14 (which nexproxy's own servers
// treat as a notification) with "ack:" and the body.
func lenientUpstream(*proxy.Env) (proxy.LinkSpec, error) {
	return proxy.LinkSpec{Name: record.HandlerBuiltin, Link: func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
			if c.Protocol == 10 && bytes.HasSuffix(c.Body, trailer) {
				cc := *c
				cc.Body = c.Body[:len(c.Body)-len(trailer)]
				return next.ServeRMC(ctx, &cc)
			}
			if c.Protocol == 14 && c.Direction == rpc.ToServer {
				if p := proxy.ConsolePeer(c.Session); p != nil {
					_ = p.Respond(ctx, &rmc.Message{Protocol: 14, Method: c.Method, CallID: c.CallID}, &rpc.Reply{Body: append([]byte("ack:"), c.Body...)})
				}
				return nil, rpc.ErrDrop
			}
			return next.ServeRMC(ctx, c)
		})
	}}, nil
}

// startLenientPair starts a lenient upstream and a front proxying to it
// that knows the test user's password.
func startLenientPair(t *testing.T, platform string, upRec, frontRec record.Recorder) (*config.Config, *proxy.Server) {
	t.Helper()
	upGame := testGame{platform: platform, upstream: "local", accounts: true}
	if platform == "switch" {
		upGame.tlsDir = writeCert(t)
	}
	up, _ := startWithOptions(t, upGame,
		proxy.Options{Builtins: []proxy.Builtin{lenientUpstream, servicetest.Host(t).Named(auth.Name, secure.Name)}, Recorder: upRec}, nil)
	t.Cleanup(func() { up.Close() })
	front, cfg := startWithOptions(t, testGame{platform: platform, upstream: upstreamAddr(up), accounts: true}, proxy.Options{Recorder: frontRec}, nil)
	t.Cleanup(func() { front.Close() })
	return cfg, front
}

// requestTicket is the body of RequestTicket(source, nexproxy's secure server).
func requestTicket(s rmc.Settings, source uint64) []byte {
	w := rmc.NewWriter(s)
	w.PID(source)
	w.PID(proxy.SecureServerPID)
	return w.Bytes()
}

// TestRequestTicketTrailingBytesRefused: a RequestTicket with bytes after
// its parameters, which an upstream reading only what it knows answers
// with a well-formed ticket, is refused with Core::InvalidArgument; it
// never gets the upstream's ticket through unrewritten (which would send
// the console around nexproxy). The well-formed one is rewritten.
func TestRequestTicketTrailingBytesRefused(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	upRec, frontRec := &memRecorder{}, &memRecorder{}
	cfg, front := startLenientPair(t, "wiiu", upRec, frontRec)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	s := cfg.Games[0].RMC
	good := requestTicket(s, c.PID)
	m, err := c.Auth.Call(ctx, 10, 3, good)
	if err != nil || !m.Success {
		t.Fatalf("RequestTicket: %v %v", err, m)
	}
	r := rmc.NewReader(m.Body, s)
	r.Result()
	got := r.Buffer()
	upTicket := ticketOf(upRec.find(10, 3))
	if len(upTicket) == 0 || bytes.Equal(got, upTicket) {
		t.Fatalf("well-formed RequestTicket: ticket not rewritten (%d bytes upstream)", len(upTicket))
	}

	m, err = c.Auth.Call(ctx, 10, 3, append(bytes.Clone(good), trailer...))
	if err != nil {
		t.Fatalf("RequestTicket with trailing bytes: %v", err)
	}
	if m.Success || m.Error != rmc.ResultCoreInvalidArgument {
		t.Fatalf("RequestTicket with trailing bytes answered %v (success %v), want Core::InvalidArgument", m.Error, m.Success)
	}
}

// TestLoginTrailingBytesRefusedByProxy: in proxy mode, a login with bytes
// after its parameters is refused with Core::InvalidArgument by nexproxy
// itself, not forwarded to an upstream that might accept it.
func TestLoginTrailingBytesRefusedByProxy(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	frontRec := &memRecorder{}
	cfg, front := startLenientPair(t, "wiiu", nil, frontRec)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.AuthOnlyForTest(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := rmc.NewWriter(cfg.Games[0].RMC)
	w.String(testUser)
	m, err := c.Auth.Call(ctx, 10, 1, append(w.Bytes(), trailer...))
	if err != nil {
		t.Fatal(err)
	}
	if m.Success || m.Error != rmc.ResultCoreInvalidArgument {
		t.Fatalf("login with trailing bytes answered success=%v %v, want Core::InvalidArgument", m.Success, m.Error)
	}
	if e := frontRec.find(10, 1); e == nil || e.Handler != "rewrite-auth" {
		t.Errorf("login with trailing bytes: session log %+v, want it answered by rewrite-auth", e)
	}
	if l := frontRec.loginList(); len(l) != 0 {
		t.Errorf("logins %v after a refused login", l)
	}
}

// TestTrailingBytesLocal: nexproxy's own services answer requests with
// bytes after their parameters on protocols 10 and 11 with
// Core::InvalidArgument, as they answer a short one.
func TestTrailingBytesLocal(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv, cfg := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, nil)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, srv))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	s := cfg.Games[0].RMC
	w := rmc.NewWriter(s)
	w.String(testUser)
	login := w.Bytes()
	w = rmc.NewWriter(s)
	w.U32(0)
	w.PID(c.PID)
	urls := w.Bytes()
	for _, tc := range []struct {
		name   string
		p      *peerCaller
		proto  uint16
		method uint32
		body   []byte
	}{
		{"Login", &peerCaller{c.Auth.Call}, 10, 1, login},
		{"RequestTicket", &peerCaller{c.Auth.Call}, 10, 3, requestTicket(s, c.PID)},
		{"RequestURLs", &peerCaller{c.Call}, 11, 3, urls},
		{"TestConnectivity", &peerCaller{c.Call}, 11, 5, nil},
	} {
		if m, err := tc.p.call(ctx, tc.proto, tc.method, tc.body); err != nil || !m.Success {
			t.Errorf("%s well-formed: %v %v", tc.name, err, m)
		}
		for what, body := range map[string][]byte{"trailing": append(bytes.Clone(tc.body), trailer...), "short": tc.body[:max(len(tc.body)-1, 0)]} {
			if what == "short" && len(tc.body) == 0 {
				continue
			}
			m, err := tc.p.call(ctx, tc.proto, tc.method, body)
			if err != nil || m.Success || m.Error != rmc.ResultCoreInvalidArgument {
				t.Errorf("%s %s: %v %v, want Core::InvalidArgument", tc.name, what, err, m)
			}
		}
	}
}

type peerCaller struct {
	call func(ctx context.Context, protocol uint16, method uint32, body []byte) (*rmc.Message, error)
}

// TestConsoleNotificationAnswered: a console's call on protocol 14 is
// forwarded, and when the upstream answers it, the answer reaches the
// console (it used to be sent as a notification and the answer dropped).
func TestConsoleNotificationAnswered(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	frontRec := &memRecorder{}
	cfg, front := startLenientPair(t, "wiiu", nil, frontRec)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	callCtx, cancelCall := context.WithTimeout(ctx, 5*time.Second)
	defer cancelCall()
	m, err := c.Call(callCtx, 14, 1, []byte("hi"))
	if err != nil {
		t.Fatalf("protocol 14 call: %v (the upstream's answer did not come back)", err)
	}
	if !m.Success || string(m.Body) != "ack:hi" {
		t.Fatalf("protocol 14 call answered %v %q, want the upstream's ack:hi", m.Error, m.Body)
	}
	if e := frontRec.find(14, 1); e == nil || e.Handler != record.HandlerUpstream || e.ForwardedCallID == 0 || string(e.ResponseBody) != "ack:hi" {
		t.Errorf("session log of the protocol 14 call: %+v", e)
	}
}
