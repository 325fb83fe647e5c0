package prudp

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"slices"
)

// liteHeaderSize is the fixed header of a PRUDPLite packet.
const liteHeaderSize = 12

// codecLite is the PRUDPLite wire format (prudp.md §4.4): no checksum, no
// packet signature, only the Lite signature of the client CONNECT.
type codecLite struct {
	sg    *signer
	akMD5 [md5.Size]byte
}

func newCodecLite(accessKey string) *codecLite {
	return &codecLite{sg: newSigner(accessKey), akMD5: md5.Sum([]byte(accessKey))}
}

func (c *codecLite) Variant() Variant { return Lite }

// liteSize returns the total length announced by a Lite header.
func liteSize(buf []byte) (optLen, total int, err error) {
	if len(buf) < liteHeaderSize {
		return 0, 0, fmt.Errorf("prudp: lite: %w: %d bytes, header needs %d", ErrShort, len(buf), liteHeaderSize)
	}
	if buf[0] != 0x80 {
		return 0, 0, fmt.Errorf("prudp: lite: %w: 0x%02x", ErrMagic, buf[0])
	}
	optLen = int(buf[1])
	total = liteHeaderSize + optLen + int(binary.LittleEndian.Uint16(buf[2:]))
	if len(buf) < total {
		return 0, 0, fmt.Errorf("prudp: lite: %w: %d bytes, packet needs %d", ErrShort, len(buf), total)
	}
	return optLen, total, nil
}

// Decode decodes one Lite packet. ErrShort means buf holds only the start
// of a packet; a carrier that lets packets span WebSocket messages keeps
// the bytes and retries with the next message appended.
func (c *codecLite) Decode(buf []byte) (Packet, int, error) {
	var p Packet
	optLen, total, err := liteSize(buf)
	if err != nil {
		return p, 0, err
	}
	p.Source = VPort{Type: StreamType(buf[4] >> 4), Port: buf[5]}
	p.Dest = VPort{Type: StreamType(buf[4] & 0xF), Port: buf[6]}
	p.FragmentID = buf[7]
	tf := binary.LittleEndian.Uint16(buf[8:])
	p.Type = PacketType(tf & 0xF)
	p.Flags = Flags(tf >> 4)
	p.Sequence = binary.LittleEndian.Uint16(buf[10:])
	optEnd := liteHeaderSize + optLen
	p.Options = buf[liteHeaderSize:optEnd:optEnd]
	seen, err := parseOptions(p.Options, &p)
	if err != nil {
		return Packet{}, 0, fmt.Errorf("prudp: lite: %w", err)
	}
	if err := checkOptionSet(seen, liteOptionSet(p.Type, p.Flags), p.Type); err != nil {
		return Packet{}, 0, fmt.Errorf("prudp: lite: %w", err)
	}
	p.Payload = buf[optEnd:total:total]
	return p, total, nil
}

// liteSig computes the Lite signature with the codec's pooled HMAC state.
func (c *codecLite) liteSig(sigS []byte) [md5.Size]byte {
	m := c.sg.get()
	m.h.Write(c.akMD5[:])
	m.h.Write(sigS)
	return c.sg.finish(m)
}

// Verify checks the Lite signature of a client CONNECT against
// sc.ConnSig (the sigS the server sent). Other Lite packets are unsigned.
func (c *codecLite) Verify(p *Packet, raw []byte, sc SigContext) error {
	if p.Type != TypeConnect || p.Flags&FlagAck != 0 {
		return nil
	}
	want := c.liteSig(sc.ConnSig)
	if !hmac.Equal(want[:], p.LiteSignature) {
		return fmt.Errorf("prudp: lite: CONNECT: %w", ErrSignature)
	}
	return nil
}

// Append encodes a Lite packet. Built options follow prudp.md §4.4; the
// Lite signature of a client CONNECT is computed from sc.ConnSig (sigS).
func (c *codecLite) Append(dst []byte, p *Packet, sc SigContext) ([]byte, error) {
	if p.Source.Type > 0xF || p.Dest.Type > 0xF || p.Type > 0xF || p.Flags > 0xFFF {
		return dst, fmt.Errorf("prudp: lite: %w: stream types %d/%d, type %d, flags %#x",
			ErrRange, p.Source.Type, p.Dest.Type, p.Type, uint16(p.Flags))
	}
	if len(p.Payload) > 0xFFFF {
		return dst, fmt.Errorf("prudp: lite: %w: payload %d bytes", ErrRange, len(p.Payload))
	}
	start := len(dst)
	dst = slices.Grow(dst, liteHeaderSize+len(p.Options)+48+len(p.Payload))
	dst = append(dst, 0x80, 0, 0, 0, byte(p.Source.Type)<<4|byte(p.Dest.Type), p.Source.Port, p.Dest.Port, p.FragmentID)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(p.Type)|uint16(p.Flags)<<4)
	dst = binary.LittleEndian.AppendUint16(dst, p.Sequence)
	optStart := len(dst)
	if p.Options != nil {
		dst = append(dst, p.Options...)
	} else {
		var err error
		if dst, err = c.appendOptions(dst, p, sc); err != nil {
			return dst[:start], fmt.Errorf("prudp: lite: %w", err)
		}
	}
	optLen := len(dst) - optStart
	if optLen > 0xFF {
		return dst[:start], fmt.Errorf("prudp: lite: %w: options %d bytes", ErrRange, optLen)
	}
	dst = append(dst, p.Payload...)
	dst[start+1] = byte(optLen)
	binary.LittleEndian.PutUint16(dst[start+2:], uint16(len(p.Payload)))
	return dst, nil
}

func (c *codecLite) appendOptions(dst []byte, p *Packet, sc SigContext) ([]byte, error) {
	set := liteOptionSet(p.Type, p.Flags)
	var err error
	if set&hasSupport != 0 {
		if dst, err = appendSupport(dst, p); err != nil {
			return dst, err
		}
	}
	if set&hasConnSig != 0 {
		if dst, err = append16(dst, optConnSig, p.ConnSignature, "connection signature"); err != nil {
			return dst, err
		}
	}
	if set&hasLiteSig != 0 {
		sig := c.liteSig(sc.ConnSig)
		dst = appendOption(dst, optLiteSig, sig[:])
	}
	return dst, nil
}
