package kerberos

import (
	"errors"
	"fmt"
)

// Derivation selects how a password becomes a 16-byte Kerberos key. The
// values equal NintendoClients' kerberos.key_derivation setting.
type Derivation int

const (
	// DerivationOld iterates MD5 65000 + pid%1024 times (3DS, Wii U).
	DerivationOld Derivation = 0
	// DerivationNew is md5(md5(password) || u64le(pid)) (Switch).
	DerivationNew Derivation = 1
)

// String names the method for logs and configuration errors.
func (d Derivation) String() string {
	switch d {
	case DerivationOld:
		return "old"
	case DerivationNew:
		return "new"
	}
	return fmt.Sprintf("Derivation(%d)", int(d))
}

// Settings are the per-title Kerberos parameters. A mismatch with what the
// console expects shows up only as a MAC failure or a garbled session key,
// so every entry point validates them first.
type Settings struct {
	// KeySize is the session key length: 16 (friends server) or 32.
	KeySize int
	// PIDSize is the PID width on the wire: 4 (3DS, Wii U) or 8 (Switch).
	PIDSize int
	// TicketVersion is the internal ticket encoding: 0 (encrypted info
	// only) or 1 (clear ticket key + info encrypted with a key mixed from
	// it; every known title).
	TicketVersion int
	// Derivation is how passwords become keys for this title.
	Derivation Derivation
}

// Validate reports every setting outside the values NEX uses, joined.
func (s Settings) Validate() error {
	var errs []error
	if s.KeySize != 16 && s.KeySize != 32 {
		errs = append(errs, fmt.Errorf("key size %d: want 16 or 32", s.KeySize))
	}
	if s.PIDSize != 4 && s.PIDSize != 8 {
		errs = append(errs, fmt.Errorf("pid size %d: want 4 or 8", s.PIDSize))
	}
	if s.TicketVersion != 0 && s.TicketVersion != 1 {
		errs = append(errs, fmt.Errorf("ticket version %d: want 0 or 1", s.TicketVersion))
	}
	if s.Derivation != DerivationOld && s.Derivation != DerivationNew {
		errs = append(errs, fmt.Errorf("derivation %d: want 0 (old) or 1 (new)", int(s.Derivation)))
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("kerberos: %w: %w", ErrInvalidSettings, errors.Join(errs...))
}

// maxPID is the largest PID that fits the configured width; a wider value
// would be silently truncated on the wire and name another user.
func (s Settings) maxPID() uint64 {
	if s.PIDSize == 4 {
		return 1<<32 - 1
	}
	return 1<<64 - 1
}
