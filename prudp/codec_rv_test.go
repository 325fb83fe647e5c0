package prudp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

func rvSettings(checksumSize int) Settings {
	s := docSettings(ThreeDS)
	s.Variant = RV
	s.FlagsVersion = 0
	s.ChecksumSize = checksumSize
	return s
}

// TestRVLayoutMatchesV0Vectors: the RV layout is v0 with the one-byte
// type/flags; for packets that v0 signature_version 1 also signs with the
// connection signature, the encodings of checksum.json must match.
func TestRVLayoutMatchesV0Vectors(t *testing.T) {
	var v struct {
		Packets []v0PacketVector `json:"v0_packets"`
	}
	vectors.Load(t, "checksum.json", &v)
	checked := 0
	for _, pv := range v.Packets {
		if pv.Settings.FlagsV != 0 || pv.Settings.SigV != 1 || pv.Fields.Type == "DATA" {
			continue
		}
		s := rvSettings(map[int]int{0: 4, 1: 1}[pv.Settings.CsumV])
		s.AccessKey = pv.Settings.AccessKey
		c := mustCodec(t, s)
		raw := vectors.Hex(t, pv.Encoded)
		p, n, err := c.Decode(raw)
		if err != nil || n != len(raw) {
			t.Fatalf("%s: Decode: %v", pv.Name, err)
		}
		sc := SigContext{SessionKey: vectors.Hex(t, pv.SigSessionKey), ConnSig: vectors.Hex(t, pv.SigConnSig)}
		if err := c.Verify(&p, raw, sc); err != nil {
			t.Errorf("%s: Verify: %v", pv.Name, err)
		}
		if enc, err := c.Append(nil, &p, sc); err != nil || !bytes.Equal(enc, raw) {
			t.Errorf("%s: re-encode %x (%v)", pv.Name, enc, err)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no vector checked")
	}
}

// TestRVDataPacket runs one RV DATA packet through the whole pipeline:
// compress, encrypt with a fresh CD&ML state, sign with the connection
// signature, 4-byte checksum; and back.
func TestRVDataPacket(t *testing.T) {
	c := mustCodec(t, rvSettings(4))
	if c.Variant() != RV {
		t.Fatalf("variant %s", c.Variant())
	}
	sig := unhex(t, "0a0b0c0d")
	plain := bytes.Repeat([]byte("rendez-vous "), 20)
	comp, err := Compress(plain)
	if err != nil {
		t.Fatal(err)
	}
	enc := make([]byte, len(comp))
	if err := CryptRV(enc, comp); err != nil {
		t.Fatal(err)
	}
	p := Packet{Source: VPort{3, 15}, Dest: VPort{3, 1}, Type: TypeData, Flags: FlagReliable | FlagNeedAck | FlagHasSize,
		SessionID: 7, Sequence: 2, FragmentID: 0, Payload: enc}
	raw, err := c.Append(nil, &p, SigContext{ConnSig: sig})
	if err != nil {
		t.Fatal(err)
	}
	if raw[2] != byte(TypeData)|byte(p.Flags)<<3 || !bytes.Equal(raw[4:8], sig) {
		t.Fatalf("header %x: want one-byte type/flags and the connection signature", raw[:10])
	}
	d, n, err := c.Decode(raw)
	if err != nil || n != len(raw) {
		t.Fatal(err)
	}
	if err := c.Verify(&d, raw, SigContext{ConnSig: sig}); err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(&d, raw, SigContext{ConnSig: unhex(t, "0a0b0c0e")}); !errors.Is(err, ErrSignature) {
		t.Fatalf("wrong connection signature: %v", err)
	}
	dec := make([]byte, len(d.Payload))
	if err := CryptRV(dec, d.Payload); err != nil {
		t.Fatal(err)
	}
	back, err := Decompress(dec, 4096)
	if err != nil || !bytes.Equal(back, plain) {
		t.Fatalf("pipeline round trip: %q, %v", back, err)
	}
	raw[len(raw)-1] ^= 0x40
	if _, _, err := c.Decode(raw); !errors.Is(err, ErrChecksum) {
		t.Fatalf("4-byte checksum not checked: %v", err)
	}
}

func TestNewCodecRejectsBadSettings(t *testing.T) {
	for _, mod := range []func(s *Settings){
		func(s *Settings) { s.AccessKey = "" },
		func(s *Settings) { s.FlagsVersion = 2 },
		func(s *Settings) { s.ChecksumSize = 2 },
		func(s *Settings) { s.SignatureVersion = 3 },
		func(s *Settings) { s.Variant = 9 },
	} {
		s := docSettings(ThreeDS)
		mod(&s)
		if c, err := NewCodec(&s); err == nil {
			t.Errorf("settings %+v accepted: %v", s, c)
		}
	}
}
