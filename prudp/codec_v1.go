package prudp

import (
	"crypto/hmac"
	"encoding/binary"
	"fmt"
	"slices"
)

// v1HeaderSize is the fixed part of a PRUDPv1 packet: magic, 12-byte
// header and 16-byte signature.
const v1HeaderSize = 30

// codecV1 is the PRUDPv1 wire format (prudp.md §4.3, §6.3).
type codecV1 struct {
	sg *signer
}

func newCodecV1(accessKey string) *codecV1 { return &codecV1{sg: newSigner(accessKey)} }

func (c *codecV1) Variant() Variant { return V1 }

// IsV1 reports whether a UDP datagram starts like a PRUDPv1 packet
// (prudp.md §1: a v0 packet cannot start with EA D0).
func IsV1(datagram []byte) bool {
	return len(datagram) >= 3 && datagram[0] == 0xEA && datagram[1] == 0xD0 && datagram[2] == 0x01
}

// v1Sizes returns the option and payload lengths announced by a v1
// header and the total packet length.
func v1Sizes(buf []byte) (optLen, payLen, total int, err error) {
	if len(buf) < v1HeaderSize {
		return 0, 0, 0, fmt.Errorf("prudp: v1: %w: %d bytes, header needs %d", ErrShort, len(buf), v1HeaderSize)
	}
	if buf[0] != 0xEA || buf[1] != 0xD0 {
		return 0, 0, 0, fmt.Errorf("prudp: v1: %w: % x", ErrMagic, buf[:2])
	}
	if buf[2] != 1 {
		return 0, 0, 0, fmt.Errorf("prudp: v1: %w: version %d", ErrMagic, buf[2])
	}
	optLen = int(buf[3])
	payLen = int(binary.LittleEndian.Uint16(buf[4:]))
	total = v1HeaderSize + optLen + payLen
	if len(buf) < total {
		return 0, 0, 0, fmt.Errorf("prudp: v1: %w: %d bytes, packet needs %d", ErrShort, len(buf), total)
	}
	return optLen, payLen, total, nil
}

func (c *codecV1) Decode(buf []byte) (Packet, int, error) {
	var p Packet
	optLen, _, total, err := v1Sizes(buf)
	if err != nil {
		return p, 0, err
	}
	p.Source = VPort{Type: StreamType(buf[6] >> 4), Port: buf[6] & 0xF}
	p.Dest = VPort{Type: StreamType(buf[7] >> 4), Port: buf[7] & 0xF}
	tf := binary.LittleEndian.Uint16(buf[8:])
	p.Type = PacketType(tf & 0xF)
	p.Flags = Flags(tf >> 4)
	p.SessionID = buf[10]
	p.Substream = buf[11]
	p.Sequence = binary.LittleEndian.Uint16(buf[12:])
	p.Signature = buf[14:30:30]
	optEnd := v1HeaderSize + optLen
	p.Options = buf[v1HeaderSize:optEnd:optEnd]
	seen, err := parseOptions(p.Options, &p)
	if err != nil {
		return Packet{}, 0, fmt.Errorf("prudp: v1: %w", err)
	}
	if err := checkOptionSet(seen, v1OptionSet(p.Type), p.Type); err != nil {
		return Packet{}, 0, fmt.Errorf("prudp: v1: %w", err)
	}
	p.Payload = buf[optEnd:total:total]
	return p, total, nil
}

// v1SigInputs applies the table of prudp.md §6.3: SYN signs without
// session key and connection signature, CONNECT without session key.
func v1SigInputs(t PacketType, sc SigContext) (sessionKey, connSig []byte) {
	switch t {
	case TypeSyn:
		return nil, nil
	case TypeConnect:
		return nil, sc.ConnSig
	}
	return sc.SessionKey, sc.ConnSig
}

func (c *codecV1) Verify(p *Packet, raw []byte, sc SigContext) error {
	_, _, total, err := v1Sizes(raw)
	if err != nil {
		return err
	}
	if total != len(raw) {
		return fmt.Errorf("prudp: v1: verify: raw is %d bytes, packet %d", len(raw), total)
	}
	sk, cs := v1SigInputs(p.Type, sc)
	want := c.sg.v1Sig(raw[6:14], sk, cs, raw[v1HeaderSize:])
	if !hmac.Equal(want[:], raw[14:30]) {
		return fmt.Errorf("prudp: v1: %s seq %d: %w", p.Type, p.Sequence, ErrSignature)
	}
	return nil
}

func (c *codecV1) Append(dst []byte, p *Packet, sc SigContext) ([]byte, error) {
	if err := checkNibblePorts(p); err != nil {
		return dst, fmt.Errorf("prudp: v1: %w", err)
	}
	if p.Type > 0xF || p.Flags > 0xFFF {
		return dst, fmt.Errorf("prudp: v1: %w: type %d flags %#x", ErrRange, p.Type, uint16(p.Flags))
	}
	if len(p.Payload) > 0xFFFF {
		return dst, fmt.Errorf("prudp: v1: %w: payload %d bytes", ErrRange, len(p.Payload))
	}
	start := len(dst)
	dst = slices.Grow(dst, v1HeaderSize+len(p.Options)+64+len(p.Payload))
	dst = append(dst, 0xEA, 0xD0, 1, 0, 0, 0,
		byte(p.Source.Type)<<4|p.Source.Port, byte(p.Dest.Type)<<4|p.Dest.Port)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(p.Type)|uint16(p.Flags)<<4)
	dst = append(dst, p.SessionID, p.Substream)
	dst = binary.LittleEndian.AppendUint16(dst, p.Sequence)
	dst = append(dst, make([]byte, 16)...) // signature, filled below
	optStart := len(dst)
	if p.Options != nil {
		dst = append(dst, p.Options...)
	} else {
		var err error
		if dst, err = appendV1Options(dst, p); err != nil {
			return dst[:start], fmt.Errorf("prudp: v1: %w", err)
		}
	}
	optLen := len(dst) - optStart
	if optLen > 0xFF {
		return dst[:start], fmt.Errorf("prudp: v1: %w: options %d bytes", ErrRange, optLen)
	}
	dst = append(dst, p.Payload...)
	pkt := dst[start:]
	pkt[3] = byte(optLen)
	binary.LittleEndian.PutUint16(pkt[4:], uint16(len(p.Payload)))
	sk, cs := v1SigInputs(p.Type, sc)
	sig := c.sg.v1Sig(pkt[6:14], sk, cs, pkt[v1HeaderSize:])
	copy(pkt[14:30], sig[:])
	return dst, nil
}

// checkNibblePorts rejects virtual ports that do not fit the one-byte
// v0/v1/RV encoding.
func checkNibblePorts(p *Packet) error {
	for _, v := range [2]VPort{p.Source, p.Dest} {
		if v.Type > 0xF || v.Port > 0xF {
			return fmt.Errorf("%w: virtual port %s does not fit one byte", ErrRange, v)
		}
	}
	return nil
}
