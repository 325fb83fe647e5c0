package rmc

import (
	"encoding/hex"
	"fmt"
)

// QUUID is a qUUID: 16 raw bytes on the wire (rmc.md §4.7). It converts to
// and from [16]byte (the type Reader.QUUID returns) without a cast.
type QUUID [16]byte

// quuidGroups are the little-endian groups that are byte-reversed for
// printing; a dash follows the first four.
var quuidGroups = [...]struct{ off, n int }{{0, 4}, {4, 2}, {6, 2}, {8, 2}, {10, 2}, {12, 2}, {14, 2}}

// String prints the standard UUID form: each group byte-reversed, joined as
// g1-g2-g3-g4-g5g6g7.
func (u QUUID) String() string {
	out := make([]byte, 0, 36)
	for i, g := range quuidGroups {
		for j := g.off + g.n - 1; j >= g.off; j-- {
			out = hex.AppendEncode(out, u[j:j+1])
		}
		if i < 4 {
			out = append(out, '-')
		}
	}
	return string(out)
}

// ParseQUUID parses the printed form produced by String.
func ParseQUUID(s string) (QUUID, error) {
	var u QUUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("rmc: parse quuid %q: want 8-4-4-4-12 hex digits", s)
	}
	digits := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	var raw [16]byte
	if _, err := hex.Decode(raw[:], []byte(digits)); err != nil {
		return u, fmt.Errorf("rmc: parse quuid %q: %w", s, err)
	}
	p := 0
	for _, g := range quuidGroups {
		for j := g.off + g.n - 1; j >= g.off; j-- {
			u[j] = raw[p]
			p++
		}
	}
	return u, nil
}
