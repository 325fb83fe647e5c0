package kerberos

import (
	"fmt"
)

// ClientTicket is what the authentication server returns to a user,
// encrypted with the user's key. The user reads the session key from it
// and passes InternalTicket, unopened, to the secure server.
type ClientTicket struct {
	// SessionKey keys the secure connection (Settings.KeySize bytes).
	SessionKey []byte
	// TargetPID is the principal the ticket is for: the secure server
	// account. A client compares it with the PID of the secure station URL.
	TargetPID uint64
	// InternalTicket is the server ticket, sealed for the target.
	InternalTicket []byte
	// Attributes is the content of the optional trailing Buffer that NEX
	// 4.3+ adds in tickets from ValidateAndRequestTicketWithCustomData /
	// WithParam: a NUL-terminated JSON string, kept byte for byte. Nil
	// means the Buffer is absent; an empty non-nil slice is an empty
	// Buffer.
	Attributes []byte
}

// EncryptClientTicket encodes t for settings s and encrypts it with the
// user's key.
func EncryptClientTicket(userKey []byte, t *ClientTicket, s Settings) ([]byte, error) {
	out, err := encryptClientTicket(userKey, t, s)
	if err != nil {
		return nil, fmt.Errorf("kerberos: encrypt client ticket: %w", err)
	}
	return out, nil
}

func encryptClientTicket(userKey []byte, t *ClientTicket, s Settings) ([]byte, error) {
	body, err := t.marshal(s)
	if err != nil {
		return nil, err
	}
	return seal(userKey, body)
}

// DecryptClientTicket verifies and decodes a client ticket. ErrBadMAC
// means the user key is wrong (wrong password or derivation). The result
// does not alias blob. Bytes after the attributes Buffer are refused so
// that re-encrypting a decoded ticket always reproduces the original.
func DecryptClientTicket(userKey, blob []byte, s Settings) (*ClientTicket, error) {
	t, err := decryptClientTicket(userKey, blob, s)
	if err != nil {
		return nil, fmt.Errorf("kerberos: decrypt client ticket: %w", err)
	}
	return t, nil
}

func decryptClientTicket(userKey, blob []byte, s Settings) (*ClientTicket, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	body, err := open(userKey, blob)
	if err != nil {
		return nil, err
	}
	r := reader{b: body}
	t := &ClientTicket{
		SessionKey: r.bytes("session key", s.KeySize),
		TargetPID:  r.pid("target pid", s.PIDSize),
	}
	t.InternalTicket = r.buffer("internal ticket")
	if r.err == nil && len(r.b) > 0 {
		t.Attributes = r.buffer("attributes")
		if r.err == nil && len(r.b) > 0 {
			r.err = fmt.Errorf("%w: %d bytes after the attributes", ErrMalformed, len(r.b))
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return t, nil
}

// CheckTarget reports ErrWrongTarget unless the ticket is for serverPID.
// The secure server cannot make this check itself (the internal ticket
// does not name its target; a ticket sealed for another server simply
// fails its MAC), so clients and proxies check the client ticket instead.
func (t *ClientTicket) CheckTarget(serverPID uint64) error {
	if t.TargetPID != serverPID {
		return fmt.Errorf("kerberos: client ticket target %d, want %d: %w", t.TargetPID, serverPID, ErrWrongTarget)
	}
	return nil
}

func (t *ClientTicket) marshal(s Settings) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if len(t.SessionKey) != s.KeySize {
		return nil, fmt.Errorf("%w: session key of %d bytes, settings say %d", ErrInvalidSettings, len(t.SessionKey), s.KeySize)
	}
	if t.TargetPID > s.maxPID() {
		return nil, fmt.Errorf("%w: target pid %d does not fit %d bytes", ErrInvalidSettings, t.TargetPID, s.PIDSize)
	}
	b := make([]byte, 0, s.KeySize+s.PIDSize+4+len(t.InternalTicket)+4+len(t.Attributes))
	b = append(b, t.SessionKey...)
	b = appendPID(b, t.TargetPID, s.PIDSize)
	b = appendBuffer(b, t.InternalTicket)
	if t.Attributes != nil {
		b = appendBuffer(b, t.Attributes)
	}
	return b, nil
}
