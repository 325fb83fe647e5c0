package prudp

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash"
	"net/netip"
	"sync"
)

// signer computes the HMAC-MD5 packet signatures of one access key. The
// HMAC states live in a pool and are reset rather than rebuilt, so signing
// a packet allocates nothing and md5(ak) is computed once per codec.
type signer struct {
	akSum uint32 // sum of the access key bytes (v1 HMAC input)
	pool  sync.Pool
}

// macState is one reusable HMAC-MD5 keyed with md5(ak), plus scratch space
// that keeps the digest and small inputs off the heap.
type macState struct {
	h   hash.Hash
	sum [md5.Size]byte
	buf [8]byte
}

func newSigner(accessKey string) *signer {
	key := md5.Sum([]byte(accessKey))
	s := &signer{akSum: ChecksumBase(accessKey)}
	s.pool.New = func() any { return &macState{h: hmac.New(md5.New, key[:])} }
	return s
}

func (s *signer) get() *macState {
	m := s.pool.Get().(*macState)
	m.h.Reset()
	return m
}

func (s *signer) put(m *macState) { s.pool.Put(m) }

// finish returns the digest of everything written to m and recycles m.
func (s *signer) finish(m *macState) [md5.Size]byte {
	m.h.Sum(m.sum[:0]) // fills m.sum: its capacity is exactly one digest
	out := m.sum
	s.put(m)
	return out
}

// dataSigA is the v0 signature_version 0 DATA/DISCONNECT signature:
// hmac(md5(ak), session_key || seq || fragment id || payload)[:4].
func (s *signer) dataSigA(sessionKey []byte, seq uint16, frag uint8, payload []byte) [4]byte {
	m := s.get()
	m.h.Write(sessionKey)
	binary.LittleEndian.PutUint16(m.buf[:], seq)
	m.buf[2] = frag
	m.h.Write(m.buf[:3])
	m.h.Write(payload)
	d := s.finish(m)
	return [4]byte(d[:4])
}

// dataSigB is the v0 signature_version 1 (friends) DATA signature: the
// HMAC of the payload alone, or a fixed constant for an empty payload.
func (s *signer) dataSigB(payload []byte) [4]byte {
	if len(payload) == 0 {
		return [4]byte{0x78, 0x56, 0x34, 0x12}
	}
	m := s.get()
	m.h.Write(payload)
	d := s.finish(m)
	return [4]byte(d[:4])
}

// v1Sig is the PRUDPv1 signature (prudp.md §6.3). hdr is the 8 header
// bytes at offsets 0x06-0x0D and body the option block followed by the
// payload, both exactly as on the wire.
func (s *signer) v1Sig(hdr, sessionKey, connSig, body []byte) [md5.Size]byte {
	m := s.get()
	m.h.Write(hdr)
	m.h.Write(sessionKey)
	binary.LittleEndian.PutUint32(m.buf[:], s.akSum)
	m.h.Write(m.buf[:4])
	m.h.Write(connSig)
	m.h.Write(body)
	return s.finish(m)
}

// LiteSignature is the PRUDPLite CONNECT signature (option 0x80):
// hmac_md5(md5(ak), md5(ak) || sigS), where sigS is the connection
// signature of the server's SYN reply.
func LiteSignature(accessKey string, sigS []byte) []byte {
	key := md5.Sum([]byte(accessKey))
	h := hmac.New(md5.New, key[:])
	h.Write(key[:])
	h.Write(sigS)
	return h.Sum(nil)
}

// ConnSignature computes the connection signature a side sends for the
// peer address it sees (prudp.md §6.1). v0/RV: the first 4 bytes of
// md5(ip || port big endian), reversed; v1/Lite: hmac_md5(key, ip || port).
// key should be random per listener (see NewConnSigKey): the value is an
// opaque nonce the peer echoes, and a fixed key would let anyone predict it.
// IPv4 (also IPv4-mapped) addresses contribute 4 bytes, others 16.
func ConnSignature(v Variant, key []byte, addr netip.AddrPort) []byte {
	var in [18]byte
	n := 0
	if a := addr.Addr().Unmap(); a.Is4() {
		b := a.As4()
		n = copy(in[:], b[:])
	} else {
		b := a.As16()
		n = copy(in[:], b[:])
	}
	binary.BigEndian.PutUint16(in[n:], addr.Port())
	n += 2
	if v == V0 || v == RV {
		d := md5.Sum(in[:n])
		return []byte{d[3], d[2], d[1], d[0]}
	}
	h := hmac.New(md5.New, key)
	h.Write(in[:n])
	return h.Sum(nil)
}

// NewConnSigKey returns a fresh random key for ConnSignature.
func NewConnSigKey() ([]byte, error) {
	k := make([]byte, 16)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("prudp: connection signature key: %w", err)
	}
	return k, nil
}
