package prudp

import (
	"encoding/binary"
	"fmt"
)

// Option ids of the v1/Lite option block (prudp.md §4.3).
const (
	optSupport       = 0x00
	optConnSig       = 0x01
	optFragmentID    = 0x02
	optUnreliableSeq = 0x03
	optMaxSubstream  = 0x04
	optLiteSig       = 0x80
)

// optSet is a set of option ids, one bit each (0x80 maps to bit 5).
type optSet uint8

const (
	hasSupport optSet = 1 << iota
	hasConnSig
	hasFragmentID
	hasUnreliableSeq
	hasMaxSubstream
	hasLiteSig
)

// optionBit returns the set bit and the fixed value length of option id.
func optionBit(id byte) (optSet, int, bool) {
	switch id {
	case optSupport:
		return hasSupport, 4, true
	case optConnSig:
		return hasConnSig, 16, true
	case optFragmentID:
		return hasFragmentID, 1, true
	case optUnreliableSeq:
		return hasUnreliableSeq, 2, true
	case optMaxSubstream:
		return hasMaxSubstream, 1, true
	case optLiteSig:
		return hasLiteSig, 16, true
	}
	return 0, 0, false
}

// parseOptions decodes an option block into p and returns the ids seen.
// Unknown ids, wrong lengths, repeats and truncated values are rejected,
// as NintendoClients does; value slices alias b.
func parseOptions(b []byte, p *Packet) (optSet, error) {
	var seen optSet
	for i := 0; i < len(b); {
		if len(b)-i < 2 {
			return seen, fmt.Errorf("%w: truncated option header at offset %d", ErrOptions, i)
		}
		id, l := b[i], int(b[i+1])
		bit, want, ok := optionBit(id)
		if !ok {
			return seen, fmt.Errorf("%w: unknown option 0x%02x", ErrOptions, id)
		}
		if l != want {
			return seen, fmt.Errorf("%w: option 0x%02x has length %d, want %d", ErrOptions, id, l, want)
		}
		if seen&bit != 0 {
			return seen, fmt.Errorf("%w: option 0x%02x repeated", ErrOptions, id)
		}
		i += 2
		if len(b)-i < l {
			return seen, fmt.Errorf("%w: option 0x%02x value truncated", ErrOptions, id)
		}
		v := b[i : i+l : i+l]
		switch id {
		case optSupport:
			f := binary.LittleEndian.Uint32(v)
			p.MinorVersion = uint8(f)
			p.SupportedFunctions = f >> 8
		case optConnSig:
			p.ConnSignature = v
		case optFragmentID:
			p.FragmentID = v[0]
		case optUnreliableSeq:
			p.UnreliableStart = binary.LittleEndian.Uint16(v)
		case optMaxSubstream:
			p.MaxSubstream = v[0]
		case optLiteSig:
			p.LiteSignature = v
		}
		seen |= bit
		i += l
	}
	return seen, nil
}

// v1OptionSet is the exact option set a v1 packet of type t carries; both
// references emit exactly these and NintendoClients accepts nothing else.
func v1OptionSet(t PacketType) optSet {
	switch t {
	case TypeSyn:
		return hasSupport | hasConnSig | hasMaxSubstream
	case TypeConnect:
		return hasSupport | hasConnSig | hasUnreliableSeq | hasMaxSubstream
	case TypeData:
		return hasFragmentID
	}
	return 0
}

// liteOptionSet is the exact option set of a Lite packet (prudp.md §4.4).
func liteOptionSet(t PacketType, f Flags) optSet {
	switch {
	case t == TypeSyn && f&FlagAck != 0:
		return hasSupport | hasConnSig
	case t == TypeConnect && f&FlagAck == 0:
		return hasSupport | hasLiteSig
	case t == TypeSyn || t == TypeConnect:
		return hasSupport
	}
	return 0
}

func checkOptionSet(got, want optSet, t PacketType) error {
	if got != want {
		return fmt.Errorf("%w: %s carries option set %#x, want %#x", ErrOptions, t, uint8(got), uint8(want))
	}
	return nil
}

func appendOption(dst []byte, id byte, v []byte) []byte {
	return append(append(dst, id, byte(len(v))), v...)
}

func appendSupport(dst []byte, p *Packet) ([]byte, error) {
	if p.SupportedFunctions > 0xFFFFFF {
		return dst, fmt.Errorf("%w: supported functions %#x exceed 24 bits", ErrRange, p.SupportedFunctions)
	}
	dst = append(dst, optSupport, 4)
	return binary.LittleEndian.AppendUint32(dst, uint32(p.MinorVersion)|p.SupportedFunctions<<8), nil
}

// append16 appends a 16-byte option value; nil stands for 16 zero bytes
// (the connection signature of a client SYN or a CONNECT reply).
func append16(dst []byte, id byte, v []byte, what string) ([]byte, error) {
	switch len(v) {
	case 0:
		var zero [16]byte
		return appendOption(dst, id, zero[:]), nil
	case 16:
		return appendOption(dst, id, v), nil
	}
	return dst, fmt.Errorf("%w: %s is %d bytes, want 16", ErrRange, what, len(v))
}

// appendV1Options builds the option block of p in the references'
// emission order: 0, 1, [3], 4 for SYN/CONNECT and 2 for DATA.
func appendV1Options(dst []byte, p *Packet) ([]byte, error) {
	var err error
	switch p.Type {
	case TypeSyn, TypeConnect:
		if dst, err = appendSupport(dst, p); err != nil {
			return dst, err
		}
		if dst, err = append16(dst, optConnSig, p.ConnSignature, "connection signature"); err != nil {
			return dst, err
		}
		if p.Type == TypeConnect {
			dst = append(dst, optUnreliableSeq, 2)
			dst = binary.LittleEndian.AppendUint16(dst, p.UnreliableStart)
		}
		dst = append(dst, optMaxSubstream, 1, p.MaxSubstream)
	case TypeData:
		dst = append(dst, optFragmentID, 1, p.FragmentID)
	}
	return dst, nil
}
