package webview

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
)

//go:embed static
var static embed.FS

// Options configure the web view's HTTP side.
type Options struct {
	// Hub supplies the live sessions.
	Hub *Hub
	// Token, when set, is required on every request: as ?token= (the
	// page then keeps it in a cookie), a cookie or an
	// "Authorization: Bearer" header. Start sets one for a non-loopback
	// address.
	Token string
	// Logs is the folder of session logs offered for opening ("" = none).
	Logs string
	// Secrets shows the secrets of opened session logs (log.secrets);
	// without it they are redacted.
	Secrets bool
	// Limits bound an opened session log as a live session is bounded.
	Limits Limits
	// MaxUpload bounds an uploaded session log; 0 = 64 MiB.
	MaxUpload int64
	// Logger receives request errors; nil = none.
	Logger *zap.Logger
}

// cookieName holds the token once a page was opened with ?token=.
const cookieName = "nexproxy_web_token"

// maxLogsListed bounds the listing of the logs folder.
const maxLogsListed = 1000

// Handler serves the page, its live event stream and the session logs.
func Handler(o Options) http.Handler {
	if o.MaxUpload <= 0 {
		o.MaxUpload = 64 << 20
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	h := &handler{o: o}
	files, _ := fs.Sub(static, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(files))
	mux.HandleFunc("GET /api/events", h.events)
	mux.HandleFunc("GET /api/logs", h.listLogs)
	mux.HandleFunc("GET /api/log", h.openLog)
	mux.HandleFunc("POST /api/log", h.uploadLog)
	return h.guard(mux)
}

type handler struct{ o Options }

// guard checks the token (or, without one, that the request names this
// machine: a page elsewhere cannot reach a loopback server through DNS
// rebinding) and sets headers that keep the page to its own code.
func (h *handler) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(r.URL.Path, "/api/") && crossOrigin(r) {
			http.Error(w, "web view: the API answers this page's own requests only", http.StatusForbidden)
			return
		}
		if h.o.Token == "" {
			if !loopbackHost(r.Host) {
				http.Error(w, "web view: this address serves loopback names only", http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		got := r.URL.Query().Get("token")
		fromQuery := got != ""
		if got == "" {
			if c, err := r.Cookie(cookieName); err == nil {
				got = c.Value
			}
		}
		if got == "" {
			got, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(h.o.Token)) != 1 {
			http.Error(w, "web view: access token required (open the URL with ?token=...)", http.StatusUnauthorized)
			return
		}
		if fromQuery {
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: got, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin reports whether a browser sent the request for another
// site's page: the API must not stream sessions or read logs for it, even
// though the browser would not let it read the answer (a loopback address
// without a token is open to any page, and the token's cookie goes to
// every port of the host). Requests that are not a browser's carry
// neither header.
func crossOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "":
	case "same-origin", "none":
		return false
	default:
		return true
	}
	// Browsers without Sec-Fetch-Site send Origin on cross-origin requests.
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err != nil || u.Host != r.Host
}

// loopbackHost reports whether a Host header names this machine.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// keepAlive is how often an idle event stream gets a comment, so that
// proxies and the browser keep it open; writeTimeout bounds one write to
// a page that stopped reading.
const (
	keepAlive    = 15 * time.Second
	writeTimeout = 10 * time.Second
)

// idleTimeout closes a connection that sent nothing after its last
// answer (a variable for tests).
var idleTimeout = 2 * time.Minute

// events streams the live sessions that pass the query's filter: a
// snapshot, then every change.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if h.o.Hub == nil {
		http.Error(w, "web view: no live sessions here", http.StatusNotFound)
		return
	}
	sub := h.o.Hub.subscribe(f)
	if sub == nil {
		http.Error(w, "web view: stopped, or too many pages open", http.StatusServiceUnavailable)
		return
	}
	defer h.o.Hub.unsubscribe(sub)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	rc := http.NewResponseController(w)
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write([]byte("retry: 2000\n\n")) {
		return
	}
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case b, ok := <-sub.ch:
			if !ok {
				return // dropped (too slow) or the hub stopped
			}
			if !write(b) {
				return
			}
		case <-tick.C:
			if !write([]byte(": keep-alive\n\n")) {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

// LogFile is one session log of the logs folder.
type LogFile struct {
	Name string    `json:"name"`
	Size int64     `json:"size"`
	Time time.Time `json:"time"`
}

func (h *handler) listLogs(w http.ResponseWriter, _ *http.Request) {
	list := []LogFile{}
	if h.o.Logs != "" {
		entries, err := os.ReadDir(h.o.Logs)
		if err != nil {
			h.o.Logger.Warn("web view: list session logs", zap.Error(err))
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".jsonl") {
				continue
			}
			info, err := e.Info()
			if err != nil {
				continue
			}
			list = append(list, LogFile{Name: e.Name(), Size: info.Size(), Time: info.ModTime()})
		}
		// Session log names start with their time: newest first.
		sort.Slice(list, func(i, j int) bool { return list[i].Name > list[j].Name })
		if len(list) > maxLogsListed {
			list = list[:maxLogsListed]
		}
	}
	writeJSON(w, map[string]any{"dir": h.o.Logs != "", "logs": list})
}

// openLog opens a log of the logs folder by name.
func (h *handler) openLog(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if h.o.Logs == "" || name == "" || name != filepath.Base(name) || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".jsonl") {
		http.Error(w, "web view: no such session log", http.StatusNotFound)
		return
	}
	root, err := os.OpenRoot(h.o.Logs)
	if err != nil {
		http.Error(w, "web view: logs folder unavailable", http.StatusNotFound)
		return
	}
	defer root.Close()
	file, err := root.Open(name)
	if err != nil {
		http.Error(w, "web view: no such session log", http.StatusNotFound)
		return
	}
	defer file.Close()
	h.serveLog(w, r, file, name)
}

// uploadLog reads a session log sent as the request body.
func (h *handler) uploadLog(w http.ResponseWriter, r *http.Request) {
	name := filepath.Base(r.URL.Query().Get("name"))
	if name == "." || name == "/" {
		name = "upload"
	}
	h.serveLog(w, r, http.MaxBytesReader(w, r.Body, h.o.MaxUpload), name)
}

func (h *handler) serveLog(w http.ResponseWriter, r *http.Request, in io.Reader, name string) {
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s, err := readLog(in, name, h.o.Limits, h.o.Secrets)
	if s == nil {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	out := LogView{Sessions: []Session{}, Calls: []*Call{}}
	if err != nil {
		out.Warning = err.Error()
	}
	if f.Session(&s.Session) {
		out.Sessions = append(out.Sessions, s.Session)
		for _, c := range s.calls {
			if f.Call(c) {
				out.Calls = append(out.Calls, c)
			}
		}
	}
	writeJSON(w, out)
}

// LogView is an opened session log as the page gets it.
type LogView struct {
	Sessions []Session `json:"sessions"`
	Calls    []*Call   `json:"calls"`
	// Warning says why the log was read only in part.
	Warning string `json:"warning,omitempty"`
}

// readLog reads a session log into a session named source, bounded by
// lim, with its secrets redacted unless secrets. A log that breaks off
// (a crash mid-write) gives what came before with the error.
func readLog(in io.Reader, source string, lim Limits, secrets bool) (*sessionState, error) {
	lr, err := sessionlog.NewReader(in)
	if err != nil {
		return nil, fmt.Errorf("web view: %w", err)
	}
	s := newSessionState(source, source, lim)
	s.apply(lr.Header())
	for {
		rec, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			return s, fmt.Errorf("web view: %w", err)
		}
		if !secrets {
			rec = sessionlog.Redacted(rec)
		}
		s.apply(rec)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

// Server is a running web view.
type Server struct {
	hub   *Hub
	srv   *http.Server
	ln    net.Listener
	token string
	wg    sync.WaitGroup
}

// Start listens on addr (ListenAddr's rules: an empty host is loopback)
// and serves the hub's sessions until Close. Bound elsewhere than
// loopback, it requires a token: o.Token, or a random one it returns
// with Token for the caller to show once.
func Start(addr string, o Options) (*Server, error) {
	addr, err := ListenAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("web view: %w", err)
	}
	if o.Token == "" && !Loopback(addr) {
		o.Token = NewToken()
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("web view: %w", err)
	}
	s := &Server{hub: o.Hub, ln: ln, token: o.Token}
	var errLog *zap.Logger
	if o.Logger != nil {
		errLog = o.Logger
	} else {
		errLog = zap.NewNop()
	}
	s.srv = &http.Server{Handler: Handler(o), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: idleTimeout, ErrorLog: zap.NewStdLog(errLog)}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errLog.Warn("web view stopped", zap.Error(err))
		}
	}()
	return s, nil
}

// Addr is the address the web view listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Token is the access token the page needs ("" on loopback without one).
func (s *Server) Token() string { return s.token }

// URL is the page's address, with the token when one is needed.
func (s *Server) URL() string {
	u := "http://" + s.ln.Addr().String() + "/"
	if s.token != "" {
		u += "?token=" + s.token
	}
	return u
}

// Close stops the hub (which ends the event streams) and the server.
func (s *Server) Close() error {
	if s.hub != nil {
		s.hub.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	s.wg.Wait()
	return err
}
