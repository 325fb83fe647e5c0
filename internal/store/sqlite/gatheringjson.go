package sqlite

import (
	"encoding/json"
	"strconv"

	"github.com/nexproxy/nexproxy/internal/store"
)

// A gathering's attributes and participants are JSON arrays in their
// columns, as encoding/json writes them. Every auto-matchmake reads and
// writes them inside the single writer's transaction, where
// encoding/json's reflection is a sizeable share of the serialised work:
// these write the same bytes directly, and read that exact form without
// reflection, leaving anything else to encoding/json.

// appendAttributesJSON appends a as json.Marshal writes it (nil as []).
func appendAttributesJSON(b []byte, a []uint32) []byte {
	b = append(b, '[')
	for i, v := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(v), 10)
	}
	return append(b, ']')
}

// appendParticipantsJSON appends ps as json.Marshal writes it (nil as []).
func appendParticipantsJSON(b []byte, ps []store.GatheringParticipant) []byte {
	b = append(b, '[')
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"PID":`...)
		b = strconv.AppendUint(b, p.PID, 10)
		b = append(b, `,"Extra":`...)
		b = strconv.AppendUint(b, uint64(p.Extra), 10)
		b = append(b, '}')
	}
	return append(b, ']')
}

// jsonCursor reads the exact form the append functions write.
type jsonCursor struct {
	s  string
	ok bool
}

func (c *jsonCursor) lit(l string) {
	if c.ok && len(c.s) >= len(l) && c.s[:len(l)] == l {
		c.s = c.s[len(l):]
		return
	}
	c.ok = false
}

// uint reads a decimal of at most bits bits without a leading zero.
func (c *jsonCursor) uint(bits int) uint64 {
	if !c.ok {
		return 0
	}
	n := 0
	for n < len(c.s) && c.s[n] >= '0' && c.s[n] <= '9' {
		n++
	}
	if n == 0 || (n > 1 && c.s[0] == '0') {
		c.ok = false
		return 0
	}
	v, err := strconv.ParseUint(c.s[:n], 10, bits)
	if err != nil {
		c.ok = false
		return 0
	}
	c.s = c.s[n:]
	return v
}

// more reads the separator after an element: true after ',', false at
// the closing ']'.
func (c *jsonCursor) more() bool {
	if c.ok && len(c.s) > 0 && c.s[0] == ',' {
		c.s = c.s[1:]
		return true
	}
	c.lit("]")
	return false
}

// decodeAttributesJSON reads a column written by appendAttributesJSON or
// json.Marshal.
func decodeAttributesJSON(s string) ([]uint32, error) {
	c := jsonCursor{s: s, ok: true}
	c.lit("[")
	out := []uint32{}
	if c.ok && len(c.s) > 0 && c.s[0] == ']' {
		c.s = c.s[1:]
	} else {
		for c.ok {
			out = append(out, uint32(c.uint(32)))
			if !c.more() {
				break
			}
		}
	}
	if c.ok && c.s == "" {
		return out, nil
	}
	var a []uint32
	err := json.Unmarshal([]byte(s), &a)
	return a, err
}

// decodeParticipantsJSON reads a column written by
// appendParticipantsJSON or json.Marshal.
func decodeParticipantsJSON(s string) ([]store.GatheringParticipant, error) {
	c := jsonCursor{s: s, ok: true}
	c.lit("[")
	out := []store.GatheringParticipant{}
	if c.ok && len(c.s) > 0 && c.s[0] == ']' {
		c.s = c.s[1:]
	} else {
		for c.ok {
			var p store.GatheringParticipant
			c.lit(`{"PID":`)
			p.PID = c.uint(64)
			c.lit(`,"Extra":`)
			p.Extra = uint16(c.uint(16))
			c.lit("}")
			out = append(out, p)
			if !c.more() {
				break
			}
		}
	}
	if c.ok && c.s == "" {
		return out, nil
	}
	var ps []store.GatheringParticipant
	err := json.Unmarshal([]byte(s), &ps)
	return ps, err
}
