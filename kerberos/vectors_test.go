package kerberos

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/vectors"
	"github.com/nexproxy/nexproxy/rmc"
)

// kerberosVectors mirrors ../shared/vectors/kerberos.json.
type kerberosVectors struct {
	KeyDerivation []struct {
		PID      uint64 `json:"pid"`
		Password string `json:"password"`
		Old      string `json:"old"`
		OldIter  int    `json:"old_md5_iterations"`
		New      string `json:"new"`
	} `json:"key_derivation"`
	Encryption []struct {
		Key       string `json:"key"`
		Plaintext string `json:"plaintext"`
		Encrypted string `json:"encrypted"`
		RC4Part   string `json:"rc4_part"`
		HMAC      string `json:"hmac_md5"`
	} `json:"kerberos_encryption"`
	ClientTickets []struct {
		Settings   vectorSettings `json:"settings"`
		UserKey    string         `json:"user_key"`
		SessionKey string         `json:"session_key"`
		Target     uint64         `json:"target"`
		Internal   string         `json:"internal"`
		Plaintext  string         `json:"plaintext"`
		Encrypted  string         `json:"encrypted"`
	} `json:"client_tickets"`
	ServerTickets []struct {
		Settings      vectorSettings `json:"settings"`
		ServerKey     string         `json:"server_key"`
		Timestamp     uint64         `json:"timestamp"`
		TimestampText string         `json:"timestamp_text"`
		SourcePID     uint64         `json:"source_pid"`
		SessionKey    string         `json:"session_key"`
		Encrypted     string         `json:"encrypted"`
		TicketKey     string         `json:"ticket_key"`
		FinalKey      string         `json:"final_key"`
	} `json:"server_tickets"`
	Tampered []struct {
		What      string `json:"what"`
		Encrypted string `json:"encrypted"`
		Key       string `json:"key"`
		Error     string `json:"error"`
	} `json:"tampered"`
	ConnectRequest []struct {
		Settings         vectorSettings `json:"settings"`
		SessionKey       string         `json:"session_key"`
		InternalTicket   string         `json:"internal_ticket"`
		PID              uint64         `json:"pid"`
		CID              uint32         `json:"cid"`
		Check            uint32         `json:"check_value"`
		RequestPlaintext string         `json:"request_plaintext"`
		Payload          string         `json:"payload"`
		ResponsePayload  string         `json:"response_payload"`
	} `json:"connect_request"`
}

// vectorSettings holds NintendoClients' setting names; absent entries
// take the values every profile uses.
type vectorSettings struct {
	KeySize       int  `json:"kerberos.key_size"`
	PIDSize       int  `json:"nex.pid_size"`
	TicketVersion *int `json:"kerberos.ticket_version"`
	Derivation    int  `json:"kerberos.key_derivation"`
}

func (v vectorSettings) settings(t testing.TB) Settings {
	t.Helper()
	s := Settings{KeySize: v.KeySize, PIDSize: v.PIDSize, TicketVersion: 1, Derivation: Derivation(v.Derivation)}
	if v.TicketVersion != nil {
		s.TicketVersion = *v.TicketVersion
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("vector settings %+v: %v", v, err)
	}
	return s
}

func loadKerberos(t testing.TB) kerberosVectors {
	t.Helper()
	var v kerberosVectors
	vectors.Load(t, "kerberos.json", &v)
	return v
}

func TestVectorKeyDerivation(t *testing.T) {
	v := loadKerberos(t)
	if len(v.KeyDerivation) == 0 {
		t.Fatal("no key_derivation vectors")
	}
	for _, c := range v.KeyDerivation {
		if c.Old != "" {
			got, err := DeriveKey(DerivationOld, c.PID, c.Password)
			if err != nil || !bytes.Equal(got, vectors.Hex(t, c.Old)) {
				t.Errorf("old(%q, %d) = %x, %v; want %s", c.Password, c.PID, got, err, c.Old)
			}
			if want := oldBaseRounds + int(c.PID%oldPIDModulus); c.OldIter != want {
				t.Errorf("pid %d: vector says %d rounds, we run %d", c.PID, c.OldIter, want)
			}
		}
		got, err := DeriveKey(DerivationNew, c.PID, c.Password)
		if err != nil || !bytes.Equal(got, vectors.Hex(t, c.New)) {
			t.Errorf("new(%q, %d) = %x, %v; want %s", c.Password, c.PID, got, err, c.New)
		}
	}
}

func TestVectorEncryption(t *testing.T) {
	v := loadKerberos(t)
	for i, c := range v.Encryption {
		key, plain, want := vectors.Hex(t, c.Key), vectors.Hex(t, c.Plaintext), vectors.Hex(t, c.Encrypted)
		got, err := Encrypt(key, plain)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("#%d encrypt = %x, %v; want %x", i, got, err, want)
		}
		if !bytes.Equal(want, append(vectors.Hex(t, c.RC4Part), vectors.Hex(t, c.HMAC)...)) {
			t.Errorf("#%d vector parts do not add up", i)
		}
		back, err := Decrypt(key, want)
		if err != nil || !bytes.Equal(back, plain) {
			t.Errorf("#%d decrypt = %x, %v; want %x", i, back, err, plain)
		}
	}
}

func TestVectorClientTickets(t *testing.T) {
	v := loadKerberos(t)
	for i, c := range v.ClientTickets {
		s := c.Settings.settings(t)
		key, enc := vectors.Hex(t, c.UserKey), vectors.Hex(t, c.Encrypted)
		ct, err := DecryptClientTicket(key, enc, s)
		if err != nil {
			t.Fatalf("#%d decrypt: %v", i, err)
		}
		if !bytes.Equal(ct.SessionKey, vectors.Hex(t, c.SessionKey)) || ct.TargetPID != c.Target ||
			!bytes.Equal(ct.InternalTicket, vectors.Hex(t, c.Internal)) || ct.Attributes != nil {
			t.Errorf("#%d decoded %+v", i, ct)
		}
		body, err := ct.marshal(s)
		if err != nil || !bytes.Equal(body, vectors.Hex(t, c.Plaintext)) {
			t.Errorf("#%d plaintext %x, %v; want %s", i, body, err, c.Plaintext)
		}
		again, err := EncryptClientTicket(key, ct, s)
		if err != nil || !bytes.Equal(again, enc) {
			t.Errorf("#%d re-encrypt %x, %v", i, again, err)
		}
	}
}

func TestVectorServerTickets(t *testing.T) {
	v := loadKerberos(t)
	for i, c := range v.ServerTickets {
		s := c.Settings.settings(t)
		key, enc := vectors.Hex(t, c.ServerKey), vectors.Hex(t, c.Encrypted)
		info, err := ParseInternalTicket(key, enc, s)
		if err != nil {
			t.Fatalf("#%d parse: %v", i, err)
		}
		wantTime, err := time.Parse("2-1-2006 15:04:05", c.TimestampText)
		if err != nil {
			t.Fatal(err)
		}
		if !info.Issued.Equal(wantTime) || uint64(rmc.DateTimeFromTime(info.Issued)) != c.Timestamp ||
			info.SourcePID != c.SourcePID || !bytes.Equal(info.SessionKey, vectors.Hex(t, c.SessionKey)) || info.Extra != nil {
			t.Errorf("#%d decoded %+v", i, info)
		}
		var tk []byte
		if s.TicketVersion == 1 {
			tk = vectors.Hex(t, c.TicketKey)
			if fk := finalKey(key, tk); !bytes.Equal(fk, vectors.Hex(t, c.FinalKey)) {
				t.Errorf("#%d final key %x, want %s", i, fk, c.FinalKey)
			}
		}
		again, err := sealInternal(key, info, s, tk)
		if err != nil || !bytes.Equal(again, enc) {
			t.Errorf("#%d re-seal %x, %v", i, again, err)
		}
		// The other ticket version must not open it.
		other := s
		other.TicketVersion ^= 1
		if _, err := ParseInternalTicket(key, enc, other); err == nil {
			t.Errorf("#%d opened with ticket version %d", i, other.TicketVersion)
		}
	}
}

func TestVectorTampered(t *testing.T) {
	v := loadKerberos(t)
	if len(v.Tampered) == 0 {
		t.Fatal("no tampered vectors")
	}
	s := Settings{KeySize: 16, PIDSize: 4, TicketVersion: 1}
	for _, c := range v.Tampered {
		key, enc := vectors.Hex(t, c.Key), vectors.Hex(t, c.Encrypted)
		if _, err := Decrypt(key, enc); !errors.Is(err, ErrBadMAC) {
			t.Errorf("%s: Decrypt err = %v, want ErrBadMAC", c.What, err)
		}
		if _, err := DecryptClientTicket(key, enc, s); !errors.Is(err, ErrBadMAC) {
			t.Errorf("%s: DecryptClientTicket err = %v, want ErrBadMAC", c.What, err)
		}
	}
}

func TestVectorConnectRequest(t *testing.T) {
	v := loadKerberos(t)
	for i, c := range v.ConnectRequest {
		s := c.Settings.settings(t)
		sk, internal := vectors.Hex(t, c.SessionKey), vectors.Hex(t, c.InternalTicket)
		req := ConnectRequest{PID: c.PID, CID: c.CID, Check: c.Check}
		payload, err := BuildConnectPayload(internal, sk, req, s)
		if err != nil || !bytes.Equal(payload, vectors.Hex(t, c.Payload)) {
			t.Errorf("#%d payload %x, %v; want %s", i, payload, err, c.Payload)
		}
		ticket, sealed, err := SplitConnectPayload(payload)
		if err != nil || !bytes.Equal(ticket, internal) {
			t.Fatalf("#%d split: %x, %v", i, ticket, err)
		}
		if plain, err := Decrypt(sk, sealed); err != nil || !bytes.Equal(plain, vectors.Hex(t, c.RequestPlaintext)) {
			t.Errorf("#%d request plaintext %x, %v", i, plain, err)
		}
		got, err := DecryptConnectRequest(sk, sealed, s)
		if err != nil || got != req {
			t.Errorf("#%d request %+v, %v; want %+v", i, got, err, req)
		}
		reply := vectors.Hex(t, c.ResponsePayload)
		if r := ConnectReply(c.Check); !bytes.Equal(r, reply) {
			t.Errorf("#%d reply %x, want %x", i, r, reply)
		}
		if err := ParseConnectReply(reply, c.Check); err != nil {
			t.Errorf("#%d parse reply: %v", i, err)
		}
		if err := ParseConnectReply(reply, c.Check+1); !errors.Is(err, ErrBadCheck) {
			t.Errorf("#%d reply for another check: %v", i, err)
		}
	}
}

// TestVectorSectionsCovered fails when kerberos.json grows a section that
// no test reads.
func TestVectorSectionsCovered(t *testing.T) {
	var raw map[string]any
	vectors.Load(t, "kerberos.json", &raw)
	known := map[string]bool{"about": true, "key_derivation": true, "kerberos_encryption": true,
		"client_tickets": true, "server_tickets": true, "tampered": true, "connect_request": true}
	for k := range raw {
		if !known[k] {
			t.Errorf("kerberos.json section %q has no test", k)
		}
	}
}
