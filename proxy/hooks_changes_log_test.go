package proxy_test

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin/auth"
	"github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// TestHookChangesInSessionLog: a call a hook changed is logged with what
// the console sent and got (params, result) and, beside it, what went
// upstream (sent_params), what the upstream answered before a hook
// replaced it (received_result) and the script that changed it
// (changed_by); the transcript shows them. Unchanged calls have none of it.
func TestHookChangesInSessionLog(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	files := example(t, "matchmake_search_rewrite.lua")
	files["rewrite_req.lua"] = `nex.on_request(0x7E0, 1, function(call) call.body = "raw:" .. call.body end)`
	files["patch_resp.lua"] = `nex.on_response(0x7E0, 6, function(call) call.body = call.body .. "!" end)`
	files["deny.lua"] = `nex.on_request(0x7E0, 7, function(call) return nex.fail("Core::AccessDenied") end)`
	e, _ := newHookEngine(t, scriptDir(t, files), nil)
	defer e.Close()
	upLog := newUpstreamLog()
	up, _ := startWithOptions(t, testGame{platform: "wiiu", upstream: "local", accounts: true},
		proxy.Options{Builtins: []proxy.Builtin{upLog.builtin, servicetest.Host(t).Named(auth.Name, secure.Name)}}, nil)
	defer up.Close()
	logs := t.TempDir()
	fr := record.NewFile(record.FileOptions{Dir: logs})
	front, cfg := startWithOptions(t, testGame{platform: "wiiu", upstream: upstreamAddr(up), accounts: true}, proxy.Options{Recorder: fr}, e)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := proxy.Login(ctx, clientConfig(cfg, front))
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	call := func(method uint32, body string) {
		t.Helper()
		if _, err := c.Call(ctx, protoEcho, method, []byte(body)); err != nil {
			t.Fatalf("call %d: %v", method, err)
		}
	}
	call(1, "abc")
	call(2, "same")
	call(6, "xyz")
	call(7, "no")
	md := schema.Default().MethodByName("MatchmakeExtension", "BrowseMatchmakeSession")
	browse := encodeRequest(t, cfg.Games[0].RMC, "MatchmakeExtension", "BrowseMatchmakeSession", map[string]any{"search_criteria.attribs[3]": "5"})
	if _, err := c.Call(ctx, md.Protocol.ID, md.ID, browse); err != nil {
		t.Fatal(err)
	}
	c.Close()
	front.Close()
	fr.Close()

	_, sec := byServer(t, readSessionLogs(t, logs))
	byMethod := map[uint32]*sessionlog.Record{}
	var mm *sessionlog.Record
	for i := range sec.records {
		r := &sec.records[i]
		if r.Type != sessionlog.TypeCall {
			continue
		}
		if r.ProtocolID == protoEcho {
			byMethod[r.MethodID] = r
		}
		if r.Method == "BrowseMatchmakeSession" {
			mm = r
		}
	}
	hx := func(s string) string { return hex.EncodeToString([]byte(s)) }
	check := func(method uint32, what string, ok func(r *sessionlog.Record) bool) {
		t.Helper()
		if r := byMethod[method]; r == nil || !ok(r) {
			t.Errorf("%s: record %+v\n%s", what, r, sec.raw)
		}
	}
	check(1, "request changed", func(r *sessionlog.Record) bool {
		return r.ParamsRaw == hx("abc") && r.SentParamsRaw == hx("raw:abc") && slices.Equal(r.ChangedBy, []string{"rewrite_req.lua"}) &&
			r.ResultRaw == hx("raw:abc") && r.ReceivedResultRaw == ""
	})
	check(2, "unchanged", func(r *sessionlog.Record) bool {
		return r.ParamsRaw == hx("same") && r.SentParamsRaw == "" && r.ChangedBy == nil && r.ReceivedResultRaw == ""
	})
	check(6, "response changed", func(r *sessionlog.Record) bool {
		return r.ResultRaw == hx("xyz!") && r.ReceivedResultRaw == hx("xyz") && slices.Equal(r.ChangedBy, []string{"patch_resp.lua"}) && r.SentParamsRaw == ""
	})
	check(7, "refused by a hook", func(r *sessionlog.Record) bool {
		return r.ErrorName == "Core::AccessDenied" && r.Handler == record.HandlerHook && slices.Equal(r.ChangedBy, []string{"deny.lua"})
	})
	if mm == nil || len(mm.SentParams) == 0 || string(mm.SentParams) == string(mm.Params) ||
		!strings.Contains(string(mm.Params), `"5"`) || strings.Contains(string(mm.SentParams), `"5"`) ||
		!slices.Equal(mm.ChangedBy, []string{"matchmake_search_rewrite.lua"}) {
		t.Errorf("BrowseMatchmakeSession: record %+v, want the widened criteria as sent_params", mm)
	}

	// nexproxy decode's transcript shows the changes.
	var out strings.Builder
	r, err := sessionlog.NewReader(strings.NewReader(string(sec.raw)))
	if err != nil {
		t.Fatal(err)
	}
	if err := sessionlog.WriteTranscript(&out, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"⇒ sent raw " + hx("raw:abc"), "changed by rewrite_req.lua", "(received raw " + hx("xyz") + ")", "changed by patch_resp.lua"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, out.String())
		}
	}
}
