package proxy_test

import (
	"context"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// proxyPair starts a local-mode upstream recording into upRec and a front
// proxying to it (started by startFront, nil: startServer), and logs the
// test user in through the front.
func proxyPair(t *testing.T, platform string, upRec *memRecorder, startFront func(testGame) (*proxy.Server, *config.Config)) (*proxy.Client, *config.Config) {
	t.Helper()
	upGame := testGame{platform: platform, upstream: "local", accounts: true}
	if platform == "switch" {
		upGame.tlsDir = writeCert(t)
	}
	var rec record.Recorder
	if upRec != nil {
		rec = upRec
	}
	up, _ := startServer(t, upGame, rec)
	t.Cleanup(func() { up.Close() })
	fg := testGame{platform: platform, upstream: upstreamAddr(up), accounts: true}
	if startFront == nil {
		startFront = func(g testGame) (*proxy.Server, *config.Config) { return startServer(t, g, nil) }
	}
	front, cfg := startFront(fg)
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
	return urls
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
			c, cfg := proxyPair(t, platform, upRec, nil)
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
