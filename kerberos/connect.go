package kerberos

import (
	"encoding/binary"
	"fmt"
)

// ConnectRequest is the plaintext a client encrypts with the session key
// inside its secure CONNECT (prudp.md §12.4).
type ConnectRequest struct {
	// PID is the user; it must equal the internal ticket's source PID.
	PID uint64
	// CID is the connection id from the secure station URL.
	CID uint32
	// Check is a random value the server must answer with Check+1, proving
	// it could open the request.
	Check uint32
}

// BuildConnectPayload makes a client's secure CONNECT payload:
// Buffer(internalTicket) || Buffer(encrypt(sessionKey, PID || CID || Check)).
// The internal ticket is passed on exactly as found in the client ticket.
func BuildConnectPayload(internalTicket, sessionKey []byte, req ConnectRequest, s Settings) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("kerberos: build connect payload: %w", err)
	}
	if req.PID > s.maxPID() {
		return nil, fmt.Errorf("kerberos: build connect payload: %w: pid %d does not fit %d bytes", ErrInvalidSettings, req.PID, s.PIDSize)
	}
	plain := appendPID(make([]byte, 0, s.PIDSize+8), req.PID, s.PIDSize)
	plain = binary.LittleEndian.AppendUint32(plain, req.CID)
	plain = binary.LittleEndian.AppendUint32(plain, req.Check)
	sealed, err := seal(sessionKey, plain)
	if err != nil {
		return nil, fmt.Errorf("kerberos: build connect payload: %w", err)
	}
	out := make([]byte, 0, 8+len(internalTicket)+len(sealed))
	out = appendBuffer(out, internalTicket)
	return appendBuffer(out, sealed), nil
}

// SplitConnectPayload separates a secure CONNECT payload into the internal
// ticket and the encrypted request, both sub-slices of payload. A proxy
// that hands consoles the upstream ticket unchanged matches the ticket
// bytes against the ones it saw at login. Bytes after the second Buffer
// are ignored, as the reference servers do.
func SplitConnectPayload(payload []byte) (ticket, request []byte, err error) {
	if ticket, request, err = splitConnectPayload(payload); err != nil {
		return nil, nil, fmt.Errorf("kerberos: connect payload: %w", err)
	}
	return ticket, request, nil
}

func splitConnectPayload(payload []byte) (ticket, request []byte, err error) {
	r := reader{b: payload}
	ticket = r.buffer("internal ticket")
	request = r.buffer("request")
	return ticket, request, r.err
}

// DecryptConnectRequest opens the encrypted request of a CONNECT payload
// with the session key. Its length must be exactly pid size + 8.
func DecryptConnectRequest(sessionKey, request []byte, s Settings) (ConnectRequest, error) {
	req, err := decryptConnectRequest(sessionKey, request, s)
	if err != nil {
		return ConnectRequest{}, fmt.Errorf("kerberos: connect request: %w", err)
	}
	return req, nil
}

func decryptConnectRequest(sessionKey, request []byte, s Settings) (ConnectRequest, error) {
	if err := s.Validate(); err != nil {
		return ConnectRequest{}, err
	}
	plain, err := open(sessionKey, request)
	if err != nil {
		return ConnectRequest{}, err
	}
	if len(plain) != s.PIDSize+8 {
		return ConnectRequest{}, fmt.Errorf("%w: %d bytes, want %d", ErrMalformed, len(plain), s.PIDSize+8)
	}
	r := reader{b: plain}
	return ConnectRequest{
		PID:   r.pid("pid", s.PIDSize),
		CID:   r.u32("cid"),
		Check: r.u32("check"),
	}, nil
}

// ConnectReply is the server's CONNECT reply payload for a request with
// the given check value: a Buffer holding u32(check+1), 8 bytes.
func ConnectReply(check uint32) []byte {
	b := binary.LittleEndian.AppendUint32(make([]byte, 0, 8), 4)
	return binary.LittleEndian.AppendUint32(b, check+1)
}

// ParseConnectReply checks that a secure server's CONNECT reply answers
// check (it must hold check+1); ErrBadCheck means the server could not
// read the request, typically a stale or foreign ticket.
func ParseConnectReply(payload []byte, check uint32) error {
	r := reader{b: payload}
	inner := reader{b: r.buffer("reply")}
	got := inner.u32("check value")
	if r.err == nil && inner.err == nil && (len(inner.b) != 0 || len(r.b) != 0) {
		r.err = fmt.Errorf("%w: %d unexpected trailing bytes", ErrMalformed, len(inner.b)+len(r.b))
	}
	if r.err == nil {
		r.err = inner.err
	}
	if r.err != nil {
		return fmt.Errorf("kerberos: connect reply: %w", r.err)
	}
	if got != check+1 {
		return fmt.Errorf("kerberos: connect reply: got %d, want %d: %w", got, check+1, ErrBadCheck)
	}
	return nil
}
