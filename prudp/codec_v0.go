package prudp

import (
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"slices"
)

// codecV0 is the PRUDPv0 wire format (prudp.md §4.2) and, with variant RV,
// the original Rendez-Vous format (§4.1): the same layout, but every
// packet after the SYN is signed with the connection signature.
type codecV0 struct {
	variant  Variant
	name     string // for error messages: "v0" or "rv"
	flagsV   int    // 0: u8 type|flags<<3, 1: u16 type|flags<<4
	csumSize int    // 1 or 4
	sigV     int    // 0: data signature A, 1: data signature B (friends)
	base     uint32 // checksum base
	sg       *signer
}

func newCodecV0(s *Settings) (*codecV0, error) {
	if s.FlagsVersion != 0 && s.FlagsVersion != 1 {
		return nil, fmt.Errorf("prudp: new codec: flags_version must be 0 or 1, not %d", s.FlagsVersion)
	}
	if s.ChecksumSize != 1 && s.ChecksumSize != 4 {
		return nil, fmt.Errorf("prudp: new codec: checksum_size must be 1 or 4, not %d", s.ChecksumSize)
	}
	if s.SignatureVersion != 0 && s.SignatureVersion != 1 {
		return nil, fmt.Errorf("prudp: new codec: signature_version must be 0 or 1, not %d", s.SignatureVersion)
	}
	return &codecV0{
		variant:  s.Variant,
		name:     s.Variant.String(),
		flagsV:   s.FlagsVersion,
		csumSize: s.ChecksumSize,
		sigV:     s.SignatureVersion,
		base:     ChecksumBase(s.AccessKey),
		sg:       newSigner(s.AccessKey),
	}, nil
}

func (c *codecV0) Variant() Variant { return c.variant }

// headerSize is the fixed header before the packet-specific data.
func (c *codecV0) headerSize() int { return 10 + c.flagsV }

func (c *codecV0) short(what string, have, need int) error {
	return fmt.Errorf("prudp: %s: %w: %s needs %d bytes, %d left", c.name, ErrShort, what, need, have)
}

func (c *codecV0) Decode(buf []byte) (Packet, int, error) {
	var p Packet
	hs := c.headerSize()
	if len(buf) < hs+c.csumSize {
		return p, 0, c.short("header", len(buf), hs+c.csumSize)
	}
	p.Source = VPort{Type: StreamType(buf[0] >> 4), Port: buf[0] & 0xF}
	p.Dest = VPort{Type: StreamType(buf[1] >> 4), Port: buf[1] & 0xF}
	var o int // offset of the session id
	if c.flagsV == 0 {
		p.Type = PacketType(buf[2] & 7)
		p.Flags = Flags(buf[2] >> 3)
		o = 3
	} else {
		tf := binary.LittleEndian.Uint16(buf[2:])
		p.Type = PacketType(tf & 0xF)
		p.Flags = Flags(tf >> 4)
		o = 4
	}
	p.SessionID = buf[o]
	p.Signature = buf[o+1 : o+5 : o+5]
	p.Sequence = binary.LittleEndian.Uint16(buf[o+5:])
	o += 7
	// Packet-specific data; every read leaves room for the checksum.
	avail := func() int { return len(buf) - o - c.csumSize }
	if p.Type == TypeSyn || p.Type == TypeConnect {
		if avail() < 4 {
			return Packet{}, 0, c.short("connection signature", avail(), 4)
		}
		p.ConnSignature = buf[o : o+4 : o+4]
		o += 4
	}
	if p.Type == TypeData {
		if avail() < 1 {
			return Packet{}, 0, c.short("fragment id", avail(), 1)
		}
		p.FragmentID = buf[o]
		o++
	}
	size := avail()
	if p.Flags&FlagHasSize != 0 {
		if avail() < 2 {
			return Packet{}, 0, c.short("payload size", avail(), 2)
		}
		size = int(binary.LittleEndian.Uint16(buf[o:]))
		o += 2
		if avail() < size {
			return Packet{}, 0, c.short("payload", avail(), size)
		}
	}
	p.Payload = buf[o : o+size : o+size]
	end := o + size
	if got, want := c.readChecksum(buf[end:]), c.checksum(buf[:end]); got != want {
		return Packet{}, 0, fmt.Errorf("prudp: %s: %s seq %d: %w: got %#x, want %#x",
			c.name, p.Type, p.Sequence, ErrChecksum, got, want)
	}
	return p, end + c.csumSize, nil
}

func (c *codecV0) checksum(data []byte) uint32 {
	if c.csumSize == 4 {
		return Checksum32(data, c.base)
	}
	return uint32(Checksum8(data, c.base))
}

func (c *codecV0) readChecksum(b []byte) uint32 {
	if c.csumSize == 4 {
		return binary.LittleEndian.Uint32(b)
	}
	return uint32(b[0])
}

// signature computes the 4-byte packet signature per prudp.md §6.2 (v0)
// or §4.1 (RV). The rule depends on the packet type only, never on ACK.
func (c *codecV0) signature(p *Packet, sc SigContext) ([4]byte, error) {
	var zero [4]byte
	if p.Type == TypeSyn {
		return zero, nil
	}
	if c.variant == V0 {
		switch {
		case p.Type == TypeData && c.sigV == 0:
			return c.sg.dataSigA(sc.SessionKey, p.Sequence, p.FragmentID, p.Payload), nil
		case p.Type == TypeData:
			return c.sg.dataSigB(p.Payload), nil
		case p.Type == TypeDisconnect && c.sigV == 0:
			return c.sg.dataSigA(sc.SessionKey, p.Sequence, 0, p.Payload), nil
		}
	}
	switch len(sc.ConnSig) {
	case 0:
		return zero, nil
	case 4:
		return [4]byte(sc.ConnSig), nil
	}
	return zero, fmt.Errorf("%w: connection signature is %d bytes, want 4", ErrRange, len(sc.ConnSig))
}

func (c *codecV0) Verify(p *Packet, raw []byte, sc SigContext) error {
	want, err := c.signature(p, sc)
	if err != nil {
		return fmt.Errorf("prudp: %s: verify: %w", c.name, err)
	}
	if len(p.Signature) != 4 || subtle.ConstantTimeCompare(want[:], p.Signature) != 1 {
		return fmt.Errorf("prudp: %s: %s seq %d: %w", c.name, p.Type, p.Sequence, ErrSignature)
	}
	return nil
}

func (c *codecV0) Append(dst []byte, p *Packet, sc SigContext) ([]byte, error) {
	if err := c.checkFields(p); err != nil {
		return dst, fmt.Errorf("prudp: %s: %w", c.name, err)
	}
	sig, err := c.signature(p, sc)
	if err != nil {
		return dst, fmt.Errorf("prudp: %s: %w", c.name, err)
	}
	start := len(dst)
	dst = slices.Grow(dst, c.headerSize()+7+len(p.Payload)+c.csumSize)
	dst = append(dst, byte(p.Source.Type)<<4|p.Source.Port, byte(p.Dest.Type)<<4|p.Dest.Port)
	if c.flagsV == 0 {
		dst = append(dst, byte(p.Type)|byte(p.Flags)<<3)
	} else {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(p.Type)|uint16(p.Flags)<<4)
	}
	dst = append(dst, p.SessionID)
	dst = append(dst, sig[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, p.Sequence)
	if p.Type == TypeSyn || p.Type == TypeConnect {
		if len(p.ConnSignature) == 0 {
			dst = append(dst, 0, 0, 0, 0)
		} else {
			dst = append(dst, p.ConnSignature...)
		}
	}
	if p.Type == TypeData {
		dst = append(dst, p.FragmentID)
	}
	if p.Flags&FlagHasSize != 0 {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(len(p.Payload)))
	}
	dst = append(dst, p.Payload...)
	sum := c.checksum(dst[start:])
	if c.csumSize == 4 {
		return binary.LittleEndian.AppendUint32(dst, sum), nil
	}
	return append(dst, byte(sum)), nil
}

func (c *codecV0) checkFields(p *Packet) error {
	if err := checkNibblePorts(p); err != nil {
		return err
	}
	if c.flagsV == 0 && (p.Type > 7 || p.Flags > 0x1F) {
		return fmt.Errorf("%w: type %d / flags %s do not fit the one-byte field", ErrRange, p.Type, p.Flags)
	}
	if c.flagsV == 1 && (p.Type > 0xF || p.Flags > 0xFFF) {
		return fmt.Errorf("%w: type %d / flags %#x do not fit the two-byte field", ErrRange, p.Type, uint16(p.Flags))
	}
	if (p.Type == TypeSyn || p.Type == TypeConnect) && len(p.ConnSignature) != 0 && len(p.ConnSignature) != 4 {
		return fmt.Errorf("%w: connection signature is %d bytes, want 4", ErrRange, len(p.ConnSignature))
	}
	if p.Flags&FlagHasSize != 0 && len(p.Payload) > 0xFFFF {
		return fmt.Errorf("%w: payload %d bytes with HAS_SIZE", ErrRange, len(p.Payload))
	}
	return nil
}
