// Package rpc is the contract between whoever carries RMC calls (the proxy's
// sessions, the simulated console, tests) and whoever answers them (Lua
// hooks, built-in services, the upstream): the Call, Reply and Session
// types, the Handler chain, and the Mux that puts typed protocol servers
// in that chain.
//
// It sits below both sides on purpose: the generated protocol packages
// (rmc/protocols/...) describe their servers in these terms, so they never
// import the proxy, and the proxy can use their codecs and constants.
package rpc
