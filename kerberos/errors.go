package kerberos

import "errors"

// Sentinel errors that callers branch on. Every error returned by this
// package wraps one of them (or a settings problem) with context, so test
// with errors.Is.
var (
	// ErrBadMAC means the HMAC of a Kerberos blob did not verify: the key
	// is wrong (wrong password, ticket for another server) or the bytes
	// were altered. Nothing decrypted is ever returned along with it.
	ErrBadMAC = errors.New("wrong key or tampered")

	// ErrMalformed means authenticated or framing bytes do not have the
	// expected layout: truncated input, a Buffer longer than its
	// container, a request of the wrong length, an invalid DateTime.
	ErrMalformed = errors.New("malformed")

	// ErrInvalidSettings means a Settings value is outside what NEX uses.
	ErrInvalidSettings = errors.New("invalid settings")

	// ErrExpired means the internal ticket was issued longer ago than the
	// verifier's validity window.
	ErrExpired = errors.New("ticket expired")

	// ErrNotYetValid means the internal ticket claims an issue time further
	// in the future than the verifier's clock skew allows.
	ErrNotYetValid = errors.New("ticket issued in the future")

	// ErrPIDMismatch means the PID in a CONNECT request differs from the
	// source PID sealed in the internal ticket: someone presents a ticket
	// that was issued to another user.
	ErrPIDMismatch = errors.New("request PID does not match ticket")

	// ErrWrongTarget means a client ticket names another target principal
	// than the secure server it is checked against.
	ErrWrongTarget = errors.New("ticket is for another server")

	// ErrReplay means the exact ticket and request were already accepted
	// within their validity window.
	ErrReplay = errors.New("replayed connect request")

	// ErrBadCheck means a CONNECT reply does not acknowledge the check
	// value that was sent, so the server did not read the request.
	ErrBadCheck = errors.New("connect reply check value mismatch")
)
