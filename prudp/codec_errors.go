package prudp

import "errors"

// Sentinel errors of the packet layer. Every returned error wraps one of
// them (errors.Is) together with the detail of what was wrong, so that a
// connection can count or log malformed input per cause.
var (
	// ErrShort: the input ends before the packet or field it announces.
	ErrShort = errors.New("prudp: packet truncated")
	// ErrChecksum: the v0/RV checksum does not match.
	ErrChecksum = errors.New("prudp: bad checksum")
	// ErrSignature: the packet signature does not match.
	ErrSignature = errors.New("prudp: bad signature")
	// ErrMagic: the v1/Lite magic or version byte is wrong.
	ErrMagic = errors.New("prudp: bad magic")
	// ErrOptions: the v1/Lite option block is malformed or holds an option
	// set that the packet type does not allow.
	ErrOptions = errors.New("prudp: bad options")
	// ErrRange: a Packet field does not fit the wire format (encoding only).
	ErrRange = errors.New("prudp: field out of range")
	// ErrCompression: a compressed payload is malformed.
	ErrCompression = errors.New("prudp: bad compressed payload")
	// ErrTooLarge: a compressed payload inflates beyond the allowed size.
	ErrTooLarge = errors.New("prudp: decompressed payload too large")
	// ErrSubstream: a substream id beyond the negotiated maximum.
	ErrSubstream = errors.New("prudp: substream out of range")
)

var errEmptyAccessKey = errors.New("empty access key")
