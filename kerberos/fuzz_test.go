package kerberos

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

// fuzzSettings maps a fuzz byte to one of the eight valid settings.
func fuzzSettings(mode uint8) Settings {
	s := Settings{KeySize: 16, PIDSize: 4, TicketVersion: int(mode >> 2 & 1)}
	if mode&1 != 0 {
		s.KeySize = 32
	}
	if mode&2 != 0 {
		s.PIDSize = 8
	}
	return s
}

func modeOf(s Settings) uint8 {
	var m uint8
	if s.KeySize == 32 {
		m |= 1
	}
	if s.PIDSize == 8 {
		m |= 2
	}
	return m | uint8(s.TicketVersion)<<2
}

// haveVectors reports whether seeds can come from ../shared/vectors; the
// fuzz targets still run on their synthetic seeds without them.
func haveVectors() bool { return vectors.Dir() != "" }

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzDecryptClientTicket checks that no input panics, that a ticket that
// decrypts re-encrypts to the same bytes, and (the MAC aside) that the
// body parser only accepts what it can reproduce exactly.
func FuzzDecryptClientTicket(f *testing.F) {
	key := []byte("0123456789abcdef")
	for _, s := range allSettings() {
		body, _ := (&ClientTicket{SessionKey: make([]byte, s.KeySize), TargetPID: 2, InternalTicket: []byte{1, 2, 3}, Attributes: []byte("{}\x00")}).marshal(s)
		enc, _ := Encrypt(key, body)
		f.Add(key, enc, modeOf(s))
		f.Add(key, body, modeOf(s))
	}
	if haveVectors() {
		v := loadKerberos(f)
		for _, c := range v.ClientTickets {
			s := Settings{KeySize: c.Settings.KeySize, PIDSize: c.Settings.PIDSize}
			f.Add(mustHex(c.UserKey), mustHex(c.Encrypted), modeOf(s))
			f.Add(mustHex(c.UserKey), mustHex(c.Plaintext), modeOf(s))
		}
		for _, c := range v.Tampered {
			f.Add(mustHex(c.Key), mustHex(c.Encrypted), uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, key, data []byte, mode uint8) {
		s := fuzzSettings(mode)
		if ct, err := DecryptClientTicket(key, data, s); err == nil {
			again, err := EncryptClientTicket(key, ct, s)
			if err != nil || !bytes.Equal(again, data) {
				t.Fatalf("decrypted ticket does not re-encrypt: %v", err)
			}
		} else if !errors.Is(err, ErrBadMAC) && !errors.Is(err, ErrMalformed) && len(key) >= 1 && len(key) <= 256 {
			t.Fatalf("unexpected error class: %v", err)
		}
		// Treat data as the plaintext body to reach the parser.
		if len(key) < 1 || len(key) > 256 {
			return
		}
		enc, _ := Encrypt(key, data)
		ct, err := DecryptClientTicket(key, enc, s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("valid MAC, error %v", err)
			}
			return
		}
		if body, err := ct.marshal(s); err != nil || !bytes.Equal(body, data) {
			t.Fatalf("parsed body does not re-encode: %x -> %x (%v)", data, body, err)
		}
	})
}

// FuzzParseInternalTicket checks the internal ticket decoder the same way,
// for both ticket versions.
func FuzzParseInternalTicket(f *testing.F) {
	key := []byte("fedcba9876543210")
	tk := []byte("ticket-key-16byt")
	for _, s := range allSettings() {
		info := &TicketInfo{Issued: issuedAt, SourcePID: 7, SessionKey: make([]byte, s.KeySize), Extra: []byte{9}}
		sealed, _ := sealInternal(key, info, s, tk)
		plain, _ := info.marshal(s)
		f.Add(key, sealed, modeOf(s))
		f.Add(key, plain, modeOf(s))
	}
	if haveVectors() {
		for _, c := range loadKerberos(f).ServerTickets {
			s := Settings{KeySize: c.Settings.KeySize, PIDSize: c.Settings.PIDSize, TicketVersion: *c.Settings.TicketVersion}
			f.Add(mustHex(c.ServerKey), mustHex(c.Encrypted), modeOf(s))
		}
	}
	f.Fuzz(func(t *testing.T, key, data []byte, mode uint8) {
		s := fuzzSettings(mode)
		if info, err := ParseInternalTicket(key, data, s); err == nil {
			var tk []byte
			if s.TicketVersion == 1 {
				r := reader{b: data}
				tk = r.buffer("ticket key")
			}
			again, err := sealInternal(key, info, s, tk)
			if err != nil || !bytes.Equal(again, data) {
				t.Fatalf("parsed ticket does not re-seal: %v", err)
			}
		}
		if len(key) < 1 || len(key) > 256 {
			return
		}
		// Treat data as the ticket info plaintext.
		var blob []byte
		if s.TicketVersion == 0 {
			blob, _ = Encrypt(key, data)
		} else {
			sealed, _ := Encrypt(finalKey(key, tk), data)
			blob = appendBuffer(appendBuffer(nil, tk), sealed)
		}
		info, err := ParseInternalTicket(key, blob, s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("valid MAC, error %v", err)
			}
			return
		}
		if plain, err := info.marshal(s); err != nil || !bytes.Equal(plain, data) {
			t.Fatalf("parsed info does not re-encode: %x -> %x (%v)", data, plain, err)
		}
	})
}

// FuzzVerifyConnect feeds arbitrary payloads (with the key and clock they
// claim) to a Verifier, and arbitrary request plaintexts behind a valid
// ticket, checking that acceptance implies every documented condition.
func FuzzVerifyConnect(f *testing.F) {
	key := []byte("secure-server-k!")
	for _, s := range allSettings() {
		fx := &fixture{s: s, serverKey: key, info: TicketInfo{Issued: issuedAt, SourcePID: 1234567, SessionKey: make([]byte, s.KeySize)}}
		fx.internal, _ = sealInternal(key, &fx.info, s, []byte("ticket-key-16byt"))
		req := appendPID(nil, 1234567, s.PIDSize)
		req = append(req, 1, 0, 0, 0, 0x78, 0x56, 0x34, 0x12)
		f.Add(key, fx.payload(f, 0x12345678), issuedAt.Unix(), req, modeOf(s))
	}
	if haveVectors() {
		for _, c := range loadKerberos(f).ConnectRequest {
			s := Settings{KeySize: c.Settings.KeySize, PIDSize: c.Settings.PIDSize, TicketVersion: 1}
			f.Add(key, mustHex(c.Payload), issuedAt.Unix(), mustHex(c.RequestPlaintext), modeOf(s))
		}
		for _, name := range sessionFiles {
			v, s := loadSession(f, name)
			for _, c := range v.Connections {
				if c.ConnectRequest == nil {
					continue
				}
				issued, _ := timeOfDateTime(c.ConnectRequest.Decrypted.Timestamp)
				payload := appendBuffer(appendBuffer(nil, mustHex(c.ConnectRequest.InternalTicket)), mustHex(c.ConnectRequest.RequestData))
				f.Add(mustHex(v.Keys.SecureServer.Key), payload, issued.Unix(), mustHex(c.ConnectRequest.RequestDecrypted), modeOf(s))
			}
		}
	}
	f.Fuzz(func(t *testing.T, key, payload []byte, now int64, reqPlain []byte, mode uint8) {
		s := fuzzSettings(mode)
		clock := time.Unix(now, 0).UTC()
		v, err := NewVerifier(VerifierConfig{SecureKey: key, Settings: s, Now: func() time.Time { return clock }})
		if err != nil {
			return
		}
		if res, err := v.Verify(payload); err == nil {
			if len(res.Response) != 8 || len(res.SessionKey) != s.KeySize {
				t.Fatalf("accepted with result %+v", res)
			}
			if _, err := v.Verify(payload); !errors.Is(err, ErrReplay) {
				t.Fatalf("second presentation: %v", err)
			}
		}
		// A valid ticket issued at the clock, with reqPlain as the request.
		fx := &fixture{s: s, serverKey: key, info: TicketInfo{Issued: clock.Truncate(time.Second), SourcePID: 1234567, SessionKey: make([]byte, s.KeySize)}}
		if fx.internal, err = sealInternal(key, &fx.info, s, []byte("ticket-key-16byt")); err != nil {
			return // clock outside the DateTime range
		}
		sealed, _ := Encrypt(fx.info.SessionKey, reqPlain)
		res, err := v.Verify(appendBuffer(appendBuffer(nil, fx.internal), sealed))
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrPIDMismatch) && !errors.Is(err, ErrReplay) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if len(reqPlain) != s.PIDSize+8 || res.PID != 1234567 {
			t.Fatalf("accepted request %x as %+v", reqPlain, res)
		}
		if want := ConnectReply(uint32(reqPlain[s.PIDSize+4]) | uint32(reqPlain[s.PIDSize+5])<<8 | uint32(reqPlain[s.PIDSize+6])<<16 | uint32(reqPlain[s.PIDSize+7])<<24); !bytes.Equal(res.Response, want) {
			t.Fatalf("response %x, want %x", res.Response, want)
		}
	})
}

// FuzzParseConnectReply checks the client's reading of a secure server's
// CONNECT reply: no input panics, a reply is accepted exactly when it is
// the one ConnectReply writes for the check value, and every refusal is
// ErrMalformed or ErrBadCheck.
func FuzzParseConnectReply(f *testing.F) {
	for _, check := range []uint32{0, 41, 0x12345678, 0xffffffff} {
		r := ConnectReply(check)
		f.Add(r, check)
		f.Add(r[:len(r)-1], check)
		f.Add(append(append([]byte(nil), r...), 0), check)
		f.Add(r, check+1)
	}
	for _, p := range [][]byte{{}, {4, 0, 0, 0}, {5, 0, 0, 0, 1, 0, 0, 0, 0}, {0xff, 0xff, 0xff, 0xff}, {0, 0, 0, 0}} {
		f.Add(p, uint32(0))
	}
	if haveVectors() {
		for _, name := range sessionFiles {
			v, _ := loadSession(f, name)
			for _, d := range v.Datagrams {
				conn, ok := v.Connections[d.Conn]
				if !ok || conn.Check == nil || d.Dir != "s2c" {
					continue
				}
				for _, p := range d.Packets {
					if p.Type == "CONNECT" && p.Payload != "" {
						f.Add(mustHex(p.Payload), *conn.Check)
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte, check uint32) {
		err := ParseConnectReply(payload, check)
		if want := ConnectReply(check); (err == nil) != bytes.Equal(payload, want) {
			t.Fatalf("reply %x for check %d: %v", payload, check, err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadCheck) {
			t.Fatalf("unexpected error %v", err)
		}
		if errors.Is(err, ErrBadCheck) {
			// Well formed, another check value: it round trips as that.
			got := uint32(payload[4]) | uint32(payload[5])<<8 | uint32(payload[6])<<16 | uint32(payload[7])<<24
			if !bytes.Equal(ConnectReply(got-1), payload) {
				t.Fatalf("reply %x refused for its check value but is not ConnectReply(%d)", payload, got-1)
			}
		}
	})
}

// FuzzSourceKeyFromHex checks the source_key string of an upstream's
// login response: no input panics, an accepted key is bounded by what
// RC4 takes and prints back as its input (in lower case).
func FuzzSourceKeyFromHex(f *testing.F) {
	for _, s := range []string{"3b4aa7a1ebad88440c1954e645b96976", "3B4AA7A1EBAD88440C1954E645B96976", "", "0", "zz", "3b4aa7a1ebad88440c1954e645b9697", strings.Repeat("ab", maxSourceKey), strings.Repeat("ab", maxSourceKey+1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := SourceKeyFromHex(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || k != nil {
				t.Fatalf("refused %q with %x, %v", s, k, err)
			}
			return
		}
		if len(k) == 0 || len(k) > maxSourceKey {
			t.Fatalf("accepted a key of %d bytes", len(k))
		}
		if ToHex(k) != strings.ToLower(s) {
			t.Fatalf("%q prints back as %q", s, ToHex(k))
		}
	})
}
