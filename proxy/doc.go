// Package proxy pairs every console-side PRUDP connection with its upstream
// (or with the built-in handlers), runs each RMC call through a handler
// chain, rewrites the Kerberos tickets and station URLs that would otherwise
// send the console around nexproxy, and writes session logs.
//
// The pieces, bottom up:
//
//   - rmc/peer: the RMC endpoint on each connection (the console's and
//     the upstream's). Forwarding a call from one peer to another maps
//     call ids per connection and direction by construction.
//   - Handler and Link: the chain every call walks (hooks, built-in
//     handlers, rewriting, upstream), in the style of CoreDNS plugins.
//   - Server: the listeners of a configuration, the authentication and
//     secure legs of every console, the blind relays and the shared maps.
package proxy
