-- block_pid.lua: refuse every call of some users with Core::AccessDenied.
--
-- PIDs up to 2^53 are plain Lua numbers; larger ones (Switch) are 64-bit
-- values whose tostring is the decimal PID, so list those as strings.

local BLOCKED = {
  [1234567] = true,
  ["18446744073709551615"] = true,
}

local function blocked(pid)
  return BLOCKED[pid] or BLOCKED[tostring(pid)]
end

nex.on_request("*", function(call)
  if blocked(call.pid) then
    nex.log.warn("blocked call", call.protocol .. "." .. call.method)
    return nex.fail("Core::AccessDenied")
  end
end)

nex.on_login(function(ev)
  if blocked(ev.pid) then
    nex.log.warn("blocked user logged in; their calls will fail")
  end
end)
