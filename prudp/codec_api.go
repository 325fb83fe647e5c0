package prudp

import "fmt"

// SigContext carries what a packet signature depends on beyond the packet
// itself. A connection keeps two: one for the packets it sends (ConnSig =
// the connection signature it received from the peer: the client keeps
// sigS, the server sigC) and one for the packets it receives (ConnSig = the
// value it sent itself), per prudp.md §6.1.
//
// The codec applies the per-type rules of prudp.md §6.2/§6.3 itself, so a
// connection may pass the same context for every packet of one direction:
// SYN ignores both fields and CONNECT ignores SessionKey.
type SigContext struct {
	// SessionKey is the Kerberos session key of a secure connection, empty
	// on the authentication connection.
	SessionKey []byte
	// ConnSig is the connection signature the signature uses (4 bytes on
	// v0/RV, 16 on v1/Lite), empty before the handshake provides it.
	ConnSig []byte
}

// Codec encodes and decodes the packets of one wire variant with one
// access key. A Codec is safe for concurrent use by many connections: it
// keeps no per-connection state (payload ciphers are separate, see
// StreamCiphers).
type Codec interface {
	// Variant reports the wire format.
	Variant() Variant
	// Decode decodes the packet at the start of buf and returns the number
	// of bytes it used: a datagram or WebSocket message may hold several
	// packets, so callers loop until buf is exhausted. Structural checks
	// and the v0/RV checksum are verified here. The returned Packet's byte
	// slices alias buf.
	Decode(buf []byte) (p Packet, n int, err error)
	// Verify checks p's signature; raw is exactly the bytes Decode consumed
	// for p. Lite packets other than the client CONNECT carry no signature
	// and always verify.
	Verify(p *Packet, raw []byte, sc SigContext) error
	// Append encodes p, computing its signature from sc and (v0/RV) its
	// checksum, and appends it to dst. p.Signature is ignored on input and
	// p is not modified. A v1/Lite p.Options is written verbatim when
	// non-nil.
	Append(dst []byte, p *Packet, sc SigContext) ([]byte, error)
}

// NewCodec returns the codec for s.Variant. Only the fields that shape the
// wire format are used: Variant, AccessKey and, for v0/RV, FlagsVersion,
// ChecksumSize and SignatureVersion.
func NewCodec(s *Settings) (Codec, error) {
	if s.AccessKey == "" {
		return nil, fmt.Errorf("prudp: new codec: %w", errEmptyAccessKey)
	}
	switch s.Variant {
	case V0, RV:
		return newCodecV0(s)
	case V1:
		return newCodecV1(s.AccessKey), nil
	case Lite:
		return newCodecLite(s.AccessKey), nil
	}
	return nil, fmt.Errorf("prudp: new codec: unknown variant %d", s.Variant)
}
