package kerberos

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable test clock, safe for concurrent readers.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }

func newTestVerifier(t testing.TB, key []byte, s Settings, now time.Time) *Verifier {
	t.Helper()
	v, err := NewVerifier(VerifierConfig{SecureKey: key, ServerPID: 2, Settings: s, Now: newClock(now).now})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fixture is one user's ticket and a way to make CONNECT payloads for it.
type fixture struct {
	s         Settings
	serverKey []byte
	info      TicketInfo
	internal  []byte
}

var issuedAt = time.Date(2026, 11, 21, 10, 11, 25, 0, time.UTC)

func newFixture(t testing.TB, s Settings, issued time.Time) *fixture {
	t.Helper()
	f := &fixture{s: s, serverKey: randomBytes(t, 16)}
	f.info = TicketInfo{Issued: issued, SourcePID: 1234567, SessionKey: randomBytes(t, s.KeySize)}
	var err error
	if f.internal, err = EncryptInternalTicket(f.serverKey, &f.info, s); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) payload(t testing.TB, check uint32) []byte {
	t.Helper()
	p, err := BuildConnectPayload(f.internal, f.info.SessionKey, ConnectRequest{PID: f.info.SourcePID, CID: 1, Check: check}, f.s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (f *fixture) verifier(t testing.TB, c *clock, cfg VerifierConfig) *Verifier {
	t.Helper()
	cfg.SecureKey, cfg.Settings, cfg.Now = f.serverKey, f.s, c.now
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var wiiu = Settings{KeySize: 32, PIDSize: 4, TicketVersion: 1, Derivation: DerivationOld}

func TestVerifyWindow(t *testing.T) {
	f := newFixture(t, wiiu, issuedAt)
	cases := []struct {
		at   time.Duration // clock relative to issue time
		want error
	}{
		{0, nil},
		{120 * time.Second, nil},
		{120*time.Second + time.Nanosecond, ErrExpired},
		{time.Hour, ErrExpired},
		{-30 * time.Second, nil},
		{-31 * time.Second, ErrNotYetValid},
		{-24 * time.Hour, ErrNotYetValid},
	}
	for i, c := range cases {
		v := f.verifier(t, newClock(issuedAt.Add(c.at)), VerifierConfig{})
		_, err := v.Verify(f.payload(t, uint32(i)))
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("clock at issue%+v: %v, want %v", c.at, err, c.want)
		}
	}
	// A custom window and skew are honoured.
	v := f.verifier(t, newClock(issuedAt.Add(10*time.Second)), VerifierConfig{Window: 5 * time.Second})
	if _, err := v.Verify(f.payload(t, 1)); !errors.Is(err, ErrExpired) {
		t.Errorf("5 s window: %v", err)
	}
	v = f.verifier(t, newClock(issuedAt.Add(-2*time.Second)), VerifierConfig{MaxSkew: time.Second})
	if _, err := v.Verify(f.payload(t, 1)); !errors.Is(err, ErrNotYetValid) {
		t.Errorf("1 s skew: %v", err)
	}
}

func TestVerifyWrongServer(t *testing.T) {
	f := newFixture(t, wiiu, issuedAt)
	other := newFixture(t, wiiu, issuedAt) // same user, ticket for another server key
	v := f.verifier(t, newClock(issuedAt), VerifierConfig{ServerPID: 2})
	if _, err := v.Verify(other.payload(t, 1)); !errors.Is(err, ErrBadMAC) {
		t.Fatalf("ticket for another server: %v", err)
	}
	if err := v.CheckTarget(&ClientTicket{TargetPID: 3}); !errors.Is(err, ErrWrongTarget) {
		t.Errorf("CheckTarget(3): %v", err)
	}
	if err := v.CheckTarget(&ClientTicket{TargetPID: 0}); !errors.Is(err, ErrWrongTarget) {
		t.Errorf("CheckTarget(0): %v", err)
	}
	if err := v.CheckTarget(&ClientTicket{TargetPID: 2}); err != nil {
		t.Errorf("CheckTarget(2): %v", err)
	}
}

func TestVerifyRequest(t *testing.T) {
	for _, s := range allSettings() {
		t.Run(name(s), func(t *testing.T) {
			f := newFixture(t, s, issuedAt)
			v := f.verifier(t, newClock(issuedAt), VerifierConfig{})
			mk := func(plain []byte) []byte {
				sealed, _ := Encrypt(f.info.SessionKey, plain)
				return appendBuffer(appendBuffer(nil, f.internal), sealed)
			}
			good := appendPID(nil, f.info.SourcePID, s.PIDSize)
			good = append(good, 1, 0, 0, 0, 9, 0, 0, 0)
			if _, err := v.Verify(mk(good)); err != nil {
				t.Fatalf("good request: %v", err)
			}
			wrongPID := appendPID(nil, f.info.SourcePID+1, s.PIDSize)
			wrongPID = append(wrongPID, 1, 0, 0, 0, 9, 0, 0, 0)
			if _, err := v.Verify(mk(wrongPID)); !errors.Is(err, ErrPIDMismatch) {
				t.Errorf("wrong pid: %v", err)
			}
			for _, n := range []int{0, len(good) - 1, len(good) + 1, len(good) + 4} {
				plain := make([]byte, n)
				copy(plain, good)
				if _, err := v.Verify(mk(plain)); !errors.Is(err, ErrMalformed) {
					t.Errorf("%d-byte request: %v", n, err)
				}
			}
			// A request sealed with another key.
			sealed, _ := Encrypt(randomBytes(t, s.KeySize), good)
			if _, err := v.Verify(appendBuffer(appendBuffer(nil, f.internal), sealed)); !errors.Is(err, ErrBadMAC) {
				t.Errorf("request under wrong key: %v", err)
			}
		})
	}
}

func TestVerifyReplay(t *testing.T) {
	f := newFixture(t, wiiu, issuedAt)
	c := newClock(issuedAt)
	v := f.verifier(t, c, VerifierConfig{})
	p := f.payload(t, 42)
	res, err := v.Verify(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(res.Response, []byte{4, 0, 0, 0, 43, 0, 0, 0}) {
		t.Errorf("response %x", res.Response)
	}
	// The same bytes again (a new connection from anywhere): refused,
	// also with junk appended to make them look new.
	c.add(10 * time.Second)
	if _, err := v.Verify(p); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay: %v", err)
	}
	if _, err := v.Verify(append(bytes.Clone(p), 0xee)); !errors.Is(err, ErrReplay) {
		t.Fatalf("replay with trailing byte: %v", err)
	}
	// The same ticket with a fresh request is a legitimate reconnection.
	if _, err := v.Verify(f.payload(t, 43)); err != nil {
		t.Fatalf("fresh request on the same ticket: %v", err)
	}
	// Once the window is over the entry goes, and the ticket is too old.
	c.set(issuedAt.Add(121 * time.Second))
	if _, err := v.Verify(p); !errors.Is(err, ErrExpired) {
		t.Fatalf("after window: %v", err)
	}
	if n := v.replay.len(); n != 2 {
		t.Errorf("%d entries remembered before any admission, want 2", n)
	}
	// An admission after the window purges the expired entries.
	g := newFixture(t, wiiu, issuedAt.Add(121*time.Second))
	g.serverKey = f.serverKey
	g.internal, _ = EncryptInternalTicket(g.serverKey, &g.info, wiiu)
	if _, err := v.Verify(g.payload(t, 1)); err != nil {
		t.Fatal(err)
	}
	if n := v.replay.len(); n != 1 {
		t.Errorf("%d entries after expiry, want 1", n)
	}
}

func TestVerifyReplayMemoryBounded(t *testing.T) {
	f := newFixture(t, wiiu, issuedAt)
	c := newClock(issuedAt)
	v := f.verifier(t, c, VerifierConfig{MaxReplayEntries: 8})
	for i := range 100 {
		if _, err := v.Verify(f.payload(t, uint32(i))); err != nil {
			t.Fatal(err)
		}
		if n := v.replay.len(); n > 8 {
			t.Fatalf("%d entries, cap 8", n)
		}
	}
	// The newest entries are the ones kept.
	if _, err := v.Verify(f.payload(t, 99)); !errors.Is(err, ErrReplay) {
		t.Errorf("recent replay: %v", err)
	}
}

func TestVerifyReplayEvictsSoonestExpiry(t *testing.T) {
	c := newClock(issuedAt.Add(60 * time.Second))
	old := newFixture(t, wiiu, issuedAt)
	young := newFixture(t, wiiu, issuedAt.Add(50*time.Second))
	young.serverKey = old.serverKey
	young.internal, _ = EncryptInternalTicket(young.serverKey, &young.info, wiiu)
	v := old.verifier(t, c, VerifierConfig{MaxReplayEntries: 2})
	pYoung, pOld := young.payload(t, 1), old.payload(t, 1)
	for _, p := range [][]byte{pYoung, pOld, young.payload(t, 2)} {
		if _, err := v.Verify(p); err != nil {
			t.Fatal(err)
		}
	}
	// The old ticket's entry made room; the young one's stayed.
	if _, err := v.Verify(pYoung); !errors.Is(err, ErrReplay) {
		t.Errorf("young replay: %v", err)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	f := newFixture(t, wiiu, issuedAt)
	c := newClock(issuedAt)
	v := f.verifier(t, c, VerifierConfig{})
	const workers, each = 8, 50
	payloads := make([][]byte, workers*each)
	for i := range payloads {
		payloads[i] = f.payload(t, uint32(i))
	}
	var wg sync.WaitGroup
	var ok, replays atomic.Int64
	// Every worker presents every payload: each must be accepted exactly
	// once overall.
	for w := range workers {
		wg.Go(func() {
			for i := range payloads {
				p := payloads[(i+w*each)%len(payloads)]
				_, err := v.Verify(p)
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ErrReplay):
					replays.Add(1)
				default:
					t.Error(err)
				}
			}
			c.add(time.Millisecond)
		})
	}
	wg.Wait()
	if ok.Load() != int64(len(payloads)) || replays.Load() != int64((workers-1)*len(payloads)) {
		t.Fatalf("accepted %d, replays %d", ok.Load(), replays.Load())
	}
}

func TestNewVerifierValidates(t *testing.T) {
	for what, cfg := range map[string]VerifierConfig{
		"no key":       {Settings: wiiu},
		"huge key":     {Settings: wiiu, SecureKey: make([]byte, 257)},
		"bad settings": {SecureKey: []byte("k")},
		"neg window":   {Settings: wiiu, SecureKey: []byte("k"), Window: -1},
		"neg skew":     {Settings: wiiu, SecureKey: []byte("k"), MaxSkew: -1},
		"neg replay":   {Settings: wiiu, SecureKey: []byte("k"), MaxReplayEntries: -1},
	} {
		if _, err := NewVerifier(cfg); !errors.Is(err, ErrInvalidSettings) {
			t.Errorf("%s: %v", what, err)
		}
	}
	// The key is copied: later changes to the caller's slice do not matter.
	key := []byte("0123456789abcdef")
	v, err := NewVerifier(VerifierConfig{SecureKey: key, Settings: wiiu})
	if err != nil {
		t.Fatal(err)
	}
	key[0] ^= 1
	if v.key[0] == key[0] {
		t.Error("secure key aliased")
	}
	if v.window != DefaultWindow || v.skew != DefaultMaxSkew || v.replay.max != DefaultReplayEntries {
		t.Error("defaults not applied")
	}
}

func TestVerifyRealClock(t *testing.T) {
	f := newFixture(t, wiiu, time.Now())
	v, err := NewVerifier(VerifierConfig{SecureKey: f.serverKey, Settings: wiiu})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(f.payload(t, 5)); err != nil {
		t.Fatal(err)
	}
}
