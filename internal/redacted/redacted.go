// Package redacted writes and reads the placeholder a session log holds
// in place of a secret it was written without ("<redacted N bytes>"),
// for the log writer that puts it there and for the readers (replay, the
// schema's JSON decoding) that stand zeros of its size in for it.
package redacted

import (
	"strconv"
	"strings"
)

// MaxBytes bounds the zero bytes the placeholders of one call come back
// as: an RMC message's largest size. Their sizes come from the log's
// text, which must not make a reader allocate more than a real call
// carries.
const MaxBytes = 1 << 20

const (
	prefix = "<redacted "
	suffix = " bytes>"
)

// Placeholder returns the text that replaces a secret of n bytes.
func Placeholder(n int) string { return prefix + strconv.Itoa(n) + suffix }

// Size returns the n of a Placeholder(n) text; ok is false for any other
// text.
func Size(s string) (n int, ok bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, suffix)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil && n >= 0
}
