package prudp

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// refV1Sig is the PRUDPv1 signature by crypto/hmac, as prudp.md §6.3
// defines it.
func refV1Sig(accessKey string, hdr, sessionKey, connSig, body []byte) [md5.Size]byte {
	key := md5.Sum([]byte(accessKey))
	h := hmac.New(md5.New, key[:])
	h.Write(hdr)
	h.Write(sessionKey)
	var ak [4]byte
	binary.LittleEndian.PutUint32(ak[:], ChecksumBase(accessKey))
	h.Write(ak[:])
	h.Write(connSig)
	h.Write(body)
	return [md5.Size]byte(h.Sum(nil))
}

// TestSignerMatchesHMAC checks the signer's reused HMAC states against a
// fresh crypto/hmac for every body length across the MD5 block
// boundaries, signing with one signer again and again (reuse must not
// leak state from one packet into the next).
func TestSignerMatchesHMAC(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := newSigner("25dbf96a")
	fill := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for n := range 300 {
		hdr, sk, cs, body := fill(8), fill(16), fill(16), fill(n)
		if got, want := s.v1Sig(hdr, sk, cs, body), refV1Sig("25dbf96a", hdr, sk, cs, body); got != want {
			t.Fatalf("body of %d bytes: %x, want %x", n, got, want)
		}
		key := md5.Sum([]byte("25dbf96a"))
		h := hmac.New(md5.New, key[:])
		h.Write(body)
		if got, want := s.dataSigB(body), [4]byte(h.Sum(nil)); n > 0 && got != want {
			t.Fatalf("dataSigB of %d bytes: %x, want %x", n, got, want)
		}
	}
}

// BenchmarkV1Sig signs an acknowledgement (no payload) and a DATA packet
// of a short RMC call, the two packets a call's datagrams carry.
func BenchmarkV1Sig(b *testing.B) {
	s := newSigner("25dbf96a")
	hdr, sk, cs := make([]byte, 8), make([]byte, 16), make([]byte, 16)
	for _, n := range []int{6, 80} {
		body := make([]byte, n)
		b.Run(map[int]string{6: "ack", 80: "data"}[n], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.v1Sig(hdr, sk, cs, body)
			}
		})
	}
}
