package proxy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin/auth"
	"github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/proxy/builtin/utility"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/luahooks"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
	"github.com/nexproxy/nexproxy/scripts"
)

// Test protocols of the recording upstream (undescribed ids).
const (
	protoEcho       = 0x7E0 // upstream answers with the request body
	protoHookOnly   = 0x7E1 // only hooks answer these
	protoPush       = 0x7E3 // upstream sends the console something, see upstreamLog
	protoServerCall = 0x7E4 // the call the upstream makes on the console
)

// upstreamLog is a built-in handler for the upstream server of a test: it
// records every call reaching it on the secure leg and answers the test
// protocols, Ranking and MatchmakeExtension.
type upstreamLog struct {
	mu    sync.Mutex
	calls map[[2]uint32][][]byte
}

func newUpstreamLog() *upstreamLog { return &upstreamLog{calls: map[[2]uint32][][]byte{}} }

func (u *upstreamLog) bodies(proto uint16, method uint32) [][]byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls[[2]uint32{uint32(proto), method}]
}

func (u *upstreamLog) protocol(proto uint16) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	n := 0
	for k, v := range u.calls {
		if k[0] == uint32(proto) {
			n += len(v)
		}
	}
	return n
}

func (u *upstreamLog) builtin(*proxy.Env) (proxy.LinkSpec, error) {
	return proxy.LinkSpec{Name: record.HandlerBuiltin, Link: func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
			if c.Session.Leg != rpc.LegSecure || c.Direction != rpc.ToServer {
				return next.ServeRMC(ctx, c)
			}
			u.mu.Lock()
			k := [2]uint32{uint32(c.Protocol), c.Method}
			u.calls[k] = append(u.calls[k], bytes.Clone(c.Body))
			u.mu.Unlock()
			switch c.Protocol {
			case protoEcho:
				return &rpc.Reply{Body: c.Body}, nil
			case 112, 109:
				return &rpc.Reply{Body: []byte{}}, nil
			case protoPush:
				peer := proxy.ConsolePeer(c.Session)
				if peer == nil {
					return nil, errors.New("no console peer")
				}
				if c.Method == 2 { // a notification with the request body
					if err := peer.Notify(ctx, 14, 1, c.Body); err != nil {
						return nil, err
					}
					return &rpc.Reply{Body: []byte{}}, nil
				}
				m, err := peer.Call(ctx, protoServerCall, 1, c.Body)
				if err != nil {
					return nil, err
				}
				if !m.Success {
					return &rpc.Reply{Error: m.Error}, nil
				}
				return &rpc.Reply{Body: m.Body}, nil
			}
			return next.ServeRMC(ctx, c)
		})
	}}, nil
}

// startWithOptions is startServer with the caller's options; hooks, when
// set, are installed into them.
func startWithOptions(t *testing.T, g testGame, opts proxy.Options, hooks *scripts.Engine) (*proxy.Server, *config.Config) {
	t.Helper()
	cfg, err := config.LoadTOML(gameTOML(t, g))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return startConfig(t, cfg, opts, hooks), cfg
}

func startConfig(tb testing.TB, cfg *config.Config, opts proxy.Options, hooks *scripts.Engine) *proxy.Server {
	tb.Helper()
	if hooks != nil {
		luahooks.New(hooks, cfg, nil).Install(&opts)
	}
	srv, err := proxy.New(cfg, opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return srv
}

// scriptDir writes the scripts into a fresh folder.
func scriptDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// newHookEngine loads dir with every log line kept.
func newHookEngine(t *testing.T, dir string, mod func(*scripts.Config)) (*scripts.Engine, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	// Generous limits: a busy test machine (CI runs packages side by
	// side, the race detector slows Lua tenfold) must not fail a script's
	// top-level code or a hook run on time, which would pass the call on
	// as if the hook were absent. Tests of the limits set their own.
	cfg := scripts.Config{Dir: dir, Logger: zap.New(core), LoadTimeout: 20 * time.Second, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	e, err := scripts.New(cfg)
	if err != nil {
		t.Fatalf("scripts: %v", err)
	}
	return e, logs
}

// hookEnv is a client, a front nexproxy running hooks and a local upstream
// that records what reaches it.
type hookEnv struct {
	engine   *scripts.Engine
	logs     *observer.ObservedLogs
	up       *upstreamLog
	upSrv    *proxy.Server
	front    *proxy.Server
	cfg      *config.Config
	frontRec *memRecorder
	client   *proxy.Client
	settings rmc.Settings
	received chan *rmc.Message // requests the client received
}

type envOptions struct {
	frontAccounts bool // the front knows the user's password from [[accounts]]
	noLogin       bool
	engineMod     func(*scripts.Config)
}

// newHookEnv starts the servers with the scripts in files loaded on the
// front and logs a client in; everything is closed at the end of the test.
func newHookEnv(t *testing.T, files map[string]string, o envOptions) *hookEnv {
	t.Helper()
	env := &hookEnv{up: newUpstreamLog(), frontRec: &memRecorder{}, received: make(chan *rmc.Message, 16)}
	env.engine, env.logs = newHookEngine(t, scriptDir(t, files), o.engineMod)
	t.Cleanup(env.engine.Close)
	env.upSrv, _ = startWithOptions(t, testGame{platform: "wiiu", upstream: "local", accounts: true},
		proxy.Options{Builtins: []proxy.Builtin{env.up.builtin, servicetest.Host(t).Named(auth.Name, secure.Name, utility.Name)}}, nil)
	t.Cleanup(func() { env.upSrv.Close() })
	env.front, env.cfg = startWithOptions(t, testGame{platform: "wiiu", upstream: upstreamAddr(env.upSrv), accounts: o.frontAccounts},
		proxy.Options{Recorder: env.frontRec}, env.engine)
	t.Cleanup(func() { env.front.Close() })
	env.settings = env.cfg.Games[0].RMC
	if !o.noLogin {
		env.client = env.login(t)
	}
	return env
}

// login logs a client in whose secure connection answers protocolServerCall
// with "pong:" + body and queues every request it receives.
func (env *hookEnv) login(t *testing.T) *proxy.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cc := clientConfig(env.cfg, env.front)
	cc.OnRequest = func(ctx context.Context, p *peer.Peer, m *rmc.Message) {
		select {
		case env.received <- m:
		default:
		}
		if m.Protocol == protoServerCall {
			_ = p.Respond(ctx, m, &rpc.Reply{Body: append([]byte("pong:"), m.Body...)})
		}
	}
	c, err := proxy.Login(ctx, cc)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// call makes a call and fails the test when it gets no answer.
func (env *hookEnv) call(t *testing.T, proto uint16, method uint32, body []byte) *rmc.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := env.client.Call(ctx, proto, method, body)
	if err != nil {
		t.Fatalf("call %#x.%d: %v", proto, method, err)
	}
	return m
}

// forward makes the call proto.method with a request built from set, which
// must succeed and reach the upstream once, and returns the request as the
// upstream received it, decoded and raw.
func (env *hookEnv) forward(t *testing.T, proto, method string, set map[string]any) (*schema.Value, []byte) {
	t.Helper()
	md := schema.Default().MethodByName(proto, method)
	if m := env.call(t, md.Protocol.ID, md.ID, encodeRequest(t, env.settings, proto, method, set)); !m.Success {
		t.Fatalf("%s.%s: %s", proto, method, m.Error)
	}
	got := env.up.bodies(md.Protocol.ID, md.ID)
	if len(got) != 1 {
		t.Fatalf("upstream got %d %s.%s calls", len(got), proto, method)
	}
	return decodeRequest(t, env.settings, proto, method, got[0]), got[0]
}

// messages returns every log message with its string and integer fields
// appended as key=value, for substring assertions.
func messages(logs *observer.ObservedLogs) string {
	var b strings.Builder
	for _, e := range logs.All() {
		b.WriteString(e.Message)
		for _, f := range e.Context {
			switch f.Type {
			case zapcore.StringType:
				fmt.Fprintf(&b, " %s=%s", f.Key, f.String)
			case zapcore.Uint64Type, zapcore.Uint32Type, zapcore.Uint16Type, zapcore.Int64Type:
				fmt.Fprintf(&b, " %s=%d", f.Key, f.Integer)
			case zapcore.ErrorType:
				fmt.Fprintf(&b, " %s=%v", f.Key, f.Interface)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// waitLog waits until the log contains every wanted substring.
func waitLog(t *testing.T, logs *observer.ObservedLogs, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := messages(logs)
		missing := ""
		for _, w := range want {
			if !strings.Contains(got, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log lacks %q:\n%s", missing, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func example(t *testing.T, name string) map[string]string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "scripts", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{name: string(src)}
}

func encodeRequest(t *testing.T, s rmc.Settings, proto, method string, set map[string]any) []byte {
	t.Helper()
	m := schema.Default().MethodByName(proto, method)
	v := m.NewRequest(s)
	for path, x := range set {
		if err := v.Set(path, x); err != nil {
			t.Fatal(err)
		}
	}
	b, err := m.EncodeRequest(v, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeRequest(t *testing.T, s rmc.Settings, proto, method string, body []byte) *schema.Value {
	t.Helper()
	v, err := schema.Default().MethodByName(proto, method).DecodeRequest(body, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func get(t *testing.T, v *schema.Value, path string) *schema.Value {
	t.Helper()
	f, err := v.Get(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func resultNamed(t *testing.T, name string) rmc.Result {
	t.Helper()
	r, ok := rmc.ResultByName(name)
	if !ok {
		t.Fatalf("no result %s", name)
	}
	return r
}

func TestHookExamples(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the environment's own cleanups

	t.Run("log_calls", func(t *testing.T) {
		env := newHookEnv(t, example(t, "log_calls.lua"), envOptions{frontAccounts: true})
		if m := env.call(t, 11, 5, nil); !m.Success {
			t.Fatalf("TestConnectivity: %s", m.Error)
		}
		if m := env.call(t, protoPush, 2, encodeRequest(t, env.settings, "Notification", "ProcessNotificationEvent", nil)); !m.Success {
			t.Fatalf("push: %s", m.Error)
		}
		waitLog(t, env.logs,
			"request\tSecureConnection.TestConnectivity\tcall\t",
			"response\tSecureConnection.TestConnectivity\tcall\t",
			"server request\tNotification.ProcessNotificationEvent",
			"script=log_calls.lua", "game=g",
			// The auth leg's login was logged before the PID was known.
			"request\tAuthentication.Login\tcall\t1\tbytes\t10 script=log_calls.lua game=g pid=0",
			"response\tAuthentication.Login\tcall\t1\tok script=log_calls.lua game=g pid="+testUser,
		)
	})

	t.Run("raise_ranking_score", func(t *testing.T) {
		env := newHookEnv(t, example(t, "raise_ranking_score.lua"), envOptions{frontAccounts: true})
		v, raw := env.forward(t, "Ranking", "UploadScore", map[string]any{"score_data.score": 500, "score_data.category": 3, "unique_id": 9})
		if s := get(t, v, "score_data.score").Uint; s != 1500 {
			t.Errorf("upstream stored score %d, want 1500", s)
		}
		if get(t, v, "score_data.category").Uint != 3 || get(t, v, "unique_id").Uint != 9 {
			t.Errorf("other fields changed: %x", raw)
		}
	})

	t.Run("answer_unique_id", func(t *testing.T) {
		env := newHookEnv(t, example(t, "answer_unique_id.lua"), envOptions{frontAccounts: true})
		for i := uint64(1); i <= 2; i++ {
			m := env.call(t, 110, 1, nil)
			r := rmc.NewReader(m.Body, env.settings)
			if id := r.U64(); !m.Success || r.Err() != nil || id != 0x100000000+i {
				t.Fatalf("AcquireNexUniqueId: %v %x", m.Error, m.Body)
			}
		}
		if n := env.up.protocol(110); n != 0 {
			t.Errorf("upstream saw %d Utility calls", n)
		}
	})

	t.Run("matchmake_search_rewrite", func(t *testing.T) {
		env := newHookEnv(t, example(t, "matchmake_search_rewrite.lua"), envOptions{frontAccounts: true})
		v, raw := env.forward(t, "MatchmakeExtension", "BrowseMatchmakeSession", map[string]any{
			"search_criteria.attribs[3]": "5", "search_criteria.game_mode": "2"})
		if a := get(t, v, "search_criteria.attribs[3]").Str; a != "" {
			t.Errorf("upstream got region attribute %q", a)
		}
		if get(t, v, "search_criteria.vacant_only").Bool || get(t, v, "search_criteria.game_mode").Str != "2" {
			t.Errorf("criteria as received upstream: %x", raw)
		}
	})

	t.Run("block_pid", func(t *testing.T) {
		env := newHookEnv(t, example(t, "block_pid.lua"), envOptions{frontAccounts: true})
		m := env.call(t, 11, 5, nil)
		if m.Success || m.Error != resultNamed(t, "Core::AccessDenied") {
			t.Fatalf("blocked user's call: success %v error %s", m.Success, m.Error)
		}
		if n := env.up.protocol(11); n != 0 {
			t.Errorf("upstream saw %d calls of the blocked user", n)
		}
		waitLog(t, env.logs, "blocked user logged in", "blocked call\tSecureConnection.TestConnectivity")
	})
}

// capsScript exercises every way a hook can change a call.
const capsScript = `
nex.on_request("Ranking", "UploadScore", function(call)
  call.params.score_data.score = 77
end)
nex.on_request(0x7E0, 1, function(call) call.body = "raw:" .. call.body end)
nex.on_request("Utility", "AcquireNexUniqueIdWithPassword", function(call)
  return nex.answer{ info = { unique_id = 4242, password = 7 } }
end)
nex.on_request(0x7E1, 1, function(call) return nex.answer_raw("xyz") end)
nex.on_request(0x7E1, 2, function(call) return nex.fail("Core::AccessDenied") end)
nex.on_request(0x7E1, 3, function(call) return nex.fail(0x00680004) end)
nex.on_request(0x7E1, 4, function(call) return nex.drop() end)
nex.on_request(0x7E0, 5, function(call)
  call.session:send("Notification", "ProcessNotificationEvent", call.body)
  call.session.store.sent = (call.session.store.sent or 0) + 1
end)
nex.on_request(0x7E1, 6, function(call)
  local r = nex.reader(call.body)
  local port, url = r:u32(), nex.station_url.parse(r:string())
  url.port = port
  local w = nex.writer():string(tostring(url)):u32(nex.shared.incr("helpers"))
  return nex.answer_raw(tostring(w))
end)
nex.on_request(0x7E0, 8, function(call) call.session:send(0x7E4, 1, "extra:" .. call.body) end)
nex.on_response("Utility", "AcquireNexUniqueId", function(call)
  call.params.unique_id = call.params.unique_id + 1000
end)
nex.on_response(0x7E0, 6, function(call) call.body = call.body .. "!" end)
nex.on_response(0x7E0, 7, function(call) return nex.fail("Core::InvalidArgument") end)
nex.on_server_request("Notification", "ProcessNotificationEvent", function(call)
  call.params.event.param1 = call.params.event.param1 + 1
end)
nex.on_server_request(0x7E4, 1, function(call) call.body = call.body .. "+req" end)
nex.on_server_response(0x7E4, 1, function(call)
  assert(call.direction == "server" and call.is_response)
  call.body = call.body .. "+resp"
end)
`

func TestHookCapabilities(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the environment's own cleanups
	env := newHookEnv(t, map[string]string{"caps.lua": capsScript}, envOptions{frontAccounts: true})
	s := env.settings

	t.Run("modify params", func(t *testing.T) {
		v, raw := env.forward(t, "Ranking", "UploadScore", map[string]any{"score_data.score": 5, "unique_id": 11})
		if get(t, v, "score_data.score").Uint != 77 || get(t, v, "unique_id").Uint != 11 {
			t.Errorf("upstream got %x", raw)
		}
	})

	t.Run("replace body", func(t *testing.T) {
		m := env.call(t, protoEcho, 1, []byte("abc"))
		if !m.Success || string(m.Body) != "raw:abc" {
			t.Fatalf("echo: %v %q", m.Error, m.Body)
		}
		if got := env.up.bodies(protoEcho, 1); len(got) != 1 || string(got[0]) != "raw:abc" {
			t.Errorf("upstream got %q", got)
		}
	})

	t.Run("answer table", func(t *testing.T) {
		m := env.call(t, 110, 2, nil)
		r := rmc.NewReader(m.Body, s)
		r.StructBegin()
		id, pw := r.U64(), r.U64()
		r.StructEnd()
		if !m.Success || r.Err() != nil || id != 4242 || pw != 7 || r.Remaining() != 0 {
			t.Fatalf("answer: %v %x", m.Error, m.Body)
		}
		if got := env.up.bodies(110, 2); len(got) != 0 {
			t.Error("upstream saw the answered call")
		}
	})

	t.Run("answer raw", func(t *testing.T) {
		m := env.call(t, protoHookOnly, 1, []byte("q"))
		if !m.Success || string(m.Body) != "xyz" {
			t.Fatalf("answer_raw: %v %q", m.Error, m.Body)
		}
	})

	t.Run("fail by name", func(t *testing.T) {
		m := env.call(t, protoHookOnly, 2, nil)
		if m.Success || m.Error != resultNamed(t, "Core::AccessDenied") {
			t.Fatalf("fail: %v %s", m.Success, m.Error)
		}
	})

	t.Run("fail by code", func(t *testing.T) {
		m := env.call(t, protoHookOnly, 3, nil)
		if m.Success || m.Error != 0x80680004 {
			t.Fatalf("fail: %v %#x", m.Success, uint32(m.Error))
		}
	})

	t.Run("drop", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		m, err := env.client.Call(ctx, protoHookOnly, 4, nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("dropped call answered: %v %v", m, err)
		}
		// The connection still works.
		if m := env.call(t, protoHookOnly, 1, nil); !m.Success {
			t.Fatal("call after a drop failed")
		}
	})

	t.Run("session send", func(t *testing.T) {
		ev := encodeRequest(t, s, "Notification", "ProcessNotificationEvent", map[string]any{"event.type": 3001, "event.text": "hello"})
		m := env.call(t, protoEcho, 5, ev)
		if !m.Success || !bytes.Equal(m.Body, ev) {
			t.Fatalf("call with send: %v %x", m.Error, m.Body)
		}
		n := env.expect(t, 14, 1)
		v := decodeRequest(t, s, "Notification", "ProcessNotificationEvent", n.Body)
		if get(t, v, "event.type").Uint != 3001 || get(t, v, "event.text").Str != "hello" {
			t.Errorf("notification %x", n.Body)
		}
	})

	t.Run("helpers", func(t *testing.T) {
		w := rmc.NewWriter(s)
		w.U32(5)
		w.String("prudps:/address=1.2.3.4;port=1;PID=2")
		for i := uint32(1); i <= 2; i++ {
			m := env.call(t, protoHookOnly, 6, w.Bytes())
			r := rmc.NewReader(m.Body, s)
			url, n := r.String(), r.U32()
			if !m.Success || r.Err() != nil || url != "prudps:/address=1.2.3.4;port=5;PID=2" || n != i {
				t.Fatalf("call %d: %v %q %d (%v)", i, m.Error, url, n, r.Err())
			}
		}
	})

	t.Run("session send call", func(t *testing.T) {
		if m := env.call(t, protoEcho, 8, []byte("hi")); !m.Success || string(m.Body) != "hi" {
			t.Fatalf("call with send: %v %q", m.Error, m.Body)
		}
		if n := env.expect(t, protoServerCall, 1); string(n.Body) != "extra:hi" {
			t.Errorf("the console got %q", n.Body)
		}
	})

	t.Run("response params", func(t *testing.T) {
		m := env.call(t, 110, 1, nil)
		r := rmc.NewReader(m.Body, s)
		// The upstream's built-in ids start at 1 in its fresh store; the
		// hook added 1000.
		if id := r.U64(); !m.Success || id <= 1000 || id > 1000+1<<20 {
			t.Fatalf("AcquireNexUniqueId: %v %#x", m.Error, id)
		}
		if len(env.up.bodies(110, 1)) != 1 {
			t.Error("upstream did not see the call")
		}
	})

	t.Run("response body", func(t *testing.T) {
		m := env.call(t, protoEcho, 6, []byte("ok"))
		if !m.Success || string(m.Body) != "ok!" {
			t.Fatalf("response: %v %q", m.Error, m.Body)
		}
		m = env.call(t, protoEcho, 7, []byte("ok"))
		if m.Success || m.Error != resultNamed(t, "Core::InvalidArgument") {
			t.Fatalf("response turned into an error: %v %s", m.Success, m.Error)
		}
	})

	t.Run("server notification", func(t *testing.T) {
		ev := encodeRequest(t, s, "Notification", "ProcessNotificationEvent", map[string]any{"event.type": 7, "event.param1": 100})
		if m := env.call(t, protoPush, 2, ev); !m.Success {
			t.Fatalf("push: %s", m.Error)
		}
		n := env.expect(t, 14, 1)
		v := decodeRequest(t, s, "Notification", "ProcessNotificationEvent", n.Body)
		if get(t, v, "event.param1").Uint != 101 || get(t, v, "event.type").Uint != 7 {
			t.Errorf("console got %x", n.Body)
		}
	})

	t.Run("server call", func(t *testing.T) {
		m := env.call(t, protoPush, 1, []byte("ping"))
		if !m.Success || string(m.Body) != "pong:ping+req+resp" {
			t.Fatalf("server call round trip: %v %q", m.Error, m.Body)
		}
	})

	if st := env.engine.Stats()["caps.lua"]; st.Errors != 0 || st.Timeouts != 0 || st.Runs == 0 {
		t.Errorf("stats %+v\n%s", st, messages(env.logs))
	}
}

// expect waits for a request from the server to the client.
func (env *hookEnv) expect(t *testing.T, proto uint16, method uint32) *rmc.Message {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-env.received:
			if m.Protocol == proto && m.Method == method {
				return m
			}
		case <-timeout:
			t.Fatalf("the console received no %d.%d", proto, method)
		}
	}
}

// int64Script changes a u64 parameter above 2^53, and keeps such a value
// in the session store on one call to use it on the next.
const int64Script = `
nex.on_request("Ranking", "UploadScore", function(call)
  call.params.unique_id = call.params.unique_id + 1
end)
nex.on_request(0x7E1, 5, function(call)
  local st, want = call.session.store, nex.u64("0x20000000000001")
  if st.id == nil then
    st.id = want
    return nex.answer_raw("stored")
  end
  return nex.answer_raw(tostring(st.id == want) .. " " .. tostring(st.id + 1) .. " " .. tostring(st.id < want + 1))
end)
`

// TestHookSixtyFourBit holds 64-bit values to exactness: a parameter above
// 2^53 reaches Lua and comes back without loss, and such a value kept in
// the session store, when a later call is served by another Lua state
// (here a reload's), still compares with == and < and computes.
func TestHookSixtyFourBit(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the environment's own cleanups
	env := newHookEnv(t, map[string]string{"int64.lua": int64Script}, envOptions{frontAccounts: true})
	v, raw := env.forward(t, "Ranking", "UploadScore", map[string]any{"unique_id": uint64(1<<53 + 1)})
	if id := get(t, v, "unique_id").Uint; id != 1<<53+2 {
		t.Errorf("upstream got unique_id %d, want %d: %x", id, uint64(1<<53+2), raw)
	}
	if m := env.call(t, protoHookOnly, 5, nil); !m.Success || string(m.Body) != "stored" {
		t.Fatalf("first call: %v %q\n%s", m.Error, m.Body, messages(env.logs))
	}
	if err := env.engine.Reload(); err != nil {
		t.Fatal(err)
	}
	if m := env.call(t, protoHookOnly, 5, nil); !m.Success || string(m.Body) != "true 9007199254740994 true" {
		t.Fatalf("second call: %v %q\n%s", m.Error, m.Body, messages(env.logs))
	}
}

const eventsScript = `
nex.on_connect(function(ev) nex.log.info("connect", ev.game, ev.conn_id, ev.addr) end)
nex.on_login(function(ev)
  nex.log.info("login", ev.game, ev.pid, ev.mode)
  ev.session.store.login = ev.pid
end)
nex.on_disconnect(function(ev) nex.log.info("disconnect", ev.game, ev.pid, ev.mode) end)
nex.on_request("SecureConnection", "TestConnectivity", function(call)
  nex.log.info("secure leg of", call.pid)
end)
`

func TestHookEvents(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the environment's own cleanups
	for _, tc := range []struct {
		name     string
		accounts bool // front knows the password: intercepts
		mode     string
	}{{"intercepted", true, "intercepted"}, {"blind-relay", false, "blind-relay"}} {
		t.Run(tc.name, func(t *testing.T) {
			env := newHookEnv(t, map[string]string{"events.lua": eventsScript}, envOptions{frontAccounts: tc.accounts})
			if m := env.call(t, 11, 5, nil); !m.Success {
				t.Fatalf("TestConnectivity: %s", m.Error)
			}
			waitLog(t, env.logs, "connect\tg\t1\t127.0.0.1:", "login\tg\t"+testUser+"\t"+tc.mode)
			env.client.Close()
			waitLog(t, env.logs, "disconnect\tg\t"+testUser+"\t"+tc.mode)
			if tc.mode == "intercepted" {
				// The secure leg is a connection of its own (conn 2), known
				// from its ticket: connected, intercepted and disconnected too.
				waitLog(t, env.logs, "connect\tg\t2\t127.0.0.1:", "secure leg of\t"+testUser+" script=events.lua game=g pid="+testUser+" conn=2")
				deadline := time.Now().Add(10 * time.Second)
				for strings.Count(messages(env.logs), "disconnect\tg\t"+testUser+"\tintercepted") != 2 {
					if time.Now().After(deadline) {
						t.Fatalf("want two disconnects:\n%s", messages(env.logs))
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}

	t.Run("local", func(t *testing.T) {
		e, logs := newHookEngine(t, scriptDir(t, map[string]string{"events.lua": eventsScript}), nil)
		defer e.Close()
		srv, cfg := startWithOptions(t, testGame{platform: "wiiu", upstream: "local", accounts: true},
			proxy.Options{Builtins: []proxy.Builtin{servicetest.Host(t).Named(auth.Name, secure.Name)}}, e)
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := proxy.Login(ctx, clientConfig(cfg, srv))
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		waitLog(t, logs, "login\tg\t"+testUser+"\tlocal")
		c.Close()
		waitLog(t, logs, "disconnect\tg\t"+testUser+"\tlocal")
	})
}

func TestHookPasswordFor(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the environment's own cleanups
	password := fmt.Sprintf(`nex.password_for = function(pid, game)
  if pid == %s and game == "g" then return %q end
end`, testUser, testPassword)
	for _, tc := range []struct {
		name, script, mode string
	}{
		{"with hook", password, "intercepted"},
		{"without hook", `nex.on_request("*", function(call) end)`, "blind-relay"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newHookEnv(t, map[string]string{"pw.lua": tc.script}, envOptions{})
			logins := env.frontRec.loginsString()
			if logins != "["+testUser+":"+tc.mode+"]" {
				t.Fatalf("logins %s, want mode %s", logins, tc.mode)
			}
			if m := env.call(t, 11, 5, nil); !m.Success {
				t.Fatalf("TestConnectivity: %s", m.Error)
			}
			// An intercepted session is proxied by nexproxy itself: its
			// hooks see the secure leg.
			secureSeen := env.frontRec.find(11, 5) != nil
			if secureSeen != (tc.mode == "intercepted") {
				t.Errorf("front saw the secure call: %v", secureSeen)
			}
		})
	}
}

func TestHookSafety(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the environment's own cleanups
	// Each hook changes the body first: the change must be discarded.
	files := map[string]string{
		"a_loop.lua": `nex.on_request(0x7E0, 1, function(call) call.body = "loop" while true do end end)`,
		"b_error.lua": `nex.on_request(0x7E0, 1, function(call)
  call.body = "error"
  local t = nil
  return t.field
end)`,
		"c_alloc.lua": `nex.on_request(0x7E0, 1, function(call)
  call.body = "alloc"
  local t, i = {}, 0
  while true do i = i + 1; t[i] = {i, tostring(i)} end
end)`,
		"d_rep.lua": `nex.on_request(0x7E0, 1, function(call) call.body = string.rep("x", 1e9) end)`,
	}
	env := newHookEnv(t, files, envOptions{frontAccounts: true, engineMod: func(c *scripts.Config) {
		c.Timeout = 200 * time.Millisecond
		c.MaxMemory = 4 << 20
	}})
	for i := range 3 {
		m := env.call(t, protoEcho, 1, []byte("body"))
		if !m.Success || string(m.Body) != "body" {
			t.Fatalf("call %d through failing hooks: %v %q", i, m.Error, m.Body)
		}
	}
	if got := env.up.bodies(protoEcho, 1); len(got) != 3 || string(got[2]) != "body" {
		t.Fatalf("upstream got %q", got)
	}
	st := env.engine.Stats()
	if s := st["a_loop.lua"]; s.Timeouts != 3 {
		t.Errorf("loop: %+v", s)
	}
	if s := st["b_error.lua"]; s.Errors != 3 {
		t.Errorf("error: %+v", s)
	}
	if s := st["c_alloc.lua"]; s.MemoryAborts+s.Timeouts != 3 {
		t.Errorf("alloc: %+v", s)
	}
	if s := st["d_rep.lua"]; s.Errors != 3 {
		t.Errorf("string.rep: %+v", s)
	}
	waitLog(t, env.logs, "hook timed out", "script=a_loop.lua", "script=b_error.lua", "b_error.lua:4:",
		"script=c_alloc.lua", "script=d_rep.lua", "memory limit")
	// The proxy is still up: a second console logs in and calls.
	c2 := env.login(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if m, err := c2.Call(ctx, 11, 5, nil); err != nil || !m.Success {
		t.Fatalf("second console: %v %v", err, m)
	}
}

func TestHookHotReload(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the environment's own cleanups
	dir := scriptDir(t, nil)
	write := func(src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "v.lua"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	version := func(n int) string {
		return fmt.Sprintf("nex.on_request(0x7E1, 1, function(call) return nex.answer_raw(%q) end)\n", fmt.Sprintf("v%02d", n))
	}
	write(version(0))
	e, logs := newHookEngine(t, dir, nil)
	defer e.Close()
	const clients = 4
	srv, cfg := startWithOptions(t, testGame{platform: "wiiu", upstream: "local", moreUsers: clients},
		proxy.Options{Builtins: []proxy.Builtin{servicetest.Host(t).Named(auth.Name, secure.Name)}}, e)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var cs []*proxy.Client
	for i := range clients {
		cc := clientConfig(cfg, srv)
		cc.Username, cc.Password = otherUser(i + 1) // a console each
		c, err := proxy.Login(ctx, cc)
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		defer c.Close()
		cs = append(cs, c)
	}
	stop := make(chan struct{})
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	var callsMu sync.Mutex
	calls := 0
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := ""
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				m, err := c.Call(ctx, protoHookOnly, 1, nil)
				if err != nil || !m.Success {
					errs <- fmt.Errorf("call failed during reloads: %v %v", err, m)
					return
				}
				// A later call never sees an older version.
				if v := string(m.Body); len(v) != 3 || v[0] != 'v' || v < last {
					errs <- fmt.Errorf("answer %q after %q", v, last)
					return
				} else {
					last = v
				}
				callsMu.Lock()
				calls++
				callsMu.Unlock()
			}
		}()
	}
	const reloads = 20
	for n := 1; n <= reloads; n++ {
		write(version(n))
		if err := e.Reload(); err != nil {
			t.Fatalf("reload %d: %v", n, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A broken version is rejected; the last good one keeps answering.
	write("nex.on_request(0x7E1, 1, function(call) return nex.answer_raw('bad') end\n")
	err := e.Reload()
	if err == nil || !strings.Contains(err.Error(), "v.lua:") {
		t.Fatalf("syntax error accepted or not located: %v", err)
	}
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	for range clients {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	m, err := cs[0].Call(ctx, protoHookOnly, 1, nil)
	if err != nil || string(m.Body) != fmt.Sprintf("v%02d", reloads) {
		t.Fatalf("after the reloads: %v %q", err, m.Body)
	}
	if !strings.Contains(messages(logs), "reload rejected") {
		t.Error("rejected reload not logged")
	}
	t.Logf("%d calls during %d reloads", calls, reloads)
}

// BenchmarkHookedSession measures calls per second through a real local
// session (loopback UDP, 8 clients) with 0, 1 and 10 hooks on the called
// method.
func BenchmarkHookedSession(b *testing.B) {
	for _, n := range []int{0, 1, 10} {
		b.Run(fmt.Sprintf("hooks=%d", n), func(b *testing.B) {
			var src strings.Builder
			for range n {
				src.WriteString(`nex.on_request("SecureConnection", "TestConnectivity", function(call) end)` + "\n")
			}
			dir := b.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "h.lua"), []byte(src.String()), 0o644); err != nil {
				b.Fatal(err)
			}
			e, err := scripts.New(scripts.Config{Dir: dir})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			g := testGame{platform: "wiiu", upstream: "local", accounts: true}
			cfg, err := config.LoadTOML(gameTOML(b, g))
			if err != nil {
				b.Fatal(err)
			}
			srv := startConfig(b, cfg, proxy.Options{Builtins: []proxy.Builtin{servicetest.Host(b).Named(auth.Name, secure.Name)}}, e)
			defer srv.Close()
			ctx := context.Background()
			const clients = 8
			var cs []*proxy.Client
			for range clients {
				c, err := proxy.Login(ctx, clientConfig(cfg, srv))
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				cs = append(cs, c)
			}
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			per := b.N/clients + 1
			for _, c := range cs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range per {
						if m, err := c.Call(ctx, 11, 5, nil); err != nil || !m.Success {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(per*clients)/time.Since(start).Seconds(), "calls/s")
		})
	}
}

// liveSessions logs n clients in to a local server (without hooks) and
// returns the secure-leg Session of each, captured by a built-in handler
// from a real call, for benchmarks of the hook link on real sessions.
func liveSessions(b *testing.B, n int) (*config.Config, []*rpc.Session) {
	b.Helper()
	var mu sync.Mutex
	var sessions []*rpc.Session
	capture := func(*proxy.Env) (proxy.LinkSpec, error) {
		return proxy.LinkSpec{Name: record.HandlerBuiltin, Link: func(next rpc.Handler) rpc.Handler {
			return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
				if c.Protocol == protoHookOnly {
					mu.Lock()
					sessions = append(sessions, c.Session)
					mu.Unlock()
					return &rpc.Reply{Body: []byte{}}, nil
				}
				return next.ServeRMC(ctx, c)
			})
		}}, nil
	}
	g := testGame{platform: "wiiu", upstream: "local", accounts: true}
	cfg, err := config.LoadTOML(gameTOML(b, g))
	if err != nil {
		b.Fatal(err)
	}
	srv := startConfig(b, cfg, proxy.Options{Builtins: []proxy.Builtin{capture, servicetest.Host(b).Named(auth.Name, secure.Name)}}, nil)
	b.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range n {
		c, err := proxy.Login(ctx, clientConfig(cfg, srv))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		if m, err := c.Call(ctx, protoHookOnly, 1, nil); err != nil || !m.Success {
			b.Fatalf("capture call: %v %v", err, m)
		}
	}
	if len(sessions) != n {
		b.Fatalf("%d sessions captured", len(sessions))
	}
	return cfg, sessions
}

// updateMatchmakeSession is an UpdateMatchmakeSession request carrying a
// full MatchmakeSession in the game's layout.
func updateMatchmakeSession(b *testing.B, s rmc.Settings) (uint16, uint32, []byte) {
	reg := schema.Default()
	m := reg.MethodByName("MatchmakeExtension", "UpdateMatchmakeSession")
	req := m.NewRequest(s)
	ms, err := reg.New("MatchmakeSession", s)
	if err != nil {
		b.Fatal(err)
	}
	g := get(&testing.T{}, req, "gathering")
	g.Class, g.Items = "MatchmakeSession", []*schema.Value{ms}
	for path, v := range map[string]any{"gathering.game_mode": 3, "gathering.max_participants": 8, "gathering.description": "bench", "gathering.attribs[2]": 7} {
		if err := req.Set(path, v); err != nil {
			b.Fatal(err)
		}
	}
	body, err := m.EncodeRequest(req, s)
	if err != nil {
		b.Fatal(err)
	}
	return m.Protocol.ID, m.ID, body
}

const (
	noopHook  = `nex.on_request("MatchmakeExtension", "UpdateMatchmakeSession", function(call) end)` + "\n"
	fieldHook = `nex.on_request("MatchmakeExtension", "UpdateMatchmakeSession", function(call)
  local g = call.params.gathering
  g.game_mode = g.game_mode + 1
end)
`
	otherHook = `nex.on_request("Ranking", "UploadScore", function(call) end)` + "\n"
)

// BenchmarkHookLink is the cost of the hook link per call on a real
// session with a real engine: the link in front of a handler that answers
// at once. "none" has scripts loaded but none for the method (the fast
// path); the difference to it is what a hook adds. p50-ns is the median.
func BenchmarkHookLink(b *testing.B) {
	cfg, sessions := liveSessions(b, 8)
	settings := cfg.Games[0].RMC
	proto, method, body := updateMatchmakeSession(b, settings)
	for _, bc := range []struct{ name, src string }{
		{"none", otherHook},
		{"noop", noopHook},
		{"field", fieldHook},
		{"noop10", strings.Repeat(noopHook, 10)},
	} {
		dir := b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "h.lua"), []byte(bc.src), 0o644); err != nil {
			b.Fatal(err)
		}
		e, err := scripts.New(scripts.Config{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		var got []byte
		next := rpc.HandlerFunc(func(_ context.Context, c *rpc.Call) (*rpc.Reply, error) {
			got = c.Body
			return &rpc.Reply{Body: []byte{}}, nil
		})
		h := luahooks.New(e, cfg, nil).Link(next)
		ctx := context.Background()
		call := func(s *rpc.Session) {
			c := &rpc.Call{Session: s, Direction: rpc.ToServer, Protocol: proto, Method: method, CallID: 1, Body: body}
			if r, err := h.ServeRMC(ctx, c); err != nil || r == nil {
				b.Fatalf("%v %v", r, err)
			}
		}
		call(sessions[0])
		if bc.name == "field" {
			v, err := schema.Default().Method(proto, method).DecodeRequest(got, settings)
			if err != nil || get(&testing.T{}, v, "gathering.game_mode").Uint != 4 {
				b.Fatalf("field hook did not change the call: %v", err)
			}
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				call(sessions[0])
				times = append(times, time.Since(t0))
			}
			slices.Sort(times)
			if len(times) > 0 {
				b.ReportMetric(float64(times[len(times)/2].Nanoseconds()), "p50-ns")
			}
		})
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			var next atomic.Int32
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				s := sessions[int(next.Add(1))%len(sessions)]
				for pb.Next() {
					call(s)
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
		})
		e.Close()
	}
}
