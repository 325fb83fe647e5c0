package rmc

import (
	"encoding/binary"
	"fmt"
)

// Bits of the packed RMC header (rmc.md §1).
const (
	protocolRequestFlag = 0x80   // bit 7 of the protocol byte: request
	protocolExtended    = 0x7F   // low 7 bits meaning "a u16 protocol id follows"
	responseMethodFlag  = 0x8000 // set on the method id of success responses
	// ResultErrorBit is set in every error result (rmc.md §2).
	ResultErrorBit = 0x80000000
)

// Message is one packed RMC message (rmc.md §1): a request, a success
// response or an error response. Body aliases the input of Parse.
type Message struct {
	// Request is true for calls, false for responses.
	Request bool
	// Protocol is the protocol id; ids >= 0x7F use the extended form.
	Protocol uint16
	// Method is the method id, without the response flag 0x8000. Error
	// responses carry no method id on the wire, so Parse leaves it 0; a
	// proxy fills it from the call it remembers.
	Method uint32
	// CallID pairs a response with its request.
	CallID uint32
	// Success distinguishes success from error responses (responses only).
	Success bool
	// Error is the result code of an error response, bit 31 set.
	Error Result
	// Body holds the parameters (request) or return values (success
	// response); always empty for error responses.
	Body []byte
}

// NewRequest builds a call message.
func NewRequest(protocol uint16, method, callID uint32, body []byte) *Message {
	return &Message{Request: true, Protocol: protocol, Method: method, CallID: callID, Body: body}
}

// NewResponse builds a success response carrying the method's return values.
func NewResponse(protocol uint16, method, callID uint32, body []byte) *Message {
	return &Message{Protocol: protocol, Method: method, CallID: callID, Success: true, Body: body}
}

// NewError builds an error response. The error bit is forced on because a
// peer decodes a code without it as a success (NintendoClients does). method
// is kept for bookkeeping only: error responses do not carry it.
func NewError(protocol uint16, method, callID uint32, code Result) *Message {
	return &Message{Protocol: protocol, Method: method, CallID: callID, Error: code | ResultErrorBit}
}

// Parse decodes one complete RMC message. It is strict so that every accepted
// message re-encodes to the same bytes: the size field must equal len(b)-4,
// the extended protocol form is accepted only for ids >= 0x7F, the success
// flag must be 0 or 1, a success response's method id must carry 0x8000,
// and an error response must end right after the call id. Body aliases b.
func Parse(b []byte) (*Message, error) {
	m := new(Message)
	if err := m.parse(b); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Message) parse(b []byte) error {
	if len(b) < 5 {
		return fmt.Errorf("rmc: parse message: %d bytes: %w", len(b), ErrShort)
	}
	size := binary.LittleEndian.Uint32(b)
	if uint64(size) != uint64(len(b)-4) {
		return fmt.Errorf("rmc: parse message: size field %d, want %d: %w", size, len(b)-4, ErrInvalid)
	}
	p := b[4]
	off := 5
	m.Request = p&protocolRequestFlag != 0
	m.Protocol = uint16(p & 0x7F)
	if m.Protocol == protocolExtended {
		if len(b) < off+2 {
			return fmt.Errorf("rmc: parse message: extended protocol id: %w", ErrShort)
		}
		m.Protocol = binary.LittleEndian.Uint16(b[off:])
		off += 2
		if m.Protocol < protocolExtended {
			return fmt.Errorf("rmc: parse message: extended form for protocol %d: %w", m.Protocol, ErrInvalid)
		}
	}
	if m.Request {
		if len(b) < off+8 {
			return fmt.Errorf("rmc: parse request header: %w", ErrShort)
		}
		m.CallID = binary.LittleEndian.Uint32(b[off:])
		m.Method = binary.LittleEndian.Uint32(b[off+4:])
		m.Body = b[off+8:]
		return nil
	}
	if len(b) < off+9 {
		return fmt.Errorf("rmc: parse response header: %w", ErrShort)
	}
	switch b[off] {
	case 1:
		m.Success = true
		m.CallID = binary.LittleEndian.Uint32(b[off+1:])
		method := binary.LittleEndian.Uint32(b[off+5:])
		if method&responseMethodFlag == 0 {
			return fmt.Errorf("rmc: parse response: method id %#x lacks flag 0x8000: %w", method, ErrInvalid)
		}
		m.Method = method &^ responseMethodFlag
		m.Body = b[off+9:]
	case 0:
		m.Error = Result(binary.LittleEndian.Uint32(b[off+1:]))
		m.CallID = binary.LittleEndian.Uint32(b[off+5:])
		if len(b) != off+9 {
			return fmt.Errorf("rmc: parse error response: %d trailing bytes: %w", len(b)-off-9, ErrInvalid)
		}
	default:
		return fmt.Errorf("rmc: parse response: success flag %d: %w", b[off], ErrInvalid)
	}
	return nil
}

// Size returns the encoded length of m including the u32 size field.
func (m *Message) Size() int {
	n := 4 + 1
	if m.Protocol >= protocolExtended {
		n += 2
	}
	switch {
	case m.Request:
		return n + 8 + len(m.Body) // call id, method id
	case m.Success:
		return n + 9 + len(m.Body) // flag, call id, method id
	default:
		return n + 9 // flag, error code, call id
	}
}

// Append appends the encoding of m to dst. Error responses encode without
// method id and body whatever those fields hold.
func (m *Message) Append(dst []byte) []byte {
	le := binary.LittleEndian
	dst = le.AppendUint32(dst, uint32(m.Size()-4))
	var flag byte
	if m.Request {
		flag = protocolRequestFlag
	}
	if m.Protocol >= protocolExtended {
		dst = append(dst, protocolExtended|flag)
		dst = le.AppendUint16(dst, m.Protocol)
	} else {
		dst = append(dst, byte(m.Protocol)|flag)
	}
	switch {
	case m.Request:
		dst = le.AppendUint32(dst, m.CallID)
		dst = le.AppendUint32(dst, m.Method)
		dst = append(dst, m.Body...)
	case m.Success:
		dst = append(dst, 1)
		dst = le.AppendUint32(dst, m.CallID)
		dst = le.AppendUint32(dst, m.Method|responseMethodFlag)
		dst = append(dst, m.Body...)
	default:
		dst = append(dst, 0)
		dst = le.AppendUint32(dst, uint32(m.Error))
		dst = le.AppendUint32(dst, m.CallID)
	}
	return dst
}

// Encode returns the encoding of m in a new slice of exactly the right size.
func (m *Message) Encode() []byte {
	return m.Append(make([]byte, 0, m.Size()))
}

// String summarises the header for logs.
func (m *Message) String() string {
	switch {
	case m.Request:
		return fmt.Sprintf("request proto=%d method=%d call=%d body=%dB", m.Protocol, m.Method, m.CallID, len(m.Body))
	case m.Success:
		return fmt.Sprintf("response proto=%d method=%d call=%d body=%dB", m.Protocol, m.Method, m.CallID, len(m.Body))
	default:
		return fmt.Sprintf("error proto=%d call=%d %s", m.Protocol, m.CallID, m.Error)
	}
}
