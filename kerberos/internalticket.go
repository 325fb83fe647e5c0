package kerberos

import (
	"crypto/md5"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/nexproxy/nexproxy/rmc"
)

// ticketKeySize is the length of the clear per-ticket key of version 1.
const ticketKeySize = 16

// TicketInfo is the plaintext of an internal (server) ticket: what the
// secure server learns about the user who presents it.
type TicketInfo struct {
	// Issued is when the authentication server made the ticket (UTC,
	// whole seconds on the wire).
	Issued time.Time
	// SourcePID is the user the ticket was issued to.
	SourcePID uint64
	// SessionKey is the same key the client ticket carries.
	SessionKey []byte
	// Extra holds bytes after the session key. NEX 4 logins append data
	// of unknown format; it is ignored but kept so a decoded ticket
	// re-encodes unchanged.
	Extra []byte
}

// EncryptInternalTicket seals info for the secure server whose key is
// targetKey, in the encoding of s.TicketVersion. Version 1 draws a fresh
// random ticket key.
func EncryptInternalTicket(targetKey []byte, info *TicketInfo, s Settings) ([]byte, error) {
	out, err := encryptInternalTicket(targetKey, info, s)
	if err != nil {
		return nil, fmt.Errorf("kerberos: encrypt internal ticket: %w", err)
	}
	return out, nil
}

func encryptInternalTicket(targetKey []byte, info *TicketInfo, s Settings) ([]byte, error) {
	var tk []byte
	if s.TicketVersion == 1 {
		tk = make([]byte, ticketKeySize)
		if _, err := rand.Read(tk); err != nil {
			return nil, fmt.Errorf("ticket key: %w", err)
		}
	}
	return sealInternal(targetKey, info, s, tk)
}

// sealInternal is encryptInternalTicket with a chosen ticket key, so tests
// can reproduce the deterministic vectors.
func sealInternal(targetKey []byte, info *TicketInfo, s Settings, ticketKey []byte) ([]byte, error) {
	plain, err := info.marshal(s)
	if err != nil {
		return nil, err
	}
	if s.TicketVersion == 0 {
		return seal(targetKey, plain)
	}
	sealed, err := seal(finalKey(targetKey, ticketKey), plain)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 8+len(ticketKey)+len(sealed))
	out = appendBuffer(out, ticketKey)
	return appendBuffer(out, sealed), nil
}

// ParseInternalTicket opens an internal ticket with the secure server's
// key. ErrBadMAC means the key is wrong: the ticket was sealed for another
// server (the only target check an internal ticket allows) or altered.
// The validity window is not checked here; see Verifier. The result does
// not alias blob.
func ParseInternalTicket(targetKey, blob []byte, s Settings) (*TicketInfo, error) {
	info, err := parseInternalTicket(targetKey, blob, s)
	if err != nil {
		return nil, fmt.Errorf("kerberos: parse internal ticket: %w", err)
	}
	return info, nil
}

func parseInternalTicket(targetKey, blob []byte, s Settings) (*TicketInfo, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	key, sealed := targetKey, blob
	if s.TicketVersion == 1 {
		r := reader{b: blob}
		tk := r.buffer("ticket key")
		sealed = r.buffer("sealed ticket info")
		if r.err == nil && len(r.b) > 0 {
			// Trailing bytes would let an attacker make a replay look new.
			r.err = fmt.Errorf("%w: %d bytes after the sealed ticket info", ErrMalformed, len(r.b))
		}
		if r.err != nil {
			return nil, r.err
		}
		key = finalKey(targetKey, tk)
	}
	plain, err := open(key, sealed)
	if err != nil {
		return nil, err
	}
	r := reader{b: plain}
	dt := r.u64("issue time")
	info := &TicketInfo{SourcePID: r.pid("source pid", s.PIDSize)}
	info.SessionKey = r.bytes("session key", s.KeySize)
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) > 0 {
		info.Extra = r.b
	}
	if info.Issued, err = timeOfDateTime(dt); err != nil {
		return nil, fmt.Errorf("issue time: %w", err)
	}
	return info, nil
}

// finalKey mixes the clear ticket key into the server key (version 1).
func finalKey(targetKey, ticketKey []byte) []byte {
	h := md5.New()
	h.Write(targetKey)
	h.Write(ticketKey)
	return h.Sum(nil)
}

func (i *TicketInfo) marshal(s Settings) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if len(i.SessionKey) != s.KeySize {
		return nil, fmt.Errorf("%w: session key of %d bytes, settings say %d", ErrInvalidSettings, len(i.SessionKey), s.KeySize)
	}
	if i.SourcePID > s.maxPID() {
		return nil, fmt.Errorf("%w: source pid %d does not fit %d bytes", ErrInvalidSettings, i.SourcePID, s.PIDSize)
	}
	b := make([]byte, 0, 8+s.PIDSize+s.KeySize+len(i.Extra))
	b = appendU64(b, uint64(rmc.DateTimeFromTime(i.Issued)))
	b = appendPID(b, i.SourcePID, s.PIDSize)
	b = append(b, i.SessionKey...)
	return append(b, i.Extra...), nil
}
