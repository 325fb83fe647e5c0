package prudp

// Sequence ids are u16 counters that wrap; ordering is serial-number
// arithmetic (RFC 1982) so that 0x0001 comes after 0xFFFF.

// seqLess reports whether a precedes b modulo 2^16.
func seqLess(a, b uint16) bool { return int16(a-b) < 0 }

// seqLessEq reports whether a precedes or equals b modulo 2^16.
func seqLessEq(a, b uint16) bool { return int16(a-b) <= 0 }

// seqDiff returns how far b lies ahead of a (negative when behind).
func seqDiff(a, b uint16) int { return int(int16(b - a)) }
