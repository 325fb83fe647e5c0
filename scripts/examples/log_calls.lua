-- log_calls.lua: log every call in both directions, with its result.
--
-- Each line goes to the proxy log with the script name, game, PID and call
-- id attached, e.g.
--   request Ranking.UploadScore call 13 bytes 50

nex.on_request("*", function(call)
  nex.log.info("request", call.protocol .. "." .. call.method, "call", call.call_id, "bytes", #call.body)
end)

nex.on_response("*", function(call)
  nex.log.info("response", call.protocol .. "." .. call.method, "call", call.call_id,
    call.success and "ok" or call.error)
end)

-- Calls the server makes on the console (notifications, NAT probes).
nex.on_server_request("*", function(call)
  nex.log.info("server request", call.protocol .. "." .. call.method, "call", call.call_id)
end)
