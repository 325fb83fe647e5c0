package rmc

import (
	"errors"
	"fmt"
)

// Sentinel errors callers branch on with errors.Is. Every decode error wraps
// one of them inside a *DecodeError that says where and what.
var (
	// ErrShort means the input ended (or a structure's content ended) before
	// the value being read was complete.
	ErrShort = errors.New("rmc: input too short")
	// ErrInvalid means the bytes are present but do not form a valid value:
	// an impossible length, an unknown variant type, a non-canonical
	// encoding, unbalanced structure calls.
	ErrInvalid = errors.New("rmc: invalid data")
	// ErrTooLong means a value cannot be encoded because it exceeds the
	// range of its length prefix.
	ErrTooLong = errors.New("rmc: value too long to encode")
)

// DecodeError locates a failure inside a message body so that a log line
// points at the offending byte.
type DecodeError struct {
	// Offset is the byte offset in the input where the failing read started.
	Offset int
	// What names the value being read ("u32", "string", "struct header", ...).
	What string
	// Err is ErrShort or ErrInvalid, possibly with more detail.
	Err error
}

// Error formats the failure with its location.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("rmc: read %s at offset %d: %v", e.What, e.Offset, e.Err)
}

// Unwrap exposes the sentinel for errors.Is.
func (e *DecodeError) Unwrap() error { return e.Err }
