package store

import (
	"fmt"
	"strings"
)

// MaxKeyLen bounds object keys (S3 allows 1024 bytes).
const MaxKeyLen = 1024

// ValidKey checks an object key: slash-separated segments of ASCII letters,
// digits, '.', '_' and '-', none empty, none starting with '.' (which rules
// out "." and ".." and keeps the files backend's temporary names apart),
// at most MaxKeyLen bytes. Keys come from game data, so the rule is strict
// enough that a key maps to a path under the data folder on any backend.
func ValidKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("object key of %d bytes: %w", len(key), ErrInvalid)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg[0] == '.' {
			return fmt.Errorf("object key %q: empty or dot segment: %w", key, ErrInvalid)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
			if !ok {
				return fmt.Errorf("object key %q: byte %#x not allowed: %w", key, c, ErrInvalid)
			}
		}
	}
	return nil
}

// ValidTopic checks a bus topic: non-empty, at most 256 bytes, printable
// ASCII without spaces and without the glob characters Redis would expand.
func ValidTopic(topic string) error {
	if topic == "" || len(topic) > 256 {
		return fmt.Errorf("bus topic of %d bytes: %w", len(topic), ErrInvalid)
	}
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if c <= ' ' || c > '~' || c == '*' || c == '?' || c == '[' || c == ']' || c == '\\' {
			return fmt.Errorf("bus topic %q: byte %#x not allowed: %w", topic, c, ErrInvalid)
		}
	}
	return nil
}

// RVCIDFromCounter maps a 64-bit allocation counter (1, 2, 3...) to a
// connection id in 1..2^32-1, so that 0 (no connection) is never handed out
// and the space wraps without a gap.
func RVCIDFromCounter(n uint64) uint32 {
	return uint32((n-1)%0xFFFFFFFF) + 1
}
