package kerberos

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
)

// Iteration counts of the old derivation: 65000 MD5 rounds plus pid%1024.
const (
	oldBaseRounds = 65000
	oldPIDModulus = 1024
)

// DeriveKey turns a password into the 16-byte Kerberos key of the account
// pid. The same function serves users (source key) and the secure server
// account (target key). The old method costs ~65000 MD5 rounds, which is
// why servers should go through a KeyCache.
func DeriveKey(d Derivation, pid uint64, password string) ([]byte, error) {
	switch d {
	case DerivationOld:
		k := deriveOld(pid, password)
		return k[:], nil
	case DerivationNew:
		k := deriveNew(pid, password)
		return k[:], nil
	}
	return nil, fmt.Errorf("kerberos: derive key: %w: derivation %d", ErrInvalidSettings, int(d))
}

// Both methods see the password only through md5(password), which lets
// KeyCache key its entries by that digest instead of keeping passwords.

func deriveOld(pid uint64, password string) [md5.Size]byte {
	return deriveOldFrom(md5.Sum([]byte(password)), pid)
}

func deriveNew(pid uint64, password string) [md5.Size]byte {
	return deriveNewFrom(md5.Sum([]byte(password)), pid)
}

// deriveOldFrom continues the old method after its first round, h.
func deriveOldFrom(h [md5.Size]byte, pid uint64) [md5.Size]byte {
	for n := oldBaseRounds + pid%oldPIDModulus - 1; n > 0; n-- {
		h = md5.Sum(h[:])
	}
	return h
}

// deriveNewFrom finishes the new method from h = md5(password).
func deriveNewFrom(h [md5.Size]byte, pid uint64) [md5.Size]byte {
	var buf [md5.Size + 8]byte
	copy(buf[:], h[:])
	binary.LittleEndian.PutUint64(buf[md5.Size:], pid)
	return md5.Sum(buf[:])
}
