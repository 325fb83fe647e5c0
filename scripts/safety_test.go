package scripts

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// uploadScore is a real UploadScore request whose hooks the tests run.
func uploadScore(t testing.TB) *Call { return vectorCall(t, "wiiu-session.json", 112, 1, "request") }

func TestSandboxHasNoEscapes(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"a.lua": `
local absent = {}
for _, name in ipairs({"os", "io", "debug", "package", "dofile", "loadfile", "load", "loadstring",
    "module", "collectgarbage", "getfenv", "setfenv", "newproxy", "_printregs", "coroutine", "channel"}) do
  if _G[name] ~= nil then absent[#absent+1] = name end
end
if string.dump ~= nil then absent[#absent+1] = "string.dump" end
nex.on_request("*", function(call)
  if #absent > 0 then error("present: " .. table.concat(absent, ",")) end
  -- Every state shares the metatable of 64-bit integers.
  if getmetatable(nex.u64("0x20000000000001")) ~= "nex.int64" then error("the 64-bit integers' metatable is reachable") end
  local ok, err = pcall(require, "../a")
  if ok then error("require escaped the lib folder") end
  ok, err = pcall(require, "missing")
  if ok then error("missing module loaded") end
  return nex.drop()
end)`})
	if v := e.OnRequest(bg, uploadScore(t)); v.Action != Drop {
		t.Fatalf("sandbox check failed: %+v %+v", v, e.Stats())
	}
}

func TestRequireLoadsFromLib(t *testing.T) {
	e, _ := newEngine(t, map[string]string{
		"a.lua":        `local util = require("util"); assert(require("util") == util); nex.on_request("*", function(call) return nex.fail(util.code) end)`,
		"lib/util.lua": `return { code = "Core::AccessDenied" }`,
	})
	if v := e.OnRequest(bg, uploadScore(t)); v.Action != Fail || v.Error != 0x80010006 {
		t.Fatalf("verdict %+v", v)
	}
	if got := e.Scripts(); len(got) != 1 || got[0] != "a.lua" {
		t.Fatalf("lib module ran as a script: %v", got)
	}
}

func TestErroringHookIsSkipped(t *testing.T) {
	e, logs := newEngine(t, map[string]string{
		"1.lua": `nex.on_request("Ranking", "UploadScore", function(call)
  call.params.score_data.score = 1 -- discarded: the hook fails below
  call.session = nil
end)`,
		"2.lua": `nex.on_request("Ranking", "UploadScore", function(call)
  local x = nil
  return x.field
end)`,
		"3.lua": `nex.on_request("Ranking", "UploadScore", function(call)
  call.params.score_data.score = call.params.score_data.score + 1
end)`,
		"4.lua": `nex.on_request("Ranking", "UploadScore", function(call) return 42 end)`,
		"5.lua": `nex.on_request("Ranking", "UploadScore", function(call) call.params.score_data.score = -1 end)`,
		"6.lua": `nex.on_request("Ranking", "UploadScore", function(call) call.params.score_data.scroe = 5 end)`,
	})
	c := uploadScore(t)
	before := field(t, decode(t, c, false, c.Body), "score_data.score").Uint
	v := e.OnRequest(bg, c)
	if v.Action != Continue || v.Body == nil {
		t.Fatalf("verdict %+v", v)
	}
	if got := field(t, decode(t, c, false, v.Body), "score_data.score").Uint; got != before+1 {
		t.Fatalf("score %d, want %d (only 3.lua applies)", got, before+1)
	}
	st := e.Stats()
	for _, s := range []string{"1.lua", "2.lua", "4.lua", "5.lua", "6.lua"} {
		if st[s].Errors != 1 || st[s].Runs != 1 {
			t.Errorf("%s: stats %+v", s, st[s])
		}
	}
	if st["3.lua"].Errors != 0 {
		t.Errorf("3.lua: %+v", st["3.lua"])
	}
	var msgs []string
	for _, l := range logs.FilterMessageSnippet("hook failed").All() {
		msgs = append(msgs, l.ContextMap()["error"].(string))
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"1.lua:3:", "2.lua:3:", "returned a number", "does not fit u32", "no field scroe"} {
		if !strings.Contains(all, want) {
			t.Errorf("logs lack %q:\n%s", want, all)
		}
	}
}

func TestInfiniteLoopTimesOut(t *testing.T) {
	e, logs := newEngine(t, map[string]string{
		"1loop.lua":  `nex.on_request("*", function(call) while true do end end)`,
		"2later.lua": `nex.on_request("*", function(call) return nex.fail("Core::AccessDenied") end)`,
	}, func(c *Config) { c.Timeout = 30 * time.Millisecond })
	start := time.Now()
	v := e.OnRequest(bg, uploadScore(t))
	if v.Action != Fail {
		t.Fatalf("the hook after the loop did not run: %+v", v)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("took %v", d)
	}
	if s := e.Stats()["1loop.lua"]; s.Timeouts != 1 {
		t.Fatalf("stats %+v", s)
	}
	if logs.FilterMessageSnippet("timed out").Len() != 1 {
		t.Fatal("timeout not logged")
	}
	// The state was replaced; the engine keeps working.
	if v := e.OnRequest(bg, uploadScore(t)); v.Action != Fail {
		t.Fatalf("second call: %+v", v)
	}
}

func TestPcallCannotSwallowTimeout(t *testing.T) {
	e, _ := newEngine(t, map[string]string{
		"loop.lua": `nex.on_request("*", function(call)
  while true do pcall(function() while true do end end) end
end)`,
	}, func(c *Config) { c.Timeout = 30 * time.Millisecond })
	e.OnRequest(bg, uploadScore(t))
	if s := e.Stats()["loop.lua"]; s.Timeouts != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestUnboundedAllocationIsStopped(t *testing.T) {
	cases := map[string]string{
		"rep":      `local t = {} while true do t[#t+1] = string.rep('x', 1e6) end`,
		"rep_huge": `local s = ("x"):rep(1e12)`,
		"concat":   `local s = "x" while true do s = s .. s end`,
		"table":    `local t = {} local i = 0 while true do i = i + 1 t[i] = {i} end`,
		"format":   `local s = string.format("%999999d", 1)`,
		"gsub":     `local s = string.rep("x", 1e6) while true do s = s:gsub("x", "xxxxxxxx") end`,
		"tconcat":  `local t = {} for i = 1, 1000 do t[i] = "x" end local s = table.concat(t, string.rep("y", 1e6))`,
		"unpack":   `local t = {} return unpack(t, 1, 1e8)`,
		"recurse":  `local function f(n) return 1 + f(n + 1) end return f(1)`,
		"writer":   `local w = nex.writer() local s = string.rep("x", 60000) while true do w:string(s) end`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			e, _ := newEngine(t, map[string]string{"m.lua": `nex.on_request("*", function(call) ` + body + ` end)
nex.on_request("*", function(call) return nex.drop() end)`}, func(c *Config) {
				c.Timeout = 500 * time.Millisecond
				c.MaxMemory = 16 << 20
			})
			v := e.OnRequest(bg, uploadScore(t))
			if v.Action != Drop {
				t.Fatalf("the next hook did not run: %+v", v)
			}
			s := e.Stats()["m.lua"]
			if s.Errors+s.Timeouts+s.MemoryAborts != 1 {
				t.Fatalf("stats %+v", s)
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > 1<<30 {
				t.Fatalf("heap %d MB after the hook", ms.HeapAlloc>>20)
			}
		})
	}
}

func TestBudgetErrorNamesTheLimit(t *testing.T) {
	e, logs := newEngine(t, map[string]string{"m.lua": `nex.on_request("*", function(call)
  local t = {} while true do t[#t+1] = string.rep('x', 1e6) end
end)`}, func(c *Config) { c.MaxMemory = 8 << 20 })
	e.OnRequest(bg, uploadScore(t))
	l := logs.FilterMessageSnippet("hook failed").All()
	if len(l) != 1 || !strings.Contains(l[0].ContextMap()["error"].(string), "m.lua:2: memory limit: string.rep") {
		t.Fatalf("logs %+v", l)
	}
}

func TestGsubAndGmatchSemantics(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"m.lua": `
local function eq(a, b) if a ~= b then error(tostring(a) .. " ~= " .. tostring(b), 2) end end
nex.on_request("*", function(call)
  eq((string.gsub("abc", "x*", "-")), "-a-b-c-")
  eq((string.gsub("hello world", "o", "0")), "hell0 w0rld")
  eq(select(2, string.gsub("hello world", "o", "0")), 2)
  eq((string.gsub("hello world", "(%w+)", "<%1>")), "<hello> <world>")
  eq((string.gsub("hello", "", "-")), "-h-e-l-l-o-")
  eq((string.gsub("abc", "%w", "%0%0")), "aabbcc")
  eq((string.gsub("hello world", "%w+", "x", 1)), "x world")
  eq((string.gsub("aaa", "^a", "b")), "baa")
  eq((string.gsub("$name is $age", "%$(%w+)", {name = "bob", age = 3})), "bob is 3")
  eq((string.gsub("abc", "%w", function(c) if c == "b" then return "B" end end)), "aBc")
  local words = {}
  for w in string.gmatch("one two  three", "%a+") do words[#words+1] = w end
  eq(table.concat(words, ","), "one,two,three")
  local pairs_ = {}
  for k, v in string.gmatch("a=1, b=2", "(%w+)=(%w+)") do pairs_[#pairs_+1] = k .. v end
  eq(table.concat(pairs_, ","), "a1,b2")
  eq(string.rep("ab", 3), "ababab")
  eq(string.format("%5.2f|%s|%d", 3.14159, "x", 42), " 3.14|x|42")
  eq(table.concat({1, 2, 3}, "-"), "1-2-3")
  eq(table.concat({"a", "b", "c"}, "", 2, 3), "bc")
  return nex.drop()
end)`})
	if v := e.OnRequest(bg, uploadScore(t)); v.Action != Drop {
		t.Fatalf("string library semantics broken: %+v", e.Stats())
	}
}

// TestGfindIsBounded checks that string.gfind, Lua 5.0's name that
// gopher-lua keeps for gmatch, is the bounded gmatch too: the library's
// version collects every match before the loop starts, beyond the time
// limit.
func TestGfindIsBounded(t *testing.T) {
	e, _ := newEngine(t, map[string]string{"m.lua": `
nex.on_request("*", function(call)
  if string.gfind ~= string.gmatch then error("string.gfind is not the bounded gmatch") end
  local words = {}
  for w in string.gfind("one two", "%a+") do words[#words+1] = w end
  if table.concat(words, ",") ~= "one,two" then error("gfind: " .. table.concat(words, ",")) end
  return nex.drop()
end)`})
	if v := e.OnRequest(bg, uploadScore(t)); v.Action != Drop {
		t.Fatalf("gfind check failed: %+v", e.Stats())
	}
}

// TestRefusedReturnNamesTheHookLine: a hook whose return value is refused
// after it returned (a wrong type, an answer that does not encode, a
// friends list that is not one) has no error position of its own; the log
// names the file and line where the hook function starts.
func TestRefusedReturnNamesTheHookLine(t *testing.T) {
	e, logs := newEngine(t, map[string]string{"a.lua": `
nex.on_request("Ranking", "UploadScore", function(call) return 42 end)
nex.on_request("Ranking", "UploadScore", function(call)
  return nex.answer{ nosuch = 1 }
end)
nex.friends_of = function(pid, game) return "nobody" end
`})
	if v := e.OnRequest(bg, uploadScore(t)); v.Action != Continue || v.Changed() {
		t.Fatalf("verdict %+v", v)
	}
	_, ok, err := e.FriendsOf(bg, "g", 1)
	if !ok || err == nil || !strings.Contains(err.Error(), "a.lua:6:") {
		t.Fatalf("friends_of: %v %v", ok, err)
	}
	if st := e.Stats()["a.lua"]; st.Errors != 3 || st.Runs != 3 {
		t.Errorf("stats %+v", st)
	}
	var msgs []string
	for _, l := range logs.FilterMessageSnippet("hook failed").All() {
		msgs = append(msgs, l.ContextMap()["error"].(string))
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"a.lua:2: hook returned a number", "a.lua:3: nex.answer", "a.lua:6: returned a string"} {
		if !strings.Contains(all, want) {
			t.Errorf("logs lack %q:\n%s", want, all)
		}
	}
}
