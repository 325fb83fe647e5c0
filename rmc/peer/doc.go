// Package peer is the RMC endpoint runtime: a Peer carries RMC over one
// connection (a Wire: a PRUDP connection, or an in-memory Pipe), numbers
// its own outgoing calls, matches responses by call id (restoring the
// method an error response leaves out) and hands incoming requests to a
// serve function on a bounded pool of workers.
//
// The proxy runs one Peer per side of a session, the simulated console
// (proxy.Client, `nexproxy bench`) one per connection, and built-in
// services reach a console through the Peer behind rpc.Session.Console.
// Forwarding a call from one Peer to another therefore maps call ids per
// connection and direction by construction.
//
// Besides the blocking Call, Notify and Respond, a Peer has asynchronous
// forms (CallAsync, NotifyAsync, RespondAsync) that never block the
// goroutine that received a message, so that a proxy can forward a call
// with no goroutine waiting for its answer (see push.go).
package peer
