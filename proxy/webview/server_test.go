package webview

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
)

// TestEventStream: the page's event stream sends the snapshot, then the
// live calls that pass its filter.
func TestEventStream(t *testing.T) {
	h := NewHub(HubOptions{})
	srv := httptest.NewServer(Handler(Options{Hub: h}))
	defer srv.Close()
	defer h.Close()
	a, b := newSession("a", "g", 1), newSession("b", "g", 2)
	h.Connect(a, "")
	h.Login(a, 1001, record.ModeLocal)
	h.Connect(b, "")
	h.Login(b, 1002, record.ModeLocal)
	h.Call(a, ticketCall(t, 1001, 0))
	settle(t, h)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events?pid=1002", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := make(chan sseEvent, 64)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var cur sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				cur.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				cur.data = json.RawMessage(line[len("data: "):])
			case line == "" && cur.name != "":
				events <- cur
				cur = sseEvent{}
			}
		}
	}()
	read := func(name string) sseEvent {
		t.Helper()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("stream ended before %q", name)
				}
				if ev.name == "call" && name != "call" {
					t.Fatalf("unexpected call before %q: %s", name, ev.data)
				}
				if ev.name == name {
					return ev
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("no %q event", name)
			}
		}
	}
	var s Session
	if err := json.Unmarshal(read("session").data, &s); err != nil || s.ID != "b" {
		t.Fatalf("snapshot session %+v (%v)", s, err)
	}
	read("ready") // a's call was filtered out of the snapshot
	h.Call(a, ticketCall(t, 1001, 0))
	h.Call(b, ticketCall(t, 1002, 0))
	var c Call
	if err := json.Unmarshal(read("call").data, &c); err != nil || c.Session != "b" {
		t.Fatalf("live call %+v (%v)", c, err)
	}

	if resp, err := http.Get(srv.URL + "/api/events?pid=x"); err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad filter: %v %v", resp.Status, err)
	} else {
		resp.Body.Close()
	}
}

func get(t *testing.T, c *http.Client, u string, host string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if host != "" {
		req.Host = host
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestAccess: without a token only loopback names are served (no DNS
// rebinding); with one, every request needs it, and ?token= leaves a
// cookie for the page's own requests.
func TestAccess(t *testing.T) {
	open := httptest.NewServer(Handler(Options{}))
	defer open.Close()
	if resp, body := get(t, http.DefaultClient, open.URL+"/", ""); resp.StatusCode != 200 || !strings.Contains(body, "nexproxy") {
		t.Errorf("loopback page: %s", resp.Status)
	} else if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if resp, _ := get(t, http.DefaultClient, open.URL+"/", "attacker.example:80"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign Host: %s", resp.Status)
	}

	locked := httptest.NewServer(Handler(Options{Token: "s3cret"}))
	defer locked.Close()
	for _, path := range []string{"/", "/app.js", "/api/logs", "/api/events"} {
		if resp, _ := get(t, http.DefaultClient, locked.URL+path, ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s without token: %s", path, resp.Status)
		}
	}
	if resp, _ := get(t, http.DefaultClient, locked.URL+"/?token=wrong", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %s", resp.Status)
	}
	jar := &cookieJar{}
	c := &http.Client{Jar: jar}
	if resp, _ := get(t, c, locked.URL+"/?token=s3cret", ""); resp.StatusCode != 200 {
		t.Fatalf("token: %s", resp.Status)
	}
	if resp, _ := get(t, c, locked.URL+"/api/logs", "elsewhere.example"); resp.StatusCode != 200 {
		t.Errorf("cookie: %s", resp.Status)
	}
	req, _ := http.NewRequest("GET", locked.URL+"/api/logs", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("bearer: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// cookieJar keeps the cookies of one test server.
type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) { j.cookies = append(j.cookies, cs...) }
func (j *cookieJar) Cookies(*url.URL) []*http.Cookie          { return j.cookies }

// TestStartToken: bound beyond loopback, the server makes up a token;
// on loopback it needs none.
func TestStartToken(t *testing.T) {
	s, err := Start("0.0.0.0:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.Token()) != 32 || !strings.Contains(s.URL(), "?token="+s.Token()) {
		t.Errorf("token %q url %q", s.Token(), s.URL())
	}
	l, err := Start(":0", Options{Hub: NewHub(HubOptions{})})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Token() != "" || !strings.HasPrefix(l.Addr().String(), "127.0.0.1:") {
		t.Errorf("empty host: %s token %q", l.Addr(), l.Token())
	}
}

// TestLogs: the logs folder is listed and its logs open, filtered and
// redacted; names cannot leave the folder; uploads are read the same way.
func TestLogs(t *testing.T) {
	dir := t.TempDir()
	w, err := sessionlog.Create(sessionlog.Options{Dir: dir, Game: "g", Session: "c5", Secrets: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []sessionlog.Record{
		{Type: sessionlog.TypeOpen, Conn: "c5", Side: sessionlog.SideConsole, Remote: "192.0.2.1:1"},
		{Type: sessionlog.TypeLogin, Conn: "c5", PID: 55, Mode: "local"},
		{Type: sessionlog.TypeCall, Conn: "c5", Protocol: "Authentication", ProtocolID: 10, Method: "Login", MethodID: 1,
			Params: json.RawMessage(`{"username":"55","password":"hunter2"}`)},
		{Type: sessionlog.TypeCall, Conn: "c5", Protocol: "SecureConnection", ProtocolID: 11, Method: "Register", MethodID: 1, Error: 0x80010001},
	} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	name := filepath.Base(w.Path())
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "outside.jsonl"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(Handler(Options{Logs: dir}))
	defer srv.Close()

	_, body := get(t, http.DefaultClient, srv.URL+"/api/logs", "")
	var list struct{ Logs []LogFile }
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Logs) != 1 || list.Logs[0].Name != name {
		t.Fatalf("listing %s (%v)", body, err)
	}
	resp, body := get(t, http.DefaultClient, srv.URL+"/api/log?result=error&name="+url.QueryEscape(name), "")
	var view LogView
	if err := json.Unmarshal([]byte(body), &view); err != nil || resp.StatusCode != 200 {
		t.Fatalf("open: %s %s", resp.Status, body)
	}
	if len(view.Sessions) != 1 || view.Sessions[0].PID != 55 || view.Sessions[0].Source != name || len(view.Calls) != 1 || view.Calls[0].Method != "Register" {
		t.Errorf("filtered log: %s", body)
	}
	_, body = get(t, http.DefaultClient, srv.URL+"/api/log?name="+url.QueryEscape(name), "")
	if strings.Contains(body, "hunter2") || !strings.Contains(body, "redacted") {
		t.Errorf("secret shown: %s", body)
	}
	for _, bad := range []string{"../outside.jsonl", "..%2Foutside.jsonl", "nope.jsonl", ".x.jsonl", ""} {
		if resp, _ := get(t, http.DefaultClient, srv.URL+"/api/log?name="+bad, ""); resp.StatusCode != http.StatusNotFound {
			t.Errorf("name %q: %s", bad, resp.Status)
		}
	}

	data, _ := os.ReadFile(w.Path())
	up, err := http.Post(srv.URL+"/api/log?method=login&name=mine.jsonl", "application/octet-stream", strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(up.Body)
	up.Body.Close()
	view = LogView{}
	if err := json.Unmarshal(b, &view); err != nil || len(view.Calls) != 1 || view.Calls[0].Method != "Login" || view.Sessions[0].Source != "mine.jsonl" {
		t.Errorf("upload: %s", b)
	}
	// A log cut off mid-line is shown up to there, with a warning.
	up, err = http.Post(srv.URL+"/api/log", "application/octet-stream", strings.NewReader(string(data[:len(data)-5])))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(up.Body)
	up.Body.Close()
	view = LogView{}
	if err := json.Unmarshal(b, &view); err != nil || view.Warning == "" || len(view.Calls) != 1 {
		t.Errorf("cut-off log: %s", b)
	}
	if up, err := http.Post(srv.URL+"/api/log", "text/plain", strings.NewReader("hello\n")); err != nil || up.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("not a log: %v %v", up.Status, err)
	} else {
		up.Body.Close()
	}
	small := httptest.NewServer(Handler(Options{MaxUpload: 100}))
	defer small.Close()
	if up, err := http.Post(small.URL+"/api/log", "text/plain", strings.NewReader(string(data))); err != nil || up.StatusCode == 200 {
		t.Errorf("upload past MaxUpload: %v %v", up.Status, err)
	} else {
		up.Body.Close()
	}
}

// TestConfigSection: [web] is a known table, its listen address checked.
func TestConfigSection(t *testing.T) {
	game := "\n[[games]]\nname = \"g\"\nplatform = \"wiiu\"\naccess_key = \"25dbf96a\"\nauth_listen = \"127.0.0.1:60000\"\nsecure_listen = \"127.0.0.1:60001\"\nupstream = \"local\"\n"
	cfg, err := config.LoadTOML("advertise = \"127.0.0.1\"\n[web]\nlisten = \"0.0.0.0:8080\"\ntoken = \"t\"\nlogs = \"/tmp/logs\"\n" + game)
	if err != nil {
		t.Fatal(err)
	}
	if got := FromConfig(cfg); got != (Config{Listen: "0.0.0.0:8080", Token: "t", Logs: "/tmp/logs"}) {
		t.Errorf("web %+v", got)
	}
	_, err = config.LoadTOML("advertise = \"127.0.0.1\"\n[web]\nlisten = \"nowhere\"\nport = 1\n" + game)
	if err == nil || !strings.Contains(err.Error(), "web.listen") || !strings.Contains(err.Error(), "web.port") {
		t.Errorf("bad [web] not reported: %v", err)
	}
	for addr, want := range map[string]string{":8080": "127.0.0.1:8080", "[::1]:80": "[::1]:80", "localhost:1": "localhost:1", "0.0.0.0:1": "0.0.0.0:1"} {
		if got, err := ListenAddr(addr); err != nil || got != want {
			t.Errorf("ListenAddr(%q) = %q, %v", addr, got, err)
		}
	}
	for addr, want := range map[string]bool{"127.0.0.1:1": true, "[::1]:1": true, "localhost:1": true, "0.0.0.0:1": false, "192.0.2.1:1": false} {
		if Loopback(addr) != want {
			t.Errorf("Loopback(%q) != %v", addr, want)
		}
	}
	if _, err := ListenAddr("example.com:80"); err == nil {
		t.Error("a host name accepted")
	}
}

// TestCrossSite: the API answers the page's own requests only. Another
// site's page in the same browser (a loopback server without a token is
// open to it, and a cookie goes to every port of the host) cannot start
// event streams or make the view read uploads or logs.
func TestCrossSite(t *testing.T) {
	for _, o := range []Options{{}, {Token: "s3cret"}} {
		srv := httptest.NewServer(Handler(o))
		for _, tc := range []struct {
			method, path string
			header       map[string]string
			want         int
		}{
			{"GET", "/api/logs", map[string]string{"Sec-Fetch-Site": "same-origin"}, 200},
			{"GET", "/api/logs", nil, 200},                                       // not a browser
			{"GET", "/", map[string]string{"Sec-Fetch-Site": "cross-site"}, 200}, // a link to the page
			{"GET", "/api/logs", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
			{"GET", "/api/events", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
			{"GET", "/api/events", map[string]string{"Origin": "http://attacker.example"}, http.StatusForbidden},
			{"POST", "/api/log", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
			{"POST", "/api/log", map[string]string{"Origin": "http://127.0.0.1:1"}, http.StatusForbidden},
		} {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader("x"))
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if o.Token != "" {
				req.AddCookie(&http.Cookie{Name: cookieName, Value: o.Token})
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("token %q: %s %s %v: %s, want %d", o.Token, tc.method, tc.path, tc.header, resp.Status, tc.want)
			}
		}
		srv.Close()
	}
}

// TestEventStreamPages: the streams open at once are bounded, each holding
// its own snapshot; a closed one makes room.
func TestEventStreamPages(t *testing.T) {
	h := NewHub(HubOptions{Pages: 2})
	srv := httptest.NewServer(Handler(Options{Hub: h}))
	defer srv.Close()
	defer h.Close()
	open := func() (*http.Response, context.CancelFunc) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, cancel
	}
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	for range 2 {
		resp, cancel := open()
		cancels = append(cancels, cancel)
		if resp.StatusCode != 200 {
			t.Fatalf("stream: %s", resp.Status)
		}
		defer resp.Body.Close()
	}
	resp, cancel := open()
	resp.Body.Close()
	cancel()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third stream: %s", resp.Status)
	}
	cancels[0]()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, cancel := open()
		resp.Body.Close()
		cancel()
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no room after a stream closed: %s", resp.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestIdleConnection: a connection left idle after its answer is closed,
// so that clients without the token cannot hold connections open.
func TestIdleConnection(t *testing.T) {
	defer func(d time.Duration) { idleTimeout = d }(idleTimeout)
	idleTimeout = 100 * time.Millisecond
	s, err := Start("127.0.0.1:0", Options{Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("idle connection: %v, want closed", err)
	}
}
