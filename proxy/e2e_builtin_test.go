package proxy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
)

// TestBuiltinMethods calls the built-in Authentication and Secure
// connection methods the login test does not (GetPID, GetName, Register,
// RequestConnectionData, ReplaceURL, SendReport) on nexproxy in local mode
// and through a proxying nexproxy in front of it. Through the proxy the
// public station of Register and of RequestConnectionData, which the
// upstream built from nexproxy's address, must come back as the client's
// own, and the URL the console put in place with ReplaceURL must come back
// as it sent it.
func TestBuiltinMethods(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	for _, via := range []string{"local", "proxy"} {
		t.Run(via, func(t *testing.T) {
			up, cfg := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, nil)
			defer up.Close()
			srv := up
			if via == "proxy" {
				front, fcfg := startServer(t, testGame{platform: "wiiu", upstream: upstreamAddr(up), accounts: true}, nil)
				defer front.Close()
				srv, cfg = front, fcfg
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := proxy.Login(ctx, clientConfig(cfg, srv))
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			defer c.Close()
			s := cfg.Games[0].RMC
			call := func(auth bool, protocol uint16, method uint32, w *rmc.Writer) *rmc.Reader {
				t.Helper()
				p := c.Secure
				if auth {
					p = c.Auth
				}
				m, err := p.Call(ctx, protocol, method, w.Bytes())
				if err != nil || !m.Success {
					t.Fatalf("call %d.%d: %v %v", protocol, method, err, m)
				}
				return rmc.NewReader(m.Body, s)
			}

			// Authentication: names and PIDs of the configured account, the
			// guest and an unknown user (PID 0 before NEX 4).
			for name, want := range map[string]uint64{testUser: 1234567, config.Guest.Username: config.Guest.PID, "nobody": 0} {
				w := rmc.NewWriter(s)
				w.String(name)
				r := call(true, 10, 4, w)
				if got := r.PID(); r.Err() != nil || got != want {
					t.Errorf("GetPID(%q) = %d (%v), want %d", name, got, r.Err(), want)
				}
			}
			for pid, want := range map[uint64]string{1234567: testUser, config.Guest.PID: config.Guest.Username} {
				w := rmc.NewWriter(s)
				w.PID(pid)
				r := call(true, 10, 5, w)
				if got := r.String(); r.Err() != nil || got != want {
					t.Errorf("GetName(%d) = %q (%v), want %q", pid, got, r.Err(), want)
				}
			}

			// Register: the public station is the client's own address.
			local := rmc.StationURL{Scheme: "prudp"}
			local.SetAddress(c.SecureLocal.Addr().String())
			local.SetPort(c.SecureLocal.Port())
			local.SetInt(rmc.URLType, 2)
			w := rmc.NewWriter(s)
			w.ListLen(1)
			w.StationURL(local)
			r := call(false, 11, 1, w)
			res, cid, pub := r.Result(), r.U32(), r.StationURL()
			if r.Err() != nil || res.IsError() || cid == 0 {
				t.Fatalf("Register response: %v %s cid %d", r.Err(), res, cid)
			}
			checkPublic(t, c, pub)

			// RequestConnectionData: the stations registered under cid.
			w = rmc.NewWriter(s)
			w.U32(cid)
			w.PID(c.PID)
			r = call(false, 11, 2, w)
			found := r.Bool()
			n := r.ListLen()
			public := 0
			for range n {
				r.StructBegin()
				u, ucid := r.StationURL(), r.U32()
				r.StructEnd()
				if ucid != cid {
					t.Errorf("RequestConnectionData: station %s under cid %d, want %d", u.String(), ucid, cid)
				}
				if typ, _ := u.Int(rmc.URLType); typ == 3 {
					public++
					checkPublic(t, c, u)
				}
			}
			if r.Err() != nil || !found || public != 1 {
				t.Errorf("RequestConnectionData: found %v, %d public stations of %d (%v)", found, public, n, r.Err())
			}

			// ReplaceURL: RequestURLs then returns the replacement as sent
			// (the server adds the PID and RVCID).
			stored := local.Clone()
			stored.SetInt(rmc.URLPID, int64(c.PID))
			stored.SetInt(rmc.URLRVCID, int64(cid))
			repl := stored.Clone()
			repl.SetInt(rmc.URLNatFiltering, 1)
			repl.Set("custom", "kept")
			w = rmc.NewWriter(s)
			w.StationURL(stored)
			w.StationURL(repl)
			call(false, 11, 7, w)
			w = rmc.NewWriter(s)
			w.U32(cid)
			w.PID(c.PID)
			r = call(false, 11, 3, w)
			r.Bool()
			var urls []string
			for range r.ListLen() {
				urls = append(urls, r.StationURL().String())
			}
			if r.Err() != nil || len(urls) != 2 || urls[0] != repl.String() {
				t.Errorf("RequestURLs after ReplaceURL: %v (%v), want %s first", urls, r.Err(), repl.String())
			}

			// SendReport: accepted, nothing returned.
			w = rmc.NewWriter(s)
			w.U32(1)
			w.QBuffer([]byte("report"))
			if r = call(false, 11, 8, w); r.Remaining() != 0 {
				t.Errorf("SendReport returned %d bytes", r.Remaining())
			}
		})
	}
}

// TestLocalLoginsRecorded: every successful login of nexproxy's built-in
// authentication reaches the session log, a second one on the same
// connection too, and a refused one does not.
func TestLocalLoginsRecorded(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	rec := &memRecorder{}
	srv, cfg := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, rec)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, srv))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer c.Close()
	for _, name := range []string{config.Guest.Username, "nobody"} {
		w := rmc.NewWriter(cfg.Games[0].RMC)
		w.String(name)
		if _, err := c.Auth.Call(ctx, 10, 1, w.Bytes()); err != nil {
			t.Fatalf("login as %s: %v", name, err)
		}
	}
	if got, want := rec.loginsString(), fmt.Sprintf("[1234567:local %d:local]", config.Guest.PID); got != want {
		t.Errorf("logins %s, want %s", got, want)
	}
}
