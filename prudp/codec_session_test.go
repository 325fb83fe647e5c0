package prudp

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

// The *-session.json files hold complete NintendoClients sessions (client
// and server), every datagram with its decoding. This test replays them:
// decode, checksum, signature, field-by-field comparison, byte-exact
// re-encoding, in-order decryption and fragment reassembly.

type sessionFile struct {
	Settings struct {
		AccessKey string `json:"prudp.access_key"`
		Version   int    `json:"prudp.version"`
		Transport int    `json:"prudp.transport"`
		SigV      int    `json:"prudp_v0.signature_version"`
		FlagsV    int    `json:"prudp_v0.flags_version"`
		CsumV     int    `json:"prudp_v0.checksum_version"`
	} `json:"settings"`
	Connections map[string]struct {
		ServerSig  string  `json:"server_connection_signature"`
		SessionKey *string `json:"session_key"`
		MaxSub     uint8   `json:"negotiated_max_substream_id"`
		ClientSID  uint8   `json:"client_session_id"`
		ServerSID  uint8   `json:"server_session_id"`
	} `json:"connections"`
	Datagrams []struct {
		Index   int              `json:"index"`
		Dir     string           `json:"dir"`
		Conn    string           `json:"conn"`
		Raw     string           `json:"raw"`
		Packets []recordedPacket `json:"packets"`
	} `json:"datagrams"`
	Messages []struct {
		Dir       string `json:"dir"`
		Conn      string `json:"conn"`
		Substream uint8  `json:"substream"`
		Datagrams []int  `json:"datagrams"`
		Raw       string `json:"raw"`
	} `json:"messages"`
}

type recordedPacket struct {
	SourceType   uint8   `json:"source_type"`
	SourcePort   uint8   `json:"source_port"`
	DestType     uint8   `json:"dest_type"`
	DestPort     uint8   `json:"dest_port"`
	TypeID       uint8   `json:"type_id"`
	Flags        uint16  `json:"flags_value"`
	SessionID    uint8   `json:"session_id"`
	Substream    uint8   `json:"substream_id"`
	Sequence     uint16  `json:"sequence_id"`
	FragmentID   uint8   `json:"fragment_id"`
	Signature    *string `json:"signature"`
	ConnSig      *string `json:"connection_signature"`
	MinorVersion *uint8  `json:"minor_version"`
	Functions    *uint32 `json:"supported_functions"`
	MaxSubstream *uint8  `json:"max_substream_id"`
	Unreliable   *uint16 `json:"initial_unreliable_id"`
	OptionsRaw   *string `json:"options_raw"`
	Checksum     *uint32 `json:"checksum"`
	PayloadSize  *int    `json:"payload_size"`
	Payload      string  `json:"payload"`
	PayloadPlain *string `json:"payload_plain"`
	Encrypted    bool    `json:"payload_encrypted"`
}

func (f *sessionFile) settings(t *testing.T) Settings {
	s := Settings{AccessKey: f.Settings.AccessKey, FlagsVersion: f.Settings.FlagsV, SignatureVersion: f.Settings.SigV, ChecksumSize: 1}
	switch {
	case f.Settings.Transport == 2:
		s.Variant = Lite
	case f.Settings.Version == 0:
		s.Variant = V0
	case f.Settings.Version == 1:
		s.Variant = V1
	default:
		t.Fatalf("unsupported prudp.version %d / transport %d", f.Settings.Version, f.Settings.Transport)
	}
	if f.Settings.CsumV == 0 {
		s.ChecksumSize = 4
	}
	return s
}

// streamKey names one reliable stream: connection, direction, substream.
type streamKey struct {
	conn, dir string
	sub       uint8
}

// testReassembler is a minimal receive side for the replay: it orders
// reliable packets by sequence id, drops duplicates, decrypts in order and
// joins fragments. The real one belongs to the connection layer.
type testReassembler struct {
	next    uint16
	pending map[uint16]pendingPacket
	cipher  *StreamCiphers // nil: payloads are not encrypted
	frag    []byte
	dgrams  []int
	plain   map[uint16][]byte // decrypted payload by sequence id
}

type pendingPacket struct {
	p     Packet
	index int
}

type message struct {
	raw    []byte
	dgrams []int
}

func (r *testReassembler) push(t *testing.T, p Packet, index int) []message {
	if p.Sequence < r.next {
		return nil // already delivered
	}
	if _, dup := r.pending[p.Sequence]; dup {
		return nil
	}
	r.pending[p.Sequence] = pendingPacket{p, index}
	var out []message
	for {
		pp, ok := r.pending[r.next]
		if !ok {
			return out
		}
		delete(r.pending, r.next)
		r.next++
		if pp.p.Type != TypeData {
			continue // PING / DISCONNECT take reliable ids too
		}
		plain := bytes.Clone(pp.p.Payload)
		if r.cipher != nil {
			if err := r.cipher.Decrypt(pp.p.Substream, plain, pp.p.Payload); err != nil {
				t.Fatalf("datagram %d: %v", pp.index, err)
			}
		}
		r.plain[pp.p.Sequence] = plain
		r.frag = append(r.frag, plain...)
		r.dgrams = append(r.dgrams, pp.index)
		if pp.p.FragmentID == 0 {
			out = append(out, message{r.frag, r.dgrams})
			r.frag, r.dgrams = nil, nil
		}
	}
}

func TestSessionFriends(t *testing.T) { replaySession(t, "friends-session.json") }
func TestSession3DS(t *testing.T)     { replaySession(t, "3ds-session.json") }
func TestSessionWiiU(t *testing.T)    { replaySession(t, "wiiu-session.json") }
func TestSessionSwitch(t *testing.T)  { replaySession(t, "switch-session.json") }

func replaySession(t *testing.T, name string) {
	var f sessionFile
	vectors.Load(t, name, &f)
	s := f.settings(t)
	c := mustCodec(t, s)
	if len(f.Datagrams) == 0 || len(f.Messages) == 0 {
		t.Fatal("empty session file")
	}

	sigC := map[string][]byte{}
	streams := map[streamKey]*testReassembler{}
	var messages []struct {
		k streamKey
		m message
	}
	type recordedPlain struct {
		index int
		seq   uint16
		plain []byte
	}
	plains := map[streamKey][]recordedPlain{}
	stats := map[string]int{}

	for _, dg := range f.Datagrams {
		conn, ok := f.Connections[dg.Conn]
		if !ok {
			t.Fatalf("datagram %d: unknown connection %q", dg.Index, dg.Conn)
		}
		var sessionKey []byte
		if conn.SessionKey != nil {
			sessionKey = vectors.Hex(t, *conn.SessionKey)
		}
		sigS := vectors.Hex(t, conn.ServerSig)
		// The sender signs with the signature it received from its peer.
		sc := SigContext{SessionKey: sessionKey, ConnSig: sigS}
		if dg.Dir == "s2c" {
			sc.ConnSig = sigC[dg.Conn]
		}
		raw := vectors.Hex(t, dg.Raw)
		rest := raw
		for i, rp := range dg.Packets {
			where := fmt.Sprintf("%s datagram %d packet %d", name, dg.Index, i)
			p, n, err := c.Decode(rest)
			if err != nil {
				t.Fatalf("%s: Decode: %v", where, err)
			}
			pkt := rest[:n]
			rest = rest[n:]
			checkRecorded(t, where, c.Variant(), &p, pkt, &rp)

			if p.Type == TypeConnect && p.Flags&FlagAck == 0 && dg.Dir == "c2s" && c.Variant() != Lite {
				sigC[dg.Conn] = bytes.Clone(p.ConnSignature)
				sc.ConnSig = sigS
			}
			if err := c.Verify(&p, pkt, sc); err != nil {
				t.Errorf("%s: Verify %s: %v", where, p.String(), err)
			}
			if enc, err := c.Append(nil, &p, sc); err != nil || !bytes.Equal(enc, pkt) {
				t.Errorf("%s: re-encode %s:\n got %x\nwant %x (%v)", where, p.String(), enc, pkt, err)
			}
			built := p
			built.Options = nil
			if enc, err := c.Append(nil, &built, sc); err != nil || !bytes.Equal(enc, pkt) {
				t.Errorf("%s: re-encode with built options %s:\n got %x\nwant %x (%v)", where, p.String(), enc, pkt, err)
			}
			stats[p.Type.String()]++

			if p.Flags&(FlagAck|FlagMultiAck) != 0 || p.Type == TypeSyn || p.Type == TypeConnect {
				if rp.PayloadPlain != nil && *rp.PayloadPlain != rp.Payload {
					t.Errorf("%s: unencrypted packet has payload_plain %s != payload", where, *rp.PayloadPlain)
				}
				continue
			}
			if p.Flags&FlagReliable == 0 {
				if p.Type == TypeData {
					t.Errorf("%s: unexpected unreliable DATA", where)
				}
				continue
			}
			k := streamKey{dg.Conn, dg.Dir, p.Substream}
			r := streams[k]
			if r == nil {
				key := sessionKey
				r = &testReassembler{next: 1, pending: map[uint16]pendingPacket{}, plain: map[uint16][]byte{}}
				if s.Variant != Lite { // Lite has no RC4: TLS protects it
					cipher, err := NewStreamCiphers(key, conn.MaxSub)
					if err != nil {
						t.Fatal(err)
					}
					r.cipher = cipher
				}
				if dg.Dir == "c2s" {
					r.next = 2 // the client's CONNECT took reliable id 1
				}
				streams[k] = r
			}
			for _, m := range r.push(t, p, dg.Index) {
				messages = append(messages, struct {
					k streamKey
					m message
				}{k, m})
			}
			if p.Type == TypeData && rp.PayloadPlain != nil {
				plains[k] = append(plains[k], recordedPlain{dg.Index, p.Sequence, vectors.Hex(t, *rp.PayloadPlain)})
			}
		}
		if len(rest) != 0 {
			t.Errorf("%s datagram %d: %d bytes left after %d packets", name, dg.Index, len(rest), len(dg.Packets))
		}
	}

	// Every recorded plaintext equals what the in-order decryption gave.
	checked := 0
	for k, list := range plains {
		for _, rp := range list {
			got, ok := streams[k].plain[rp.seq]
			if !ok {
				t.Errorf("%s datagram %d: seq %d never delivered", name, rp.index, rp.seq)
				continue
			}
			if !bytes.Equal(got, rp.plain) {
				t.Errorf("%s datagram %d: plaintext\n got %x\nwant %x", name, rp.index, got, rp.plain)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Error("no plaintext compared")
	}

	if len(messages) != len(f.Messages) {
		t.Errorf("%s: reassembled %d messages, recorded %d", name, len(messages), len(f.Messages))
	}
	// Recorded messages are in capture order; compare per stream in order.
	byStream := map[streamKey][]message{}
	for _, m := range messages {
		byStream[m.k] = append(byStream[m.k], m.m)
	}
	for j, rm := range f.Messages {
		k := streamKey{rm.Conn, rm.Dir, rm.Substream}
		if len(byStream[k]) == 0 {
			t.Errorf("%s message %d (%v): not reassembled", name, j, k)
			continue
		}
		got := byStream[k][0]
		byStream[k] = byStream[k][1:]
		if want := vectors.Hex(t, rm.Raw); !bytes.Equal(got.raw, want) {
			t.Errorf("%s message %d (%v): raw\n got %x\nwant %x", name, j, k, got.raw, want)
		}
		if fmt.Sprint(got.dgrams) != fmt.Sprint(rm.Datagrams) {
			t.Errorf("%s message %d (%v): datagrams %v, want %v", name, j, k, got.dgrams, rm.Datagrams)
		}
	}
	t.Logf("%s: %d datagrams, %d messages, %d plaintexts, packets by type %v", name, len(f.Datagrams), len(messages), checked, stats)
}

// checkRecorded compares a decoded packet with NintendoClients' decoding.
func checkRecorded(t *testing.T, where string, v Variant, p *Packet, raw []byte, rp *recordedPacket) {
	t.Helper()
	want := Packet{
		Source:     VPort{StreamType(rp.SourceType), rp.SourcePort},
		Dest:       VPort{StreamType(rp.DestType), rp.DestPort},
		Type:       PacketType(rp.TypeID),
		Flags:      Flags(rp.Flags),
		SessionID:  rp.SessionID,
		Substream:  rp.Substream,
		Sequence:   rp.Sequence,
		FragmentID: rp.FragmentID,
		Payload:    vectors.Hex(t, rp.Payload),
	}
	hexOrNil := func(s *string) []byte {
		if s == nil {
			return nil
		}
		return vectors.Hex(t, *s)
	}
	if v == Lite {
		want.LiteSignature = hexOrNil(rp.Signature)
	} else {
		want.Signature = hexOrNil(rp.Signature)
	}
	want.ConnSignature = hexOrNil(rp.ConnSig)
	if rp.ConnSig == nil && p.ConnSignature != nil {
		t.Errorf("%s: connection signature %x, NintendoClients has none", where, p.ConnSignature)
	}
	if rp.MinorVersion != nil {
		want.MinorVersion = *rp.MinorVersion
	}
	if rp.Functions != nil {
		want.SupportedFunctions = *rp.Functions
	}
	if rp.MaxSubstream != nil {
		want.MaxSubstream = *rp.MaxSubstream
	}
	if rp.Unreliable != nil {
		want.UnreliableStart = *rp.Unreliable
	}
	if rp.OptionsRaw != nil {
		want.Options = vectors.Hex(t, *rp.OptionsRaw)
		if want.Options == nil {
			want.Options = []byte{}
		}
		if len(p.Options) != len(want.Options) {
			t.Errorf("%s: options %x, want %x", where, p.Options, want.Options)
		}
	}
	comparePackets(t, where, p, &want)
	if rp.Checksum != nil {
		var got uint32
		if len(raw) > 0 {
			got = uint32(raw[len(raw)-1])
		}
		if got != *rp.Checksum {
			t.Errorf("%s: checksum %d, want %d", where, got, *rp.Checksum)
		}
	}
	if rp.PayloadSize != nil && *rp.PayloadSize != len(p.Payload) {
		t.Errorf("%s: payload size %d, want %d", where, len(p.Payload), *rp.PayloadSize)
	}
}
