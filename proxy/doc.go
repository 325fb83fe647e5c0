// Package proxy pairs every console-side PRUDP connection with its upstream
// (or with the built-in handlers), runs each RMC call through a handler
// chain, rewrites the Kerberos tickets and station URLs that would otherwise
// send the console around nexproxy, and writes session logs.
//
// The pieces, bottom up:
//
//   - Peer: an RMC endpoint over one connection. It numbers its own outgoing
//     calls, matches responses by call id (remembering the method, since an
//     error response carries none) and hands incoming requests to a Handler.
//     Forwarding a call from one Peer to another therefore maps call ids per
//     leg and direction by construction.
//   - Handler and Link: the chain every call walks (hooks, built-in
//     handlers, rewriting, upstream), in the style of CoreDNS plugins.
//   - Server: the listeners of a configuration, the authentication and
//     secure legs of every console, the blind relays and the shared maps.
package proxy
