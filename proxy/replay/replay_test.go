package replay

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/redacted"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testSettings = rmc.Settings{PIDSize: 4, NEXVersion: 30504, StructHeader: true}

// logText renders a session log of game holding recs, as the writer does.
func logText(t testing.TB, game string, secrets bool, recs ...sessionlog.Record) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	h := sessionlog.Record{Type: sessionlog.TypeHeader, Format: sessionlog.Format, Version: sessionlog.Version, Game: game, Secrets: secrets, Time: time.Unix(0, 0)}
	if err := enc.Encode(h); err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if r.Time.IsZero() {
			r.Time = time.Unix(int64(i+1), 0)
		}
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// call is a recorded console call of protocol.method with params and
// result given as session-log text.
func call(protocol string, pid uint16, method string, mid uint32, params, result string) sessionlog.Record {
	r := sessionlog.Record{Type: sessionlog.TypeCall, Side: sessionlog.SideConsole, Dir: sessionlog.DirConsole,
		Protocol: protocol, ProtocolID: pid, Method: method, MethodID: mid, CallID: 99, Handler: "upstream"}
	if params != "" {
		r.Params = json.RawMessage(params)
	}
	if result != "" {
		r.Result = json.RawMessage(result)
	}
	return r
}

// request builds the body of a call from its parameters' text.
func request(t testing.TB, protocol uint16, method uint32, params string) *rpc.Call {
	t.Helper()
	m := schema.Default().Method(protocol, method)
	v, err := m.FromJSON(true, []byte(params), testSettings)
	if err != nil {
		t.Fatal(err)
	}
	body, err := m.EncodeRequest(v, testSettings)
	if err != nil {
		t.Fatal(err)
	}
	s := rpc.NewSession("c1", "g", rpc.LegSecure, netipZero, testSettings)
	return &rpc.Call{Session: s, Protocol: protocol, Method: method, CallID: 7, Body: body}
}

// result decodes a reply's body to its text.
func result(t testing.TB, protocol uint16, method uint32, r *rpc.Reply) string {
	t.Helper()
	if r == nil || !r.Success() {
		t.Fatalf("reply %+v, want a success", r)
	}
	v, err := schema.Default().Method(protocol, method).DecodeResponse(r.Body, testSettings)
	if err != nil {
		t.Fatal(err)
	}
	return string(v.AppendJSON(nil))
}

func load(t testing.TB, o Options, logs ...[]byte) *Index {
	t.Helper()
	ix := New(o)
	for i, l := range logs {
		if err := ix.Read(bytes.NewReader(l), "log"+string(rune('0'+i))); err != nil {
			t.Fatal(err)
		}
	}
	return ix
}

const (
	acquire       = `{}`
	uploadParams  = `{"score_data":{"category":27,"score":%s,"order":0,"update_mode":0,"groups":[1,2],"param":7},"unique_id":0}`
	getRanking    = `{"mode":0,"category":27,"order":{"order_calc":0,"group_index":255,"group_num":0,"time_scope":2,"offset":0,"count":10},"unique_id":0,"pid":0}`
	associateText = `{"info":{"unique_id":5,"password":%s}}`
)

func TestRepeatsInOrderThenLast(t *testing.T) {
	ix := load(t, Options{}, logText(t, "g", true,
		call("Utility", 110, "AcquireNexUniqueId", 1, acquire, `{"unique_id":11}`),
		call("Utility", 110, "AcquireNexUniqueId", 1, acquire, `{"unique_id":12}`),
		call("Utility", 110, "AcquireNexUniqueId", 1, acquire, `{"unique_id":13}`),
	))
	if s := ix.Stats(); s.Calls != 3 || s.Distinct != 1 || s.Files != 1 {
		t.Fatalf("stats %+v", s)
	}
	var got []string
	for i := 0; i < 5; i++ {
		r, err := ix.Answer("g", schema.Default(), 0, request(t, 110, 1, acquire))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, result(t, 110, 1, r))
	}
	want := []string{`{"unique_id":11}`, `{"unique_id":12}`, `{"unique_id":13}`, `{"unique_id":13}`, `{"unique_id":13}`}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("answers %v, want %v", got, want)
	}
}

func TestOrderAcrossLogsByTime(t *testing.T) {
	later := call("Utility", 110, "AcquireNexUniqueId", 1, acquire, `{"unique_id":2}`)
	later.Time = time.Unix(100, 0)
	earlier := call("Utility", 110, "AcquireNexUniqueId", 1, acquire, `{"unique_id":1}`)
	earlier.Time = time.Unix(50, 0)
	// The later call's log comes first.
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	if err := os.WriteFile(a, logText(t, "g", true, later), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, logText(t, "g", true, earlier), 0o600); err != nil {
		t.Fatal(err)
	}
	ix, err := Load([]string{a, b}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load([]string{filepath.Join(dir, "none.jsonl")}, Options{}); err == nil {
		t.Error("a missing file loaded")
	}
	if dirIx, err := Load([]string{dir}, Options{}); err != nil || dirIx.Stats().Files != 2 {
		t.Errorf("folder: %v %+v", err, dirIx)
	}
	for _, want := range []string{`{"unique_id":1}`, `{"unique_id":2}`} {
		r, _ := ix.Answer("g", schema.Default(), 0, request(t, 110, 1, acquire))
		if got := result(t, 110, 1, r); got != want {
			t.Fatalf("answer %s, want %s", got, want)
		}
	}
}

func TestIgnoredParameters(t *testing.T) {
	recorded := logText(t, "g", true, call("Ranking", 112, "UploadScore", 1, strings.Replace(uploadParams, "%s", "95000", 1), `{}`))
	other := request(t, 112, 1, strings.Replace(uploadParams, "%s", "12", 1))

	// Without the rule the score is part of the request.
	strict := load(t, Options{}, recorded)
	if r, _ := strict.Answer("g", schema.Default(), rmc.ResultRankingNotFound, other); r == nil || r.Error != rmc.ResultRankingNotFound|rmc.ResultErrorBit {
		t.Fatalf("different score answered %+v, want the unmatched error", r)
	}
	for _, rule := range []string{"Ranking.UploadScore:score_data.score", "112.1:score_data.*", "*.*:score_data", "Ranking.*:"} {
		rl, err := ParseRule(rule)
		if err != nil {
			t.Fatal(err)
		}
		loose := load(t, Options{Rules: []Rule{rl}}, recorded)
		r, err := loose.Answer("g", schema.Default(), 0, other)
		if err != nil || r == nil || !r.Success() {
			t.Errorf("rule %s: answer %+v %v, want the recorded success", rule, r, err)
		}
	}
	// A rule for another method changes nothing.
	rl, _ := ParseRule("Ranking.GetRanking:score_data.score")
	if r, _ := load(t, Options{Rules: []Rule{rl}}, recorded).Answer("g", schema.Default(), 0, other); r.Success() {
		t.Error("a rule of another method made the score irrelevant")
	}
}

// TestUnmatchedLogKeepsSecrets: the warning about a call no log holds shows
// its parameters, but never a secret: not a body that did not decode of a
// protocol that carries secrets (an authentication login with its token,
// when authentication is not served live), nor an undescribed anydata's
// bytes, whatever log.secrets says.
func TestUnmatchedLogKeepsSecrets(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	ix := load(t, Options{Log: zap.New(core)}, logText(t, "g", true))
	const token = "6e65782d746f6b656e2d31323334"           // "nex-token-1234"
	raw, _ := hex.DecodeString("0400000031323300" + token) // a LoginEx cut short: it does not decode
	calls := []*rpc.Call{
		{Protocol: 10, Method: 2, Body: raw},
		request(t, 11, 4, `{"urls":[],"login_data":{"$class":"NewLoginData","$raw":"`+token+`"}}`),
	}
	for _, c := range calls {
		if _, err := ix.Answer("g", schema.Default(), 0, c); err != nil {
			t.Fatal(err)
		}
	}
	entries := logs.FilterMessage("replay: no recorded call matches").All()
	if len(entries) != len(calls) {
		t.Fatalf("%d log lines, want %d", len(entries), len(calls))
	}
	for _, e := range entries {
		if p := e.ContextMap()["params"].(string); strings.Contains(p, token) || !strings.Contains(p, "<redacted ") {
			t.Errorf("logged params %s", p)
		}
	}
}

func TestUnmatchedAnsweredAndLogged(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	ix := load(t, Options{Log: zap.New(core)}, logText(t, "g", true,
		call("Ranking", 112, "GetRanking", 9, getRanking, `{}`)))
	code, err := ParseResult("Ranking::NotFound")
	if err != nil {
		t.Fatal(err)
	}
	// Another game's calls do not answer this one's.
	for _, game := range []string{"g", "other"} {
		c := request(t, 110, 1, acquire)
		if game == "other" {
			c = request(t, 112, 9, getRanking)
		}
		r, err := ix.Answer(game, schema.Default(), code, c)
		if err != nil || r == nil || r.Error != code {
			t.Fatalf("game %s: answer %+v %v, want %v", game, r, err, code)
		}
	}
	entries := logs.FilterMessage("replay: no recorded call matches").All()
	if len(entries) != 2 {
		t.Fatalf("%d log lines, want one per unmatched call: %v", len(entries), logs.All())
	}
	f := entries[0].ContextMap()
	if f["protocol"] != "Utility" || f["method"] != "AcquireNexUniqueId" || f["game"] != "g" {
		t.Errorf("log fields %v", f)
	}
}

func TestRecordedErrorsAndDrops(t *testing.T) {
	failed := call("Ranking", 112, "GetRanking", 9, getRanking, "")
	failed.Error = sessionlog.ResultCode(rmc.ResultRankingNotFound)
	dropped := call("Utility", 110, "AcquireNexUniqueId", 1, acquire, "")
	dropped.Status = "dropped"
	timedOut := call("Utility", 110, "GetIntegerSettings", 7, `{"index":5}`, "")
	timedOut.Status = "timeout"
	ix := load(t, Options{}, logText(t, "g", true, failed, dropped, timedOut))
	if r, _ := ix.Answer("g", schema.Default(), 0, request(t, 112, 9, getRanking)); r == nil || r.Error != rmc.ResultRankingNotFound|rmc.ResultErrorBit {
		t.Errorf("recorded error answered %+v", r)
	}
	if _, err := ix.Answer("g", schema.Default(), 0, request(t, 110, 1, acquire)); !errors.Is(err, rpc.ErrDrop) {
		t.Errorf("dropped call: %v, want ErrDrop", err)
	}
	if r, _ := ix.Answer("g", schema.Default(), 0, request(t, 110, 7, `{"index":5}`)); r.Error != rmc.ResultCoreNotImplemented|rmc.ResultErrorBit {
		t.Errorf("a call that timed out was replayed: %+v", r)
	}
	if s := ix.Stats(); s.Skipped != 1 {
		t.Errorf("skipped %d, want 1", s.Skipped)
	}
}

func TestRedactedLogMatches(t *testing.T) {
	rec := call("Utility", 110, "AssociateNexUniqueIdWithMyPrincipalId", 3, strings.Replace(associateText, "%s", `"<redacted 8 bytes>"`, 1), `{}`)
	ix := load(t, Options{}, logText(t, "g", false, rec))
	r, err := ix.Answer("g", schema.Default(), 0, request(t, 110, 3, strings.Replace(associateText, "%s", "424242", 1)))
	if err != nil || r == nil || !r.Success() {
		t.Fatalf("answer %+v %v, want the recorded success", r, err)
	}
}

func TestUndescribedBodies(t *testing.T) {
	rec := sessionlog.Record{Type: sessionlog.TypeCall, Dir: sessionlog.DirConsole, ProtocolID: 0x7e, MethodID: 3, ParamsRaw: "0A0B", ResultRaw: "c0ffee"}
	ix := load(t, Options{}, logText(t, "g", true, rec))
	c := &rpc.Call{Protocol: 0x7e, Method: 3, Body: []byte{0x0a, 0x0b}}
	r, err := ix.Answer("g", schema.Default(), 0, c)
	if err != nil || r == nil || !bytes.Equal(r.Body, []byte{0xc0, 0xff, 0xee}) {
		t.Fatalf("answer %+v %v", r, err)
	}
	c.Body = []byte{0x0a}
	if r, _ := ix.Answer("g", schema.Default(), 0, c); r.Success() {
		t.Fatal("another body matched")
	}
}

// TestRedactedUndescribedBodies: a log written without secrets redacts the
// undescribed bodies of a protocol that carries secrets whole; the replay
// matches such a call whatever its body and answers zeros of the recorded
// size, as it does for the redacted values of described calls.
func TestRedactedUndescribedBodies(t *testing.T) {
	rec := sessionlog.Record{Type: sessionlog.TypeCall, Dir: sessionlog.DirConsole, ProtocolID: 115, MethodID: 0x7e,
		ParamsRaw: redacted.Placeholder(2), ResultRaw: redacted.Placeholder(3)}
	ix := load(t, Options{}, logText(t, "g", false, rec))
	c := &rpc.Call{Protocol: 115, Method: 0x7e, Body: []byte{0x0a, 0x0b}}
	r, err := ix.Answer("g", schema.Default(), 0, c)
	if err != nil || r == nil || !bytes.Equal(r.Body, []byte{0, 0, 0}) {
		t.Fatalf("answer %+v %v, want three zero bytes", r, err)
	}
}

// TestRedactedBodyBound: a placeholder larger than any RMC message does
// not make the replay allocate its size; the call is answered as
// unmatched.
func TestRedactedBodyBound(t *testing.T) {
	rec := sessionlog.Record{Type: sessionlog.TypeCall, Dir: sessionlog.DirConsole, ProtocolID: 115, MethodID: 0x7e,
		ParamsRaw: redacted.Placeholder(2), ResultRaw: redacted.Placeholder(redacted.MaxBytes + 1)}
	ix := load(t, Options{}, logText(t, "g", false, rec))
	c := &rpc.Call{Protocol: 115, Method: 0x7e, Body: []byte{0x0a, 0x0b}}
	r, err := ix.Answer("g", schema.Default(), 0, c)
	if err != nil || r == nil || r.Error != rmc.ResultCoreNotImplemented|rmc.ResultErrorBit {
		t.Fatalf("answer %+v %v, want the unmatched error", r, err)
	}
}

func TestMalformedLogs(t *testing.T) {
	good := logText(t, "g", true, call("Utility", 110, "AcquireNexUniqueId", 1, acquire, `{"unique_id":11}`))
	cases := map[string][]byte{
		"empty":      nil,
		"not a log":  []byte("hello\n"),
		"newer":      []byte(`{"type":"header","format":"nexproxy-session-log","version":9}` + "\n"),
		"bad line":   append(append([]byte{}, good...), "{nope\n"...),
		"no type":    append(append([]byte{}, good...), "{}\n"...),
		"bad params": append(append([]byte{}, good...), `{"type":"call","dir":"c2s","protocol_id":110,"method_id":1,"params":7}`+"\n"...),
	}
	for name, text := range cases {
		ix := New(Options{})
		err := ix.Read(bytes.NewReader(text), name)
		if name == "bad params" {
			// A call whose parameters are not an object is kept: it can
			// only match the same text.
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: read without error", name)
		}
	}
	// A log cut off mid-line keeps the calls before the cut.
	cut := append(append([]byte{}, good...), `{"type":"call","dir":"c2s`...)
	ix := New(Options{})
	if err := ix.Read(bytes.NewReader(cut), "cut"); err != nil {
		t.Fatal(err)
	}
	if ix.Stats().Calls != 1 {
		t.Fatalf("stats %+v", ix.Stats())
	}
	// A response that does not fit the method is answered with the
	// unmatched error, not a panic or a broken body.
	bad := load(t, Options{}, logText(t, "g", true, call("Utility", 110, "AcquireNexUniqueId", 1, acquire, `{"unique_id":"x"}`)))
	if r, _ := bad.Answer("g", schema.Default(), 0, request(t, 110, 1, acquire)); r.Error != rmc.ResultCoreNotImplemented|rmc.ResultErrorBit {
		t.Fatalf("unbuildable response answered %+v", r)
	}
}

func TestParseRuleAndResult(t *testing.T) {
	for _, bad := range []string{"", "Ranking", "Ranking.UploadScore", ".x:y", "Ranking.UploadScore:a..b"} {
		if _, err := ParseRule(bad); err == nil {
			t.Errorf("rule %q accepted", bad)
		}
	}
	r, err := ParseRule("DataStore.*:param.*.data_id")
	if err != nil || r.Protocol != "DataStore" || r.Method != "*" || strings.Join(r.Path, "/") != "param/*/data_id" {
		t.Errorf("rule %+v %v", r, err)
	}
	for text, want := range map[string]rmc.Result{"Core::NotImplemented": rmc.ResultCoreNotImplemented, "0x80010002": rmc.ResultCoreNotImplemented, "0x00010002": rmc.ResultCoreNotImplemented} {
		if got, err := ParseResult(text); err != nil || got != want|rmc.ResultErrorBit {
			t.Errorf("result %q: %v %v", text, got, err)
		}
	}
	if _, err := ParseResult("Core::Nope"); err == nil {
		t.Error("unknown result name accepted")
	}
}

// FuzzRead reads arbitrary text as a session log and answers a call from
// whatever it held: neither may panic.
func FuzzRead(f *testing.F) {
	f.Add(logText(f, "g", true, call("Utility", 110, "AcquireNexUniqueId", 1, acquire, `{"unique_id":11}`)))
	f.Add(logText(f, "g", false, call("Utility", 110, "AssociateNexUniqueIdWithMyPrincipalId", 3, strings.Replace(associateText, "%s", `"<redacted 8 bytes>"`, 1), `{}`)))
	f.Add([]byte(`{"type":"header","format":"nexproxy-session-log","version":1}` + "\n" + `{"type":"call","dir":"c2s","protocol_id":126,"method_id":3,"params_raw":"zz","result_raw":"0"}` + "\n"))
	rules := []Rule{{Protocol: "*", Method: "*", Path: []string{"*", "0"}}, {Protocol: "Ranking", Method: "*", Path: []string{"score_data", "score"}}}
	reg := schema.Default()
	f.Fuzz(func(t *testing.T, text []byte) {
		ix := New(Options{Rules: rules})
		if err := ix.Read(bytes.NewReader(text), "fuzz"); err != nil {
			return
		}
		for _, c := range []*rpc.Call{
			request(t, 110, 1, acquire),
			request(t, 110, 3, strings.Replace(associateText, "%s", "1", 1)),
			{Protocol: 126, Method: 3},
		} {
			if _, err := ix.Answer("g", reg, 0, c); err != nil && !errors.Is(err, rpc.ErrDrop) {
				t.Fatal(err)
			}
		}
	})
}

var netipZero = netip.AddrPort{}

// TestGameOverride: Options.Game serves every log as one game's.
func TestGameOverride(t *testing.T) {
	text := logText(t, "recorded-as", true, call("Utility", 110, "AcquireNexUniqueId", 1, acquire, `{"unique_id":11}`))
	ix := load(t, Options{Game: "served-as"}, text)
	if r, _ := ix.Answer("served-as", schema.Default(), 0, request(t, 110, 1, acquire)); !r.Success() {
		t.Errorf("served-as: %+v", r)
	}
	if r, _ := ix.Answer("recorded-as", schema.Default(), 0, request(t, 110, 1, acquire)); r.Success() {
		t.Error("the recorded game name still answers")
	}
}

// TestRedactCall: what a log written without secrets holds for a call,
// matched on and shown in the warning about an unmatched call: decoded
// parameters with their secrets replaced, the placeholder of a whole
// undecoded body in a protocol that carries secrets, and the hex of any
// other undecoded body.
func TestRedactCall(t *testing.T) {
	cases := []struct {
		protocol uint16
		params   string
		raw      string
		size     int
		want     redactedCall
		text     string
	}{
		{110, `{"unique_id":5,"password":42}`, "", 0,
			redactedCall{params: json.RawMessage(`{"unique_id":5,"password":"<redacted 2 bytes>"}`)}, `{"unique_id":5,"password":"<redacted 2 bytes>"}`},
		{10, "", "0a0b0c", 3, redactedCall{raw: "<redacted 3 bytes>"}, "<redacted 3 bytes>"},
		{0x7e, "", "0a0b0c", 3, redactedCall{raw: "0a0b0c"}, "0a0b0c"},
	}
	for _, c := range cases {
		var params []byte
		if c.params != "" {
			params = []byte(c.params)
		}
		got := redactCall(c.protocol, params, c.raw, c.size)
		if string(got.params) != string(c.want.params) || got.raw != c.want.raw {
			t.Errorf("redactCall(%d, %s, %q) = {%s %q}, want {%s %q}", c.protocol, c.params, c.raw, got.params, got.raw, c.want.params, c.want.raw)
		}
		if got.text() != c.text {
			t.Errorf("redactCall(%d, %s, %q).text() = %q, want %q", c.protocol, c.params, c.raw, got.text(), c.text)
		}
	}
}
