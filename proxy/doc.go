// Package proxy pairs every console-side PRUDP connection with its upstream
// (or with the built-in handlers), runs each RMC call through a handler
// chain, and rewrites the Kerberos tickets and station URLs that would
// otherwise send the console around nexproxy.
//
// The call contract (rpc.Call, rpc.Reply, rpc.Session, rpc.Handler,
// rpc.Link) is package rmc/rpc's; the proxy uses it by those names, as the
// built-in services and generated protocol packages do, rather than
// renaming it. Around the proxy:
//
//   - rmc/peer: the RMC endpoint on each connection (the console's and the
//     upstream's). Forwarding a call from one peer to another maps call ids
//     per connection and direction by construction.
//   - proxy/record: what is kept of sessions (Options.Recorder): session
//     logs, captures, the process log.
//   - proxy/luahooks: the Lua hooks (Options.Hooks, Events, PasswordFor).
//
// In this package:
//
//   - LinkSpec: a chain's links describe themselves (name, the calls they
//     want, the link or its non-blocking halves); a session derives from
//     the same descriptions the chain a call walks on a worker and the fast
//     path that forwards the other calls with no goroutine waiting.
//   - Server: the listeners of a configuration, the authentication and
//     secure legs of every console, the blind relays and the shared maps.
//   - Client: a simulated console (`nexproxy bench`, the tests).
package proxy
