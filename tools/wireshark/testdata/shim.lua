-- A stand-in for the parts of Wireshark's Lua API the dissector uses, for
-- running it under gopher-lua (sim_test.go) where tshark is absent and for
-- fuzzing. It is strict where Wireshark raises errors: ranges out of
-- bounds, values of the wrong type for a field, fixed-size fields added
-- over a range of another size, fields not registered with the protocol.
-- Any such error escapes the dissector's own handling and fails the test.

shim = {abbrevs = {}, comments = {}, experts = {}, items = 0}

local function bad(msg)
  error("shim: " .. msg, 3)
end

local FieldMT, ProtoMT, ExpertMT, RangeMT, TvbMT, ItemMT, ColMT = {}, {}, {}, {}, {}, {}, {}
RangeMT.__index, TvbMT.__index, ItemMT.__index, ColMT.__index = RangeMT, TvbMT, ItemMT, ColMT
local ProtoMethods = {}
ProtoMT.__index = ProtoMethods

local function field_kind(kind)
  return function(abbrev, label)
    if type(abbrev) ~= "string" or not abbrev:match("^[%w_][%w_%.%-]*$") then bad("field abbreviation " .. tostring(abbrev)) end
    if type(label) ~= "string" then bad("field label of " .. abbrev) end
    if shim.abbrevs[abbrev] then bad("duplicate field " .. abbrev) end
    shim.abbrevs[abbrev] = true
    return setmetatable({kind = kind, abbrev = abbrev}, FieldMT)
  end
end

ProtoField = {}
for _, k in ipairs({"uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
  "float", "double", "bool", "string", "bytes", "none", "framenum"}) do
  ProtoField[k] = field_kind(k)
end

base = {NONE = 0, DEC = 1, HEX = 2}
frametype = {REQUEST = 1, RESPONSE = 2}
ENC_UTF_8 = 2
local names = {__index = function(_, k) return k end}
expert = {group = setmetatable({}, names), severity = setmetatable({}, names)}
ProtoExpert = {new = function(abbrev, text)
  if shim.abbrevs[abbrev] then bad("duplicate expert " .. abbrev) end
  shim.abbrevs[abbrev] = true
  return setmetatable({abbrev = abbrev, text = text}, ExpertMT)
end}
Pref = {
  uint = function(_, d) return d end,
  bool = function(_, d) return d end,
  string = function(_, d) return d end,
}
UInt64 = {new = function(n) return {uint64 = n} end}

function Proto(name, desc)
  local p = setmetatable({name = name, desc = desc, prefs = {}}, ProtoMT)
  if name == "nexproxy" then shim.proto = p end
  return p
end
function ProtoMethods.register_heuristic(p, table, fn)
  if table ~= "udp" or type(fn) ~= "function" then bad("register_heuristic") end
  shim.heuristic = fn
end
function register_postdissector(p)
  if getmetatable(p) ~= ProtoMT then bad("register_postdissector") end
  shim.post = p
end
DissectorTable = {get = function(name)
  return {add_for_decode_as = function(_, p) if getmetatable(p) ~= ProtoMT then bad("add_for_decode_as") end end}
end}
Field = {new = function(name)
  if name ~= "frame.comment" then bad("Field.new " .. name) end
  return function()
    local out = {}
    for i, c in ipairs(shim.comments) do out[i] = {value = c} end
    return unpack(out)
  end
end}

-- Tvb and TvbRange, with Wireshark's bounds checks.
function shim.tvb(data)
  return setmetatable({data = data}, TvbMT)
end
function TvbMT:len() return #self.data end
local function new_range(tvb, off, n)
  local len = #tvb.data
  off = off or 0
  if type(off) ~= "number" or off ~= math.floor(off) or off < 0 then bad("range offset " .. tostring(off)) end
  if n == nil or n == -1 then
    n = len - off
    if n < 0 then bad("range offset " .. off .. " beyond " .. len) end
  end
  if type(n) ~= "number" or n ~= math.floor(n) or n < 0 or off + n > len then
    bad(string.format("range %s+%s out of bounds (%d bytes)", tostring(off), tostring(n), len))
  end
  return setmetatable({parent = tvb, off = off, n = n}, RangeMT)
end
TvbMT.__call = function(self, off, n) return new_range(self, off, n) end
function TvbMT:range(off, n) return new_range(self, off, n) end

function RangeMT:len() return self.n end
function RangeMT:raw() return self.parent.data:sub(self.off + 1, self.off + self.n) end
function RangeMT:string() return self:raw() end
function RangeMT:bytes() return {bytes = self:raw()} end
function RangeMT:tvb()
  if self.n == 0 then bad("tvb of an empty range") end
  return shim.tvb(self:raw())
end
function RangeMT:range(off, n)
  local r = new_range(shim.tvb(self:raw()), off, n)
  return new_range(self.parent, self.off + r.off, r.n)
end
local function int(self, little, max)
  if self.n < 1 or self.n > max then bad("integer of " .. self.n .. " bytes") end
  local v = 0
  for i = 1, self.n do
    local b = little and self.parent.data:byte(self.off + self.n - i + 1) or self.parent.data:byte(self.off + i)
    v = v * 256 + b
  end
  return v
end
function RangeMT:uint() return int(self, false, 4) end
function RangeMT:le_uint() return int(self, true, 4) end
function RangeMT:le_uint64() return {uint64 = int(self, true, 8)} end

-- Tree items.
local SIZES = {uint8 = 1, uint16 = 2, uint32 = 4, uint64 = 8, int8 = 1, int16 = 2, int32 = 4, int64 = 8, float = 4, double = 8}
local INTS = {uint8 = true, uint16 = true, uint32 = true, uint64 = true, int8 = true, int16 = true, int32 = true, int64 = true, framenum = true}

local function registered(f)
  for _, p in ipairs({shim.proto}) do
    for _, g in ipairs(rawget(p, "fields") or {}) do
      if g == f then return true end
    end
  end
  return false
end

local function new_item(range)
  shim.items = shim.items + 1
  return setmetatable({range = range}, ItemMT)
end

local function add(self, field, range, ...)
  local mt = getmetatable(field)
  if mt == ProtoMT then
    if range ~= nil and getmetatable(range) ~= RangeMT then bad("add: protocol over a non-range") end
    return new_item(range)
  end
  if mt ~= FieldMT then bad("add: not a field: " .. tostring(field)) end
  if not shim.registered[field] then
    if not registered(field) then bad("field " .. field.abbrev .. " not in the protocol's fields") end
    shim.registered[field] = true
  end
  if getmetatable(range) ~= RangeMT then bad("add " .. field.abbrev .. ": not a range") end
  local k = field.kind
  if select("#", ...) > 0 then
    local v = ...
    if k == "bytes" or k == "none" then bad("value given to " .. k .. " field " .. field.abbrev)
    elseif INTS[k] and not (type(v) == "number" or (type(v) == "table" and v.uint64)) then bad("integer field " .. field.abbrev .. " given " .. type(v))
    elseif k == "string" and type(v) ~= "string" then bad("string field " .. field.abbrev .. " given " .. type(v))
    elseif k == "bool" and type(v) ~= "boolean" then bad("bool field " .. field.abbrev .. " given " .. type(v))
    end
  elseif SIZES[k] and range.n ~= SIZES[k] then
    bad(string.format("%s field %s over %d bytes", k, field.abbrev, range.n))
  elseif k == "bool" then
    bad("bool field " .. field.abbrev .. " without a value")
  end
  return new_item(range)
end
ItemMT.add, ItemMT.add_le = add, add
function ItemMT:set_text(s) if type(s) ~= "string" then bad("set_text") end self.text = s end
function ItemMT:append_text(s) if type(s) ~= "string" then bad("append_text") end end
function ItemMT:set_generated() end
function ItemMT:set_len(n)
  if type(n) ~= "number" or n < 0 then bad("set_len " .. tostring(n)) end
  local r = self.range
  if r and r.off + n > #r.parent.data then bad("set_len past the end") end
end
function ItemMT:add_proto_expert_info(e, text)
  if getmetatable(e) ~= ExpertMT then bad("add_proto_expert_info: not an expert") end
  if text ~= nil and type(text) ~= "string" then bad("expert text") end
  shim.experts[#shim.experts + 1] = e.abbrev .. ": " .. (text or e.text)
end

-- Columns.
function ColMT:append(s) if type(s) ~= "string" then bad("append") end self.text = self.text .. s end

-- dissect runs one frame as Wireshark would: the UDP heuristic (unless
-- another protocol claimed the payload first), then the postdissector
-- over the whole frame. It returns the info column, the expert notes (one
-- per line) and whether the heuristic claimed the payload.
function shim.dissect(payload, frame, comment, number, heuristic)
  shim.registered = shim.registered or {}
  shim.comments = {comment}
  shim.experts = {}
  shim.items = 0
  local columns = {}
  local cols = setmetatable({}, {
    __index = function(_, k)
      columns[k] = columns[k] or setmetatable({text = ""}, ColMT)
      return columns[k]
    end,
    __newindex = function(_, k, v)
      if type(v) ~= "string" then bad("column " .. k .. " set to " .. type(v)) end
      columns[k] = setmetatable({text = v}, ColMT)
    end,
  })
  local pinfo = {number = number, visited = false, src = "192.168.1.20", dst = "192.168.1.2", src_port = 52000, dst_port = 60001, cols = cols}
  local root = new_item(nil)
  local claimed = false
  if heuristic then
    claimed = shim.heuristic(shim.tvb(payload), pinfo, root)
    if type(claimed) ~= "boolean" then bad("heuristic returned " .. type(claimed)) end
  end
  shim.post.dissector(shim.tvb(frame), pinfo, root)
  local info = columns.info and columns.info.text or ""
  return info, table.concat(shim.experts, "\n"), claimed
end
