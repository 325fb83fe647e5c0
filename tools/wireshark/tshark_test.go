package wireshark_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/record/pcapng"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
	"github.com/nexproxy/nexproxy/rmc/protocols/utility"
	"github.com/nexproxy/nexproxy/rmc/typed"

	"github.com/nexproxy/nexproxy/rmc"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/matchmaking"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/ranking"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/utility"
)

// tshark returns the tshark program: the test is skipped without it,
// except in CI (CI=true), which installs it (.ci/run) and must run it.
func tshark(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("tshark not found; CI must install it (apt-get install -y tshark)")
		}
		t.Skip("tshark not installed (apt-get install -y tshark); skipping the dissector check")
	}
	return p
}

// runTshark runs tshark with the committed dissector loaded on capture and
// returns its standard output. A Lua error anywhere (loading the script
// or dissecting a packet) fails the test.
func runTshark(t *testing.T, capture string, args ...string) string {
	t.Helper()
	script, err := filepath.Abs("nexproxy.lua")
	if err != nil {
		t.Fatal(err)
	}
	all := append([]string{"-X", "lua_script:" + script, "-r", capture}, args...)
	cmd := exec.Command(tshark(t), all...)
	// A fresh, empty profile: the user's preferences and plugins stay out.
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir(), "HOME="+t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(all, " "), err, stderr.String())
	}
	for _, bad := range []string{"Lua Error", "lua_script", "attempt to", "Dissector error", "nexproxy.internal"} {
		if strings.Contains(stderr.String(), bad) || strings.Contains(string(out), bad) {
			t.Fatalf("tshark reports %q:\nstderr: %s\nstdout: %.4000s", bad, stderr.String(), out)
		}
	}
	return string(out)
}

// session is what a recorded session sent and got, to compare with what
// the dissector shows.
type session struct {
	capture  string
	uniqueID uint64
	gid      uint32
}

// recordSession runs a local game of the platform with a capture of every
// session, and has console 1001 log in, register, acquire a unique id,
// upload a score, read the ranking (and an empty one, an error) and create
// a matchmaking session.
func recordSession(t *testing.T, platform string) session {
	t.Helper()
	path := filepath.Join(t.TempDir(), "all.pcapng")
	capture, err := pcapng.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fr := record.NewFile(record.FileOptions{Capture: capture})
	srv := servicetest.Start(t, servicetest.Game{Platform: platform, Recorder: fr}, nil)
	c := srv.Login(t, "1001:pw1")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	u := rmc.StationURL{Scheme: "prudp"}
	u.SetAddress(c.SecureLocal.Addr().String())
	u.SetPort(c.SecureLocal.Port())
	u.SetInt(rmc.URLType, 2)
	if _, err := secureconnection.NewClient(c.Secure, c.Settings).Register(ctx, &secureconnection.RegisterRequest{URLs: []rmc.StationURL{u}}); err != nil {
		t.Fatalf("register: %v", err)
	}
	uid, err := utility.NewClient(c.Secure, c.Settings).AcquireNexUniqueId(ctx, &utility.AcquireNexUniqueIdRequest{})
	if err != nil {
		t.Fatalf("acquire unique id: %v", err)
	}
	rk := ranking.NewClient(c.Secure, c.Settings)
	score := ranking.RankingScoreData{Category: 7, Score: 4242, Groups: []uint8{1, 2}, Param: 99}
	if _, err := rk.UploadScore(ctx, &ranking.UploadScoreRequest{ScoreData: score, UniqueID: uid.UniqueID}); err != nil {
		t.Fatalf("upload score: %v", err)
	}
	order := ranking.RankingOrderParam{}
	order.SetDefaults()
	got, err := rk.GetRanking(ctx, &ranking.GetRankingRequest{Mode: 0, Category: 7, Order: order, UniqueID: uid.UniqueID, PID: 1001})
	if err != nil || len(got.Result.Data) != 1 {
		t.Fatalf("get ranking: %+v, %v", got, err)
	}
	// A ranking without entries answers Ranking::NotFound: an error
	// response, which names no method on the wire.
	if _, err := rk.GetRanking(ctx, &ranking.GetRankingRequest{Category: 8, Order: order, PID: 1001}); err == nil {
		t.Fatal("get ranking of an empty category: no error")
	}
	ms := &mm.MatchmakeSession{}
	ms.SetDefaults()
	ms.MinParticipants, ms.MaxParticipants, ms.GameMode = 1, 4, 4
	ms.Attribs = []uint32{7, 0, 3, 0, 0, 0}
	ms.ApplicationData = []byte("app")
	cr, err := matchmakeextension.NewClient(c.Secure, c.Settings).CreateMatchmakeSession(ctx, &matchmakeextension.CreateMatchmakeSessionRequest{
		Gathering: typed.Hold(ms), Description: "tshark test", NumParticipants: 1, HasNumParticipants: true})
	if err != nil {
		t.Fatalf("create matchmake session: %v", err)
	}

	_ = c.Close()
	_ = srv.Close()
	if err := fr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := capture.Close(); err != nil {
		t.Fatal(err)
	}
	return session{capture: path, uniqueID: uid.UniqueID, gid: cr.GID}
}

// fields dissects capture (pass "-2": in two passes) and returns one map
// per nexproxy packet, keyed by its comment without the settings note, of
// the named fields' values (several values joined by ",").
func fields(t *testing.T, capture, pass string, names ...string) map[string]map[string]string {
	t.Helper()
	args := []string{pass, "-Y", "nexproxy", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,", "-e", "frame.comment"}
	for _, n := range names {
		args = append(args, "-e", n)
	}
	out := map[string]map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(runTshark(t, capture, args...)), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) != len(names)+1 {
			t.Fatalf("tshark line %q: %d columns, want %d", line, len(cols), len(names)+1)
		}
		// The comment without its settings note names the message.
		key, _, _ := strings.Cut(cols[0], " [")
		m := map[string]string{}
		for i, n := range names {
			m[n] = cols[i+1]
		}
		out[key] = m
	}
	return out
}

// TestTsharkDecodesRecordedSession records a real session (console,
// nexproxy serving the game locally) on Wii U (NEX 3.5, u32 PIDs) and on
// Switch (NEX 4, u64 PIDs) and reads its capture back with tshark and the
// generated dissector: the header fields, the request parameters and
// response values of known calls, the pairing of responses (an error's
// included) with their requests, and no packet that the dissector cannot
// decode whole.
func TestTsharkDecodesRecordedSession(t *testing.T) {
	tshark(t)
	t.Parallel()
	for _, tc := range []struct {
		platform, nex, pid string
	}{{"wiiu", "30504", "4"}, {"switch", "40605", "8"}} {
		t.Run(tc.platform, func(t *testing.T) {
			s := recordSession(t, tc.platform)
			checkSession(t, s, tc.nex, tc.pid)
		})
	}
}

func checkSession(t *testing.T, s session, nex, pid string) {
	t.Helper()
	got := fields(t, s.capture, "-2",
		"frame.number", "nexproxy.protocol_name", "nexproxy.method_name", "nexproxy.call_id", "nexproxy.request",
		"nexproxy.nex_version", "nexproxy.pid_size", "nexproxy.error", "nexproxy.request_in", "nexproxy.response_in",
		"nexproxy.Authentication.Login.username",
		"nexproxy.Utility.AcquireNexUniqueId.response.unique_id",
		"nexproxy.Ranking.UploadScore.unique_id",
		"nexproxy.struct.RankingScoreData.category", "nexproxy.struct.RankingScoreData.score",
		"nexproxy.struct.RankingScoreData.groups.item", "nexproxy.struct.RankingScoreData.param",
		"nexproxy.Ranking.GetRanking.pid", "nexproxy.Ranking.GetRanking.category",
		"nexproxy.struct.RankingRankData.pid", "nexproxy.struct.RankingRankData.score", "nexproxy.struct.RankingRankData.rank",
		"nexproxy.MatchmakeExtension.CreateMatchmakeSession.gathering",
		"nexproxy.MatchmakeExtension.CreateMatchmakeSession.description",
		"nexproxy.struct.MatchmakeSession.application_data", "nexproxy.struct.Gathering.max_participants",
		"nexproxy.MatchmakeExtension.CreateMatchmakeSession.response.gid",
		"nexproxy.struct.version",
	)
	uid := strconv.FormatUint(s.uniqueID, 10)
	notFound, _ := rmc.ResultByName("Ranking::NotFound")
	want := []struct {
		packet string
		fields map[string]string
	}{
		{"Utility.AcquireNexUniqueId call 2 request", map[string]string{
			"nexproxy.protocol_name": "Utility", "nexproxy.method_name": "AcquireNexUniqueId", "nexproxy.call_id": "2", "nexproxy.request": "1",
			"nexproxy.nex_version": nex, "nexproxy.pid_size": pid}},
		{"Utility.AcquireNexUniqueId call 2 response", map[string]string{
			"nexproxy.protocol_name": "Utility", "nexproxy.method_name": "AcquireNexUniqueId", "nexproxy.call_id": "2", "nexproxy.request": "0",
			"nexproxy.Utility.AcquireNexUniqueId.response.unique_id": uid}},
		{"Ranking.UploadScore call 3 request", map[string]string{
			"nexproxy.protocol_name": "Ranking", "nexproxy.method_name": "UploadScore", "nexproxy.call_id": "3",
			"nexproxy.Ranking.UploadScore.unique_id":    uid,
			"nexproxy.struct.RankingScoreData.category": "7", "nexproxy.struct.RankingScoreData.score": "4242",
			"nexproxy.struct.RankingScoreData.groups.item": "1,2", "nexproxy.struct.RankingScoreData.param": "99",
			"nexproxy.struct.version": "0"}},
		{"Ranking.GetRanking call 4 request", map[string]string{"nexproxy.Ranking.GetRanking.pid": "1001", "nexproxy.Ranking.GetRanking.category": "7"}},
		{"Ranking.GetRanking call 4 response", map[string]string{
			"nexproxy.method_name":                  "GetRanking",
			"nexproxy.struct.RankingRankData.pid":   "1001",
			"nexproxy.struct.RankingRankData.score": "4242", "nexproxy.struct.RankingRankData.rank": "1"}},
		{"Ranking.GetRanking call 5 request", map[string]string{"nexproxy.Ranking.GetRanking.category": "8"}},
		// The method of an error response comes from its request.
		{"Ranking.GetRanking call 5 response error Ranking::NotFound", map[string]string{
			"nexproxy.method_name": "GetRanking", "nexproxy.error": fmt.Sprintf("0x%08x", uint32(notFound))}},
		{"MatchmakeExtension.CreateMatchmakeSession call 6 request", map[string]string{
			"nexproxy.MatchmakeExtension.CreateMatchmakeSession.gathering":   "MatchmakeSession",
			"nexproxy.MatchmakeExtension.CreateMatchmakeSession.description": "tshark test",
			"nexproxy.struct.MatchmakeSession.application_data":              "617070",
			"nexproxy.struct.Gathering.max_participants":                     "4"}},
		{"MatchmakeExtension.CreateMatchmakeSession call 6 response", map[string]string{
			"nexproxy.MatchmakeExtension.CreateMatchmakeSession.response.gid": strconv.FormatUint(uint64(s.gid), 10)}},
	}
	if nex == "30504" {
		want = append(want, struct {
			packet string
			fields map[string]string
		}{"Authentication.Login call 1 request", map[string]string{
			"nexproxy.protocol_name": "Authentication", "nexproxy.method_name": "Login", "nexproxy.call_id": "1",
			"nexproxy.Authentication.Login.username": "1001"}})
	}
	for _, w := range want {
		pkt, ok := got[w.packet]
		if !ok {
			t.Errorf("no packet %q in the capture; packets: %v", w.packet, keys(got))
			continue
		}
		for f, v := range w.fields {
			if pkt[f] != v {
				t.Errorf("%s: %s = %q, want %q", w.packet, f, pkt[f], v)
			}
		}
	}
	// Every response links to its request and back (tshark -2 reads the
	// capture twice, so requests know their responses too).
	pairs := 0
	for name, resp := range got {
		before, _, ok := strings.Cut(name, " response")
		if !ok {
			continue
		}
		req, ok := got[before+" request"]
		if !ok {
			t.Errorf("%s: no request %q", name, before+" request")
			continue
		}
		if resp["nexproxy.request_in"] != req["frame.number"] || req["nexproxy.response_in"] != resp["frame.number"] {
			t.Errorf("%s: request in %q, want %q; its request's response in %q, want %q", name,
				resp["nexproxy.request_in"], req["frame.number"], req["nexproxy.response_in"], resp["frame.number"])
		}
		pairs++
	}
	if pairs < len(want)/2 {
		t.Errorf("%d request/response pairs", pairs)
	}

	// Every message of the session decodes whole: nothing malformed, no
	// bytes left over, no method the schema does not describe.
	bad := strings.TrimSpace(runTshark(t, s.capture, "-Y",
		"nexproxy.internal || nexproxy.malformed || nexproxy.truncated || nexproxy.trailing.expert || nexproxy.undescribed || nexproxy.anydata.mismatch || !nexproxy",
		"-T", "fields", "-e", "frame.number", "-e", "frame.comment", "-e", "_ws.expert.message"))
	if bad != "" {
		t.Errorf("packets the dissector could not decode whole:\n%s", bad)
	}

	// The full tree of one call, as Wireshark shows it.
	tree := runTshark(t, s.capture, "-V", "-O", "nexproxy", "-Y", "nexproxy.method_name == \"UploadScore\" && nexproxy.request == 1")
	for _, w := range []string{"Protocol name: Ranking", "Method name: UploadScore", "Call ID: 3", "score_data (RankingScoreData)",
		"category: 7", "score: 4242", "groups: 2 items (list<u8>)", "param: 99", "unique_id: " + uid, "NEX version: " + nex} {
		if !strings.Contains(tree, w) {
			t.Errorf("tshark -V lacks %q:\n%s", w, tree)
		}
	}
	t.Logf("tshark -V of the UploadScore request:\n%s", tree)
}

func keys(m map[string]map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
