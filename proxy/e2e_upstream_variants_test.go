package proxy_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin/auth"
	"github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// variantUpstream is a built-in link for a test upstream whose answers to
// authentication calls edit changes (nil: answered as the built-in
// authentication server answers).
func variantUpstream(edit func(c *rpc.Call, r *rpc.Reply) *rpc.Reply) proxy.Builtin {
	return func(*proxy.Env) (proxy.LinkSpec, error) {
		return proxy.LinkSpec{Name: record.HandlerBuiltin, Link: func(next rpc.Handler) rpc.Handler {
			return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
				r, err := next.ServeRMC(ctx, c)
				if err != nil || r == nil || c.Protocol != 10 {
					return r, err
				}
				return edit(c, r), nil
			})
		}}, nil
	}
}

// startVariantPair starts an upstream answering through edit and a front
// proxying to it that knows the test user's password.
func startVariantPair(t *testing.T, platform string, edit func(c *rpc.Call, r *rpc.Reply) *rpc.Reply, frontRec record.Recorder) (*config.Config, *proxy.Server) {
	t.Helper()
	upGame := testGame{platform: platform, upstream: "local", accounts: true}
	if platform == "switch" {
		upGame.tlsDir = writeCert(t)
	}
	up, _ := startWithOptions(t, upGame,
		proxy.Options{Builtins: []proxy.Builtin{variantUpstream(edit), servicetest.Host(t).Named(auth.Name, secure.Name)}}, nil)
	t.Cleanup(func() { up.Close() })
	front, cfg := startWithOptions(t, testGame{platform: platform, upstream: upstreamAddr(up), accounts: true}, proxy.Options{Recorder: frontRec}, nil)
	t.Cleanup(func() { front.Close() })
	return cfg, front
}

// editStation returns an edit that passes the login's secure station
// through fn.
func editStation(t *testing.T, fn func(st string) string) func(c *rpc.Call, r *rpc.Reply) *rpc.Reply {
	return func(c *rpc.Call, r *rpc.Reply) *rpc.Reply {
		if c.Method != 1 || r.Error != 0 {
			return r
		}
		m := schema.Default().Method(10, 1)
		v, err := m.DecodeResponse(r.Body, c.Session.Settings)
		if err != nil {
			t.Errorf("upstream login response: %v", err)
			return r
		}
		n := v.Field("connection_data").Field("main_station")
		n.Str = fn(n.Str)
		n.StrForm = schema.StrNormal
		body, err := m.EncodeResponse(v, c.Session.Settings)
		if err != nil {
			t.Errorf("upstream login response: %v", err)
			return r
		}
		return &rpc.Reply{Body: body}
	}
}

// TestUpstreamStationVariants: secure stations that upstreams write
// differently from nexproxy's own (prudp scheme, extra parameters, no CID,
// the authentication server's address 0.0.0.1 on NEX 4) are intercepted,
// and the console's station keeps what nexproxy does not replace.
func TestUpstreamStationVariants(t *testing.T) {
	for _, tc := range []struct {
		name, platform string
		fn             func(string) string
	}{
		{"prudp", "wiiu", func(s string) string { return strings.Replace(s, "prudps:/", "prudp:/", 1) }},
		{"extra", "wiiu", func(s string) string { return s + ";natf=0;natm=0;pmp=0;upnp=0;Rsa=1" }},
		{"nocid", "wiiu", func(s string) string {
			u, _ := rmc.ParseStationURL(s)
			u.Delete("CID")
			return u.String()
		}},
		{"0.0.0.1", "switch", func(s string) string {
			u, _ := rmc.ParseStationURL(s)
			u.SetAddress("0.0.0.1")
			u.SetInt("port", 1)
			return u.String()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frontRec := &memRecorder{}
			cfg, front := startVariantPair(t, tc.platform, editStation(t, tc.fn), frontRec)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := proxy.Login(ctx, clientConfig(cfg, front))
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			defer c.Close()
			if want := tc.fn("prudps:/address=127.0.0.1;port=1;CID=1;PID=2;sid=1;stream=10;type=2"); c.Station.Scheme != want[:strings.Index(want, ":")] ||
				strings.Contains(want, "natf") != strings.Contains(c.Station.String(), "natf=0;natm=0;pmp=0;upnp=0;Rsa=1") {
				t.Errorf("console station %s lost the upstream's scheme or parameters", c.Station.String())
			}
			if l := frontRec.loginsString(); l != "[1234567:intercepted]" {
				t.Errorf("logins %s", l)
			}
		})
	}
}

// TestLoginRefusedInResult: an upstream that refuses a login or a ticket
// request in the result field, rather than with an RMC error, has the
// refusal reach the console unchanged, whether it leaves the other fields
// blank or writes the result alone.
func TestLoginRefusedInResult(t *testing.T) {
	for _, platform := range []string{"wiiu", "switch"} {
		for _, blank := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/blank=%v", platform, blank), func(t *testing.T) {
				results := map[uint32]rmc.Result{1: rmc.ResultRendezVousInvalidUsername, 3: rmc.ResultAuthenticationUnderMaintenance}
				cfg, front := startVariantPair(t, platform, func(c *rpc.Call, r *rpc.Reply) *rpc.Reply {
					if res, ok := results[c.Method]; ok {
						return &rpc.Reply{Body: proxy.RefusalBody(c.Session.Settings, c.Method, res, blank)}
					}
					return r
				}, nil)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				c, err := proxy.AuthOnlyForTest(ctx, clientConfig(cfg, front))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				s := cfg.Games[0].RMC
				login := rmc.NewWriter(s)
				login.String(testUser)
				for method, body := range map[uint32][]byte{1: login.Bytes(), 3: requestTicket(s, 1234567)} {
					m, err := c.Auth.Call(ctx, 10, method, body)
					if err != nil || !m.Success {
						t.Errorf("method %d: %v %v, want the upstream's refusal", method, err, m)
						continue
					}
					if want := proxy.RefusalBody(s, method, results[method], blank); !bytes.Equal(m.Body, want) {
						t.Errorf("method %d answered %x, want the upstream's %x", method, m.Body, want)
					}
				}
			})
		}
	}
}

// TestUpstreamKeySizeMismatch: an upstream whose session keys are not the
// size the game's settings say (a console of that upstream expects its
// size) has its ticket decrypt with the user's key but not decode. The
// login is relayed blindly, and the warning names the Kerberos settings,
// not the password.
func TestUpstreamKeySizeMismatch(t *testing.T) {
	up, _ := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true, gameTOML: "[games.kerberos]\nkey_size = 16\n"}, nil)
	defer up.Close()
	core, logs := observer.New(zapcore.WarnLevel)
	frontRec := &memRecorder{}
	front, cfg := startWithOptions(t, testGame{platform: "wiiu", upstream: upstreamAddr(up), accounts: true}, proxy.Options{Recorder: frontRec, Logger: zap.New(core)}, nil)
	defer front.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cc := clientConfig(cfg, front)
	cc.Kerberos.KeySize = 16
	c, err := proxy.Login(ctx, cc)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	if l := frontRec.loginsString(); l != "[1234567:blind-relay]" {
		t.Errorf("logins %s", l)
	}
	if n := logs.FilterMessageSnippet("check key_size").Len(); n != 1 {
		t.Errorf("%d warnings naming key_size; logged: %v", n, logs.All())
	}
}
