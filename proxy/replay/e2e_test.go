package replay_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/ranking"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/utility"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/replay"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// e2eGame is a Wii U game with the services the scripted calls use.
var e2eGame = servicetest.Game{Platform: "wiiu", TOML: `
[games.utility.integer_settings]
5 = { 0 = 5, 1 = 42, 2 = -1 }
[games.ranking]
common_data_max = 8192
[[games.ranking.seed]]
category = 9999
count = 12
pid = 1000
score = 10000
score_step = 37
common_data_size = 48
`}

// scriptCall is one call of the scripted session, its parameters as
// session-log text.
type scriptCall struct {
	protocol string
	method   string
	params   string
}

var script = []scriptCall{
	{"Utility", "AcquireNexUniqueId", `{}`},
	{"Utility", "AcquireNexUniqueId", `{}`},
	{"Utility", "GetIntegerSettings", `{"index":5}`},
	{"Ranking", "UploadScore", `{"score_data":{"category":27,"score":95000,"order":0,"update_mode":0,"groups":[1,2],"param":7},"unique_id":0}`},
	{"Ranking", "GetRanking", `{"mode":0,"category":27,"order":{"order_calc":0,"group_index":255,"group_num":0,"time_scope":2,"offset":0,"count":10},"unique_id":0,"pid":0}`},
	{"Ranking", "UploadCommonData", `{"common_data":"` + strings.Repeat("ab", 3000) + `","unique_id":0}`},
	{"Ranking", "GetCommonData", `{"unique_id":0}`},
	{"Ranking", "GetRanking", `{"mode":0,"category":9999,"order":{"order_calc":1,"group_index":255,"group_num":0,"time_scope":2,"offset":0,"count":12},"unique_id":0,"pid":0}`},
	{"Ranking", "GetCommonData", `{"unique_id":999}`},
	{"Utility", "AcquireNexUniqueId", `{}`},
}

// answer is what one call got.
type answer struct {
	err  rmc.Result
	body []byte
}

func (a answer) String() string { return fmt.Sprintf("%v %x", a.err, a.body) }

// serve starts a server for cfg with the given built-in links, closed
// when the test ends (Close may be called before).
func serve(t *testing.T, cfg *config.Config, o proxy.Options) *proxy.Server {
	t.Helper()
	srv, err := proxy.New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// runScript logs user 1001 in and makes the scripted calls.
func runScript(t *testing.T, srv *proxy.Server, cfg *config.Config, calls []scriptCall) []answer {
	t.Helper()
	g := cfg.Games[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := proxy.Login(ctx, proxy.ClientConfig{
		Network: "udp", Addr: srv.AuthAddr(g.Name).String(),
		PRUDP: g.PRUDP, Kerberos: g.Kerberos, RMC: g.RMC,
		Username: "1001", Password: "pw1", Keys: kerberos.NewKeyCache(0),
	})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	defer cl.Close()
	reg := schema.Default()
	var out []answer
	for _, c := range calls {
		m := reg.MethodByName(c.protocol, c.method)
		v, err := m.FromJSON(true, []byte(c.params), g.RMC)
		if err != nil {
			t.Fatal(err)
		}
		body, err := m.EncodeRequest(v, g.RMC)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := cl.Call(ctx, m.Protocol.ID, m.ID, body)
		if err != nil {
			t.Fatalf("%s.%s: %v", c.protocol, c.method, err)
		}
		out = append(out, answer{err: msg.Error, body: append([]byte{}, msg.Body...)})
	}
	return out
}

// TestRecordThenReplay records a session with a local game, replays it on
// a server whose own services hold nothing (fresh stores, the game
// services absent) and makes the same calls: every answer must be the
// recorded one, byte for byte.
func TestRecordThenReplay(t *testing.T) {
	dir := t.TempDir()

	// Record.
	host := servicetest.Host(t)
	cfg, err := config.LoadTOML(e2eGame.TOMLText(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := proxy.SeedAccounts(context.Background(), host.Stores.Accounts, cfg.Accounts, nil); err != nil {
		t.Fatal(err)
	}
	files := record.NewFile(record.FileOptions{Dir: dir, Program: "nexproxy test"})
	srv := serve(t, cfg, proxy.Options{Builtins: []proxy.Builtin{host.Builtin}, Accounts: host.Stores.Accounts, Recorder: files})
	recorded := runScript(t, srv, cfg, script)
	t.Cleanup(func() {
		if t.Failed() {
			m, _ := filepath.Glob(filepath.Join(dir, "*"))
			for _, f := range m {
				b, _ := os.ReadFile(f)
				t.Logf("%s:\n%s", f, b)
			}
		}
	})
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := files.Close(); err != nil {
		t.Fatal(err)
	}
	if recorded[0].err != 0 || recorded[8].err != rmc.ResultRankingNotFound|rmc.ResultErrorBit || bytes.Equal(recorded[0].body, recorded[1].body) {
		t.Fatalf("the recorded session is not the one scripted: %v", recorded)
	}

	// Replay on fresh stores, with only the login path built in.
	ix, err := replay.Load([]string{dir}, replay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st := ix.Stats(); st.Calls < len(script) || st.Distinct < len(script)-2 {
		t.Fatalf("index %+v, want %d calls", st, len(script))
	}
	core, logs := observer.New(zapcore.WarnLevel)
	host2 := servicetest.Host(t)
	cfg2, err := config.LoadTOML(e2eGame.TOMLText(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := proxy.SeedAccounts(context.Background(), host2.Stores.Accounts, cfg2.Accounts, nil); err != nil {
		t.Fatal(err)
	}
	srv2 := serve(t, cfg2, proxy.Options{
		Logger:   zap.New(core),
		Builtins: []proxy.Builtin{host2.Named("authentication", "secure"), ix.Builtin(replay.LinkOptions{})},
		Accounts: host2.Stores.Accounts,
	})
	defer srv2.Close()
	unknown := scriptCall{"Utility", "GetIntegerSettings", `{"index":6}`}
	replayed := runScript(t, srv2, cfg2, append(append([]scriptCall{}, script...), script[0], unknown))
	for i := range script {
		if replayed[i].err != recorded[i].err || !bytes.Equal(replayed[i].body, recorded[i].body) {
			t.Errorf("call %d %s.%s: replayed %v, recorded %v", i, script[i].protocol, script[i].method, replayed[i], recorded[i])
		}
	}
	// AcquireNexUniqueId was recorded three times: a fourth call repeats the last.
	if again := replayed[len(script)]; again.String() != recorded[9].String() {
		t.Errorf("fourth AcquireNexUniqueId %v, want the last recorded %v", again, recorded[9])
	}
	if last := replayed[len(script)+1]; last.err != rmc.ResultCoreNotImplemented|rmc.ResultErrorBit {
		t.Errorf("unrecorded call answered %v", last)
	}
	if n := len(logs.FilterMessage("replay: no recorded call matches").All()); n != 1 {
		t.Errorf("%d unmatched-call log lines, want 1: %v", n, logs.All())
	}
}
