package proxy_test

import (
	"bytes"
	"context"
	"fmt"
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

// proxyPair starts a local-mode upstream recording into upRec (nil: no
// recorder), whose answers pass through upLink when it is not nil, and a
// front proxying to it with frontOpts, and logs the test user in through
// the front.
func proxyPair(t *testing.T, platform string, upRec *memRecorder, upLink proxy.Builtin, frontOpts proxy.Options) (*proxy.Client, *config.Config) {
	t.Helper()
	upGame := testGame{platform: platform, upstream: "local", accounts: true}
	if platform == "switch" {
		upGame.tlsDir = writeCert(t)
	}
	upOpts := proxy.Options{Builtins: []proxy.Builtin{servicetest.Host(t).Named(auth.Name, secure.Name)}}
	if upLink != nil {
		upOpts.Builtins = append([]proxy.Builtin{upLink}, upOpts.Builtins...)
	}
	if upRec != nil {
		upOpts.Recorder = upRec
	}
	up, _ := startWithOptions(t, upGame, upOpts, nil)
	t.Cleanup(func() { up.Close() })
	front, cfg := startWithOptions(t, testGame{platform: platform, upstream: upstreamAddr(up), accounts: true}, frontOpts, nil)
	t.Cleanup(func() { front.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, cfg
}

// editingUpstream is a built-in link for a test upstream that passes the
// body of its successful answers to calls of protocol.method through edit.
func editingUpstream(protocol uint16, method uint32, edit func(body []byte) []byte) proxy.Builtin {
	return func(*proxy.Env) (proxy.LinkSpec, error) {
		return proxy.LinkSpec{Name: record.HandlerBuiltin, Link: func(next rpc.Handler) rpc.Handler {
			return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
				r, err := next.ServeRMC(ctx, c)
				if err != nil || r == nil || r.Error != 0 || c.Protocol != protocol || c.Method != method {
					return r, err
				}
				return &rpc.Reply{Body: edit(bytes.Clone(r.Body))}, nil
			})
		}}, nil
	}
}

// secureCall makes a call on the secure connection and fails the test
// unless it succeeds; it returns a reader over the response.
func secureCall(t *testing.T, c *proxy.Client, s rmc.Settings, method uint32, w *rmc.Writer) *rmc.Reader {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := c.Call(ctx, 11, method, w.Bytes())
	if err != nil || !m.Success {
		t.Fatalf("call 11.%d: %v %v", method, err, m)
	}
	return rmc.NewReader(m.Body, s)
}

// requestURLs returns the stations the upstream holds for the client, as
// the client receives them.
func requestURLs(t *testing.T, c *proxy.Client, s rmc.Settings, cid uint32) []rmc.StationURL {
	t.Helper()
	urls, _ := requestURLsReader(t, c, s, cid)
	return urls
}

// requestURLsReader is requestURLs, also returning the answer's reader
// positioned after the stations.
func requestURLsReader(t *testing.T, c *proxy.Client, s rmc.Settings, cid uint32) ([]rmc.StationURL, *rmc.Reader) {
	t.Helper()
	w := rmc.NewWriter(s)
	w.U32(cid)
	w.PID(c.PID)
	r := secureCall(t, c, s, 3, w)
	if !r.Bool() {
		t.Fatal("RequestURLs: false")
	}
	var urls []rmc.StationURL
	for range r.ListLen() {
		urls = append(urls, r.StationURL())
	}
	if r.Err() != nil {
		t.Fatalf("RequestURLs: %v", r.Err())
	}
	return urls, r
}

// urlsIn returns the station URLs of a decoded body.
func urlsIn(t *testing.T, v *schema.Value) []rmc.StationURL {
	t.Helper()
	var out []rmc.StationURL
	if v == nil {
		return nil
	}
	_ = v.Walk(func(_ string, n *schema.Value) error {
		if n.Kind == schema.KindStationURL {
			u, err := rmc.ParseStationURL(n.Str)
			if err != nil {
				t.Errorf("station URL %q: %v", n.Str, err)
			}
			out = append(out, u)
		}
		return nil
	})
	return out
}

// publicOf returns the one station of type 3 (the public station a server
// builds) among urls.
func publicOf(t *testing.T, what string, urls []rmc.StationURL) rmc.StationURL {
	t.Helper()
	var pub []rmc.StationURL
	for _, u := range urls {
		if typ, _ := u.Int(rmc.URLType); typ == 3 {
			pub = append(pub, u)
		}
	}
	if len(pub) != 1 {
		t.Fatalf("%s: %d public stations in %v, want 1", what, len(pub), urls)
	}
	return pub[0]
}

// TestProxyOwnStationsMappedBack: the console's public station, which it
// learnt with its real address, is pointed back at the address the
// upstream stored when the console names it in ReplaceURL and UpdateURLs,
// so the upstream finds it (ReplaceURL looks it up by address and port)
// and keeps storing what it derived; the console's local station, though
// at an address of its own, stays as the console wrote it.
func TestProxyOwnStationsMappedBack(t *testing.T) {
	for _, platform := range []string{"wiiu", "switch"} {
		t.Run(platform, func(t *testing.T) {
			upRec := &memRecorder{}
			c, cfg := proxyPair(t, platform, upRec, nil, proxy.Options{})
			s := cfg.Games[0].RMC

			local, err := rmc.ParseStationURL("prudp:/address=192.168.0.10;port=40001;natf=0;natm=0;pmp=0;sid=15;type=1;upnp=0")
			if err != nil {
				t.Fatal(err)
			}
			w := rmc.NewWriter(s)
			w.ListLen(1)
			w.StationURL(local)
			r := secureCall(t, c, s, 1, w)
			res, cid, pub := r.Result(), r.U32(), r.StationURL()
			if r.Err() != nil || res.IsError() || cid == 0 {
				t.Fatalf("Register response: %v %s cid %d", r.Err(), res, cid)
			}
			checkPublic(t, c, pub)
			upReg := upRec.find(11, 1)
			if upReg == nil {
				t.Fatal("upstream did not record Register")
			}
			seen := publicOf(t, "upstream's Register response", urlsIn(t, upReg.Response))

			// ReplaceURL with the public station as the console knows it:
			// the upstream must find and replace its stored one.
			repl := pub.Clone()
			repl.SetInt(rmc.URLNatMapping, 1)
			repl.SetInt(rmc.URLNatFiltering, 2)
			w = rmc.NewWriter(s)
			w.StationURL(pub)
			w.StationURL(repl)
			secureCall(t, c, s, 7, w)
			urls := requestURLs(t, c, s, cid)
			got := publicOf(t, "RequestURLs after ReplaceURL", urls)
			checkPublic(t, c, got)
			if natf, _ := got.Int(rmc.URLNatFiltering); natf != 2 {
				t.Errorf("public station after ReplaceURL %s, want the replacement (natf=2)", got.String())
			}
			for _, u := range urls {
				if typ, _ := u.Int(rmc.URLType); typ == 1 {
					if a, _ := u.Address(); a != "192.168.0.10" {
						t.Errorf("local station became %s", u.String())
					}
				}
			}

			// UpdateURLs: the upstream stores the public station at the
			// address it derived, the local one as written.
			repl.SetInt(rmc.URLNatFiltering, 1)
			w = rmc.NewWriter(s)
			w.ListLen(2)
			w.StationURL(local)
			w.StationURL(repl)
			secureCall(t, c, s, 6, w)
			upUpd := upRec.find(11, 6)
			if upUpd == nil {
				t.Fatal("upstream did not record UpdateURLs")
			}
			stored := urlsIn(t, upUpd.Request)
			upPub := publicOf(t, "UpdateURLs upstream", stored)
			sa, _ := seen.Address()
			sp, _ := seen.Port()
			if a, _ := upPub.Address(); a != sa || func() uint16 { p, _ := upPub.Port(); return p }() != sp {
				t.Errorf("upstream got public station %s, want it at %s:%d, where it derived it", upPub.String(), sa, sp)
			}
			if len(stored) != 2 || stored[0].String() != local.String() {
				t.Errorf("upstream got %v, want the local station unchanged first", stored)
			}
			for _, u := range requestURLs(t, c, s, cid) {
				if typ, _ := u.Int(rmc.URLType); typ == 3 {
					checkPublic(t, c, u)
				}
			}
		})
	}
}

// TestProxyRewritesBeforeTrailingBytes: an upstream answer with bytes
// after the values the schema describes (a field nexproxy does not know)
// still has its public station pointed at the console, and the extra
// bytes reach the console as they came.
func TestProxyRewritesBeforeTrailingBytes(t *testing.T) {
	tail := []byte{0xDE, 0xAD, 0xBE, 0xEF, 0x01}
	c, cfg := proxyPair(t, "wiiu", nil, editingUpstream(11, 3, func(b []byte) []byte { return append(b, tail...) }), proxy.Options{})
	s := cfg.Games[0].RMC
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	registerEx(t, ctx, c, s)
	urls, r := requestURLsReader(t, c, s, 0)
	checkPublic(t, c, publicOf(t, "RequestURLs", urls))
	if rest := r.Bytes(r.Remaining()); !bytes.Equal(rest, tail) {
		t.Errorf("RequestURLs ends with %x, want the upstream's %x", rest, tail)
	}
}

// TestProxyUndecodableURLBodyWarnsOnce: an answer that may hold a station
// URL but does not decode at all is forwarded unchanged, with one warning
// for the method however often it comes.
func TestProxyUndecodableURLBodyWarnsOnce(t *testing.T) {
	bad := append([]byte{1, 0xFF, 0xFF, 0xFF, 0x7F}, "prudp:/address=127.0.0.1"...)
	core, logs := observer.New(zapcore.WarnLevel)
	c, cfg := proxyPair(t, "wiiu", nil, editingUpstream(11, 3, func([]byte) []byte { return bad }), proxy.Options{Logger: zap.New(core)})
	s := cfg.Games[0].RMC
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	registerEx(t, ctx, c, s)
	for range 3 {
		w := rmc.NewWriter(s)
		w.U32(0)
		w.PID(c.PID)
		m, err := c.Call(ctx, 11, 3, w.Bytes())
		if err != nil || !m.Success || !bytes.Equal(m.Body, bad) {
			t.Fatalf("RequestURLs: %v %v, want the upstream's body unchanged", err, m)
		}
	}
	warned := logs.FilterMessageSnippet("station urls not inspected")
	if warned.Len() != 1 {
		t.Fatalf("%d warnings about the body; logged: %v", warned.Len(), logs.All())
	}
	if f := warned.All()[0].ContextMap(); fmt.Sprint(f["protocol"], ".", f["method"]) != "11.3" || f["conn"] == nil {
		t.Errorf("warning fields %v, want protocol, method and conn", f)
	}
}

// startWithSecureKey starts a server with the built-in authentication
// and secure connection services (after links) whose secure key derives
// from password, so that two such servers accept each other's tickets.
func startWithSecureKey(t *testing.T, g testGame, password string, links ...proxy.Builtin) (*proxy.Server, *config.Config) {
	t.Helper()
	cfg, err := config.LoadTOML(fmt.Sprintf("local_secure_password = %q\n", password) + gameTOML(t, g))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	srv := startConfig(t, cfg, proxy.Options{Builtins: append(links, servicetest.Host(t).Named(auth.Name, secure.Name))}, nil)
	t.Cleanup(func() { srv.Close() })
	return srv, cfg
}

// TestProxyLegsDisagreeOnHeaders: an upstream that answers the minor
// version the console negotiated with one below 3 (prudp accepts the
// lower answer) would have structures without headers upstream and with
// them to the console. The calls of an authentication connection are
// refused, and a secure connection (its server may be another host than
// the authentication server, speaking otherwise) is disconnected, with a
// warning naming both minor versions, rather than served corrupted.
func TestProxyLegsDisagreeOnHeaders(t *testing.T) {
	minor2 := "[games.prudp]\nminor_version = 2\n"
	for _, leg := range []string{"auth", "secure"} {
		t.Run(leg, func(t *testing.T) {
			var up *proxy.Server
			if leg == "auth" {
				up, _ = startWithSecureKey(t, testGame{platform: "wiiu", upstream: "local", accounts: true, gameTOML: minor2}, "k")
			} else {
				// Authentication speaks as the console does; the secure
				// server its station names does not.
				sec, _ := startWithSecureKey(t, testGame{platform: "wiiu", upstream: "local", accounts: true, gameTOML: minor2}, "k")
				port := int64(portOf(sec.SecureAddr("g")))
				up, _ = startWithSecureKey(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, "k",
					variantUpstream(editStation(t, func(st string) string {
						u, _ := rmc.ParseStationURL(st)
						u.SetInt(rmc.URLPort, port)
						return u.String()
					})))
			}
			core, logs := observer.New(zapcore.WarnLevel)
			front, cfg := startWithOptions(t, testGame{platform: "wiiu", upstream: upstreamAddr(up), accounts: true}, proxy.Options{Logger: zap.New(core)}, nil)
			defer front.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := proxy.Login(ctx, clientConfig(cfg, front))
			switch {
			case leg == "auth":
				checkCleanRefusal(t, err)
			case err == nil:
				// The console's CONNECT completes before the upstream is
				// dialled: the refusal is the disconnection that follows.
				select {
				case <-c.Secure.Done():
				case <-ctx.Done():
					t.Fatal("secure connection served with legs that disagree on structure headers")
				}
				c.Close()
			}
			warned := logs.FilterMessageSnippet("another RMC encoding")
			if warned.Len() != 1 {
				t.Fatalf("%d warnings about the legs; logged: %v", warned.Len(), logs.All())
			}
			f := warned.All()[0].ContextMap()
			if fmt.Sprint(f["console_minor"], " ", f["upstream_minor"], " ", f["leg"]) != "4 2 "+leg || f["conn"] == nil || f["game"] != "g" {
				t.Errorf("warning fields %v, want both minor versions, the conn, the leg and the game", f)
			}
		})
	}
}
