
local nexproxy = Proto("nexproxy", "NEX RMC (nexproxy)")

-- How a body is read when a packet's comment does not say (captures that
-- were edited or merged): Edit > Preferences > Protocols > NEX RMC.
nexproxy.prefs.nex_version = Pref.uint("NEX version", 30504,
  "NEX version as MMmmpp (30504 = 3.5.4) when a packet comment does not give it")
nexproxy.prefs.pid_size = Pref.uint("PID size", 4,
  "PID width in bytes, 4 (Wii U, 3DS) or 8 (Switch), when a packet comment does not give it")
nexproxy.prefs.struct_header = Pref.bool("Structure headers", true,
  "Structures carry a version and length header (NEX 3.5 and later), when a packet comment does not give it")
nexproxy.prefs.variants = Pref.string("Game variants", "",
  "Comma-separated game variants (mk8) when a packet comment does not give them")
nexproxy.prefs.override = Pref.bool("Ignore packet comments", false,
  "Read every body with the settings above, whatever the packet comments say")

local STRUCTS, PROTOCOLS, VARIANTS, RESULTS = {}, {}, {}, {}
local all_fields, fields_by_abbrev = {}, {}

-- field makes (once per abbreviation and kind) the ProtoField a value of
-- kind is shown with.
local function field(abbrev, label, kind)
  local key = abbrev .. "\0" .. kind
  local f = fields_by_abbrev[key]
  if f then return f end
  if fields_by_abbrev[abbrev] then
    -- The same place has another type in another layout: keep both.
    abbrev = abbrev .. "_" .. kind
  end
  if kind == "u8" then f = ProtoField.uint8(abbrev, label, base.DEC)
  elseif kind == "u16" then f = ProtoField.uint16(abbrev, label, base.DEC)
  elseif kind == "u32" then f = ProtoField.uint32(abbrev, label, base.DEC)
  elseif kind == "u64" or kind == "pid" or kind == "datetime" then f = ProtoField.uint64(abbrev, label, base.DEC)
  elseif kind == "s8" then f = ProtoField.int8(abbrev, label, base.DEC)
  elseif kind == "s16" then f = ProtoField.int16(abbrev, label, base.DEC)
  elseif kind == "s32" then f = ProtoField.int32(abbrev, label, base.DEC)
  elseif kind == "s64" then f = ProtoField.int64(abbrev, label, base.DEC)
  elseif kind == "float" then f = ProtoField.float(abbrev, label)
  elseif kind == "double" then f = ProtoField.double(abbrev, label)
  elseif kind == "bool" then f = ProtoField.uint8(abbrev, label, base.DEC, {[0] = "false", [1] = "true"})
  elseif kind == "result" then f = ProtoField.uint32(abbrev, label, base.HEX)
  elseif kind == "string" or kind == "stationurl" or kind == "anydata" then f = ProtoField.string(abbrev, label)
  elseif kind == "buffer" or kind == "qbuffer" or kind == "quuid" then f = ProtoField.bytes(abbrev, label)
  elseif kind == "list" or kind == "map" then f = ProtoField.uint32(abbrev, label, base.DEC)
  elseif kind == "variant" then
    f = ProtoField.uint8(abbrev, label, base.DEC, {[0] = "none", "s64", "double", "bool", "string", "datetime", "u64"})
  else f = ProtoField.none(abbrev, label) end
  fields_by_abbrev[key] = f
  fields_by_abbrev[abbrev] = f
  all_fields[#all_fields + 1] = f
  return f
end
