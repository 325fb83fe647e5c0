package prudp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
)

// addSessionSeeds adds every datagram of a session file as a fuzz seed
// when the vectors are available (the §16 seeds in code always are).
func addSessionSeeds(f *testing.F, name string) {
	for _, raw := range sessionDatagrams(f, name) {
		f.Add(raw)
	}
}

// sessionDatagrams returns the datagrams of a session file, or none when
// the vectors are absent.
func sessionDatagrams(f *testing.F, name string) [][]byte {
	dir := vectors.Dir()
	if dir == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil
	}
	var s struct {
		Datagrams []struct {
			Raw string `json:"raw"`
		} `json:"datagrams"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		f.Fatalf("%s: %v", name, err)
	}
	var out [][]byte
	for _, d := range s.Datagrams {
		if raw, err := hex.DecodeString(d.Raw); err == nil {
			out = append(out, raw)
		}
	}
	return out
}

func addDocSeeds(f *testing.F, pkts []docPacket) {
	var all []byte
	for _, p := range pkts {
		b, _ := hex.DecodeString(p.hex)
		f.Add(b)
		all = append(all, b...)
	}
	f.Add(all) // several packets in one datagram
}

// fuzzCodec decodes every packet of data and checks, for each one, that
// it re-encodes, that the re-encoding decodes to the same fields, and that
// the re-encoding equals the input exactly when the input's signature is
// valid (the signature is the only computed field Decode does not check).
func fuzzCodec(t *testing.T, c Codec, data []byte) {
	sc := SigContext{SessionKey: seqBytes(0, 32), ConnSig: seqBytes(0x20, 4)}
	if c.Variant() == V1 || c.Variant() == Lite {
		sc.ConnSig = seqBytes(0x20, 16)
	}
	rest := data
	for range 64 {
		if len(rest) == 0 {
			return
		}
		p, n, err := c.Decode(rest)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with n=%d", err, n)
			}
			return
		}
		if n <= 0 || n > len(rest) {
			t.Fatalf("Decode used %d of %d bytes", n, len(rest))
		}
		raw := rest[:n]
		rest = rest[n:]
		verr := c.Verify(&p, raw, sc)
		enc, err := c.Append(nil, &p, sc)
		if err != nil {
			t.Fatalf("decoded packet %s does not encode: %v", p.String(), err)
		}
		p2, n2, err := c.Decode(enc)
		if err != nil || n2 != len(enc) {
			t.Fatalf("re-encoded packet does not decode: n=%d/%d %v\n%x", n2, len(enc), err, enc)
		}
		v2 := c.Verify(&p2, enc, sc)
		if c.Variant() == Lite {
			// Verbatim options carry the Lite signature as received.
			if (v2 == nil) != (verr == nil) {
				t.Fatalf("Verify changed by re-encoding: %v / %v", verr, v2)
			}
		} else if v2 != nil {
			t.Fatalf("re-encoded packet does not verify: %v", v2)
		}
		a, b := p, p2
		a.Signature, b.Signature, a.LiteSignature, b.LiteSignature = nil, nil, nil, nil
		comparePackets(t, "re-decoded", &b, &a)
		if enc2, _ := c.Append(nil, &p2, sc); !bytes.Equal(enc2, enc) {
			t.Fatalf("encoding unstable:\n%x\n%x", enc, enc2)
		}
		same := bytes.Equal(enc, raw)
		if c.Variant() == Lite {
			if !same {
				t.Fatalf("Lite re-encoding differs:\n got %x\nwant %x", enc, raw)
			}
		} else if same != (verr == nil) {
			t.Fatalf("re-encoding equal=%v but Verify=%v", same, verr)
		}
	}
}

func FuzzDecodeV0(f *testing.F) {
	addDocSeeds(f, docV0Exchange)
	addSessionSeeds(f, "friends-session.json")
	addSessionSeeds(f, "3ds-session.json")
	c := mustCodec(f, docSettings(ThreeDS))
	friends := docSettings(Friends)
	friends.AccessKey = "ridfebb9"
	cf := mustCodec(f, friends)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCodec(t, c, data)
		fuzzCodec(t, cf, data)
	})
}

func FuzzDecodeV1(f *testing.F) {
	addDocSeeds(f, docV1Exchange)
	addSessionSeeds(f, "wiiu-session.json")
	c := mustCodec(f, docSettings(WiiU))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCodec(t, c, data) })
}

func FuzzDecodeLite(f *testing.F) {
	addDocSeeds(f, docLiteExchange)
	addSessionSeeds(f, "switch-session.json")
	c := mustCodec(f, docSettings(Switch))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCodec(t, c, data) })
}

func FuzzDecodeRV(f *testing.F) {
	c1 := mustCodec(f, rvSettings(1))
	c4 := mustCodec(f, rvSettings(4))
	for _, c := range []Codec{c1, c4} {
		for _, p := range []Packet{
			{Source: VPort{3, 15}, Dest: VPort{3, 1}, Type: TypeSyn, Flags: FlagNeedAck},
			{Source: VPort{3, 1}, Dest: VPort{3, 15}, Type: TypeConnect, Flags: FlagAck | FlagHasSize, SessionID: 9, Sequence: 1, ConnSignature: []byte{1, 2, 3, 4}},
			{Source: VPort{3, 15}, Dest: VPort{3, 1}, Type: TypeData, Flags: FlagReliable | FlagNeedAck | FlagHasSize, Sequence: 2, Payload: []byte("rv payload")},
			{Source: VPort{3, 15}, Dest: VPort{3, 1}, Type: TypePing, Flags: FlagNeedAck, Sequence: 1},
		} {
			raw, err := c.Append(nil, &p, SigContext{ConnSig: []byte{0x20, 0x21, 0x22, 0x23}})
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCodec(t, c1, data)
		fuzzCodec(t, c4, data)
	})
}

func FuzzDecompress(f *testing.F) {
	f.Add(unhex(f, "09789c7374a43d000002e91965"))
	f.Add([]byte{0, 1, 2, 3})
	f.Add(unhex(f, "0b789ccb48cdc9c95728cf2fca4951c818016c00557659b1"))
	f.Add(unhex(f, "18789c73741c05c40200cb9e4c2d"))
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Decompress(data, limit)
		if err != nil {
			return
		}
		if len(out) > limit || len(data) > 0 && data[0] != 0 && len(out) > int(data[0])*(len(data)-1) {
			t.Fatalf("%d bytes out of %d with ratio %d", len(out), len(data), data[0])
		}
		comp, err := Compress(out)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decompress(comp, limit)
		if err != nil || !bytes.Equal(back, out) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzLiteFramer feeds a WebSocket byte stream to the PRUDPLite framer in
// the pieces cuts names (one message per byte, its length the byte's
// value): nothing panics, every packet handed out is one whole Lite packet
// of the stream, in order, and what the framer keeps is exactly the
// unfinished rest, so that the carrier's bound on it holds.
func FuzzLiteFramer(f *testing.F) {
	var exchange []byte
	for _, p := range docLiteExchange {
		b, _ := hex.DecodeString(p.hex)
		exchange = append(exchange, b...)
		f.Add(b, []byte{})
		f.Add(b[:len(b)-1], []byte{})
		f.Add(b[:liteHeader-1], []byte{1})
	}
	f.Add(exchange, []byte{})
	f.Add(exchange, []byte{1, 7, 12, 13})
	f.Add(exchange, []byte{18, 0, 5})
	f.Add(append(append([]byte(nil), exchange...), 0x81, 0, 0, 0), []byte{})
	f.Add([]byte{0x80, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}, []byte{3})
	f.Add([]byte{0x81, 0, 0, 0}, []byte{})
	var session []byte
	for _, d := range sessionDatagrams(f, "switch-session.json") {
		f.Add(d, []byte{})
		session = append(session, d...)
	}
	if len(session) > 0 {
		f.Add(session, []byte{200, 3, 64})
	}
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		var fr liteFramer
		var got []byte
		fed := 0
		for i := 0; fed < len(stream); i++ {
			n := len(stream) - fed
			if i < len(cuts) {
				n = min(int(cuts[i]), n)
			}
			msg := append([]byte(nil), stream[fed:fed+n]...)
			fed += n
			err := fr.feed(msg, func(p []byte) {
				if len(p) < liteHeader || p[0] != 0x80 || len(p) != liteHeader+int(p[1])+int(binary.LittleEndian.Uint16(p[2:4])) {
					t.Fatalf("handed out %x, not one Lite packet", p)
				}
				got = append(got, p...)
			})
			if err != nil {
				// The stream is refused at a packet boundary that does
				// not open with the magic.
				if len(got) >= fed || stream[len(got)] == 0x80 || len(fr.buf) != 0 {
					t.Fatalf("refused at %d of %d fed (byte %#x), %d kept: %v", len(got), fed, stream[min(len(got), fed-1)], len(fr.buf), err)
				}
				return
			}
			if !bytes.Equal(got, stream[:len(got)]) {
				t.Fatal("packets handed out are not the stream's bytes in order")
			}
			if len(got)+len(fr.buf) != fed || !bytes.Equal(fr.buf, stream[len(got):fed]) {
				t.Fatalf("%d handed out + %d kept != %d fed", len(got), len(fr.buf), fed)
			}
			if len(fr.buf) >= liteHeader && len(fr.buf) >= liteHeader+int(fr.buf[1])+int(binary.LittleEndian.Uint16(fr.buf[2:4])) {
				t.Fatalf("a whole packet of %d bytes was kept", len(fr.buf))
			}
			if len(fr.buf) > maxDatagram {
				t.Fatalf("kept %d bytes, more than a packet can hold", len(fr.buf))
			}
		}
	})
}
