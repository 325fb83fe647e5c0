package prudp

import "fmt"

// rc4State is one RC4 keystream, the cipher PRUDP mandates for its
// payloads. It keeps its permutation in bytes, 258 bytes in all where
// crypto/rc4 keeps 1,032: every connection holds two (one per direction)
// for as long as it lives, and a server holds thousands of idle ones.
type rc4State struct {
	s    [256]byte
	i, j uint8
}

// reset keys the state (the RC4 key schedule). A key is 1 to 256 bytes.
func (c *rc4State) reset(key []byte) error {
	if len(key) < 1 || len(key) > 256 {
		return fmt.Errorf("prudp: rc4: key of %d bytes, want 1 to 256", len(key))
	}
	for i := range c.s {
		c.s[i] = byte(i)
	}
	var j uint8
	for i := range c.s {
		j += c.s[i] + key[i%len(key)]
		c.s[i], c.s[j] = c.s[j], c.s[i]
	}
	c.i, c.j = 0, 0
	return nil
}

// xor writes src XOR the next len(src) keystream bytes to dst, which is
// at least as long as src and may be src itself.
func (c *rc4State) xor(dst, src []byte) {
	i, j := c.i, c.j
	s := &c.s
	dst = dst[:len(src)] // one bounds check for the loop
	for k, b := range src {
		i++
		x := s[i]
		j += x
		y := s[j]
		s[i], s[j] = y, x
		dst[k] = b ^ s[x+y]
	}
	c.i, c.j = i, j
}
