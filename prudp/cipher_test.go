package prudp

import (
	"bytes"
	"errors"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

type payloadVectors struct {
	RC4 []struct {
		Label          string   `json:"label"`
		SessionKey     *string  `json:"session_key"`
		SubstreamKeys  []string `json:"substream_keys"`
		UnreliableBase string   `json:"unreliable_base_key"`
		Reliable       []struct {
			Substream uint8 `json:"substream"`
			Packets   []struct {
				Plain     string `json:"plain"`
				Encrypted string `json:"encrypted"`
			} `json:"packets"`
		} `json:"reliable_stream"`
		Unreliable []struct {
			Seq       uint16 `json:"sequence_id"`
			SessionID uint8  `json:"session_id"`
			Key       string `json:"key"`
			Plain     string `json:"plain"`
			Encrypted string `json:"encrypted"`
		} `json:"unreliable"`
	} `json:"rc4"`
	Zlib []struct {
		Plain      string `json:"plain"`
		Compressed string `json:"compressed"`
		Ratio      int    `json:"ratio"`
	} `json:"zlib"`
}

// TestPayloadRC4Vectors replays the reliable streams of payload.json with
// one StreamCiphers per direction: the RC4 state must carry over from one
// packet to the next, per substream.
func TestPayloadRC4Vectors(t *testing.T) {
	var v payloadVectors
	vectors.Load(t, "payload.json", &v)
	if len(v.RC4) != 3 {
		t.Fatalf("got %d rc4 cases, want 3", len(v.RC4))
	}
	for _, rc := range v.RC4 {
		var sk []byte
		if rc.SessionKey != nil {
			sk = vectors.Hex(t, *rc.SessionKey)
		}
		for i, k := range rc.SubstreamKeys {
			key := sk
			for range i {
				key = ModifyKey(key)
			}
			if !bytes.Equal(key, vectors.Hex(t, k)) {
				t.Errorf("%s: substream %d key %x, want %s", rc.Label, i, key, k)
			}
		}
		maxSub := uint8(0)
		for _, rs := range rc.Reliable {
			maxSub = max(maxSub, rs.Substream)
		}
		enc, err := NewStreamCiphers(sk, maxSub)
		if err != nil {
			t.Fatal(err)
		}
		dec, _ := NewStreamCiphers(sk, maxSub)
		for _, rs := range rc.Reliable {
			for j, pk := range rs.Packets {
				plain, want := vectors.Hex(t, pk.Plain), vectors.Hex(t, pk.Encrypted)
				got := make([]byte, len(plain))
				if err := enc.Encrypt(rs.Substream, got, plain); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s: substream %d packet %d: encrypted %x, want %x", rc.Label, rs.Substream, j, got, want)
				}
				if err := dec.Decrypt(rs.Substream, got, got); err != nil { // in place
					t.Fatal(err)
				}
				if !bytes.Equal(got, plain) {
					t.Errorf("%s: substream %d packet %d: decrypted %x, want %x", rc.Label, rs.Substream, j, got, plain)
				}
			}
		}
		if rc.UnreliableBase != "" {
			if base := UnreliableBaseKey(sk); !bytes.Equal(base[:], vectors.Hex(t, rc.UnreliableBase)) {
				t.Errorf("%s: unreliable base %x, want %s", rc.Label, base, rc.UnreliableBase)
			}
		}
		for _, u := range rc.Unreliable {
			key := UnreliableKey(sk, u.Seq, u.SessionID)
			if !bytes.Equal(key[:], vectors.Hex(t, u.Key)) {
				t.Errorf("%s: unreliable key seq %d: %x, want %s", rc.Label, u.Seq, key, u.Key)
			}
			plain := vectors.Hex(t, u.Plain)
			got := make([]byte, len(plain))
			if err := CryptUnreliable(key, got, plain); err != nil || !bytes.Equal(got, vectors.Hex(t, u.Encrypted)) {
				t.Errorf("%s: unreliable seq %d: %x, want %s (%v)", rc.Label, u.Seq, got, u.Encrypted, err)
			}
		}
	}
}

// TestUnreliableKeysIndependent proves that deriving one packet's key
// leaves nothing behind for the next (nex-go mutates its shared base).
func TestUnreliableKeysIndependent(t *testing.T) {
	sk := seqBytes(0, 32)
	base := UnreliableBaseKey(sk)
	saved := base
	k1 := UnreliableKey(sk, 0x1234, 0x42)
	k2 := UnreliableKey(sk, 0x1234, 0x42)
	if k1 != k2 {
		t.Fatalf("two calls differ: %x / %x", k1, k2)
	}
	if want := unhex(t, "7990a8a7012124c67937f5a4faf414a1290dc878ae3553bba9a9b814fe493507"); !bytes.Equal(k1[:], want) {
		t.Fatalf("key = %x", k1)
	}
	a := UnreliableKeyFrom(base, 1, 1)
	b := UnreliableKeyFrom(base, 1, 1)
	if a != b || base != saved {
		t.Fatal("UnreliableKeyFrom changed its base")
	}
	// Seq 1 then seq 2 must differ from the base by exactly 1 and 2.
	k3 := UnreliableKeyFrom(base, 2, 0)
	if a[0]-base[0] != 1 || k3[0]-base[0] != 2 || a[31]-base[31] != 1 || k3[31] != base[31] {
		t.Fatalf("keys accumulate: base %x, seq1 %x, seq2 %x", base, a, k3)
	}
	if z := UnreliableBaseKey(nil); z != ([32]byte{}) {
		t.Errorf("auth connection base = %x, want zeros", z)
	}
}

func TestModifyKeyDoesNotMutate(t *testing.T) {
	k := seqBytes(0, 16)
	_ = ModifyKey(k)
	if !bytes.Equal(k, seqBytes(0, 16)) {
		t.Fatal("ModifyKey changed its input")
	}
	if got := ModifyKey(nil); len(got) != 0 {
		t.Fatalf("ModifyKey(nil) = %x", got)
	}
}

func TestStreamCiphersErrors(t *testing.T) {
	sc, err := NewStreamCiphers(seqBytes(0, 32), 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Encrypt(2, make([]byte, 4), make([]byte, 4)); !errors.Is(err, ErrSubstream) {
		t.Errorf("substream 2 of 1: %v", err)
	}
	if err := sc.Decrypt(0, make([]byte, 3), make([]byte, 4)); !errors.Is(err, ErrShort) {
		t.Errorf("short dst: %v", err)
	}
	if err := CryptRV(make([]byte, 1), make([]byte, 2)); !errors.Is(err, ErrShort) {
		t.Errorf("CryptRV short dst: %v", err)
	}
	if _, err := NewStreamCiphers(make([]byte, 257), 0); err == nil {
		t.Error("a 257-byte RC4 key was accepted")
	}
	// Auth connection: every substream starts from CD&ML unmodified.
	auth, _ := NewStreamCiphers(nil, 2)
	var ks [3][8]byte
	for i := range ks {
		if err := auth.Encrypt(uint8(i), ks[i][:], make([]byte, 8)); err != nil {
			t.Fatal(err)
		}
	}
	if ks[0] != ks[1] || ks[1] != ks[2] {
		t.Errorf("auth substreams differ: %x", ks)
	}
}
