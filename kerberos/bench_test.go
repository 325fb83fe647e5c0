package kerberos

import (
	"sync/atomic"
	"testing"
)

func BenchmarkDeriveKeyOld(b *testing.B) {
	for b.Loop() {
		DeriveKey(DerivationOld, 1234567, "testpassword")
	}
}

func BenchmarkDeriveKeyNew(b *testing.B) {
	for b.Loop() {
		DeriveKey(DerivationNew, 1234567, "testpassword")
	}
}

// BenchmarkKeyCacheHit is the cost of a login whose key is cached, from
// many goroutines at once.
func BenchmarkKeyCacheHit(b *testing.B) {
	c := NewKeyCache(0)
	c.Key(DerivationOld, 1234567, "testpassword")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Key(DerivationOld, 1234567, "testpassword")
		}
	})
}

func BenchmarkDecryptClientTicket(b *testing.B) {
	s := wiiu
	key := randomBytes(b, 16)
	internal, _ := EncryptInternalTicket(randomBytes(b, 16), &TicketInfo{Issued: issuedAt, SourcePID: 1, SessionKey: make([]byte, 32)}, s)
	blob, _ := EncryptClientTicket(key, &ClientTicket{SessionKey: make([]byte, 32), TargetPID: 2, InternalTicket: internal}, s)
	for b.Loop() {
		if _, err := DecryptClientTicket(key, blob, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures accepting one secure CONNECT, replay
// bookkeeping included. Payloads are prepared in batches (each may be
// accepted only once); a fresh verifier takes over for every batch.
func BenchmarkVerify(b *testing.B) {
	const batch = 4096
	f := newFixture(b, wiiu, issuedAt)
	c := newClock(issuedAt)
	payloads := make([][]byte, batch)
	for i := range payloads {
		payloads[i] = f.payload(b, uint32(i))
	}
	v := f.verifier(b, c, VerifierConfig{})
	i := 0
	for b.Loop() {
		if i == batch {
			b.StopTimer()
			v, i = f.verifier(b, c, VerifierConfig{}), 0
			b.StartTimer()
		}
		if _, err := v.Verify(payloads[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkVerifyParallel is BenchmarkVerify from many goroutines sharing
// one verifier (and its replay memory).
func BenchmarkVerifyParallel(b *testing.B) {
	f := newFixture(b, wiiu, issuedAt)
	c := newClock(issuedAt)
	n := min(b.N, 1<<16)
	payloads := make([][]byte, n)
	for i := range payloads {
		payloads[i] = f.payload(b, uint32(i))
	}
	v := f.verifier(b, c, VerifierConfig{MaxReplayEntries: n})
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			// Replays are refused after the full checks, so this still
			// costs one full verification per call once payloads repeat.
			v.Verify(payloads[int(next.Add(1))%n])
		}
	})
}
