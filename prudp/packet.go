package prudp

import "fmt"

// PacketType is the 4-bit packet type of every PRUDP variant (3 bits in the
// original Rendez-Vous encoding).
type PacketType uint8

// Packet types. USER, ROUTE and RAW exist in the type field but NEX never
// uses them; decoders accept them so that a relay can pass them through.
const (
	TypeSyn        PacketType = 0
	TypeConnect    PacketType = 1
	TypeData       PacketType = 2
	TypeDisconnect PacketType = 3
	TypePing       PacketType = 4
	TypeUser       PacketType = 5
	TypeRoute      PacketType = 6
	TypeRaw        PacketType = 7
)

var typeNames = [...]string{"SYN", "CONNECT", "DATA", "DISCONNECT", "PING", "USER", "ROUTE", "RAW"}

func (t PacketType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("TYPE(%d)", uint8(t))
}

// Flags is the packet flag set (12 bits in the u16 type/flags field).
type Flags uint16

// Packet flags.
const (
	FlagAck      Flags = 0x001
	FlagReliable Flags = 0x002
	FlagNeedAck  Flags = 0x004
	FlagHasSize  Flags = 0x008
	FlagMultiAck Flags = 0x200
)

// Has reports whether every flag in m is set.
func (f Flags) Has(m Flags) bool { return f&m == m }

func (f Flags) String() string {
	s := ""
	for _, n := range []struct {
		f Flags
		n string
	}{{FlagAck, "ACK"}, {FlagReliable, "RELIABLE"}, {FlagNeedAck, "NEED_ACK"}, {FlagHasSize, "HAS_SIZE"}, {FlagMultiAck, "MULTI_ACK"}} {
		if f&n.f != 0 {
			if s != "" {
				s += "|"
			}
			s += n.n
		}
	}
	if rest := f &^ (FlagAck | FlagReliable | FlagNeedAck | FlagHasSize | FlagMultiAck); rest != 0 {
		if s != "" {
			s += "|"
		}
		s += fmt.Sprintf("0x%x", uint16(rest))
	}
	return s
}

// StreamType is the stream type half of a virtual port. NEX always uses
// StreamRVSecure.
type StreamType uint8

// Stream types.
const (
	StreamDO               StreamType = 1
	StreamRV               StreamType = 2
	StreamOldRVSec         StreamType = 3
	StreamSBMgmt           StreamType = 4
	StreamNAT              StreamType = 5
	StreamSessionDiscovery StreamType = 6
	StreamNATEcho          StreamType = 7
	StreamRouting          StreamType = 8
	StreamGame             StreamType = 9
	StreamRVSecure         StreamType = 10
	StreamRelay            StreamType = 11
)

// VPort is a virtual port: a stream type and a port number (stream id).
// v0/v1/RV pack it in one byte (type<<4 | port, port 0-15); Lite carries the
// types in a shared byte and each port in a full byte (0-255).
type VPort struct {
	Type StreamType
	Port uint8
}

func (v VPort) String() string { return fmt.Sprintf("%d:%d", v.Type, v.Port) }

// Variant names a PRUDP wire format.
type Variant uint8

// Wire formats.
const (
	// V0 is PRUDPv0 (friends server, many 3DS titles).
	V0 Variant = iota
	// V1 is PRUDPv1 (Wii U titles), magic EA D0 01.
	V1
	// Lite is PRUDPLite (Switch), magic 80, carried over WebSocket.
	Lite
	// RV is the original Quazal Rendez-Vous format: v0-like with per-packet
	// RC4 and optional zlib compression.
	RV
)

func (v Variant) String() string {
	switch v {
	case V0:
		return "v0"
	case V1:
		return "v1"
	case Lite:
		return "lite"
	case RV:
		return "rv"
	}
	return fmt.Sprintf("variant(%d)", uint8(v))
}

// Packet is one decoded PRUDP packet of any variant. Fields that a variant
// does not carry stay zero. Payload is the payload exactly as on the wire
// (encrypted, compressed); the connection layer decrypts it in sequence
// order.
type Packet struct {
	Source, Dest VPort
	Type         PacketType
	Flags        Flags
	SessionID    uint8  // v0/v1/RV; Lite has none
	Substream    uint8  // v1 only; 1 in a MULTI_ACK marks the new format
	Sequence     uint16 //
	FragmentID   uint8  // DATA only (v0: specific byte, v1: option 2, Lite: header)
	Signature    []byte // v0/RV: 4 bytes, v1: 16 bytes, Lite: none

	// ConnSignature is the connection signature: v0/RV specific data of SYN
	// and CONNECT (4 bytes), v1/Lite option 1 (16 bytes).
	ConnSignature []byte

	// Negotiation options (v1 and Lite, SYN and CONNECT).
	MinorVersion       uint8
	SupportedFunctions uint32 // bits 8-31 of option 0, shifted down
	MaxSubstream       uint8  // option 4 (v1)
	UnreliableStart    uint16 // option 3 (v1 CONNECT)
	LiteSignature      []byte // option 0x80 (Lite client CONNECT)

	// Options holds the v1/Lite option block exactly as received, so that a
	// signature is verified over the received bytes. Encoders write it
	// verbatim when non-nil and build it from the fields above otherwise.
	Options []byte

	Payload []byte
}

// IsAck reports whether p acknowledges another packet (individual or aggregate).
func (p *Packet) IsAck() bool { return p.Flags&(FlagAck|FlagMultiAck) != 0 }

func (p *Packet) String() string {
	return fmt.Sprintf("%s[%s] %s->%s sess=%d sub=%d seq=%d frag=%d len=%d",
		p.Type, p.Flags, p.Source, p.Dest, p.SessionID, p.Substream, p.Sequence, p.FragmentID, len(p.Payload))
}
