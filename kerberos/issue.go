package kerberos

import (
	"crypto/rand"
	"fmt"
	"time"
)

// Issuer makes client tickets for the secure server it describes: the
// built-in authentication server issues fresh ones, and a proxy re-issues
// upstream tickets so that consoles connect to its own secure endpoint.
type Issuer struct {
	// SecureKey is the key of the secure server the tickets are for (our
	// own when we are that server).
	SecureKey []byte
	// ServerPID is that server's account PID, the target of fresh tickets.
	ServerPID uint64
	// Settings are the title's Kerberos settings.
	Settings Settings
	// Now is the clock stamped into tickets; nil means time.Now.
	Now func() time.Time
}

// Reissued is the outcome of Issuer.Reissue.
type Reissued struct {
	// Ticket is the new client ticket for the console, encrypted with the
	// user's key.
	Ticket []byte
	// SessionKey is the fresh session key of the console leg.
	SessionKey []byte
	// Upstream is the decoded upstream ticket: its session key and
	// internal ticket open the proxy's own secure connection upstream.
	Upstream *ClientTicket
}

// Issue makes a client ticket for user sourcePID, whose key is userKey,
// with a fresh random session key. It returns the encrypted ticket and
// the session key the secure connection will use.
func (is *Issuer) Issue(userKey []byte, sourcePID uint64) (ticket, sessionKey []byte, err error) {
	ct, err := is.fresh(sourcePID, is.ServerPID, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("kerberos: issue ticket for %d: %w", sourcePID, err)
	}
	ticket, err = encryptClientTicket(userKey, ct, is.Settings)
	if err != nil {
		return nil, nil, fmt.Errorf("kerberos: issue ticket for %d: %w", sourcePID, err)
	}
	return ticket, ct.SessionKey, nil
}

// Reissue opens an upstream client ticket with the user's key and builds
// the console's replacement: a fresh session key and an internal ticket
// sealed with SecureKey, keeping the upstream target PID (the console
// compares it with the secure station URL's PID, which the proxy leaves
// alone) and any JSON attributes byte for byte. sourcePID is the user's
// PID from the login response, since a client ticket does not carry it.
func (is *Issuer) Reissue(userKey, upstream []byte, sourcePID uint64) (*Reissued, error) {
	up, err := decryptClientTicket(userKey, upstream, is.Settings)
	if err != nil {
		return nil, fmt.Errorf("kerberos: reissue ticket for %d: upstream ticket: %w", sourcePID, err)
	}
	ct, err := is.fresh(sourcePID, up.TargetPID, up.Attributes)
	if err != nil {
		return nil, fmt.Errorf("kerberos: reissue ticket for %d: %w", sourcePID, err)
	}
	ticket, err := encryptClientTicket(userKey, ct, is.Settings)
	if err != nil {
		return nil, fmt.Errorf("kerberos: reissue ticket for %d: %w", sourcePID, err)
	}
	return &Reissued{Ticket: ticket, SessionKey: ct.SessionKey, Upstream: up}, nil
}

// fresh builds a client ticket with a new session key and internal ticket.
func (is *Issuer) fresh(sourcePID, targetPID uint64, attributes []byte) (*ClientTicket, error) {
	if err := is.Settings.Validate(); err != nil {
		return nil, err
	}
	now := time.Now
	if is.Now != nil {
		now = is.Now
	}
	key := make([]byte, is.Settings.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	internal, err := encryptInternalTicket(is.SecureKey, &TicketInfo{
		Issued:     now(),
		SourcePID:  sourcePID,
		SessionKey: key,
	}, is.Settings)
	if err != nil {
		return nil, fmt.Errorf("internal ticket: %w", err)
	}
	return &ClientTicket{
		SessionKey:     key,
		TargetPID:      targetPID,
		InternalTicket: internal,
		Attributes:     attributes,
	}, nil
}
