package scripts

import (
	"bytes"
	"strings"
	"testing"
)

func TestRaiseScoreThroughSchema(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"a.lua": `
nex.on_request("Ranking", "UploadScore", function(call)
  call.params.score_data.score = call.params.score_data.score + 1000
end)`})
	c := vectorCall(t, "wiiu-session.json", 112, 1, "request")
	before := decode(t, c, false, c.Body)
	v := e.OnRequest(bg, c)
	if v.Action != Continue || v.Body == nil || v.Params == nil {
		t.Fatalf("verdict %+v", v)
	}
	after := decode(t, c, false, v.Body)
	if got, want := field(t, after, "score_data.score").Uint, field(t, before, "score_data.score").Uint+1000; got != want {
		t.Fatalf("score %d, want %d", got, want)
	}
	if field(t, after, "unique_id").Uint != field(t, before, "unique_id").Uint {
		t.Fatal("unique_id changed")
	}
	if len(v.Body) != len(c.Body) || bytes.Equal(v.Body, c.Body) {
		t.Fatalf("body %x from %x", v.Body, c.Body)
	}
}

func TestReadOnlyHookChangesNothing(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"a.lua": `
nex.on_request("*", function(call)
  local p = call.params
  local x = call.body .. call.protocol .. call.method
end)`})
	for _, file := range []string{"wiiu-session.json", "switch-session.json", "3ds-session.json", "friends-session.json"} {
		c := vectorCall(t, file, 112, 1, "request")
		if v := e.OnRequest(bg, c); v.Changed() {
			t.Fatalf("%s: read-only hook produced %+v", file, v)
		}
	}
	if s := e.Stats()["a.lua"]; s.Runs != 4 || s.Errors != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestSyntaxErrorNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	writeScripts(t, dir, map[string]string{"good.lua": "local x = 1\n", "bad.lua": "local x = 1\nlocal y = = 2\n"})
	_, err := New(Config{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "bad.lua:2:") {
		t.Fatalf("err = %v", err)
	}
	errs := Check(dir)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "bad.lua:2:") {
		t.Fatalf("Check = %v", errs)
	}
}
