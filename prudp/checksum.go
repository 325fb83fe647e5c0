package prudp

import "encoding/binary"

// ChecksumBase is the seed of the v0/RV checksum: the sum of the access
// key's bytes (prudp.md §5).
func ChecksumBase(accessKey string) uint32 {
	var s uint32
	for i := 0; i < len(accessKey); i++ {
		s += uint32(accessKey[i])
	}
	return s
}

// Checksum8 is the 1-byte checksum used by every NEX v0 title: the base,
// the bytes after the last whole u32 and the four bytes of the u32 word
// sum, added modulo 256.
func Checksum8(data []byte, base uint32) uint8 {
	whole := len(data) &^ 3
	var wsum uint32
	for i := 0; i < whole; i += 4 {
		wsum += binary.LittleEndian.Uint32(data[i:])
	}
	c := base + wsum + wsum>>8 + wsum>>16 + wsum>>24
	for _, b := range data[whole:] {
		c += uint32(b)
	}
	return uint8(c)
}

// Checksum32 is the 4-byte checksum some Rendez-Vous titles use: the low
// byte of the base plus the u32 word sum of the zero-padded data.
func Checksum32(data []byte, base uint32) uint32 {
	whole := len(data) &^ 3
	c := base & 0xFF
	for i := 0; i < whole; i += 4 {
		c += binary.LittleEndian.Uint32(data[i:])
	}
	var tail [4]byte
	copy(tail[:], data[whole:])
	return c + binary.LittleEndian.Uint32(tail[:])
}
