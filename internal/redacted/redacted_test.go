package redacted

import (
	"fmt"
	"testing"
)

// TestPlaceholderSize: the size of a placeholder reads back; other text
// is no placeholder.
func TestPlaceholderSize(t *testing.T) {
	for _, n := range []int{0, 16, 1 << 20} {
		if got, ok := Size(Placeholder(n)); !ok || got != n {
			t.Errorf("Size(%q) = %d, %v", Placeholder(n), got, ok)
		}
	}
	for _, s := range []string{"", "0a0b", "<redacted>", "<redacted x bytes>", "<redacted -1 bytes>", "<redacted 3 bytes"} {
		if _, ok := Size(s); ok {
			t.Errorf("Size(%q) reports a placeholder", s)
		}
	}
}

// TestPlaceholderText: the text is the one logs were written with, so
// that they still read back.
func TestPlaceholderText(t *testing.T) {
	for _, n := range []int{0, 8, 1 << 20} {
		if got, want := Placeholder(n), fmt.Sprintf("<redacted %d bytes>", n); got != want {
			t.Errorf("Placeholder(%d) = %q, want %q", n, got, want)
		}
	}
}
