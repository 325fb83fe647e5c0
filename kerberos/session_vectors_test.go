package kerberos

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/vectors"
	"github.com/nexproxy/nexproxy/rmc"
)

// sessionVectors is the Kerberos-relevant part of ../shared/vectors/*-session.json.
type sessionVectors struct {
	Settings vectorSettings `json:"settings"`
	Keys     struct {
		User         sessionAccount `json:"user"`
		Guest        sessionAccount `json:"guest"`
		SecureServer sessionAccount `json:"secure_server"`
		Tickets      []struct {
			What       string `json:"what"`
			Encrypted  string `json:"encrypted"`
			Key        string `json:"key"`
			SessionKey string `json:"session_key"`
			Target     uint64 `json:"target"`
			Internal   string `json:"internal"`
		} `json:"tickets"`
	} `json:"keys"`
	Connections map[string]struct {
		Kind           string  `json:"kind"`
		SessionKey     *string `json:"session_key"`
		PID            *uint64 `json:"pid"`
		CID            *uint32 `json:"cid"`
		Check          *uint32 `json:"connection_check"`
		ConnectRequest *struct {
			InternalTicket string `json:"internal_ticket"`
			Decrypted      struct {
				Timestamp     uint64 `json:"timestamp"`
				TimestampText string `json:"timestamp_text"`
				SourcePID     uint64 `json:"source_pid"`
				SessionKey    string `json:"session_key"`
			} `json:"internal_ticket_decrypted"`
			RequestData      string `json:"request_data"`
			RequestDecrypted string `json:"request_data_decrypted"`
			PID              uint64 `json:"pid"`
			CID              uint32 `json:"cid"`
			Check            uint32 `json:"check_value"`
		} `json:"connect_request"`
		ConnectResponse *struct {
			Payload string `json:"payload"`
		} `json:"connect_response"`
	} `json:"connections"`
	Datagrams []struct {
		Dir     string `json:"dir"`
		Conn    string `json:"conn"`
		Packets []struct {
			Type    string `json:"type"`
			Payload string `json:"payload"`
		} `json:"packets"`
	} `json:"datagrams"`
}

type sessionAccount struct {
	PID      uint64 `json:"pid"`
	Password string `json:"password"`
	Key      string `json:"kerberos_key"`
}

var sessionFiles = []string{"3ds-session.json", "friends-session.json", "switch-session.json", "wiiu-session.json"}

// sessionCache keeps decoded session files: they are large, and several
// tests and fuzz targets read each one.
var sessionCache sync.Map // name -> sessionVectors

func loadSession(t testing.TB, name string) (sessionVectors, Settings) {
	t.Helper()
	if v, ok := sessionCache.Load(name); ok {
		return v.(sessionVectors), v.(sessionVectors).Settings.settings(t)
	}
	var v sessionVectors
	vectors.Load(t, name, &v)
	sessionCache.Store(name, v)
	return v, v.Settings.settings(t)
}

// TestSessionKeys checks that the recorded account keys come out of our
// derivation with the session's method.
func TestSessionKeys(t *testing.T) {
	for _, name := range sessionFiles {
		t.Run(name, func(t *testing.T) {
			v, s := loadSession(t, name)
			for _, a := range []sessionAccount{v.Keys.User, v.Keys.Guest, v.Keys.SecureServer} {
				got, err := DeriveKey(s.Derivation, a.PID, a.Password)
				if err != nil || !bytes.Equal(got, vectors.Hex(t, a.Key)) {
					t.Errorf("pid %d: %x, %v; want %s", a.PID, got, err, a.Key)
				}
			}
		})
	}
}

// TestSessionTickets opens every recorded client ticket with the user key
// and its internal ticket with the secure server key.
func TestSessionTickets(t *testing.T) {
	for _, name := range sessionFiles {
		t.Run(name, func(t *testing.T) {
			v, s := loadSession(t, name)
			if len(v.Keys.Tickets) == 0 {
				t.Fatal("no tickets recorded")
			}
			serverKey := vectors.Hex(t, v.Keys.SecureServer.Key)
			for _, c := range v.Keys.Tickets {
				enc := vectors.Hex(t, c.Encrypted)
				ct, err := DecryptClientTicket(vectors.Hex(t, c.Key), enc, s)
				if err != nil {
					t.Fatalf("%s: %v", c.What, err)
				}
				if !bytes.Equal(ct.SessionKey, vectors.Hex(t, c.SessionKey)) || ct.TargetPID != c.Target ||
					!bytes.Equal(ct.InternalTicket, vectors.Hex(t, c.Internal)) {
					t.Errorf("%s: decoded %+v", c.What, ct)
				}
				if err := ct.CheckTarget(v.Keys.SecureServer.PID); err != nil {
					t.Errorf("%s: %v", c.What, err)
				}
				if again, err := EncryptClientTicket(vectors.Hex(t, c.Key), ct, s); err != nil || !bytes.Equal(again, enc) {
					t.Errorf("%s: re-encrypt differs (%v)", c.What, err)
				}
				info, err := ParseInternalTicket(serverKey, ct.InternalTicket, s)
				if err != nil {
					t.Fatalf("%s: internal: %v", c.What, err)
				}
				if !bytes.Equal(info.SessionKey, ct.SessionKey) {
					t.Errorf("%s: internal session key %x, client ticket says %x", c.What, info.SessionKey, ct.SessionKey)
				}
			}
		})
	}
}

// TestSessionConnect feeds every secure CONNECT payload of the recorded
// sessions to a Verifier holding the recorded secure server key, with the
// clock set just after the ticket's issue time, and compares what it
// learns and answers with the recording.
func TestSessionConnect(t *testing.T) {
	for _, name := range sessionFiles {
		t.Run(name, func(t *testing.T) {
			v, s := loadSession(t, name)
			var now time.Time
			ver, err := NewVerifier(VerifierConfig{
				SecureKey: vectors.Hex(t, v.Keys.SecureServer.Key),
				ServerPID: v.Keys.SecureServer.PID,
				Settings:  s,
				Now:       func() time.Time { return now },
			})
			if err != nil {
				t.Fatal(err)
			}
			accepted := map[string]bool{}
			seen := map[string]bool{}
			for _, d := range v.Datagrams {
				conn, ok := v.Connections[d.Conn]
				if !ok || conn.Kind != "secure" || d.Dir != "c2s" {
					continue
				}
				for _, p := range d.Packets {
					if p.Type != "CONNECT" || p.Payload == "" {
						continue
					}
					cr := conn.ConnectRequest
					if cr == nil {
						t.Fatalf("%s: CONNECT without connect_request", d.Conn)
					}
					issued, err := time.Parse("2-1-2006 15:04:05", cr.Decrypted.TimestampText)
					if err != nil {
						t.Fatal(err)
					}
					if uint64(rmc.DateTimeFromTime(issued)) != cr.Decrypted.Timestamp {
						t.Fatalf("%s: timestamp text and value disagree", d.Conn)
					}
					now = issued.Add(3 * time.Second)
					payload := vectors.Hex(t, p.Payload)
					if !strings.Contains(p.Payload, cr.InternalTicket) || !strings.HasSuffix(p.Payload, cr.RequestData) {
						t.Errorf("%s: payload does not hold the recorded ticket and request", d.Conn)
					}
					res, err := ver.Verify(payload)
					if seen[p.Payload] {
						// A retransmission of the same CONNECT is a replay to the verifier.
						if !errors.Is(err, ErrReplay) {
							t.Errorf("%s: repeated payload: %v, want ErrReplay", d.Conn, err)
						}
						continue
					}
					seen[p.Payload] = true
					if err != nil {
						t.Fatalf("%s: verify: %v", d.Conn, err)
					}
					accepted[d.Conn] = true
					if res.PID != cr.PID || res.PID != *conn.PID || res.CID != *conn.CID ||
						!bytes.Equal(res.SessionKey, vectors.Hex(t, *conn.SessionKey)) || !res.Issued.Equal(issued) {
						t.Errorf("%s: result %+v", d.Conn, res)
					}
					if conn.ConnectResponse == nil || !bytes.Equal(res.Response, vectors.Hex(t, conn.ConnectResponse.Payload)) {
						t.Errorf("%s: response %x", d.Conn, res.Response)
					}
					if !bytes.Equal(res.Response, ConnectReply(*conn.Check)) {
						t.Errorf("%s: response does not answer check %d", d.Conn, *conn.Check)
					}
					plain, err := Decrypt(res.SessionKey, vectors.Hex(t, cr.RequestData))
					if err != nil || !bytes.Equal(plain, vectors.Hex(t, cr.RequestDecrypted)) {
						t.Errorf("%s: request plaintext %x, %v", d.Conn, plain, err)
					}
				}
			}
			for name, c := range v.Connections {
				if c.Kind == "secure" && !accepted[name] {
					t.Errorf("secure connection %s: no CONNECT verified", name)
				}
			}
			// The server's replies must be what the client accepts.
			for _, d := range v.Datagrams {
				conn, ok := v.Connections[d.Conn]
				if !ok || conn.Kind != "secure" || d.Dir != "s2c" {
					continue
				}
				for _, p := range d.Packets {
					if p.Type == "CONNECT" && p.Payload != "" {
						if err := ParseConnectReply(vectors.Hex(t, p.Payload), *conn.Check); err != nil {
							t.Errorf("%s: reply: %v", d.Conn, err)
						}
					}
				}
			}
		})
	}
}

// TestDocSwitchExample decodes the worked Switch guest ticket of
// kerberos.md §7, the one capture from real Nintendo servers.
func TestDocSwitchExample(t *testing.T) {
	const ticketHex = "86e5b91add71b984c713dab188cdcabc1b4298f922021fe4be049be91b279489" +
		"0de22074734bfd9e75ac3f4ecbb31155933845c601dc8b45d5c7f8e055d80a3c" +
		"cef3ee876cbc64c4a7802f20c126be6c73398d367c934902b7cfe7a187d1d38e" +
		"6bfe18c564217c53a01f11002b19cf7c5361ffb65ba10fe87e0cc8005a1a674a" +
		"fd7461c5154b193a62ccaad8e1a9a28d92645e69"
	const guest, rendezVous = 564330319085596911, 257049437023956657
	s := Settings{KeySize: 32, PIDSize: 8, TicketVersion: 1, Derivation: DerivationNew}
	userKey, _ := DeriveKey(DerivationNew, guest, "MMQea3n!fsik")
	if !bytes.Equal(userKey, vectors.Hex(t, "3b4aa7a1ebad88440c1954e645b96976")) {
		t.Fatalf("source key %x", userKey)
	}
	ct, err := DecryptClientTicket(userKey, vectors.Hex(t, ticketHex), s)
	if err != nil {
		t.Fatal(err)
	}
	wantSK := vectors.Hex(t, "3cb3b7a6dbc3578a740bb87049546da988a97c363c0b64ef474244b007f1b694")
	if !bytes.Equal(ct.SessionKey, wantSK) || ct.TargetPID != rendezVous || len(ct.InternalTicket) != 88 || ct.Attributes != nil {
		t.Fatalf("ticket %+v", ct)
	}
	targetKey, _ := DeriveKey(DerivationNew, rendezVous, "5MYiXWwtBuI6JzhU")
	info, err := ParseInternalTicket(targetKey, ct.InternalTicket, s)
	if err != nil {
		t.Fatal(err)
	}
	if rmc.DateTimeFromTime(info.Issued) != 0x1f996b032b || !info.Issued.Equal(time.Date(2022, 5, 21, 16, 12, 43, 0, time.UTC)) ||
		info.SourcePID != guest || !bytes.Equal(info.SessionKey, wantSK) {
		t.Fatalf("ticket info %+v", info)
	}
}
