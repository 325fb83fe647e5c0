package kerberos

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"
)

// allSettings is every combination of ticket version, key size and PID
// size.
func allSettings() []Settings {
	var out []Settings
	for _, tv := range []int{0, 1} {
		for _, ks := range []int{16, 32} {
			for _, ps := range []int{4, 8} {
				out = append(out, Settings{KeySize: ks, PIDSize: ps, TicketVersion: tv, Derivation: DerivationOld})
			}
		}
	}
	return out
}

func name(s Settings) string {
	return fmt.Sprintf("v%d/key%d/pid%d", s.TicketVersion, s.KeySize, s.PIDSize)
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func bigPID(s Settings) uint64 {
	if s.PIDSize == 8 {
		return 0x0123456789abcdef
	}
	return 0xfedcba98
}

func TestRoundTripAllSettings(t *testing.T) {
	issued := time.Date(2031, 2, 28, 23, 59, 59, 0, time.UTC)
	for _, s := range allSettings() {
		t.Run(name(s), func(t *testing.T) {
			userKey, targetKey := randomBytes(t, 16), randomBytes(t, 16)
			sk := randomBytes(t, s.KeySize)
			info := &TicketInfo{Issued: issued, SourcePID: bigPID(s), SessionKey: sk}
			internal, err := EncryptInternalTicket(targetKey, info, s)
			if err != nil {
				t.Fatal(err)
			}
			for _, attrs := range [][]byte{nil, {}, []byte(`{"v":1,"att":2,"pid":1234567}` + "\x00")} {
				ct := &ClientTicket{SessionKey: sk, TargetPID: bigPID(s) - 1, InternalTicket: internal, Attributes: attrs}
				enc, err := EncryptClientTicket(userKey, ct, s)
				if err != nil {
					t.Fatal(err)
				}
				got, err := DecryptClientTicket(userKey, enc, s)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.SessionKey, sk) || got.TargetPID != ct.TargetPID || !bytes.Equal(got.InternalTicket, internal) ||
					!bytes.Equal(got.Attributes, attrs) || (got.Attributes == nil) != (attrs == nil) {
					t.Fatalf("attrs %q: got %+v", attrs, got)
				}
				again, _ := EncryptClientTicket(userKey, got, s)
				if !bytes.Equal(again, enc) {
					t.Fatalf("attrs %q: re-encryption differs", attrs)
				}
			}
			back, err := ParseInternalTicket(targetKey, internal, s)
			if err != nil {
				t.Fatal(err)
			}
			if !back.Issued.Equal(issued) || back.SourcePID != info.SourcePID || !bytes.Equal(back.SessionKey, sk) || back.Extra != nil {
				t.Fatalf("info %+v", back)
			}
			// Trailing info bytes (NEX 4 logins) survive a round trip.
			info.Extra = []byte{1, 2, 3, 4, 5}
			internal, _ = EncryptInternalTicket(targetKey, info, s)
			back, err = ParseInternalTicket(targetKey, internal, s)
			if err != nil || !bytes.Equal(back.Extra, info.Extra) {
				t.Fatalf("extra: %+v, %v", back, err)
			}
			// Full handshake.
			req := ConnectRequest{PID: info.SourcePID, CID: 7, Check: 0xffffffff}
			payload, err := BuildConnectPayload(internal, sk, req, s)
			if err != nil {
				t.Fatal(err)
			}
			v := newTestVerifier(t, targetKey, s, issued)
			res, err := v.Verify(payload)
			if err != nil {
				t.Fatal(err)
			}
			if res.PID != req.PID || res.CID != req.CID || !bytes.Equal(res.SessionKey, sk) {
				t.Fatalf("result %+v", res)
			}
			if err := ParseConnectReply(res.Response, req.Check); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestVersion1TicketKeysAreFresh(t *testing.T) {
	s := Settings{KeySize: 32, PIDSize: 4, TicketVersion: 1}
	info := &TicketInfo{Issued: time.Now(), SourcePID: 1, SessionKey: make([]byte, 32)}
	a, _ := EncryptInternalTicket(make([]byte, 16), info, s)
	b, _ := EncryptInternalTicket(make([]byte, 16), info, s)
	if bytes.Equal(a, b) {
		t.Fatal("two version 1 tickets share their ticket key")
	}
	if len(a) != 4+16+4+(8+4+32)+16 {
		t.Fatalf("version 1 ticket of %d bytes", len(a))
	}
}

// TestTamperAnyBit flips every bit of every sealed structure in turn.
func TestTamperAnyBit(t *testing.T) {
	for _, s := range allSettings() {
		t.Run(name(s), func(t *testing.T) {
			userKey, targetKey, sk := randomBytes(t, 16), randomBytes(t, 16), randomBytes(t, s.KeySize)
			internal, _ := EncryptInternalTicket(targetKey, &TicketInfo{Issued: time.Now(), SourcePID: 9, SessionKey: sk}, s)
			client, _ := EncryptClientTicket(userKey, &ClientTicket{SessionKey: sk, TargetPID: 2, InternalTicket: internal}, s)
			for i := range len(client) * 8 {
				b := bytes.Clone(client)
				b[i/8] ^= 1 << (i % 8)
				if _, err := DecryptClientTicket(userKey, b, s); !errors.Is(err, ErrBadMAC) {
					t.Fatalf("client ticket bit %d: %v", i, err)
				}
			}
			for i := range len(internal) * 8 {
				b := bytes.Clone(internal)
				b[i/8] ^= 1 << (i % 8)
				_, err := ParseInternalTicket(targetKey, b, s)
				// Flips in a version 1 length prefix break the framing
				// before the MAC is reached.
				if !errors.Is(err, ErrBadMAC) && !(s.TicketVersion == 1 && errors.Is(err, ErrMalformed)) {
					t.Fatalf("internal ticket bit %d: %v", i, err)
				}
			}
		})
	}
}

func TestWrongKey(t *testing.T) {
	for _, s := range allSettings() {
		userKey, targetKey, sk := randomBytes(t, 16), randomBytes(t, 16), randomBytes(t, s.KeySize)
		internal, _ := EncryptInternalTicket(targetKey, &TicketInfo{Issued: time.Now(), SourcePID: 9, SessionKey: sk}, s)
		client, _ := EncryptClientTicket(userKey, &ClientTicket{SessionKey: sk, TargetPID: 2, InternalTicket: internal}, s)
		if _, err := DecryptClientTicket(targetKey, client, s); !errors.Is(err, ErrBadMAC) {
			t.Errorf("%s: client ticket with wrong key: %v", name(s), err)
		}
		if _, err := ParseInternalTicket(userKey, internal, s); !errors.Is(err, ErrBadMAC) {
			t.Errorf("%s: internal ticket with wrong key: %v", name(s), err)
		}
	}
}

func TestPrimitive(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 1000} {
		key, plain := randomBytes(t, 32), randomBytes(t, n)
		enc, err := Encrypt(key, plain)
		if err != nil || len(enc) != n+16 {
			t.Fatalf("len %d: %d bytes, %v", n, len(enc), err)
		}
		dec, err := Decrypt(key, enc)
		if err != nil || !bytes.Equal(dec, plain) {
			t.Fatalf("len %d: %v", n, err)
		}
		// Decrypt must not write into its input.
		if again, _ := Decrypt(key, enc); !bytes.Equal(again, plain) {
			t.Fatal("input modified")
		}
	}
	for _, n := range []int{0, 15} {
		if _, err := Decrypt([]byte("k"), make([]byte, n)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%d-byte blob: %v", n, err)
		}
	}
	for _, key := range [][]byte{nil, make([]byte, 257)} {
		if _, err := Encrypt(key, []byte("x")); err == nil {
			t.Errorf("encrypt with %d-byte key accepted", len(key))
		}
		if _, err := Decrypt(key, make([]byte, 20)); err == nil {
			t.Errorf("decrypt with %d-byte key accepted", len(key))
		}
	}
}

func TestEncodeRejectsInconsistentFields(t *testing.T) {
	s := Settings{KeySize: 32, PIDSize: 4, TicketVersion: 1}
	key := make([]byte, 16)
	if _, err := EncryptClientTicket(key, &ClientTicket{SessionKey: make([]byte, 16)}, s); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("short session key: %v", err)
	}
	if _, err := EncryptClientTicket(key, &ClientTicket{SessionKey: make([]byte, 32), TargetPID: 1 << 32}, s); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("wide target pid: %v", err)
	}
	if _, err := EncryptInternalTicket(key, &TicketInfo{SessionKey: make([]byte, 31)}, s); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("short session key: %v", err)
	}
	if _, err := EncryptInternalTicket(key, &TicketInfo{SessionKey: make([]byte, 32), SourcePID: 1 << 40}, s); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("wide source pid: %v", err)
	}
	if _, err := BuildConnectPayload(nil, key, ConnectRequest{PID: 1 << 32}, s); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("wide request pid: %v", err)
	}
	if _, err := EncryptClientTicket(key, &ClientTicket{SessionKey: make([]byte, 32)}, Settings{}); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("zero settings: %v", err)
	}
}
