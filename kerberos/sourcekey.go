package kerberos

import (
	"encoding/hex"
	"fmt"
)

// maxSourceKey is the longest key RC4 accepts; the Switch sends 16 bytes.
const maxSourceKey = 256

// SourceKeyFromHex decodes the source_key string of NEX 4 login and
// RequestTicket responses (Switch), which replaces password derivation.
// An empty string is an error here; UserKey treats it as "derive".
func SourceKeyFromHex(s string) ([]byte, error) {
	if s == "" || len(s) > 2*maxSourceKey {
		return nil, fmt.Errorf("kerberos: source key: %w: %d hex digits", ErrMalformed, len(s))
	}
	k, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("kerberos: source key: %w: %w", ErrMalformed, err)
	}
	return k, nil
}

// ToHex encodes a key the way source_key strings carry it (lower case),
// for a server that hands out keys itself.
func ToHex(key []byte) string {
	return hex.EncodeToString(key)
}

// UserKey returns the key that opens a user's client ticket: the explicit
// source key when the login response carried a non-empty one, otherwise
// the key derived from the password, through the cache (c may be nil).
func (c *KeyCache) UserKey(sourceKeyHex string, d Derivation, pid uint64, password string) ([]byte, error) {
	if sourceKeyHex != "" {
		return SourceKeyFromHex(sourceKeyHex)
	}
	return c.Key(d, pid, password)
}
