package proxy_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/record/pcapng"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
)

// sessionFile is one session log read back.
type sessionFile struct {
	path    string
	raw     []byte
	header  sessionlog.Record
	records []sessionlog.Record
}

// readSessionLogs reads every session log in dir, auth leg first.
func readSessionLogs(t *testing.T, dir string) []*sessionFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*sessionFile
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := sessionlog.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f := &sessionFile{path: p, raw: raw, header: r.Header()}
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			f.records = append(f.records, rec)
		}
		out = append(out, f)
	}
	return out
}

// server returns the value of the file's console open record ("auth" or
// "secure").
func (f *sessionFile) server() string {
	for _, r := range f.records {
		if r.Type == sessionlog.TypeOpen && r.Side == sessionlog.SideConsole {
			return r.Server
		}
	}
	return ""
}

func (f *sessionFile) find(typ, method string) *sessionlog.Record {
	for i := range f.records {
		r := &f.records[i]
		if r.Type == typ && (method == "" || r.Protocol+"."+r.Method == method) {
			return r
		}
	}
	return nil
}

// byServer picks the auth and secure logs.
func byServer(t *testing.T, files []*sessionFile) (auth, secure *sessionFile) {
	t.Helper()
	for _, f := range files {
		switch f.server() {
		case "auth":
			auth = f
		case "secure":
			secure = f
		}
	}
	if len(files) != 2 || auth == nil || secure == nil {
		t.Fatalf("want one auth and one secure session log, got %d files", len(files))
	}
	return auth, secure
}

func TestFileRecorderLocalSession(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	for _, secrets := range []bool{false, true} {
		t.Run("secrets="+strconv.FormatBool(secrets), func(t *testing.T) {
			dir := t.TempDir()
			fr := record.NewFile(record.FileOptions{Dir: dir, Secrets: secrets, SessionCaptures: true, Program: "nexproxy test"})
			mem := &memRecorder{}
			srv, cfg := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, record.Multi(mem, nil, fr))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, err := proxy.Login(ctx, clientConfig(cfg, srv))
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			registerEx(t, ctx, c, cfg.Games[0].RMC)
			if m, err := c.Call(ctx, 0x7F0, 1, []byte{0xde, 0xad}); err != nil || m.Success {
				t.Fatalf("unknown protocol: %v %v", err, m)
			}
			ticket := hex.EncodeToString(c.Ticket)
			c.Close()
			srv.Close()
			fr.Close()
			if d := fr.Dropped(); d != 0 {
				t.Errorf("%d records dropped", d)
			}
			if len(mem.calls) == 0 {
				t.Error("the other recorder of the fan-out saw no call")
			}

			auth, secure := byServer(t, readSessionLogs(t, dir))
			if auth.header.Secrets != secrets || auth.header.Program != "nexproxy test" || auth.header.Game != "g" {
				t.Errorf("header %+v", auth.header)
			}
			login := auth.find(sessionlog.TypeLogin, "")
			if login == nil || login.PID != 1234567 || login.Mode != sessionlog.ModeLocal {
				t.Errorf("login record %+v, want PID 1234567 mode local", login)
			}
			lc := auth.find(sessionlog.TypeCall, "Authentication.Login")
			if lc == nil {
				t.Fatalf("no Authentication.Login call in %s", auth.raw)
			}
			if lc.Handler != record.HandlerBuiltin || lc.Dir != sessionlog.DirConsole || lc.CallID == 0 || lc.Side != sessionlog.SideConsole ||
				!bytes.Contains(lc.Params, []byte(`"1234567"`)) || len(lc.Result) == 0 || lc.Duration <= 0 {
				t.Errorf("login call %+v", lc)
			}
			if len(c.Ticket) < 16 {
				t.Fatalf("client ticket of %d bytes", len(c.Ticket))
			}
			if got := bytes.Contains(auth.raw, []byte(ticket)); got != secrets {
				t.Errorf("ticket in the log file: %v, want %v (secrets=%v)", got, secrets, secrets)
			}
			if got := bytes.Contains(secure.raw, []byte("nex-token-"+testUser)); got != secrets {
				t.Errorf("login token in the log file: %v, want %v", got, secrets)
			}

			reg := secure.find(sessionlog.TypeCall, "SecureConnection.RegisterEx")
			if reg == nil || reg.Handler != record.HandlerBuiltin || len(reg.Params) == 0 || len(reg.Result) == 0 {
				t.Errorf("RegisterEx record %+v", reg)
			}
			var unknown *sessionlog.Record
			for i := range secure.records {
				if r := &secure.records[i]; r.Type == sessionlog.TypeCall && r.ProtocolID == 0x7F0 {
					unknown = r
				}
			}
			if unknown == nil || unknown.Protocol != "" || unknown.ParamsRaw != "dead" || unknown.ErrorName != "Core::NotImplemented" ||
				uint32(unknown.Error)&0x80000000 == 0 || unknown.Handler != record.HandlerBuiltin {
				t.Errorf("undescribed call record %+v", unknown)
			}
			if open := secure.find(sessionlog.TypeOpen, ""); open == nil || open.PID != 1234567 || open.Local == "" || open.Remote == "" {
				t.Errorf("secure open record %+v", open)
			}
			for _, f := range []*sessionFile{auth, secure} {
				if last := f.records[len(f.records)-1]; last.Type != sessionlog.TypeClose || last.Reason == "" {
					t.Errorf("%s ends with %+v, want a close record", f.path, last)
				}
				st, err := os.Stat(strings.TrimSuffix(f.path, ".jsonl") + ".pcapng")
				if err != nil || st.Size() < 100 {
					t.Errorf("session capture beside %s: %v", f.path, err)
				}
			}
		})
	}
}

func TestFileRecorderProxySession(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	dir := t.TempDir()
	capPath := filepath.Join(t.TempDir(), "all.pcapng")
	capture, err := pcapng.Create(capPath)
	if err != nil {
		t.Fatal(err)
	}
	fr := record.NewFile(record.FileOptions{Dir: dir, SessionCaptures: true, Capture: capture})
	up, _ := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, nil)
	defer up.Close()
	front, cfg := startServer(t, testGame{platform: "wiiu", upstream: upstreamAddr(up), accounts: true}, fr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	registerEx(t, ctx, c, cfg.Games[0].RMC)
	c.Close()
	front.Close()
	fr.Close()
	if err := capture.Close(); err != nil {
		t.Fatal(err)
	}
	if d := fr.Dropped(); d != 0 {
		t.Errorf("%d records dropped", d)
	}

	auth, secure := byServer(t, readSessionLogs(t, dir))
	if l := auth.find(sessionlog.TypeLogin, ""); l == nil || l.Mode != sessionlog.ModeIntercepted || l.PID != 1234567 {
		t.Errorf("login record %+v, want intercepted", l)
	}
	lc := auth.find(sessionlog.TypeCall, "Authentication.Login")
	if lc == nil || lc.Handler != record.HandlerUpstream || lc.UpstreamCallID == 0 {
		t.Errorf("login call %+v, want handler upstream with the upstream call id", lc)
	}
	reg := secure.find(sessionlog.TypeCall, "SecureConnection.RegisterEx")
	if reg == nil || reg.Handler != record.HandlerUpstream || reg.UpstreamCallID == 0 || len(reg.Result) == 0 {
		t.Errorf("RegisterEx record %+v", reg)
	}
	var upOpen, upClose bool
	for _, r := range secure.records {
		if r.Side == sessionlog.SideUpstream {
			upOpen = upOpen || r.Type == sessionlog.TypeOpen && r.Remote != ""
			upClose = upClose || r.Type == sessionlog.TypeClose
		}
	}
	if !upOpen || !upClose {
		t.Errorf("upstream connection open %v close %v in %s", upOpen, upClose, secure.raw)
	}

	// The process capture holds both sides of both connections: the console
	// leg towards nexproxy's secure port, the upstream connection towards the
	// upstream's, from nexproxy's own upstream socket (not port 0).
	comments := tsharkFields(t, capPath, "frame.comment", "udp.srcport", "udp.dstport")
	if comments == nil {
		return
	}
	frontPort := strconv.Itoa(int(portOf(front.SecureAddr("g"))))
	upPort := strconv.Itoa(int(portOf(up.SecureAddr("g"))))
	var toFront, toUp bool
	for _, line := range comments {
		if !strings.HasPrefix(line, "SecureConnection.RegisterEx call ") || !strings.Contains(line, " request [") {
			continue
		}
		toFront = toFront || strings.HasSuffix(line, "|"+frontPort)
		toUp = toUp || strings.HasSuffix(line, "|"+upPort)
		if strings.HasSuffix(line, "|0|"+upPort) {
			t.Errorf("upstream connection captured from port 0: %s", line)
		}
	}
	if !toFront || !toUp {
		t.Errorf("RegisterEx requests to nexproxy (%s) %v, to the upstream (%s) %v:\n%s", frontPort, toFront, upPort, toUp, strings.Join(comments, "\n"))
	}
	// Each comment ends with the game's settings (pcapng.SettingsNote).
	note := "[nex=30504 pid=4 structheader=1]|"
	want := []string{"Authentication.Login call 1 request " + note, "Authentication.Login call 1 response " + note}
	for _, w := range want {
		found := false
		for _, line := range comments {
			found = found || strings.HasPrefix(line, w)
		}
		if !found {
			t.Errorf("no packet %q in the capture:\n%s", w, strings.Join(comments, "\n"))
		}
	}
}

// tsharkFields dissects a capture with tshark and returns one line per
// packet with the fields joined by "|". Without tshark it skips the check
// (returns nil), except in CI where it fails.
func tsharkFields(t *testing.T, path string, fields ...string) []string {
	t.Helper()
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tshark not found; CI must install it (apt-get install -y tshark)")
		}
		t.Log("tshark not installed; capture read-back skipped")
		return nil
	}
	args := []string{"-r", path, "-T", "fields", "-E", "separator=|"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	cmd := exec.Command(tshark, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// TestFileRecorderUnwritableDir: a folder that cannot be created costs the
// session logs, not the session, and is reported once.
func TestFileRecorderUnwritableDir(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	fr := record.NewFile(record.FileOptions{Dir: filepath.Join(notDir, "sessions"), SessionCaptures: true, Logger: zap.New(core)})
	srv, cfg := startServer(t, testGame{platform: "wiiu", upstream: "local", accounts: true}, fr)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 2 {
		c, err := proxy.Login(ctx, clientConfig(cfg, srv))
		if err != nil {
			t.Fatalf("login without session logs: %v", err)
		}
		registerEx(t, ctx, c, cfg.Games[0].RMC)
		c.Close()
	}
	srv.Close()
	fr.Close()
	if n := logs.FilterMessageSnippet("session log not written").Len(); n != 1 {
		t.Errorf("%d warnings about the session log folder over four connections, want 1", n)
	}
}
