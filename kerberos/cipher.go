package kerberos

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"fmt"
)

// macSize is the HMAC-MD5 tag appended to every Kerberos blob.
const macSize = md5.Size

// Encrypt seals plain under key the way NEX does: a fresh RC4 stream (no
// keystream drop) followed by HMAC-MD5(key, ciphertext). The result is
// len(plain)+16 bytes. RC4 accepts keys of 1 to 256 bytes; anything else
// is a caller bug and reported as an error rather than a panic.
func Encrypt(key, plain []byte) ([]byte, error) {
	out, err := seal(key, plain)
	if err != nil {
		return nil, fmt.Errorf("kerberos: encrypt: %w", err)
	}
	return out, nil
}

// Decrypt checks the HMAC of blob in constant time and only then decrypts,
// so a wrong key or a flipped bit yields ErrBadMAC, never garbage. The
// input is not modified.
func Decrypt(key, blob []byte) ([]byte, error) {
	out, err := open(key, blob)
	if err != nil {
		return nil, fmt.Errorf("kerberos: decrypt: %w", err)
	}
	return out, nil
}

// seal and open are Encrypt and Decrypt with errors left for the caller
// to put in context.
func seal(key, plain []byte) ([]byte, error) {
	c, err := rc4.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: key of %d bytes, RC4 takes 1 to 256", ErrInvalidSettings, len(key))
	}
	out := make([]byte, len(plain), len(plain)+macSize)
	c.XORKeyStream(out, plain)
	return mac(out, key, out), nil
}

func open(key, blob []byte) ([]byte, error) {
	if len(blob) < macSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte MAC", ErrMalformed, len(blob), macSize)
	}
	c, err := rc4.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: key of %d bytes, RC4 takes 1 to 256", ErrInvalidSettings, len(key))
	}
	body, tag := blob[:len(blob)-macSize], blob[len(blob)-macSize:]
	if !hmac.Equal(mac(nil, key, body), tag) {
		return nil, ErrBadMAC
	}
	out := make([]byte, len(body))
	c.XORKeyStream(out, body)
	return out, nil
}

// mac returns HMAC-MD5(key, data), appended to dst.
func mac(dst, key, data []byte) []byte {
	m := hmac.New(md5.New, key)
	m.Write(data)
	return m.Sum(dst)
}
