package rmc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

// fuzzSeed is one vector message with the settings of its connection.
type fuzzSeed struct {
	msg vectorMessage
	s   Settings
}

// fuzzSeedMessages returns the messages of the session vectors, or none
// when the vectors are absent (the fuzz targets still run on their literal
// seeds and testdata corpus).
func fuzzSeedMessages(f *testing.F) []fuzzSeed {
	dir := vectors.Dir()
	if dir == "" {
		return nil
	}
	var out []fuzzSeed
	for _, name := range vectors.SessionFiles {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		s := new(vectors.Session)
		if err := json.Unmarshal(b, s); err != nil {
			f.Fatalf("%s: %v", name, err)
		}
		for _, m := range s.Messages {
			out = append(out, fuzzSeed{m, connSettings(s, m.Conn)})
		}
	}
	return out
}

// settingsByte is the inverse of FuzzReader's settings decoding.
func settingsByte(s Settings) byte {
	var b byte
	if s.StructHeader {
		b |= 1
	}
	if s.PIDSize == 8 {
		b |= 2
	}
	return b
}

// FuzzParse checks that Parse never panics and that everything it accepts
// re-encodes to the same bytes.
func FuzzParse(f *testing.F) {
	for _, m := range fuzzSeedMessages(f) {
		raw, _ := hex.DecodeString(m.msg.Raw)
		f.Add(raw)
	}
	for _, s := range []string{
		"120000008a0100000001000000070031323334353600",
		"0b000000ff34120700000005000000",
		"0e0000000a01010000000180000001000100",
		"0a0000000a006400038001000000",
		"0b000000ff0a000700000005000000",
	} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if m != nil || !(errors.Is(err, ErrShort) || errors.Is(err, ErrInvalid)) {
				t.Fatalf("error %v with message %v", err, m)
			}
			return
		}
		if got := m.Encode(); !bytes.Equal(got, b) {
			t.Fatalf("re-encoded %x, want %x", got, b)
		}
		if m.Size() != len(b) {
			t.Fatalf("Size %d, len %d", m.Size(), len(b))
		}
	})
}

// readerOp is one step of a FuzzReader script.
const (
	opU8 = iota
	opU16
	opU32
	opU64
	opPID
	opQUUID
	opStringBytes
	opBuffer
	opQBuffer
	opListLen
	opBytes
	opStructBegin
	opStructEnd
	opAnyDataBegin
	opAnyDataEnd
	opAnyDataRaw
	opResult
	opDateTime
	opString // lossy
	opStringRaw
	opBool    // lossy
	opFloat   // lossy
	opDouble  // lossy
	opVariant // lossy
	opStationURL
	opCount
)

// FuzzReader drives the Reader with a script taken from the input: byte 0
// chooses the settings, byte 1 the script length, then the script (one op
// per byte) and the data. Besides never panicking, a script that ends without
// error and uses only exact reads must re-encode, through the Writer, to
// exactly the bytes it consumed.
func FuzzReader(f *testing.F) {
	for _, m := range fuzzSeedMessages(f) {
		body, _ := hex.DecodeString(m.msg.Body)
		sb := settingsByte(m.s)
		// Exact scripts that consume the body: words, then the odd bytes.
		script := bytes.Repeat([]byte{opU32}, min(len(body)/4, 200))
		f.Add(append(append([]byte{sb, byte(len(script))}, script...), body...))
		// Login/LoginEx requests and responses of the authentication protocol.
		if m.msg.ProtocolID == 10 && m.msg.Kind == "request" {
			f.Add(append([]byte{sb, 5, opStringRaw, opAnyDataBegin, opStructBegin, opStructEnd, opAnyDataEnd}, body...))
		}
		if m.msg.ProtocolID == 10 && m.msg.Kind == "response" {
			f.Add(append([]byte{sb, 11, opResult, opPID, opBuffer, opStructBegin, opStringRaw, opListLen, opStringRaw, opDateTime, opStructEnd, opStringRaw, opStringRaw}, body...))
		}
	}
	f.Add([]byte{1, 5, opStructBegin, opU8, opStructBegin, opStructEnd, opStructEnd, 1, 6, 0, 0, 0, 9, 2, 0, 0, 0, 0, 0xAA})
	f.Add([]byte{0, 3, opVariant, opVariant, opStationURL, 1, 1, 0, 0, 0, 0, 0, 0, 0, 4, 2, 0, 0x78, 0, 8, 0, 'p', 'r', 'u', 'd', 'p', ':', '/', 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 {
			return
		}
		s := Settings{PIDSize: 4, StructHeader: in[0]&1 != 0}
		if in[0]&2 != 0 {
			s.PIDSize = 8
		}
		n := int(in[1])
		if n > len(in)-2 {
			n = len(in) - 2
		}
		script, data := in[2:2+n], in[2+n:]
		r := NewReader(data, s)
		w := NewWriter(s)
		lossy := false
		var holders []bool // kinds of the levels the script opened
		for i, op := range script {
			before := r.Err()
			switch op % opCount {
			case opU8:
				w.U8(r.U8())
			case opU16:
				w.U16(r.U16())
			case opU32:
				w.U32(r.U32())
			case opU64:
				w.U64(r.U64())
			case opPID:
				w.PID(r.PID())
			case opQUUID:
				w.QUUID(r.QUUID())
			case opStringBytes:
				w.StringBytes(r.StringBytes())
			case opBuffer:
				w.Buffer(r.Buffer())
			case opQBuffer:
				w.QBuffer(r.QBuffer())
			case opListLen:
				w.ListLen(r.ListLen())
			case opBytes:
				k := 0
				if i+1 < len(script) {
					k = int(script[i+1])
				}
				w.Raw(r.Bytes(k))
			case opStructBegin:
				w.StructBegin(r.StructBegin())
				holders = append(holders, false)
			case opStructEnd:
				if len(holders) > 0 && !holders[len(holders)-1] {
					holders = holders[:len(holders)-1]
				}
				w.StructEnd(r.StructEnd())
			case opAnyDataBegin, opAnyDataRaw:
				if !canonicalClass(data[r.Offset():], s) {
					lossy = true
				}
				if op%opCount == opAnyDataRaw {
					class, inner := r.AnyDataRaw()
					w.AnyDataRaw(class, inner)
					break
				}
				w.AnyDataBegin(r.AnyDataBegin())
				holders = append(holders, true)
			case opAnyDataEnd:
				if len(holders) > 0 && holders[len(holders)-1] {
					holders = holders[:len(holders)-1]
				}
				tail := r.AnyDataEnd()
				w.Raw(tail)
				w.AnyDataEnd()
			case opResult:
				w.Result(r.Result())
			case opDateTime:
				d := r.DateTime()
				_ = d.String()
				_ = d.Time()
				w.DateTime(d)
			case opString:
				lossy = true
				w.String(r.String())
			case opStringRaw:
				if !canonicalString(data[r.Offset():], s) {
					lossy = true
				}
				if v, null := r.StringRaw(); null {
					w.StringNull()
				} else {
					w.String(v)
				}
			case opBool:
				lossy = true
				w.Bool(r.Bool())
			case opFloat:
				lossy = true
				w.Float(r.Float())
			case opDouble:
				lossy = true
				w.Double(r.Double())
			case opVariant:
				lossy = true
				v := r.Variant()
				_ = v.String()
				if r.Err() == nil {
					w.Variant(v)
				}
			case opStationURL:
				lossy = true
				u := r.StationURL()
				if r.Err() == nil {
					w.StationURL(u)
				}
			}
			if before != nil && r.Err() != before {
				t.Fatalf("op %d replaced sticky error %v with %v", op%opCount, before, r.Err())
			}
			if r.Remaining() < 0 || r.Offset() > len(data) {
				t.Fatalf("remaining %d offset %d", r.Remaining(), r.Offset())
			}
		}
		if err := r.Err(); err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || !(errors.Is(err, ErrShort) || errors.Is(err, ErrInvalid)) {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		// Close what the script left open, innermost first.
		for len(holders) > 0 {
			if holders[len(holders)-1] {
				w.Raw(r.AnyDataEnd())
				w.AnyDataEnd()
			} else {
				w.StructEnd(r.StructEnd())
			}
			holders = holders[:len(holders)-1]
		}
		if r.Err() != nil || r.Depth() != 0 || lossy {
			return
		}
		if w.Err() != nil {
			t.Fatalf("writer: %v", w.Err())
		}
		if got := w.Bytes(); !bytes.Equal(got, data[:r.Offset()]) {
			t.Fatalf("re-encoded %x\nwant %x", got, data[:r.Offset()])
		}
	})
}

// canonicalString reports whether b starts with a String that StringRaw
// and Writer.String reproduce: the null form or content ending in NUL.
func canonicalString(b []byte, s Settings) bool {
	r := NewReader(b, s)
	c := r.StringBytes()
	return r.Err() != nil || len(c) == 0 || c[len(c)-1] == 0
}

// canonicalClass reports whether b starts with a String that the lenient
// String read and Writer.String reproduce: exactly one terminating NUL.
func canonicalClass(b []byte, s Settings) bool {
	r := NewReader(b, s)
	c := r.StringBytes()
	return r.Err() != nil || (len(c) >= 1 && c[len(c)-1] == 0 && (len(c) == 1 || c[len(c)-2] != 0))
}

// FuzzStationURL checks that every accepted URL prints back as its input and
// survives edits.
func FuzzStationURL(f *testing.F) {
	if dir := vectors.Dir(); dir != "" {
		urls := vectorStationURLs(f)
		for _, u := range urls {
			f.Add(u)
		}
	}
	for _, s := range []string{"", "prudp:/", "prudps:/address=1.2.3.4;port=1#x=1;", "prudp:/a=1;", "udp:/;", "prudp:/a=1;;b=2", "x:/#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseStationURL(s)
		if err != nil {
			return
		}
		if len(s) > MaxStationURLLength {
			t.Fatalf("accepted %d characters", len(s))
		}
		if u.String() != s {
			t.Fatalf("printed %q, want %q", u.String(), s)
		}
		u2, err := ParseStationURL(u.String())
		if err != nil || u2.String() != s {
			t.Fatalf("reparse: %v", err)
		}
		_, _ = u.Port()
		_, _ = u.Int(URLPID)
		c := u.Clone()
		c.SetAddress("10.0.0.1")
		c.SetPort(1)
		if a, ok := c.Address(); !ok || a != "10.0.0.1" {
			t.Fatal("SetAddress")
		}
		if p, ok := c.Port(); !ok || p != 1 {
			t.Fatal("SetPort")
		}
		if len(c.Params) < len(u.Params) || u.String() != s {
			t.Fatal("edit changed the original or dropped parameters")
		}
		// Edits may grow a URL past the parse limit; below it they must parse.
		if _, err := ParseStationURL(c.String()); err != nil && len(c.String()) <= MaxStationURLLength {
			t.Fatalf("edited url does not parse: %q: %v", c, err)
		}
	})
}
