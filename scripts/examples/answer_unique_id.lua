-- answer_unique_id.lua: answer Utility.AcquireNexUniqueId without asking the
-- server.
--
-- The ids come from a counter in nex.shared, which every session and every
-- Lua state share, so no two consoles get the same id. The response is
-- built from the method's description: (u64 unique_id).

local BASE = 0x100000000 -- keep clear of ids the real server handed out

nex.on_request("Utility", "AcquireNexUniqueId", function(call)
  local n = nex.shared.incr("answer_unique_id.next")
  return nex.answer{ unique_id = BASE + n }
end)
