package prudp

import (
	"bytes"
	"errors"
	"testing"
)

// withOptions rebuilds a v1 packet with another option block (fixing the
// length byte); the signature is not recomputed.
func withOptions(tb testing.TB, raw []byte, opts []byte) []byte {
	tb.Helper()
	pay := raw[v1HeaderSize+int(raw[3]):]
	out := append(bytes.Clone(raw[:v1HeaderSize]), opts...)
	out[3] = byte(len(opts))
	return append(out, pay...)
}

func TestV1MalformedInput(t *testing.T) {
	c := mustCodec(t, docSettings(WiiU))
	syn := unhex(t, docV1Exchange[0].hex)
	data := unhex(t, docV1Exchange[4].hex)
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"header cut", syn[:29], ErrShort},
		{"payload cut", data[:len(data)-1], ErrShort},
		{"options cut", syn[:40], ErrShort},
		{"bad magic", append([]byte{0xEA, 0xD1}, syn[2:]...), ErrMagic},
		{"version 2", append([]byte{0xEA, 0xD0, 2}, syn[3:]...), ErrMagic},
		{"unknown option", withOptions(t, data, []byte{5, 1, 0}), ErrOptions},
		{"Lite option in v1", withOptions(t, data, append([]byte{0x80, 16}, make([]byte, 16)...)), ErrOptions},
		{"wrong option length", withOptions(t, data, []byte{2, 2, 0, 0}), ErrOptions},
		{"option value cut", withOptions(t, data, []byte{0, 4, 1, 2}), ErrOptions},
		{"option header cut", withOptions(t, data, []byte{2, 1, 0, 2}), ErrOptions},
		{"repeated option", withOptions(t, data, []byte{2, 1, 0, 2, 1, 0}), ErrOptions},
		{"DATA without fragment id", withOptions(t, data, nil), ErrOptions},
		{"SYN without max substream", withOptions(t, syn, syn[30:30+22]), ErrOptions},
		{"PING with fragment id", withOptions(t, unhex(t, docV1Exchange[7].hex), []byte{2, 1, 0}), ErrOptions},
	} {
		if _, n, err := c.Decode(tc.in); !errors.Is(err, tc.want) || n != 0 {
			t.Errorf("%s: n=%d err=%v, want %v", tc.name, n, err, tc.want)
		}
	}
}

// TestV1OptionsVerbatim checks that the signature covers the received
// option bytes, so a peer's unusual (but valid) option order verifies and
// re-encodes unchanged.
func TestV1OptionsVerbatim(t *testing.T) {
	c := mustCodec(t, docSettings(WiiU))
	p := Packet{Source: VPort{10, 15}, Dest: VPort{10, 1}, Type: TypeSyn, Flags: FlagNeedAck, MinorVersion: 4}
	// Order 4, 1, 0 instead of the references' 0, 1, 4.
	p.Options = append(append([]byte{4, 1, 0, 1, 16}, make([]byte, 16)...), 0, 4, 4, 0, 0, 0)
	raw, err := c.Append(nil, &p, SigContext{})
	if err != nil {
		t.Fatal(err)
	}
	d, n, err := c.Decode(raw)
	if err != nil || n != len(raw) {
		t.Fatalf("Decode: %v", err)
	}
	if err := c.Verify(&d, raw, SigContext{}); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !bytes.Equal(d.Options, p.Options) || d.MinorVersion != 4 {
		t.Fatalf("options %x minor %d", d.Options, d.MinorVersion)
	}
	// Rebuilding the options in the standard order changes the signature.
	d.Options = nil
	rebuilt, _ := c.Append(nil, &d, SigContext{})
	if bytes.Equal(rebuilt[14:30], raw[14:30]) {
		t.Fatal("signature does not cover the option bytes")
	}
}

func TestV1SeveralPacketsPerDatagram(t *testing.T) {
	c := mustCodec(t, docSettings(WiiU))
	var dg []byte
	for _, p := range docV1Exchange[4:7] {
		dg = append(dg, unhex(t, p.hex)...)
	}
	count := 0
	for rest := dg; len(rest) > 0; count++ {
		p, n, err := c.Decode(rest)
		if err != nil {
			t.Fatalf("packet %d: %v", count, err)
		}
		sc := SigContext{ConnSig: seqBytes(0x20, 16)}
		if p.Source.Port == 1 {
			sc.ConnSig = seqBytes(0x10, 16)
		}
		if err := c.Verify(&p, rest[:n], sc); err != nil {
			t.Errorf("packet %d: %v", count, err)
		}
		rest = rest[n:]
	}
	if count != 3 {
		t.Fatalf("decoded %d packets, want 3", count)
	}
}

func TestV1EncodeRejectsOutOfRange(t *testing.T) {
	c := mustCodec(t, docSettings(WiiU))
	base := Packet{Source: VPort{10, 15}, Dest: VPort{10, 1}, Type: TypeSyn}
	for _, tc := range []struct {
		name string
		mod  func(p *Packet)
	}{
		{"port 16", func(p *Packet) { p.Dest.Port = 16 }},
		{"stream type 16", func(p *Packet) { p.Source.Type = 16 }},
		{"type 16", func(p *Packet) { p.Type = 16 }},
		{"flags 13 bits", func(p *Packet) { p.Flags = 0x1000 }},
		{"functions 25 bits", func(p *Packet) { p.SupportedFunctions = 1 << 24 }},
		{"conn sig 4 bytes", func(p *Packet) { p.ConnSignature = make([]byte, 4) }},
		{"payload 64 KiB", func(p *Packet) { p.Payload = make([]byte, 0x10000) }},
		{"options 256 bytes", func(p *Packet) { p.Options = make([]byte, 256) }},
	} {
		p := base
		tc.mod(&p)
		dst := []byte{9}
		out, err := c.Append(dst, &p, SigContext{})
		if !errors.Is(err, ErrRange) || !bytes.Equal(out, dst) {
			t.Errorf("%s: out %x err %v, want ErrRange and dst unchanged", tc.name, out, err)
		}
	}
}

func TestIsV1(t *testing.T) {
	if !IsV1(unhex(t, docV1Exchange[0].hex)) || IsV1(unhex(t, docV0Exchange[0].hex)) || IsV1([]byte{0xEA, 0xD0}) {
		t.Fatal("IsV1 misclassifies")
	}
}

// TestV1SessionKeyRules checks §6.3: SYN and CONNECT never include the
// session key, later packets do.
func TestV1SessionKeyRules(t *testing.T) {
	c := mustCodec(t, docSettings(WiiU))
	sk := seqBytes(0, 32)
	for _, tc := range []struct {
		typ    PacketType
		usesSK bool
	}{{TypeSyn, false}, {TypeConnect, false}, {TypeData, true}, {TypePing, true}, {TypeDisconnect, true}} {
		p := Packet{Source: VPort{10, 15}, Dest: VPort{10, 1}, Type: tc.typ}
		a, _ := c.Append(nil, &p, SigContext{ConnSig: seqBytes(0x20, 16)})
		b, _ := c.Append(nil, &p, SigContext{ConnSig: seqBytes(0x20, 16), SessionKey: sk})
		if got := !bytes.Equal(a, b); got != tc.usesSK {
			t.Errorf("%s: session key changes signature = %v, want %v", tc.typ, got, tc.usesSK)
		}
	}
}

func TestV1VerifyRejectsMismatchedRaw(t *testing.T) {
	c := mustCodec(t, docSettings(WiiU))
	raw := unhex(t, docV1Exchange[4].hex)
	p, _, err := c.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	sc := SigContext{ConnSig: seqBytes(0x20, 16)}
	if err := c.Verify(&p, append(bytes.Clone(raw), 0), sc); err == nil {
		t.Error("raw with a trailing byte verified")
	}
	if err := c.Verify(&p, raw[:20], sc); !errors.Is(err, ErrShort) {
		t.Errorf("truncated raw: %v", err)
	}
}
