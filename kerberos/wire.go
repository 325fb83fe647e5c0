package kerberos

import (
	"encoding/binary"
	"fmt"
)

// reader walks little-endian NEX fields over a byte slice. Every read is
// bounded by what is left, so a hostile length can never allocate or
// index past the input; the first failure sticks and later reads no-op.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string, need uint64) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s needs %d bytes, %d left", ErrMalformed, what, need, len(r.b))
	}
}

// bytes returns the next n bytes as a sub-slice (no copy).
func (r *reader) bytes(what string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.fail(what, uint64(max(n, 0)))
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u32(what string) uint32 {
	b := r.bytes(what, 4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *reader) u64(what string) uint64 {
	b := r.bytes(what, 8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (r *reader) pid(what string, size int) uint64 {
	if size == 4 {
		return uint64(r.u32(what))
	}
	return r.u64(what)
}

// buffer reads a NEX Buffer (u32 length + bytes).
func (r *reader) buffer(what string) []byte {
	n := r.u32(what + " length")
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(len(r.b)) {
		r.fail(what, uint64(n))
		return nil
	}
	return r.bytes(what, int(n))
}

func appendPID(b []byte, pid uint64, size int) []byte {
	if size == 4 {
		return binary.LittleEndian.AppendUint32(b, uint32(pid))
	}
	return binary.LittleEndian.AppendUint64(b, pid)
}

func appendBuffer(b, data []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

func appendU64(b []byte, v uint64) []byte {
	return binary.LittleEndian.AppendUint64(b, v)
}
