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
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// secureStationOf returns the first prudps station URL of a recorded
// response.
func secureStationOf(e *record.CallEvent) (rmc.StationURL, bool) {
	var out rmc.StationURL
	found := false
	if e == nil || e.Response == nil {
		return out, false
	}
	_ = e.Response.Walk(func(_ string, v *schema.Value) error {
		if found || v.Kind != schema.KindStationURL {
			return nil
		}
		if u, err := rmc.ParseStationURL(v.Str); err == nil && u.Scheme == "prudps" {
			out, found = u, true
		}
		return nil
	})
	return out, found
}

// loginWithContextUpstream is a built-in link for a test upstream that
// serves LoginWithContext (method 6 before NEX 4), which the built-in
// authentication does not: as a Login of the test user, whose answer has
// the same fields and a server name after them.
func loginWithContextUpstream(t *testing.T) proxy.Builtin {
	return func(*proxy.Env) (proxy.LinkSpec, error) {
		return proxy.LinkSpec{Name: record.HandlerBuiltin, Link: func(next rpc.Handler) rpc.Handler {
			return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
				s := c.Session.Settings
				if c.Protocol != 10 || c.Method != 6 || s.NEXVersion >= 40000 {
					return next.ServeRMC(ctx, c)
				}
				login := rmc.NewWriter(s)
				login.String(testUser)
				r, err := next.ServeRMC(ctx, &rpc.Call{Session: c.Session, Direction: c.Direction, Protocol: 10, Method: 1, CallID: c.CallID, Body: login.Bytes()})
				if err != nil || r == nil || r.Error != 0 {
					return r, err
				}
				v, err := schema.Default().Method(10, 1).DecodeResponse(r.Body, s)
				if err != nil {
					t.Errorf("upstream login response: %v", err)
					return rpc.ErrorReply(rmc.ResultCoreSystemError), nil
				}
				name := rmc.NewWriter(s)
				name.String(v.Field("server_name").Str)
				body, ok := bytes.CutSuffix(r.Body, name.Bytes())
				if !ok {
					t.Errorf("upstream login response %x does not end in its server name", r.Body)
					return rpc.ErrorReply(rmc.ResultCoreSystemError), nil
				}
				return &rpc.Reply{Body: body}, nil
			})
		}}, nil
	}
}

// TestLoginMethodsRewritten sends every login method other than Login
// through a proxying nexproxy (LoginEx, RequestTicket, LoginWithContext
// before NEX 4 and, on NEX 4, ValidateAndRequestTicketWithCustomData with
// its source key and ValidateAndRequestTicketWithParam): each answer must
// carry a ticket
// reissued with a fresh session key that the console's key opens, and the
// secure station must name nexproxy.
func TestLoginMethodsRewritten(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	for _, platform := range []string{"wiiu", "switch"} {
		t.Run(platform, func(t *testing.T) {
			upRec, frontRec := &memRecorder{}, &memRecorder{}
			upGame := testGame{platform: platform, upstream: "local", accounts: true}
			if platform == "switch" {
				upGame.tlsDir = writeCert(t)
			}
			up, _ := startWithOptions(t, upGame, proxy.Options{Recorder: upRec,
				Builtins: []proxy.Builtin{loginWithContextUpstream(t), servicetest.Host(t).Named(auth.Name, secure.Name)}}, nil)
			defer up.Close()
			front, cfg := startServer(t, testGame{platform: platform, upstream: upstreamAddr(up), accounts: true}, frontRec)
			defer front.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cc := clientConfig(cfg, front)
			c, err := proxy.Login(ctx, cc)
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			defer c.Close()
			s := cfg.Games[0].RMC
			nex4 := s.NEXVersion >= 40000
			key, err := cc.Keys.Key(cc.Kerberos.Derivation, c.PID, cc.Password)
			if err != nil {
				t.Fatal(err)
			}

			loginEx := rmc.NewWriter(s)
			loginEx.String(testUser)
			loginEx.AnyDataBegin("NintendoLoginData")
			loginEx.StructBegin(0)
			loginEx.String("nex-token-" + testUser)
			loginEx.StructEnd(nil)
			loginEx.AnyDataEnd()
			requestTicket := rmc.NewWriter(s)
			requestTicket.PID(c.PID)
			requestTicket.PID(proxy.SecureServerPID)
			methods := []struct {
				method  uint32
				body    []byte
				station bool
			}{{2, loginEx.Bytes(), true}, {3, requestTicket.Bytes(), false}}
			if !nex4 {
				withContext := rmc.NewWriter(s)
				withContext.AnyDataBegin("NintendoLoginData")
				withContext.StructBegin(0)
				withContext.String("nex-token-" + testUser)
				withContext.StructEnd(nil)
				withContext.AnyDataEnd()
				methods = append(methods, struct {
					method  uint32
					body    []byte
					station bool
				}{6, withContext.Bytes(), true})
			}
			if nex4 {
				withParam := rmc.NewWriter(s)
				withParam.StructBegin(0)
				withParam.U32(3)
				withParam.String(testUser)
				withParam.AnyDataBegin("NintendoLoginData")
				withParam.StructBegin(0)
				withParam.String("nex-token-" + testUser)
				withParam.StructEnd(nil)
				withParam.AnyDataEnd()
				withParam.Bool(false)
				withParam.U32(uint32(s.NEXVersion))
				withParam.U32(0)
				withParam.StructEnd(nil)
				methods = append(methods, struct {
					method  uint32
					body    []byte
					station bool
				}{6, withParam.Bytes(), true})
			}
			for _, mt := range methods {
				m, err := c.Auth.Call(ctx, 10, mt.method, mt.body)
				if err != nil || !m.Success {
					t.Fatalf("method %d: %v %v", mt.method, err, m)
				}
				upTicket, ourTicket := ticketOf(upRec.find(10, mt.method)), ticketOf(frontRec.find(10, mt.method))
				if len(upTicket) == 0 || len(ourTicket) == 0 || bytes.Equal(upTicket, ourTicket) {
					t.Errorf("method %d: tickets of the two legs are equal or missing (%d, %d bytes)", mt.method, len(upTicket), len(ourTicket))
					continue
				}
				if !bytes.Contains(m.Body, ourTicket) {
					t.Errorf("method %d: the console did not get the logged ticket", mt.method)
				}
				upT, err1 := kerberos.DecryptClientTicket(key, upTicket, cc.Kerberos)
				ourT, err2 := kerberos.DecryptClientTicket(key, ourTicket, cc.Kerberos)
				if err1 != nil || err2 != nil {
					t.Errorf("method %d: tickets do not open with the user's key: %v, %v", mt.method, err1, err2)
				} else if bytes.Equal(upT.SessionKey, ourT.SessionKey) {
					t.Errorf("method %d: the reissued ticket kept the upstream session key", mt.method)
				}
				if !mt.station {
					continue
				}
				st, ok := secureStationOf(frontRec.find(10, mt.method))
				if port, _ := st.Port(); !ok || port != portOf(front.SecureAddr("g")) {
					t.Errorf("method %d: station %s, want nexproxy's secure port %s", mt.method, st.String(), front.SecureAddr("g"))
				}
			}
			logins := frontRec.loginList()
			if len(logins) != 1+len(methods) {
				t.Errorf("logins %v, want %d", logins, 1+len(methods))
			}
			for _, l := range logins {
				if l != "1234567:intercepted" {
					t.Errorf("logins %v", logins)
					break
				}
			}
		})
	}
}
