package rmc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The encoder examples of rmc.md §1.3.
func TestMessageDocExamples(t *testing.T) {
	tests := []struct {
		name string
		msg  *Message
		hex  string
	}{
		{"request", NewRequest(10, 1, 1, mustHex(t, "070031323334353600")), "120000008a0100000001000000070031323334353600"},
		{"extended protocol", NewRequest(0x1234, 5, 7, nil), "0b000000ff34120700000005000000"},
		{"success response", NewResponse(10, 1, 1, mustHex(t, "01000100")), "0e0000000a01010000000180000001000100"},
		{"error response", NewError(10, 1, 1, 0x80030064), "0a0000000a006400038001000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := mustHex(t, tt.hex)
			if got := tt.msg.Encode(); !bytes.Equal(got, want) {
				t.Fatalf("Encode = %x, want %x", got, want)
			}
			m, err := Parse(want)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if m.Request != tt.msg.Request || m.Protocol != tt.msg.Protocol || m.CallID != tt.msg.CallID ||
				m.Success != tt.msg.Success || m.Error != tt.msg.Error || !bytes.Equal(m.Body, tt.msg.Body) {
				t.Fatalf("Parse = %+v, want %+v", m, tt.msg)
			}
			if m.Success || m.Request {
				if m.Method != tt.msg.Method {
					t.Fatalf("Method = %d, want %d", m.Method, tt.msg.Method)
				}
			} else if m.Method != 0 {
				t.Fatalf("error response Method = %d, want 0 (not on the wire)", m.Method)
			}
			if got := m.Append([]byte{0xAA}); !bytes.Equal(got[1:], want) || got[0] != 0xAA {
				t.Fatalf("Append = %x", got)
			}
		})
	}
}

func TestNewErrorForcesErrorBit(t *testing.T) {
	m := NewError(10, 1, 1, 0x00030064)
	if m.Error != ResultRendezVousInvalidUsername || !m.Error.IsError() {
		t.Fatalf("Error = %#x", uint32(m.Error))
	}
}

func TestMessageProtocolBoundaries(t *testing.T) {
	for _, p := range []uint16{0, 1, 0x7E, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF} {
		for _, m := range []*Message{NewRequest(p, 3, 9, []byte{1, 2}), NewResponse(p, 3, 9, []byte{1}), NewError(p, 3, 9, ResultCoreAccessDenied)} {
			b := m.Encode()
			if len(b) != m.Size() {
				t.Fatalf("proto %#x: Size %d, encoded %d", p, m.Size(), len(b))
			}
			wantExt := p >= 0x7F
			if gotExt := b[4]&0x7F == 0x7F; gotExt != wantExt {
				t.Fatalf("proto %#x: extended form %v, want %v (%x)", p, gotExt, wantExt, b)
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatalf("proto %#x: %v", p, err)
			}
			if got.Protocol != p || !bytes.Equal(got.Encode(), b) {
				t.Fatalf("proto %#x: round trip %+v", p, got)
			}
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want error
	}{
		{"empty", "", ErrShort},
		{"size only", "00000000", ErrShort},
		{"size too small", "110000008a0100000001000000070031323334353600", ErrInvalid},
		{"size too large", "130000008a0100000001000000070031323334353600", ErrInvalid},
		{"size huge", "ffffffff8a", ErrInvalid},
		{"request header short", "050000008a01000000", ErrShort},
		{"extended id short", "02000000ff34", ErrShort},
		{"extended form for small id", "0b000000ff0a000700000005000000", ErrInvalid},
		{"response header short", "090000000a0101000000018000", ErrShort},
		{"success flag 2", "0e0000000a02010000000180000001000100", ErrInvalid},
		{"response method without flag", "0e0000000a01010000000100000001000100", ErrInvalid},
		{"error with trailing byte", "0b0000000a00640003800100000000", ErrInvalid},
		{"error short", "090000000a0064000380010000", ErrShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(mustHex(t, tt.hex))
			if !errors.Is(err, tt.want) || m != nil {
				t.Fatalf("Parse = %v, %v; want %v", m, err, tt.want)
			}
		})
	}
}

// Every message of every session vector parses with the recorded fields and
// re-encodes byte for byte.
func TestMessageVectors(t *testing.T) {
	n := 0
	for file, s := range loadSessions(t) {
		for i, v := range s.Messages {
			raw := vectors.Hex(t, v.Raw)
			m, err := Parse(raw)
			if err != nil {
				t.Fatalf("%s #%d: %v", file, i, err)
			}
			if m.Request != (v.Kind == "request") || m.Protocol != v.ProtocolID || m.CallID != v.CallID {
				t.Fatalf("%s #%d: got %v, want %+v", file, i, m, v)
			}
			if !bytes.Equal(m.Body, vectors.Hex(t, v.Body)) || v.Size != len(raw) {
				t.Fatalf("%s #%d: body %x, want %s", file, i, m.Body, v.Body)
			}
			if v.MethodID != nil && m.Method != *v.MethodID {
				t.Fatalf("%s #%d: method %d, want %d", file, i, m.Method, *v.MethodID)
			}
			if !m.Request {
				if v.Success == nil || m.Success != *v.Success {
					t.Fatalf("%s #%d: success %v, want %v", file, i, m.Success, v.Success)
				}
				if !m.Success {
					if v.MethodID != nil {
						t.Fatalf("%s #%d: vector has a method id on an error", file, i)
					}
					if uint32(m.Error) != *v.ErrorCode || m.Error.String() != *v.ErrorName {
						t.Fatalf("%s #%d: error %#x %q, want %#x %q", file, i, uint32(m.Error), m.Error, *v.ErrorCode, *v.ErrorName)
					}
					if r, ok := ResultByName(*v.ErrorName); !ok || r != m.Error {
						t.Fatalf("%s #%d: ResultByName(%q) = %#x, %v", file, i, *v.ErrorName, uint32(r), ok)
					}
				}
			}
			if got := m.Encode(); !bytes.Equal(got, raw) {
				t.Fatalf("%s #%d: re-encoded\n%x\nwant\n%x", file, i, got, raw)
			}
			n++
		}
	}
	t.Logf("%d messages", n)
}
