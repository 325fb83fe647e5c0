// Package protocols is the root of the typed NEX protocol packages that
// internal/nexgen generates from rmc/schema/protocols/*.nexdl: one package
// per protocol (authentication, secureconnection, ...), one per game variant
// (matchmakeextension/mk8, ranking/mk8), common for the shared structures,
// and all, which links every one of them.
//
// Regenerate after editing a description with
//
//	go generate ./rmc/...
package protocols

//go:generate go run ../../internal/nexgen/cmd/nexgen -in ../schema/protocols -out .
