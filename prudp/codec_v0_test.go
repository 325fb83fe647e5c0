package prudp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

var packetTypeByName = map[string]PacketType{
	"SYN": TypeSyn, "CONNECT": TypeConnect, "DATA": TypeData, "DISCONNECT": TypeDisconnect, "PING": TypePing,
}

// docAccessKey is the access key of every vector in prudp.md §16.
const docAccessKey = "6f599f81"

// docSettings returns preset with the §16 access key.
func docSettings(preset func() Settings) Settings {
	s := preset()
	s.AccessKey = docAccessKey
	return s
}

func mustCodec(tb testing.TB, s Settings) Codec {
	tb.Helper()
	c, err := NewCodec(&s)
	if err != nil {
		tb.Fatalf("NewCodec(%v): %v", s.Variant, err)
	}
	return c
}

type v0PacketVector struct {
	Name     string `json:"name"`
	Settings struct {
		AccessKey string `json:"prudp.access_key"`
		FlagsV    int    `json:"prudp_v0.flags_version"`
		CsumV     int    `json:"prudp_v0.checksum_version"`
		SigV      int    `json:"prudp_v0.signature_version"`
	} `json:"settings"`
	Fields struct {
		Type       string  `json:"type"`
		Flags      uint16  `json:"flags_value"`
		SrcType    uint8   `json:"source_type"`
		SrcPort    uint8   `json:"source_port"`
		DstType    uint8   `json:"dest_type"`
		DstPort    uint8   `json:"dest_port"`
		SessionID  uint8   `json:"session_id"`
		Sequence   uint16  `json:"sequence_id"`
		FragmentID uint8   `json:"fragment_id"`
		ConnSig    *string `json:"connection_signature"`
		Payload    string  `json:"payload"`
	} `json:"fields"`
	SigSessionKey string `json:"signature_session_key"`
	SigConnSig    string `json:"signature_connection_signature"`
	Signature     string `json:"signature"`
	Checksum      uint32 `json:"checksum"`
	Encoded       string `json:"encoded"`
}

// TestV0PacketVectors encodes every v0 packet of checksum.json from its
// fields (all flags versions, checksum sizes and signature versions) and
// decodes the recorded bytes back.
func TestV0PacketVectors(t *testing.T) {
	var v struct {
		Packets []v0PacketVector `json:"v0_packets"`
	}
	vectors.Load(t, "checksum.json", &v)
	if len(v.Packets) != 128 {
		t.Fatalf("got %d v0 packets, want 128", len(v.Packets))
	}
	for i, pv := range v.Packets {
		s := ThreeDS()
		s.AccessKey = pv.Settings.AccessKey
		s.FlagsVersion = pv.Settings.FlagsV
		s.ChecksumSize = map[int]int{0: 4, 1: 1}[pv.Settings.CsumV]
		s.SignatureVersion = pv.Settings.SigV
		c := mustCodec(t, s)
		typ, ok := packetTypeByName[pv.Fields.Type]
		if !ok {
			t.Fatalf("packet %d: unknown type %q", i, pv.Fields.Type)
		}
		want := Packet{
			Source:     VPort{StreamType(pv.Fields.SrcType), pv.Fields.SrcPort},
			Dest:       VPort{StreamType(pv.Fields.DstType), pv.Fields.DstPort},
			Type:       typ,
			Flags:      Flags(pv.Fields.Flags),
			SessionID:  pv.Fields.SessionID,
			Sequence:   pv.Fields.Sequence,
			FragmentID: pv.Fields.FragmentID,
			Payload:    vectors.Hex(t, pv.Fields.Payload),
		}
		if pv.Fields.ConnSig != nil {
			want.ConnSignature = vectors.Hex(t, *pv.Fields.ConnSig)
		}
		sc := SigContext{SessionKey: vectors.Hex(t, pv.SigSessionKey), ConnSig: vectors.Hex(t, pv.SigConnSig)}
		enc := vectors.Hex(t, pv.Encoded)
		name := pv.Name
		got, err := c.Append(nil, &want, sc)
		if err != nil {
			t.Fatalf("packet %d %s %+v: Append: %v", i, name, pv.Settings, err)
		}
		if !bytes.Equal(got, enc) {
			t.Errorf("packet %d %s %+v:\n got %x\nwant %x", i, name, pv.Settings, got, enc)
		}
		p, n, err := c.Decode(enc)
		if err != nil || n != len(enc) {
			t.Fatalf("packet %d %s: Decode: n=%d err=%v", i, name, n, err)
		}
		want.Signature = vectors.Hex(t, pv.Signature)
		comparePackets(t, name, &p, &want)
		if err := c.Verify(&p, enc, sc); err != nil {
			t.Errorf("packet %d %s: Verify: %v", i, name, err)
		}
		var sum uint32
		if s.ChecksumSize == 4 {
			sum = binary.LittleEndian.Uint32(enc[len(enc)-4:])
		} else {
			sum = uint32(enc[len(enc)-1])
		}
		if sum != pv.Checksum {
			t.Errorf("packet %d %s: checksum %d, want %d", i, name, sum, pv.Checksum)
		}
	}
}

// comparePackets compares the wire fields of two packets; a nil and an
// empty byte slice are equal.
func comparePackets(tb testing.TB, name string, got, want *Packet) {
	tb.Helper()
	type scalar struct {
		Source, Dest                     VPort
		Type                             PacketType
		Flags                            Flags
		SessionID, Substream, FragmentID uint8
		Sequence, UnreliableStart        uint16
		MinorVersion, MaxSubstream       uint8
		SupportedFunctions               uint32
	}
	sc := func(p *Packet) scalar {
		return scalar{p.Source, p.Dest, p.Type, p.Flags, p.SessionID, p.Substream, p.FragmentID,
			p.Sequence, p.UnreliableStart, p.MinorVersion, p.MaxSubstream, p.SupportedFunctions}
	}
	if g, w := sc(got), sc(want); g != w {
		tb.Errorf("%s: fields\n got %+v\nwant %+v", name, g, w)
	}
	for _, f := range []struct {
		n    string
		g, w []byte
	}{
		{"signature", got.Signature, want.Signature},
		{"connection signature", got.ConnSignature, want.ConnSignature},
		{"lite signature", got.LiteSignature, want.LiteSignature},
		{"payload", got.Payload, want.Payload},
	} {
		if !bytes.Equal(f.g, f.w) {
			tb.Errorf("%s: %s = %x, want %x", name, f.n, f.g, f.w)
		}
	}
	if want.Options != nil && !bytes.Equal(got.Options, want.Options) {
		tb.Errorf("%s: options = %x, want %x", name, got.Options, want.Options)
	}
}

func TestV0MalformedInput(t *testing.T) {
	c := mustCodec(t, docSettings(ThreeDS))
	valid := unhex(t, "afa1e200996e411aa60100001200018744db19fe2d5005a2657d2a1696b1ff5607")
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"header only", valid[:11], ErrShort},
		{"no fragment id", append(unhex(t, "afa1e20099000000000100"), 0), ErrShort},
		{"size beyond end", valid[:20], ErrShort},
		{"bad checksum", append(append([]byte{}, valid[:len(valid)-1]...), valid[len(valid)-1]^1), ErrChecksum},
		{"flipped payload bit", func() []byte { b := bytes.Clone(valid); b[20] ^= 0x80; return b }(), ErrChecksum},
		{"SYN without conn sig", unhex(t, "afa140000000000000000000"), ErrShort},
	} {
		if _, _, err := c.Decode(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestV0EncodeRejectsOutOfRange(t *testing.T) {
	s := docSettings(ThreeDS)
	s.FlagsVersion = 0
	c0 := mustCodec(t, s)
	c1 := mustCodec(t, docSettings(ThreeDS))
	base := Packet{Source: VPort{10, 15}, Dest: VPort{10, 1}, Type: TypeData}
	for _, tc := range []struct {
		name string
		c    Codec
		mod  func(p *Packet)
		sc   SigContext
	}{
		{"port 16", c1, func(p *Packet) { p.Source.Port = 16 }, SigContext{}},
		{"MULTI_ACK in one byte", c0, func(p *Packet) { p.Flags = FlagMultiAck }, SigContext{}},
		{"type 8 in one byte", c0, func(p *Packet) { p.Type = 8 }, SigContext{}},
		{"flags 13 bits", c1, func(p *Packet) { p.Flags = 0x1000 }, SigContext{}},
		{"conn sig 5 bytes", c1, func(p *Packet) { p.Type = TypeSyn; p.ConnSignature = make([]byte, 5) }, SigContext{}},
		{"sized payload too long", c1, func(p *Packet) { p.Flags = FlagHasSize; p.Payload = make([]byte, 0x10000) }, SigContext{}},
		{"signing conn sig 16 bytes", c1, func(p *Packet) { p.Type = TypePing }, SigContext{ConnSig: make([]byte, 16)}},
	} {
		p := base
		tc.mod(&p)
		dst := []byte{1, 2, 3}
		out, err := tc.c.Append(dst, &p, tc.sc)
		if !errors.Is(err, ErrRange) {
			t.Errorf("%s: err = %v, want ErrRange", tc.name, err)
		}
		if !bytes.Equal(out, dst) {
			t.Errorf("%s: dst changed to %x on error", tc.name, out)
		}
	}
}

// TestV0SeveralPacketsPerDatagram decodes a datagram holding three
// packets: only the last one may run to the end without HAS_SIZE.
func TestV0SeveralPacketsPerDatagram(t *testing.T) {
	c := mustCodec(t, docSettings(ThreeDS))
	parts := []string{
		"afa1e1004220212223010010111213000054", // CONNECT with HAS_SIZE
		"a1afe200996e411aa60100001200018744db19fe2d5005a2657d2a1696b1ff5607",
		"afa14400422021222301006f", // PING without HAS_SIZE
	}
	var dg []byte
	for _, p := range parts {
		dg = append(dg, unhex(t, p)...)
	}
	for i, rest := 0, dg; len(rest) > 0; i++ {
		_, n, err := c.Decode(rest)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if want := len(parts[i]) / 2; n != want {
			t.Fatalf("packet %d used %d bytes, want %d", i, n, want)
		}
		rest = rest[n:]
	}
}

func TestV0VerifyRejectsBadContext(t *testing.T) {
	c := mustCodec(t, docSettings(ThreeDS))
	raw := unhex(t, docV0Exchange[7].hex) // PING signed with sigS
	p, _, err := c.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(&p, raw, SigContext{ConnSig: make([]byte, 16)}); !errors.Is(err, ErrRange) {
		t.Errorf("16-byte connection signature on v0: %v", err)
	}
	if err := c.Verify(&p, raw, SigContext{}); !errors.Is(err, ErrSignature) {
		t.Errorf("missing connection signature: %v", err)
	}
}
