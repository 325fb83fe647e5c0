package scripts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// exampleEngine loads one file of examples/ alone.
func exampleEngine(t *testing.T, name string) (*Engine, func() []string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("examples", name))
	if err != nil {
		t.Fatal(err)
	}
	e, logs := newEngine(t, map[string]string{name: string(src)})
	return e, func() []string {
		var out []string
		for _, l := range logs.All() {
			out = append(out, l.Message)
		}
		return out
	}
}

func TestExamplesCheck(t *testing.T) {
	if errs := Check("examples"); len(errs) > 0 {
		t.Fatalf("examples do not check: %v", errs)
	}
}

func TestExampleLogCalls(t *testing.T) {
	e, messages := exampleEngine(t, "log_calls.lua")
	req := vectorCall(t, "wiiu-session.json", 112, 1, "request")
	if v := e.OnRequest(bg, req); v.Changed() {
		t.Fatalf("log_calls changed the call: %+v", v)
	}
	resp := vectorCall(t, "wiiu-session.json", 112, 6, "response")
	e.OnResponse(bg, resp)
	srv := &Call{Protocol: 14, Method: 1, Direction: ServerToConsole}
	e.OnRequest(bg, srv)
	got := strings.Join(messages(), "\n")
	for _, want := range []string{"request\tRanking.UploadScore\tcall\t13\tbytes\t37", "response\tRanking.GetCommonData", "server request\t"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if s := e.Stats()["log_calls.lua"]; s.Runs != 3 || s.Errors != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestExampleRaiseRankingScore(t *testing.T) {
	e, _ := exampleEngine(t, "raise_ranking_score.lua")
	for _, file := range []string{"wiiu-session.json", "3ds-session.json", "switch-session.json", "friends-session.json"} {
		c := vectorCall(t, file, 112, 1, "request")
		before := decode(t, c, false, c.Body)
		v := e.OnRequest(bg, c)
		if v.Action != Continue || v.Body == nil {
			t.Fatalf("%s: verdict %+v", file, v)
		}
		after := decode(t, c, false, v.Body)
		if got, want := field(t, after, "score_data.score").Uint, field(t, before, "score_data.score").Uint+1000; got != want {
			t.Fatalf("%s: score %d, want %d", file, got, want)
		}
		// Everything but the score is byte-identical.
		restored := after.Clone()
		if err := restored.Set("score_data.score", field(t, before, "score_data.score").Uint); err != nil {
			t.Fatal(err)
		}
		b, err := encodeBody(schema.Default(), c, false, restored)
		if err != nil || string(b) != string(c.Body) {
			t.Fatalf("%s: re-encoding with the old score gives %x, want %x (%v)", file, b, c.Body, err)
		}
	}
}

func TestExampleAnswerUniqueID(t *testing.T) {
	e, _ := exampleEngine(t, "answer_unique_id.lua")
	var ids []uint64
	for _, file := range []string{"wiiu-session.json", "switch-session.json"} {
		c := vectorCall(t, file, 110, 1, "request")
		v := e.OnRequest(bg, c)
		if v.Action != Answer {
			t.Fatalf("%s: verdict %+v", file, v)
		}
		// The answer must decode as a real AcquireNexUniqueId response.
		got := decode(t, c, true, v.ResponseBody)
		ids = append(ids, field(t, got, "unique_id").Uint)
		real := vectorCall(t, file, 110, 1, "response")
		if len(real.Body) != len(v.ResponseBody) {
			t.Fatalf("%s: answer %x, upstream answers look like %x", file, v.ResponseBody, real.Body)
		}
	}
	if ids[0] != 0x100000001 || ids[1] != 0x100000002 {
		t.Fatalf("ids %#x", ids)
	}
}

func TestExampleMatchmakeSearchRewrite(t *testing.T) {
	e, _ := exampleEngine(t, "matchmake_search_rewrite.lua")
	reg := schema.Default()
	s := rmc.Settings{PIDSize: 4, StructHeader: true, NEXVersion: 30504}

	// AutoMatchmakeWithSearchCriteria_Postpone with two criteria.
	m := reg.MethodByName("MatchmakeExtension", "AutoMatchmakeWithSearchCriteria_Postpone")
	req := m.NewRequest(s)
	crit, err := reg.New("MatchmakeSessionSearchCriteria", s)
	if err != nil {
		t.Fatal(err)
	}
	must(t, crit.Set("attribs[3]", "2"))
	must(t, crit.Set("game_mode", "1"))
	list := field(t, req, "search_criteria")
	list.Items = append(list.Items, crit, crit.Clone())
	gathering := field(t, req, "gathering")
	ms, err := reg.New("MatchmakeSession", s)
	if err != nil {
		t.Fatal(err)
	}
	gathering.Class, gathering.Items = "MatchmakeSession", []*schema.Value{ms}
	body, err := m.EncodeRequest(req, s)
	if err != nil {
		t.Fatal(err)
	}
	c := &Call{Protocol: m.Protocol.ID, Method: m.ID, Settings: s, Body: body}
	v := e.OnRequest(bg, c)
	if v.Body == nil {
		t.Fatalf("verdict %+v", v)
	}
	after := decode(t, c, false, v.Body)
	for i := 0; i < 2; i++ {
		p := "search_criteria[" + string(rune('0'+i)) + "]"
		if a := field(t, after, p+".attribs[3]").Str; a != "" {
			t.Fatalf("%s region attribute %q", p, a)
		}
		if field(t, after, p+".vacant_only").Bool || field(t, after, p+".game_mode").Str != "1" {
			t.Fatalf("%s: %+v", p, field(t, after, p))
		}
	}

	// BrowseMatchmakeSession.
	m = reg.MethodByName("MatchmakeExtension", "BrowseMatchmakeSession")
	req = m.NewRequest(s)
	must(t, req.Set("search_criteria.attribs[3]", "5"))
	body, err = m.EncodeRequest(req, s)
	if err != nil {
		t.Fatal(err)
	}
	c = &Call{Protocol: m.Protocol.ID, Method: m.ID, Settings: s, Body: body}
	v = e.OnRequest(bg, c)
	after = decode(t, c, false, v.Body)
	if field(t, after, "search_criteria.attribs[3]").Str != "" || field(t, after, "search_criteria.vacant_only").Bool {
		t.Fatalf("browse criteria not widened: %+v", field(t, after, "search_criteria"))
	}
}

func TestExampleBlockPID(t *testing.T) {
	e, _ := exampleEngine(t, "block_pid.lua")
	c := vectorCall(t, "wiiu-session.json", 112, 1, "request") // PID 1234567
	v := e.OnRequest(bg, c)
	if want, _ := rmc.ResultByName("Core::AccessDenied"); v.Action != Fail || v.Error != want {
		t.Fatalf("verdict %+v", v)
	}
	c = vectorCall(t, "switch-session.json", 112, 1, "request")
	c.PID = 0xFFFFFFFFFFFFFFFF
	if v := e.OnRequest(bg, c); v.Action != Fail {
		t.Fatalf("64-bit PID not blocked: %+v", v)
	}
	c.PID = 42
	if v := e.OnRequest(bg, c); v.Changed() {
		t.Fatalf("PID 42 blocked: %+v", v)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
