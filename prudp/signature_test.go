package prudp

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

type signatureVectors struct {
	ConnSigs []struct {
		Address [2]any `json:"address"`
		V0      string `json:"v0"`
		V1      string `json:"v1_and_lite"`
	} `json:"connection_signatures"`
	V1Packets []struct {
		Name     string `json:"name"`
		Settings struct {
			AccessKey string `json:"prudp.access_key"`
		} `json:"settings"`
		SessionKey string `json:"session_key"`
		PeerSig    string `json:"connection_signature_of_peer"`
		Signature  string `json:"signature"`
		Encoded    string `json:"encoded"`
	} `json:"v1_packets"`
	LiteConnect struct {
		Settings struct {
			AccessKey string `json:"prudp.access_key"`
		} `json:"settings"`
		SigS      string `json:"server_connection_signature"`
		Signature string `json:"signature"`
		Encoded   string `json:"encoded"`
	} `json:"lite_connect"`
}

func loadSignatureVectors(t *testing.T) signatureVectors {
	var v struct {
		Signatures signatureVectors `json:"signatures"`
	}
	vectors.Load(t, "checksum.json", &v)
	return v.Signatures
}

func TestConnSignatureVectors(t *testing.T) {
	v := loadSignatureVectors(t)
	if len(v.ConnSigs) == 0 {
		t.Fatal("no connection signature vectors")
	}
	for _, cs := range v.ConnSigs {
		ip, _ := cs.Address[0].(string)
		port, _ := cs.Address[1].(float64)
		addr := netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(port))
		if got := ConnSignature(V0, nil, addr); !bytes.Equal(got, vectors.Hex(t, cs.V0)) {
			t.Errorf("%s: v0 = %x, want %s", addr, got, cs.V0)
		}
		for _, variant := range []Variant{V1, Lite} {
			if got := ConnSignature(variant, ncConnSigKey, addr); !bytes.Equal(got, vectors.Hex(t, cs.V1)) {
				t.Errorf("%s: %s = %x, want %s", addr, variant, got, cs.V1)
			}
		}
	}
}

func TestNewConnSigKey(t *testing.T) {
	a, err := NewConnSigKey()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewConnSigKey()
	if len(a) != 16 || bytes.Equal(a, b) {
		t.Fatalf("keys %x and %x: want 16 random bytes each", a, b)
	}
	addr := netip.MustParseAddrPort("[2001:db8::1]:1234")
	if s := ConnSignature(V1, a, addr); len(s) != 16 || bytes.Equal(s, ConnSignature(V1, b, addr)) {
		t.Errorf("IPv6 v1 connection signature %x does not depend on the key", s)
	}
}

// TestV1SignatureVectors covers the v1 SYN, CONNECT and a secure DATA
// packet on substream 1 from checksum.json.
func TestV1SignatureVectors(t *testing.T) {
	v := loadSignatureVectors(t)
	if len(v.V1Packets) != 3 {
		t.Fatalf("got %d v1 packets, want 3", len(v.V1Packets))
	}
	for _, pv := range v.V1Packets {
		s := WiiU()
		s.AccessKey = pv.Settings.AccessKey
		c := mustCodec(t, s)
		raw := vectors.Hex(t, pv.Encoded)
		p, n, err := c.Decode(raw)
		if err != nil || n != len(raw) {
			t.Fatalf("%s: Decode: n=%d err=%v", pv.Name, n, err)
		}
		if !bytes.Equal(p.Signature, vectors.Hex(t, pv.Signature)) {
			t.Errorf("%s: signature field %x, want %s", pv.Name, p.Signature, pv.Signature)
		}
		sc := SigContext{SessionKey: vectors.Hex(t, pv.SessionKey), ConnSig: vectors.Hex(t, pv.PeerSig)}
		if err := c.Verify(&p, raw, sc); err != nil {
			t.Errorf("%s: Verify: %v", pv.Name, err)
		}
		p.Options = nil
		if enc, err := c.Append(nil, &p, sc); err != nil || !bytes.Equal(enc, raw) {
			t.Errorf("%s: re-encode:\n got %x\nwant %x (%v)", pv.Name, enc, raw, err)
		}
		tampered := bytes.Clone(raw)
		tampered[len(tampered)-1] ^= 1
		tp, _, err := c.Decode(tampered)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Verify(&tp, tampered, sc); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: tampered packet: Verify = %v, want ErrSignature", pv.Name, err)
		}
	}
}

func TestLiteConnectVector(t *testing.T) {
	v := loadSignatureVectors(t).LiteConnect
	s := Switch()
	s.AccessKey = v.Settings.AccessKey
	c := mustCodec(t, s)
	sigS := vectors.Hex(t, v.SigS)
	if got := LiteSignature(v.Settings.AccessKey, sigS); !bytes.Equal(got, vectors.Hex(t, v.Signature)) {
		t.Errorf("LiteSignature = %x, want %s", got, v.Signature)
	}
	raw := vectors.Hex(t, v.Encoded)
	p, _, err := c.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(&p, raw, SigContext{ConnSig: sigS}); err != nil {
		t.Errorf("Verify: %v", err)
	}
	p.Options = nil
	if enc, err := c.Append(nil, &p, SigContext{ConnSig: sigS}); err != nil || !bytes.Equal(enc, raw) {
		t.Errorf("re-encode:\n got %x\nwant %x (%v)", enc, raw, err)
	}
}

// TestSignerConcurrent signs from many goroutines at once: the pooled HMAC
// states must never be shared between two signatures in flight.
func TestSignerConcurrent(t *testing.T) {
	sg := newSigner(docAccessKey)
	payload := unhex(t, "deadbeef")
	want := sg.dataSigA(seqBytes(0, 32), 2, 0, payload)
	done := make(chan bool)
	for range 8 {
		go func() {
			ok := true
			for range 500 {
				ok = ok && sg.dataSigA(seqBytes(0, 32), 2, 0, payload) == want
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Fatal("concurrent signatures differ")
		}
	}
}
