// Package scripts runs the Lua hooks (gopher-lua) that let users patch a
// game's online behaviour with .lua files kept next to config.toml.
//
// The proxy asks an Engine about every RMC call at the points of the
// handler chain (DESIGN.md "The handler chain"): OnRequest before a call is
// answered locally or forwarded, OnResponse before a response goes back,
// and the event methods on connection, login and disconnection. Each
// answer is a Verdict: continue (possibly with changed parameters or body),
// answer, fail with a result code, or drop.
//
// # Scripts
//
// Every *.lua file in Config.Dir is a script, run once per Lua state in
// name order; it registers hooks with the `nex` module. Files under
// Dir/lib are modules loaded with require("name") and are not run by
// themselves. README.md documents the Lua API.
//
// # Concurrency and generations
//
// An LState is not goroutine-safe. The scripts are compiled once per load
// into FunctionProtos that a pool of LStates shares; a call borrows one
// state for the duration of its hooks, so calls of different sessions run in
// parallel and no state is used by two goroutines. A load (New, Reload) is a
// generation: the new set is compiled and its first state is built before
// it replaces the old one, so a script with an error never replaces a
// working set, and a call never sees a half-loaded set. The old generation
// is drained (in-flight hooks finish) and its states are closed.
//
// # Safety
//
// A hook that errors, runs past Config.Timeout or allocates past
// Config.MaxMemory is logged with its script and line, counted in Stats, and
// the call goes on as if the hook were absent. Time is enforced by the
// LState's context (checked before every Lua instruction); memory by a
// per-run byte budget charged by the string and buffer functions that can
// multiply their input (string.rep, string.format, gsub, table.concat,
// nex.writer) and by a watchdog that cancels runs while the Go heap grows by
// more than Config.MaxMemory (it catches `..` and table growth, which no
// library function sees). The sandbox opens only the base, string, table and
// math libraries, without file, bytecode or module loading; require reads
// only Dir/lib. SetMx is never used: it would exit the process.
package scripts
