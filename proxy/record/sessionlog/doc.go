// Package sessionlog defines the session log: a readable, replayable
// record of everything nexproxy saw on one console connection.
//
// # Format
//
// A session log is JSON Lines: one JSON object per line, UTF-8, '\n'
// terminated. The first line is the header,
//
//	{"type":"header","format":"nexproxy-session-log","version":1,...}
//
// and every later line is one event whose "type" says which fields it
// uses (see Record): "open" and "close" (a PRUDP connection of either side),
// "login", "call" (one RMC call with its response), "script" (a line a Lua
// hook logged) and "note". "version" is the format's major version: a
// reader refuses a major version it does not know, because its fields may
// mean something else; new optional fields and new event types do not
// bump it, and readers skip what they do not understand.
//
// A call a Lua hook changed keeps "params" and "result" as the caller
// sent and got them, and adds "changed_by" (the hooks' script files),
// "sent_params" (or "sent_params_raw": what went on in their place) and
// "received_result" (or "received_result_raw", "received_error": the
// answer as it came back before a hook replaced it).
//
// # Files
//
// Create writes one file per console connection, so a console's login
// (authentication server) and its game session (secure server) are two
// files; the upstream connection that nexproxy opens on the console's behalf is
// logged in the console connection's file, its events marked
// "leg":"upstream". Files are named
//
//	<UTC start time>_<game>_<connection id>.jsonl
//	20240501T120000.123Z_wiiu_c17.jsonl
//
// so that a directory listing sorts them by time.
//
// # Secrets
//
// Unless the writer was created with Secrets, every value under a field
// whose name marks it as secret (password, key, session_key, ticket,
// token, source_key, pbufResponse, ...; see IsSecretName) is replaced by
// "<redacted N bytes>" before it reaches the file; in the protocols whose
// calls carry secrets (SecretBodies: authentication, secure connection,
// matchmaking, utility, DataStore) a body that did not decode and the
// bytes of an anydata of an undescribed class ("$raw") cannot be
// inspected and are redacted whole. Redact, RedactJSON and RedactCallJSON
// expose the same rule for other outputs.
package sessionlog
