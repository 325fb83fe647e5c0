package kerberos

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"time"
)

// Defaults of VerifierConfig.
const (
	// DefaultWindow is how long an internal ticket stays valid, as both
	// reference servers enforce.
	DefaultWindow = 120 * time.Second
	// DefaultMaxSkew is how far in the future an issue time may lie, for
	// an authentication server whose clock runs ahead of ours.
	DefaultMaxSkew = 30 * time.Second
	// DefaultReplayEntries bounds the replay memory: 400 logins/s for a
	// full window with room to spare, about 20 MB when full.
	DefaultReplayEntries = 1 << 17
)

// VerifierConfig describes the secure server a Verifier stands for.
type VerifierConfig struct {
	// SecureKey is this secure server's Kerberos key (the target key of
	// the tickets it accepts), derived from its account's password.
	SecureKey []byte
	// ServerPID is this secure server's account PID, which client tickets
	// must name as their target (see CheckTarget).
	ServerPID uint64
	// Settings are the title's Kerberos settings.
	Settings Settings
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
	// Window is the ticket lifetime; 0 means DefaultWindow.
	Window time.Duration
	// MaxSkew is how far ahead of Now an issue time may be; 0 means
	// DefaultMaxSkew.
	MaxSkew time.Duration
	// MaxReplayEntries caps the replay memory; 0 means
	// DefaultReplayEntries.
	MaxReplayEntries int
}

// Verifier checks the secure CONNECT payloads a secure server receives.
// It is safe for concurrent use and starts no goroutines.
//
// What it checks, in order: the internal ticket opens with SecureKey (a
// ticket sealed for another server fails here with ErrBadMAC, since the
// ticket info itself does not name its target); the ticket was issued
// within Window before Now and at most MaxSkew after it; the request
// opens with the ticket's session key, is pid size + 8 bytes long and
// names the ticket's source PID; and the same ticket and request were not
// accepted before while the ticket is valid (ErrReplay).
//
// Every call counts as a new connection attempt: the PRUDP layer answers
// a retransmitted CONNECT on a live connection with its stored reply and
// does not call Verify again.
type Verifier struct {
	key       []byte
	serverPID uint64
	settings  Settings
	now       func() time.Time
	window    time.Duration
	skew      time.Duration
	replay    *replayCache
}

// ConnectResult is what an accepted CONNECT establishes.
type ConnectResult struct {
	// PID is the authenticated user.
	PID uint64
	// CID is the connection id the client asked for.
	CID uint32
	// SessionKey keys PRUDP encryption and signatures on this connection.
	SessionKey []byte
	// Issued is the ticket's issue time.
	Issued time.Time
	// Response is the CONNECT reply payload: 04000000 || u32(check+1).
	Response []byte
}

// NewVerifier validates cfg and returns a ready Verifier.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if err := cfg.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("kerberos: new verifier: %w", err)
	}
	if n := len(cfg.SecureKey); n < 1 || n > 256 {
		return nil, fmt.Errorf("kerberos: new verifier: secure key of %d bytes: %w", n, ErrInvalidSettings)
	}
	if cfg.Window < 0 || cfg.MaxSkew < 0 || cfg.MaxReplayEntries < 0 {
		return nil, fmt.Errorf("kerberos: new verifier: negative window, skew or replay size: %w", ErrInvalidSettings)
	}
	v := &Verifier{
		key:       append([]byte(nil), cfg.SecureKey...),
		serverPID: cfg.ServerPID,
		settings:  cfg.Settings,
		now:       cfg.Now,
		window:    cmp.Or(cfg.Window, DefaultWindow),
		skew:      cmp.Or(cfg.MaxSkew, DefaultMaxSkew),
		replay:    newReplayCache(cmp.Or(cfg.MaxReplayEntries, DefaultReplayEntries)),
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// Verify checks a secure CONNECT payload and returns what the connection
// needs. Errors wrap ErrMalformed, ErrBadMAC, ErrExpired, ErrNotYetValid,
// ErrPIDMismatch or ErrReplay.
func (v *Verifier) Verify(payload []byte) (*ConnectResult, error) {
	ticket, request, err := splitConnectPayload(payload)
	if err != nil {
		return nil, fmt.Errorf("kerberos: verify: payload: %w", err)
	}
	info, err := parseInternalTicket(v.key, ticket, v.settings)
	if err != nil {
		return nil, fmt.Errorf("kerberos: verify: internal ticket: %w", err)
	}
	now := v.now()
	if age := now.Sub(info.Issued); age > v.window {
		return nil, fmt.Errorf("kerberos: verify: issued %s, %s ago (limit %s): %w", info.Issued.Format(time.DateTime), age.Truncate(time.Second), v.window, ErrExpired)
	} else if -age > v.skew {
		return nil, fmt.Errorf("kerberos: verify: issued %s, %s ahead of now (limit %s): %w", info.Issued.Format(time.DateTime), (-age).Truncate(time.Second), v.skew, ErrNotYetValid)
	}
	req, err := decryptConnectRequest(info.SessionKey, request, v.settings)
	if err != nil {
		return nil, fmt.Errorf("kerberos: verify: request: %w", err)
	}
	if req.PID != info.SourcePID {
		return nil, fmt.Errorf("kerberos: verify: request pid %d, ticket pid %d: %w", req.PID, info.SourcePID, ErrPIDMismatch)
	}
	// The two Buffers are hashed, not the whole payload, so trailing
	// bytes cannot make a replay look new; the ticket and request bytes
	// are themselves fixed by their MACs.
	seen := sha256.Sum256(payload[:8+len(ticket)+len(request)])
	if !v.replay.admit(seen, info.Issued.Add(v.window), now) {
		return nil, fmt.Errorf("kerberos: verify: pid %d cid %d: %w", req.PID, req.CID, ErrReplay)
	}
	return &ConnectResult{
		PID:        req.PID,
		CID:        req.CID,
		SessionKey: info.SessionKey,
		Issued:     info.Issued,
		Response:   ConnectReply(req.Check),
	}, nil
}

// CheckTarget reports ErrWrongTarget unless the client ticket names this
// server. The internal ticket cannot tell (its target is implied by the
// key that opens it), so issuers and proxies check the client ticket.
func (v *Verifier) CheckTarget(t *ClientTicket) error {
	return t.CheckTarget(v.serverPID)
}
