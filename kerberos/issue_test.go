package kerberos

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestIssueThenConnect(t *testing.T) {
	for _, s := range allSettings() {
		t.Run(name(s), func(t *testing.T) {
			c := newClock(issuedAt)
			serverKey, userKey := randomBytes(t, 16), randomBytes(t, 16)
			is := &Issuer{SecureKey: serverKey, ServerPID: 2, Settings: s, Now: c.now}
			ticket, sk, err := is.Issue(userKey, bigPID(s))
			if err != nil {
				t.Fatal(err)
			}
			ct, err := DecryptClientTicket(userKey, ticket, s)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ct.SessionKey, sk) || ct.TargetPID != 2 || ct.Attributes != nil {
				t.Fatalf("ticket %+v", ct)
			}
			v, _ := NewVerifier(VerifierConfig{SecureKey: serverKey, ServerPID: 2, Settings: s, Now: c.now})
			if err := v.CheckTarget(ct); err != nil {
				t.Fatal(err)
			}
			c.add(90 * time.Second)
			p, _ := BuildConnectPayload(ct.InternalTicket, ct.SessionKey, ConnectRequest{PID: bigPID(s), CID: 3, Check: 77}, s)
			res, err := v.Verify(p)
			if err != nil {
				t.Fatal(err)
			}
			if res.PID != bigPID(s) || !bytes.Equal(res.SessionKey, sk) || !res.Issued.Equal(issuedAt) {
				t.Fatalf("result %+v", res)
			}
			// Two tickets never share a session key.
			_, sk2, _ := is.Issue(userKey, bigPID(s))
			if bytes.Equal(sk, sk2) {
				t.Fatal("session key reused")
			}
		})
	}
}

func TestReissue(t *testing.T) {
	for _, s := range allSettings() {
		t.Run(name(s), func(t *testing.T) {
			now := newClock(issuedAt)
			upstreamKey, ourKey, userKey := randomBytes(t, 16), randomBytes(t, 16), randomBytes(t, 16)
			attrs := []byte(`{"v":1,"att":2,"pid":1234567,"mi":{"ms":-1,"mp":1,"cpa":true}}` + "\x00")
			// What the real authentication server sends.
			upSK := randomBytes(t, s.KeySize)
			upInternal, _ := EncryptInternalTicket(upstreamKey, &TicketInfo{Issued: issuedAt, SourcePID: 1234567, SessionKey: upSK}, s)
			upTicket, _ := EncryptClientTicket(userKey, &ClientTicket{SessionKey: upSK, TargetPID: 2, InternalTicket: upInternal, Attributes: attrs}, s)

			is := &Issuer{SecureKey: ourKey, ServerPID: 99, Settings: s, Now: now.now}
			r, err := is.Reissue(userKey, upTicket, 1234567)
			if err != nil {
				t.Fatal(err)
			}
			// The upstream leg keeps the upstream's session key and internal ticket.
			if !bytes.Equal(r.Upstream.SessionKey, upSK) || !bytes.Equal(r.Upstream.InternalTicket, upInternal) {
				t.Fatalf("upstream %+v", r.Upstream)
			}
			// The console gets a new key, same target and JSON tail.
			ct, err := DecryptClientTicket(userKey, r.Ticket, s)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(ct.SessionKey, upSK) || !bytes.Equal(ct.SessionKey, r.SessionKey) || ct.TargetPID != 2 || !bytes.Equal(ct.Attributes, attrs) {
				t.Fatalf("console ticket %+v", ct)
			}
			// Its internal ticket opens with our key only.
			if _, err := ParseInternalTicket(upstreamKey, ct.InternalTicket, s); !errors.Is(err, ErrBadMAC) {
				t.Fatalf("new internal ticket under the upstream key: %v", err)
			}
			info, err := ParseInternalTicket(ourKey, ct.InternalTicket, s)
			if err != nil || info.SourcePID != 1234567 || !bytes.Equal(info.SessionKey, r.SessionKey) || !info.Issued.Equal(issuedAt) {
				t.Fatalf("new internal %+v, %v", info, err)
			}
			// And the upstream CONNECT the proxy would make verifies upstream.
			up, _ := NewVerifier(VerifierConfig{SecureKey: upstreamKey, Settings: s, Now: now.now})
			p, _ := BuildConnectPayload(r.Upstream.InternalTicket, r.Upstream.SessionKey, ConnectRequest{PID: 1234567, CID: 1, Check: 5}, s)
			if _, err := up.Verify(p); err != nil {
				t.Fatal(err)
			}
			// A wrong user key is reported as such.
			if _, err := is.Reissue(randomBytes(t, 16), upTicket, 1234567); !errors.Is(err, ErrBadMAC) {
				t.Fatalf("wrong user key: %v", err)
			}
		})
	}
}

func TestIssuerErrors(t *testing.T) {
	is := &Issuer{SecureKey: []byte("k"), Settings: Settings{KeySize: 16, PIDSize: 4}}
	if _, _, err := is.Issue(nil, 1); err == nil {
		t.Error("empty user key accepted")
	}
	if _, _, err := is.Issue([]byte("user"), 1<<32); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("pid too wide: %v", err)
	}
	is.Settings.KeySize = 8
	if _, _, err := is.Issue([]byte("user"), 1); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("bad settings: %v", err)
	}
	if _, err := is.Reissue([]byte("user"), make([]byte, 40), 1); !errors.Is(err, ErrInvalidSettings) {
		t.Errorf("reissue with bad settings: %v", err)
	}
	// Default clock stamps the current time.
	is = &Issuer{SecureKey: []byte("k"), Settings: Settings{KeySize: 16, PIDSize: 4}}
	ticket, _, err := is.Issue([]byte("user"), 1)
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := DecryptClientTicket([]byte("user"), ticket, is.Settings)
	info, _ := ParseInternalTicket([]byte("k"), ct.InternalTicket, is.Settings)
	if d := time.Since(info.Issued); d < 0 || d > time.Minute {
		t.Errorf("issued %s", info.Issued)
	}
}
