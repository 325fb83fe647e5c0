-- The interpreter: it walks the tables above over a message's bytes the
-- way rmc/schema decodes them. Every read is checked against the bytes
-- left in its scope first; a value that does not fit stops the decoding
-- with an expert note, and the tree keeps what was decoded before it.

local hf = {
  size = ProtoField.uint32("nexproxy.size", "Size", base.DEC),
  request = ProtoField.bool("nexproxy.request", "Request"),
  protocol = ProtoField.uint16("nexproxy.protocol", "Protocol", base.DEC),
  protocol_name = ProtoField.string("nexproxy.protocol_name", "Protocol name"),
  success = ProtoField.bool("nexproxy.success", "Success"),
  call_id = ProtoField.uint32("nexproxy.call_id", "Call ID", base.DEC),
  method = ProtoField.uint32("nexproxy.method", "Method", base.DEC),
  method_name = ProtoField.string("nexproxy.method_name", "Method name"),
  error = ProtoField.uint32("nexproxy.error", "Error", base.HEX, RESULTS),
  request_in = ProtoField.framenum("nexproxy.request_in", "Request in", base.NONE, frametype and frametype.REQUEST),
  response_in = ProtoField.framenum("nexproxy.response_in", "Response in", base.NONE, frametype and frametype.RESPONSE),
  settings = ProtoField.string("nexproxy.settings", "Settings from"),
  nex_version = ProtoField.uint32("nexproxy.nex_version", "NEX version", base.DEC),
  pid_size = ProtoField.uint8("nexproxy.pid_size", "PID size", base.DEC),
  struct_header = ProtoField.bool("nexproxy.struct_header", "Structure headers"),
  variants = ProtoField.string("nexproxy.variants", "Game variants"),
  parameters = ProtoField.none("nexproxy.parameters", "Parameters"),
  response_values = ProtoField.none("nexproxy.response_values", "Response values"),
  body = ProtoField.bytes("nexproxy.body", "Body"),
  trailing = ProtoField.bytes("nexproxy.trailing", "Trailing bytes"),
  level = ProtoField.string("nexproxy.struct.level", "Parent level"),
  struct_version = ProtoField.uint8("nexproxy.struct.version", "Structure version", base.DEC),
  struct_length = ProtoField.uint32("nexproxy.struct.length", "Structure length", base.DEC),
  struct_tail = ProtoField.bytes("nexproxy.struct.tail", "Undescribed structure bytes"),
  anydata_length = ProtoField.uint32("nexproxy.anydata.length", "Holder length", base.DEC),
  anydata_inner = ProtoField.uint32("nexproxy.anydata.inner_length", "Object length", base.DEC),
  anydata_object = ProtoField.none("nexproxy.anydata.object", "Object"),
  anydata_raw = ProtoField.bytes("nexproxy.anydata.raw", "Undecoded object bytes"),
}
for _, f in pairs(hf) do all_fields[#all_fields + 1] = f end
nexproxy.fields = all_fields

local ef = {
  malformed = ProtoExpert.new("nexproxy.malformed", "Malformed NEX message", expert.group.MALFORMED, expert.severity.ERROR),
  truncated = ProtoExpert.new("nexproxy.truncated", "Message truncated in the capture", expert.group.MALFORMED, expert.severity.WARN),
  trailing = ProtoExpert.new("nexproxy.trailing.expert", "Bytes after the last described value", expert.group.PROTOCOL, expert.severity.WARN),
  undescribed = ProtoExpert.new("nexproxy.undescribed", "Method not described", expert.group.UNDECODED, expert.severity.NOTE),
  holder = ProtoExpert.new("nexproxy.anydata.mismatch", "Held object does not match its description", expert.group.PROTOCOL, expert.severity.NOTE),
  internal = ProtoExpert.new("nexproxy.internal", "Dissector error", expert.group.MALFORMED, expert.severity.ERROR),
}
nexproxy.experts = {ef.malformed, ef.truncated, ef.trailing, ef.undescribed, ef.holder, ef.internal}

local ok_comment, comment_field = pcall(Field.new, "frame.comment")
if not ok_comment then comment_field = nil end

-- Decoding errors are raised as tables with this metatable, so that they
-- are told apart from mistakes of the dissector itself.
local Malformed = {}
local function fail(msg)
  error(setmetatable({msg = msg}, Malformed), 0)
end

local SIZES = {u8 = 1, u16 = 2, u32 = 4, u64 = 8, s8 = 1, s16 = 2, s32 = 4, s64 = 8,
  float = 4, double = 8, bool = 1, result = 4, datetime = 8}

-- Held objects are decoded under a pcall each, which Lua bounds, and
-- structures nest one in another only through lists: both are capped far
-- above anything real.
local MAX_HELD = 32
local MAX_NESTING = 200

-- A cursor reads one message: off is the next byte, lim the end of the
-- innermost bounded scope (message, structure content, held object).
local function need(c, n, what)
  if n < 0 or c.off + n > c.lim then
    fail(string.format("%s needs %d bytes at offset %d, %d left", what, n, c.off, c.lim - c.off))
  end
end

local function range_at(c, off, n)
  if n == 0 then
    -- An empty value at the very end still gets a place in the tree.
    if off >= c.tvb:len() then return c.tvb(0, 0) end
    return c.tvb(off, 0)
  end
  return c.tvb(off, n)
end

local function range(c, n)
  return range_at(c, c.off, n)
end

local function holds(conds, nex, rev, more)
  if not conds then return true end
  for _, cd in ipairs(conds) do
    local k, n = cd[1], cd[2]
    if k == "nex>=" then
      if nex < n then return false end
    elseif k == "nex<" then
      if nex >= n then return false end
    elseif k == "revision>=" then
      if rev < n then return false end
    elseif k == "more" then
      if not more then return false end
    end
  end
  return true
end

local function datetime_text(r)
  local lo, hi = r:range(0, 4):le_uint(), r:range(4, 4):le_uint()
  if lo == 0 and hi == 0 then return "never" end
  local function bits(shift, width)
    return math.floor(lo / 2 ^ shift) % 2 ^ width
  end
  local year = math.floor(lo / 2 ^ 26) + hi * 64
  return string.format("%04d-%02d-%02d %02d:%02d:%02d", year, bits(22, 4), bits(17, 5), bits(12, 5), bits(6, 6), bits(0, 6))
end

-- result_text names a result code; success values share their error
-- twin's name (rmc.Result.Name), 0x00010001 being plain success.
local function result_text(v)
  if v >= 0x80000000 then return RESULTS[v] or "unknown error" end
  if v == 0x00010001 then return "success" end
  local name = RESULTS[v + 0x80000000]
  return name and ("success, " .. name) or "success"
end

local decode_value

local function decode_fields(c, tree, fields, rev)
  for _, f in ipairs(fields) do
    if holds(f.conds, c.st.nex, rev, c.off < c.lim) then
      decode_value(c, tree, f.type)
    end
  end
end

local function levels_of(name)
  local out, s = {}, STRUCTS[name]
  while s do
    table.insert(out, 1, s)
    if #out > MAX_NESTING then fail("structure " .. name .. ": inheritance too deep") end
    if s.parent then s = STRUCTS[s.parent] else s = nil end
  end
  return out
end

local function decode_struct(c, tree, t)
  local start = c.off
  c.nesting = c.nesting + 1
  if c.nesting > MAX_NESTING then fail("structures nested too deep") end
  local item = tree:add(t.f, range(c, 0))
  item:set_text(t.label .. " (" .. t.struct .. ")")
  local levels = levels_of(t.struct)
  for i, lv in ipairs(levels) do
    local lt, lstart = item, c.off
    if i < #levels then
      lt = item:add(hf.level, range(c, 0), lv.name)
    end
    local version, saved = 0, nil
    if c.st.sh then
      need(c, 5, "structure header of " .. lv.name)
      version = c.tvb(c.off, 1):uint()
      local n = c.tvb(c.off + 1, 4):le_uint()
      lt:add(hf.struct_version, c.tvb(c.off, 1))
      lt:add_le(hf.struct_length, c.tvb(c.off + 1, 4))
      c.off = c.off + 5
      if n > c.lim - c.off then
        fail(string.format("structure %s: content length %d beyond the %d bytes left", lv.name, n, c.lim - c.off))
      end
      saved, c.lim = c.lim, c.off + n
    end
    decode_fields(c, lt, lv.fields, version)
    if saved then
      if c.off < c.lim then lt:add(hf.struct_tail, c.tvb(c.off, c.lim - c.off)) end
      c.off, c.lim = c.lim, saved
    end
    if lt ~= item then lt:set_len(c.off - lstart) end
  end
  item:set_len(c.off - start)
  c.nesting = c.nesting - 1
  return item
end

local function decode_string(c, tree, t)
  need(c, 2, t.spelling)
  local n = c.tvb(c.off, 2):le_uint()
  need(c, 2 + n, t.spelling)
  local s = ""
  if n > 0 then
    local m = n
    if c.tvb(c.off + 1 + n, 1):uint() == 0 then m = n - 1 end
    if m > 0 then s = c.tvb(c.off + 2, m):string(ENC_UTF_8) end
  end
  local item = tree:add(t.f, c.tvb(c.off, 2 + n), s)
  if n == 0 then item:append_text(" (null)") end
  c.off = c.off + 2 + n
  return item, s
end

local function decode_anydata(c, tree, t)
  local start = c.off
  local item, class = decode_string(c, tree, t)
  need(c, 8, "holder lengths")
  local outer, inner = c.tvb(c.off, 4):le_uint(), c.tvb(c.off + 4, 4):le_uint()
  item:add_le(hf.anydata_length, c.tvb(c.off, 4))
  item:add_le(hf.anydata_inner, c.tvb(c.off + 4, 4))
  c.off = c.off + 8
  if outer ~= inner + 4 then fail(string.format("holder lengths %d and %d disagree", outer, inner)) end
  if inner > c.lim - c.off then fail(string.format("held object of %d bytes beyond the %d left", inner, c.lim - c.off)) end
  local saved, stop = c.lim, c.off + inner
  c.lim = stop
  if STRUCTS[class] and c.held < MAX_HELD then
    c.held = c.held + 1
    local nesting = c.nesting
    local ok, err = pcall(decode_struct, c, item, {kind = "struct", label = "object", struct = class, f = hf.anydata_object})
    c.held, c.nesting, c.lim = c.held - 1, nesting, stop
    if not ok then
      if getmetatable(err) ~= Malformed then error(err, 0) end
      -- As rmc/schema does: a game's own subclass keeps its bytes raw.
      item:add_proto_expert_info(ef.holder, class .. ": " .. err.msg)
      c.off = stop - inner
    elseif c.off < stop then
      item:add_proto_expert_info(ef.holder, string.format("%s: %d bytes after the object", class, stop - c.off))
    end
  end
  if c.off < stop then item:add(hf.anydata_raw, c.tvb(c.off, stop - c.off)) end
  c.off, c.lim = stop, saved
  item:set_len(c.off - start)
  return item
end

decode_value = function(c, tree, t)
  c.budget = c.budget - 1
  if c.budget < 0 then fail("more values than the message size allows") end
  local k = t.kind
  local n = SIZES[k]
  if n then
    need(c, n, t.spelling)
    local r = c.tvb(c.off, n)
    local item = tree:add_le(t.f, r)
    if k == "datetime" then
      item:append_text(" (" .. datetime_text(r) .. ")")
    elseif k == "result" then
      item:append_text(" (" .. result_text(r:le_uint()) .. ")")
    end
    c.off = c.off + n
    return item
  elseif k == "pid" then
    local size = c.st.pid
    need(c, size, "pid")
    local r = c.tvb(c.off, size)
    local v = size == 8 and r:le_uint64() or UInt64.new(r:le_uint())
    c.off = c.off + size
    return tree:add(t.f, r, v)
  elseif k == "string" or k == "stationurl" then
    return (decode_string(c, tree, t))
  elseif k == "buffer" or k == "qbuffer" then
    local hl = k == "buffer" and 4 or 2
    need(c, hl, t.spelling)
    local len = c.tvb(c.off, hl):le_uint()
    need(c, hl + len, t.spelling)
    -- The field covers the content only: its value is read from the range.
    local item = tree:add(t.f, range_at(c, c.off + hl, len))
    if len == 0 then
      item:set_text(t.label .. ": (0 bytes)")
    else
      item:append_text(string.format(" (%d bytes)", len))
    end
    c.off = c.off + hl + len
    return item
  elseif k == "quuid" then
    need(c, 16, "quuid")
    local item = tree:add(t.f, c.tvb(c.off, 16))
    c.off = c.off + 16
    return item
  elseif k == "list" or k == "map" then
    need(c, 4, t.spelling)
    local start, count = c.off, c.tvb(c.off, 4):le_uint()
    -- Every element takes at least one byte (rmc.Reader.ListLen).
    if count > c.lim - c.off - 4 then
      fail(string.format("%s of %d elements with %d bytes left", t.spelling, count, c.lim - c.off - 4))
    end
    local item = tree:add_le(t.f, c.tvb(c.off, 4))
    item:set_text(string.format("%s: %d %s (%s)", t.label, count, k == "map" and "entries" or "items", t.spelling))
    c.off = c.off + 4
    for _ = 1, count do
      decode_value(c, item, t.elem)
      if k == "map" then decode_value(c, item, t.value) end
    end
    item:set_len(c.off - start)
    return item
  elseif k == "struct" then
    return decode_struct(c, tree, t)
  elseif k == "anydata" then
    return decode_anydata(c, tree, t)
  elseif k == "variant" then
    need(c, 1, "variant")
    local start, id = c.off, c.tvb(c.off, 1):uint()
    local item = tree:add(t.f, c.tvb(c.off, 1))
    c.off = c.off + 1
    if id ~= 0 then
      local held = t.held[id]
      if not held then fail(string.format("variant type id %d", id)) end
      decode_value(c, item, held)
    end
    item:set_len(c.off - start)
    return item
  end
  fail("type " .. tostring(k) .. " has no decoder")
end

-- Settings: the packet comment nexproxy writes ends with
-- " [nex=30504 pid=4 structheader=1 variants=mk8]" (pcapng.SettingsNote).
local function split_variants(s)
  local out = {}
  for v in string.gmatch(s or "", "[^,%s]+") do out[#out + 1] = v end
  return out
end

local function comments()
  if not comment_field then return {} end
  local out = {}
  for _, f in ipairs({comment_field()}) do out[#out + 1] = tostring(f.value) end
  return out
end

local function settings_of(cs)
  local p = nexproxy.prefs
  local st = {nex = p.nex_version, pid = p.pid_size == 8 and 8 or 4, sh = p.struct_header,
    variants = split_variants(p.variants), from = "preferences"}
  if p.override then return st end
  for _, cm in ipairs(cs) do
    local nex, pid, sh, rest = cm:match("%[nex=(%d+) pid=(%d+) structheader=([01])([^%]]*)%]")
    if nex then
      st.nex, st.pid, st.sh, st.from = tonumber(nex), tonumber(pid) == 8 and 8 or 4, sh == "1", "packet comment"
      st.variants = split_variants(rest:match("variants=(%S+)"))
      break
    end
  end
  return st
end

local function find_method(proto_id, method_id, variants)
  for i = #variants, 1, -1 do
    local vp = VARIANTS[variants[i]]
    local p = vp and vp[proto_id]
    if p and p.methods[method_id] then return p.methods[method_id] end
  end
  local p = PROTOCOLS[proto_id]
  return p and p.methods[method_id]
end

local function layout(m, nex)
  for _, l in ipairs(m) do
    if holds(l.conds, nex, 0, true) then return l end
  end
  return m[#m]
end

-- Calls seen, to name the method of error responses (which carry none)
-- and link requests with responses: by conversation, protocol and call id
-- on the first pass, by frame number afterwards.
local calls, frames = {}, {}
function nexproxy.init()
  calls, frames = {}, {}
end

local function endpoint(addr, port)
  return tostring(addr) .. "/" .. tostring(port)
end

local function dissect(tvb, pinfo, tree, cs)
  local len = tvb:len()
  pinfo.cols.protocol = "NEX"
  pinfo.cols.info = "NEX message"
  local st = settings_of(cs)
  local stree = tree:add(hf.settings, tvb(0, 0), st.from)
  stree:add(hf.nex_version, tvb(0, 0), st.nex)
  stree:add(hf.pid_size, tvb(0, 0), st.pid)
  stree:add(hf.struct_header, tvb(0, 0), st.sh)
  if #st.variants > 0 then stree:add(hf.variants, tvb(0, 0), table.concat(st.variants, ",")) end
  stree:set_generated()

  if len < 5 then
    tree:add_proto_expert_info(ef.malformed, string.format("%d bytes: too short for an RMC header", len))
    pinfo.cols.info = "NEX malformed"
    return
  end
  local size = tvb(0, 4):le_uint()
  local size_item = tree:add_le(hf.size, tvb(0, 4))
  if size ~= len - 4 then
    if size > len - 4 then
      size_item:add_proto_expert_info(ef.truncated, string.format("%d of %d bytes captured", len - 4, size))
    else
      size_item:add_proto_expert_info(ef.malformed, string.format("size %d, but %d bytes follow", size, len - 4))
    end
  end
  local c = {tvb = tvb, off = 5, lim = len, st = st, budget = 4 * len + 256, held = 0, nesting = 0}
  local pbyte = tvb(4, 1):uint()
  local request = pbyte >= 0x80
  local proto_id = pbyte % 0x80
  tree:add(hf.request, tvb(4, 1), request)
  local prange = tvb(4, 1)
  if proto_id == 0x7F then
    need(c, 2, "extended protocol id")
    proto_id = tvb(5, 2):le_uint()
    prange = tvb(5, 2)
    c.off = 7
  end
  local proto = PROTOCOLS[proto_id]
  local pname = proto and proto.name or string.format("Protocol(0x%x)", proto_id)
  tree:add(hf.protocol, prange, proto_id)
  tree:add(hf.protocol_name, prange, pname)

  local conv
  local call_id, method_id, success, err_code
  if request then
    need(c, 8, "request header")
    call_id, method_id = tvb(c.off, 4):le_uint(), tvb(c.off + 4, 4):le_uint()
    tree:add_le(hf.call_id, tvb(c.off, 4))
    tree:add_le(hf.method, tvb(c.off + 4, 4))
    c.off = c.off + 8
    conv = endpoint(pinfo.src, pinfo.src_port) .. ">" .. endpoint(pinfo.dst, pinfo.dst_port)
  else
    need(c, 9, "response header")
    local flag = tvb(c.off, 1):uint()
    if flag > 1 then fail(string.format("success flag %d", flag)) end
    success = flag == 1
    tree:add(hf.success, tvb(c.off, 1), success)
    if success then
      call_id = tvb(c.off + 1, 4):le_uint()
      tree:add_le(hf.call_id, tvb(c.off + 1, 4))
      local m = tvb(c.off + 5, 4):le_uint()
      method_id = m % 0x8000 + math.floor(m / 0x10000) * 0x10000
      tree:add(hf.method, tvb(c.off + 5, 4), method_id)
    else
      err_code = tvb(c.off + 1, 4):le_uint()
      tree:add_le(hf.error, tvb(c.off + 1, 4))
      call_id = tvb(c.off + 5, 4):le_uint()
      tree:add_le(hf.call_id, tvb(c.off + 5, 4))
    end
    c.off = c.off + 9
    conv = endpoint(pinfo.dst, pinfo.dst_port) .. ">" .. endpoint(pinfo.src, pinfo.src_port)
  end

  -- Pair the call with its response.
  local key = conv .. "#" .. proto_id .. "#" .. call_id
  local rec = frames[pinfo.number]
  if not rec and not pinfo.visited then
    if request then
      rec = {method = method_id, request = pinfo.number}
      calls[key] = rec
    else
      rec = calls[key]
      if rec then rec.response = rec.response or pinfo.number end
    end
    if rec then frames[pinfo.number] = rec end
  end
  if rec then
    method_id = method_id or rec.method
    if request and rec.response then
      tree:add(hf.response_in, tvb(0, 0), rec.response):set_generated()
    elseif not request and rec.request then
      tree:add(hf.request_in, tvb(0, 0), rec.request):set_generated()
    end
  end

  local m = method_id and find_method(proto_id, method_id, st.variants)
  local l = m and layout(m, st.nex)
  local mname = l and l.name or (method_id and string.format("Method(%d)", method_id) or "?")
  local mitem = tree:add(hf.method_name, tvb(0, 0), mname)
  if not success and not request then mitem:set_generated() end
  local kind = request and "request" or (success and "response" or "error")
  local info = string.format("%s.%s call %d %s", pname, mname, call_id, kind)
  if err_code then info = info .. " " .. (RESULTS[err_code] or string.format("0x%08X", err_code)) end
  pinfo.cols.info = info
  tree:append_text(", " .. info)

  if not request and not success then
    if c.off < len then
      tree:add(hf.trailing, tvb(c.off, len - c.off)):add_proto_expert_info(ef.trailing)
    end
    return
  end
  local fields = l and (request and l.request or (not (proto and proto.one_way) and l.response))
  local body_len = len - c.off
  if not fields then
    if body_len > 0 then
      tree:add(hf.body, tvb(c.off, body_len)):add_proto_expert_info(ef.undescribed)
    end
    return
  end
  local body = tree:add(request and hf.parameters or hf.response_values, range(c, body_len))
  decode_fields(c, body, fields, 0)
  if c.off < len then
    body:add(hf.trailing, tvb(c.off, len - c.off)):add_proto_expert_info(ef.trailing)
  end
end

local function is_nexproxy_comment(cs)
  for _, cm in ipairs(cs) do
    if cm:match("^%S+ call %d+ re") then return true end
  end
  return false
end

-- looks_like_rmc accepts what nexproxy's comments name, and otherwise a
-- UDP payload whose size field and response flag are those of RMC.
local function looks_like_rmc(tvb, cs)
  if is_nexproxy_comment(cs) then return true end
  local len = tvb:len()
  if len < 13 or tvb(0, 4):le_uint() ~= len - 4 then return false end
  if tvb(4, 1):uint() >= 0x80 then return true end
  local off = tvb(4, 1):uint() == 0x7F and 7 or 5
  return len >= off + 9 and tvb(off, 1):uint() <= 1
end

-- done is the frame the heuristic dissected last; the postdissector
-- below, which runs after it in the same frame, resets it.
local done

local function run(tvb, pinfo, root, cs)
  done = pinfo.number
  local tree = root:add(nexproxy, tvb())
  local ok, err = pcall(dissect, tvb, pinfo, tree, cs)
  if not ok then
    local len = tvb:len()
    if getmetatable(err) == Malformed and len >= 4 and tvb(0, 4):le_uint() > len - 4 then
      -- The capture cut the message (a UDP datagram holds 65507 bytes).
      pinfo.cols.info:append(" [truncated]")
      tree:add_proto_expert_info(ef.truncated, err.msg)
    elseif getmetatable(err) == Malformed then
      pinfo.cols.info:append(" [malformed]")
      tree:add_proto_expert_info(ef.malformed, err.msg)
    else
      pinfo.cols.info:append(" [dissector error]")
      tree:add_proto_expert_info(ef.internal, tostring(err))
    end
  end
end

function nexproxy.dissector(tvb, pinfo, tree)
  run(tvb, pinfo, tree, comments())
  return tvb:len()
end

local function heuristic(tvb, pinfo, tree)
  local ok, cs = pcall(comments)
  if not ok then cs = {} end
  local ok2, yes = pcall(looks_like_rmc, tvb, cs)
  if not ok2 or not yes then return false end
  run(tvb, pinfo, tree, cs)
  return true
end

-- udp_payload finds the UDP payload in the Ethernet, IPv4 or IPv6 and
-- UDP headers nexproxy writes around each message (nil for another
-- frame, or an empty payload).
local function udp_payload(tvb)
  local len = tvb:len()
  if len < 14 then return nil end
  local etype, off = tvb(12, 2):uint(), nil
  if etype == 0x0800 and len >= 34 and tvb(23, 1):uint() == 17 then
    off = 14 + (tvb(14, 1):uint() % 16) * 4 + 8
  elseif etype == 0x86DD and len >= 54 and tvb(20, 1):uint() == 17 then
    off = 14 + 40 + 8
  end
  if not off or off >= len then return nil end
  return tvb(off):tvb()
end

-- A heuristic of another protocol may claim a message first (they are
-- tried in turn, and some accept almost anything): the postdissector
-- still shows every message nexproxy's comment names.
local function postdissector(tvb, pinfo, tree)
  if done == pinfo.number then
    done = nil
    return
  end
  done = nil
  local ok, cs = pcall(comments)
  if not ok or not is_nexproxy_comment(cs) then return end
  local ok2, payload = pcall(udp_payload, tvb)
  if ok2 and payload then
    run(payload, pinfo, tree, cs)
    done = nil
  end
end

nexproxy:register_heuristic("udp", heuristic)
DissectorTable.get("udp.port"):add_for_decode_as(nexproxy)
local capture = Proto("nexproxy_capture", "NEX RMC in nexproxy captures")
capture.dissector = postdissector
register_postdissector(capture)
