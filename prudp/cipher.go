package prudp

import (
	"crypto/md5"
	"fmt"
)

// DefaultKey is the RC4 key of the authentication connection (no ticket
// yet) and of every original Rendez-Vous packet.
const DefaultKey = "CD&ML"

// StreamCiphers holds the RC4 states of one direction of one connection,
// one per reliable substream (prudp.md §8.1). The states run continuously
// across packets and are never reset, so a connection keeps one
// StreamCiphers for sending and another, built from the same key, for
// receiving; packets go through it exactly once, in sequence order.
// Not safe for concurrent use.
type StreamCiphers struct {
	subs []rc4State
}

// NewStreamCiphers builds the states for substreams 0..maxSubstream. An
// empty sessionKey means the authentication connection: every substream
// uses DefaultKey unmodified. Otherwise substream 0 uses the session key
// and substream n the key of substream n-1 passed through ModifyKey.
func NewStreamCiphers(sessionKey []byte, maxSubstream uint8) (*StreamCiphers, error) {
	sc := &StreamCiphers{subs: make([]rc4State, int(maxSubstream)+1)}
	key := sessionKey
	if len(key) == 0 {
		key = []byte(DefaultKey)
	}
	for i := range sc.subs {
		if i > 0 && len(sessionKey) > 0 {
			key = ModifyKey(key)
		}
		if err := sc.subs[i].reset(key); err != nil {
			return nil, fmt.Errorf("prudp: stream cipher for substream %d: %w", i, err)
		}
	}
	return sc, nil
}

// Encrypt encrypts src into dst (which may be src itself; dst must be at
// least len(src) long) with the substream's state.
func (sc *StreamCiphers) Encrypt(substream uint8, dst, src []byte) error {
	return sc.xor(substream, dst, src)
}

// Decrypt decrypts src into dst like Encrypt (RC4 is symmetric; the name
// documents the direction the StreamCiphers serves).
func (sc *StreamCiphers) Decrypt(substream uint8, dst, src []byte) error {
	return sc.xor(substream, dst, src)
}

func (sc *StreamCiphers) xor(substream uint8, dst, src []byte) error {
	if int(substream) >= len(sc.subs) {
		return fmt.Errorf("%w: %d > %d", ErrSubstream, substream, len(sc.subs)-1)
	}
	if len(dst) < len(src) {
		return fmt.Errorf("prudp: rc4: %w: dst %d bytes < src %d", ErrShort, len(dst), len(src))
	}
	sc.subs[substream].xor(dst, src)
	return nil
}

// ModifyKey derives the key of the next substream (prudp.md §8.1): the
// first half of the key gets len/2+1-i added to byte i. It returns a new
// slice and leaves k untouched.
func ModifyKey(k []byte) []byte {
	out := make([]byte, len(k))
	copy(out, k)
	h := len(k) / 2
	for i := 0; i < h; i++ {
		out[i] += byte(h + 1 - i)
	}
	return out
}

// UnreliableBaseKey derives the base of the per-packet keys of unreliable
// DATA (prudp.md §8.2) from the session key. Without a session key
// (authentication connection) the base is 32 zero bytes, as NintendoClients
// does.
func UnreliableBaseKey(sessionKey []byte) [32]byte {
	var base [32]byte
	if len(sessionKey) == 0 {
		return base
	}
	buf := make([]byte, 0, len(sessionKey)+8)
	p1 := md5.Sum(append(append(buf, sessionKey...), 0x18, 0xd8, 0x23, 0x34, 0x37, 0xe4, 0xe3, 0xfe))
	p2 := md5.Sum(append(append(buf[:0], sessionKey...), 0x23, 0x3e, 0x60, 0x01, 0x23, 0xcd, 0xab, 0x80))
	copy(base[:16], p1[:])
	copy(base[16:], p2[:])
	return base
}

// UnreliableKeyFrom derives the key of one unreliable DATA packet from a
// base returned by UnreliableBaseKey. base is passed by value: each packet
// gets its own copy, so one packet's key never leaks into the next.
func UnreliableKeyFrom(base [32]byte, seq uint16, sessionID uint8) [32]byte {
	base[0] += byte(seq)
	base[1] += byte(seq >> 8)
	base[31] += sessionID
	return base
}

// UnreliableKey derives the RC4 key of one unreliable DATA packet from the
// session key and the packet's own sequence and session ids.
func UnreliableKey(sessionKey []byte, seq uint16, sessionID uint8) [32]byte {
	return UnreliableKeyFrom(UnreliableBaseKey(sessionKey), seq, sessionID)
}

// CryptUnreliable encrypts or decrypts (RC4 is symmetric) the payload of
// one unreliable DATA packet with a fresh RC4 state keyed by key.
func CryptUnreliable(key [32]byte, dst, src []byte) error {
	return cryptOnce(key[:], dst, src)
}

// rvBase is the initial RC4 state for DefaultKey, copied for every RV packet
// instead of re-running the key schedule.
var rvBase = func() rc4State {
	var c rc4State
	if err := c.reset([]byte(DefaultKey)); err != nil {
		panic(err) // a constant 5-byte key is always valid
	}
	return c
}()

// CryptRV encrypts or decrypts the payload of one original Rendez-Vous
// packet: RC4 with DefaultKey, a fresh state for every packet.
func CryptRV(dst, src []byte) error {
	if len(dst) < len(src) {
		return fmt.Errorf("prudp: rc4: %w: dst %d bytes < src %d", ErrShort, len(dst), len(src))
	}
	c := rvBase
	c.xor(dst, src)
	return nil
}

func cryptOnce(key, dst, src []byte) error {
	if len(dst) < len(src) {
		return fmt.Errorf("prudp: rc4: %w: dst %d bytes < src %d", ErrShort, len(dst), len(src))
	}
	var c rc4State
	if err := c.reset(key); err != nil {
		return err
	}
	c.xor(dst, src)
	return nil
}
