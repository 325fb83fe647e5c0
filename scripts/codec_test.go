package scripts

import (
	"testing"
	"time"
)

const codecScript = `
local function eq(a, b) if a ~= b then error(tostring(a) .. " ~= " .. tostring(b), 2) end end
nex.on_request(999, 1, function(call)
  local w = nex.writer{pid_size = 8, struct_header = true}
  w:u8(1):u16(0xBEEF):u32(0xDEADBEEF):u64("18446744073709551615"):s8(-1):s16(-2):s32(-3):s64("-9223372036854775808")
  w:float(1.5):double(-2.25):bool(true):pid(nex.u64("0x123456789ABCDEF0")):string("hi"):buffer("\0\1"):qbuffer("q")
  w:datetime(nex.datetime.pack{year = 2024, month = 5, day = 6, hour = 7, minute = 8, second = 9})
  w:stationurl("prudps:/address=1.2.3.4;port=5"):result("Core::AccessDenied"):list_len(1)
  w:struct_begin(1):u8(9):struct_end()
  local r = nex.reader(tostring(w), {pid_size = 8, struct_header = true})
  eq(r:u8(), 1) eq(r:u16(), 0xBEEF) eq(r:u32(), 0xDEADBEEF) eq(tostring(r:u64()), "18446744073709551615")
  eq(r:s8(), -1) eq(r:s16(), -2) eq(r:s32(), -3) eq(tostring(r:s64()), "-9223372036854775808")
  eq(r:float(), 1.5) eq(r:double(), -2.25) eq(r:bool(), true) eq(r:pid():hex(), "0x123456789abcdef0")
  eq(r:string(), "hi") eq(r:buffer(), "\0\1") eq(r:qbuffer(), "q")
  local d = nex.datetime.unpack(r:datetime()) eq(d.year, 2024) eq(d.second, 9)
  local u = nex.station_url.parse(r:stationurl())
  eq(u.scheme, "prudps") eq(u.address, "1.2.3.4") eq(u:get("port"), "5")
  u.port = 6 u:set("PID", 2) u.address = nil
  eq(tostring(u), "prudps:/port=6;PID=2")
  eq(nex.station_url.format{scheme = "udp", port = 1, address = "a"}, "udp:/address=a;port=1")
  eq(nex.result_name(r:result()), "Core::AccessDenied")
  eq(r:list_len(), 1)
  eq(r:remaining(), 6)
  eq(r:struct_begin(), 1) eq(r:u8(), 9) eq(r:struct_end(), "")
  -- Reads past the end raise.
  local ok, err = pcall(function() return r:u64() end)
  eq(ok, false)
  eq(select(2, nex.station_url.parse("nonsense")) ~= nil, true)
  return nex.drop()
end)
-- Fuzz: replay reads of the ops string over the data, write every value
-- back and check the bytes match.
local OPS = {"u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "double", "pid", "buffer", "qbuffer", "datetime", "list_len"}
nex.on_request(999, 2, function(call)
  local n = call.body:byte(1) or 0
  local ops, data = call.body:sub(2, 1 + n), call.body:sub(2 + n)
  local r, w = nex.reader(data), nex.writer()
  local consumed = 0
  for i = 1, #ops do
    local op = OPS[ops:byte(i) % #OPS + 1]
    local ok, v = pcall(r[op], r)
    if not ok then break end
    w[op](w, v)
    consumed = r:offset()
  end
  local out = tostring(w)
  if out ~= data:sub(1, #out) or #out ~= consumed then error("round trip mismatch") end
end)`

func codecEngine(tb testing.TB) (*Engine, func() string) {
	e, logs := newEngine(tb, map[string]string{"codec.lua": codecScript}, func(c *Config) { c.Timeout = 10 * time.Second })
	return e, func() string {
		all := logs.FilterMessageSnippet("hook").All()
		if len(all) == 0 {
			return ""
		}
		return all[len(all)-1].ContextMap()["error"].(string)
	}
}

func TestReaderWriter(t *testing.T) {
	e, lastErr := codecEngine(t)
	if v := e.OnRequest(bg, &Call{Protocol: 999, Method: 1}); v.Action != Drop {
		t.Fatalf("codec script failed: %s", lastErr())
	}
}

func FuzzReaderWriter(f *testing.F) {
	f.Add([]byte{3, 0, 1, 2, 1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{2, 10, 11, 4, 0, 0, 0, 'a', 'b', 'c', 'd', 2, 0, 'x', 'y'})
	f.Add([]byte{4, 3, 12, 13, 9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2})
	f.Add(vectorCall(f, "wiiu-session.json", 112, 1, "request").Body)
	e, lastErr := codecEngine(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		before := e.Stats()["codec.lua"]
		e.OnRequest(bg, &Call{Protocol: 999, Method: 2, Body: b})
		if s := e.Stats()["codec.lua"]; s.Errors != before.Errors || s.Timeouts != before.Timeouts {
			t.Fatalf("input %x: %s", b, lastErr())
		}
	})
}
