package prudp

import "testing"

// Benchmarks of the per-packet hot path on a secure connection (32-byte
// session key): a 200-byte reliable DATA payload, and a 14-byte one, the
// size of a TestConnectivity call or its answer (what nexproxy bench
// sends), whose cost with that of an ACK (BenchmarkV1Sig/ack) is the
// cryptographic floor of a call on one leg.

func benchPacket() (Packet, SigContext) {
	p := Packet{Source: VPort{10, 15}, Dest: VPort{10, 1}, Type: TypeData,
		Flags: FlagReliable | FlagNeedAck | FlagHasSize, SessionID: 0x42, Sequence: 2}
	return p, SigContext{SessionKey: seqBytes(0, 32), ConnSig: seqBytes(0x20, 16)}
}

func benchSend(b *testing.B, s Settings, connSigLen, size int) {
	c := mustCodec(b, s)
	p, sc := benchPacket()
	sc.ConnSig = sc.ConnSig[:connSigLen]
	send, err := NewStreamCiphers(sc.SessionKey, 0)
	if err != nil {
		b.Fatal(err)
	}
	plain := seqBytes(1, size)
	payload := make([]byte, len(plain))
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := send.Encrypt(0, payload, plain); err != nil {
			b.Fatal(err)
		}
		p.Payload = payload
		p.Sequence = uint16(i)
		if buf, err = c.Append(buf[:0], &p, sc); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRecv(b *testing.B, s Settings, connSigLen, size int) {
	c := mustCodec(b, s)
	p, sc := benchPacket()
	sc.ConnSig = sc.ConnSig[:connSigLen]
	send, _ := NewStreamCiphers(sc.SessionKey, 0)
	recv, _ := NewStreamCiphers(sc.SessionKey, 0)
	plain := seqBytes(1, size)
	p.Payload = make([]byte, len(plain))
	_ = send.Encrypt(0, p.Payload, plain)
	raw, err := c.Append(nil, &p, sc)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]byte, 512)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	var d Packet // reused, as a receive loop does: Verify takes its address
	for b.Loop() {
		var n int
		d, n, err = c.Decode(raw)
		if err != nil || n != len(raw) {
			b.Fatal(err)
		}
		if err := c.Verify(&d, raw[:n], sc); err != nil {
			b.Fatal(err)
		}
		// The receive stream runs on: the cost is what matters here.
		if err := recv.Decrypt(d.Substream, out, d.Payload); err != nil {
			b.Fatal(err)
		}
	}
}

func v0SecureSettings() Settings { return docSettings(ThreeDS) }
func v1SecureSettings() Settings { return docSettings(WiiU) }

func BenchmarkV0SendData200(b *testing.B) { benchSend(b, v0SecureSettings(), 4, 200) }
func BenchmarkV0RecvData200(b *testing.B) { benchRecv(b, v0SecureSettings(), 4, 200) }
func BenchmarkV1SendData200(b *testing.B) { benchSend(b, v1SecureSettings(), 16, 200) }
func BenchmarkV1RecvData200(b *testing.B) { benchRecv(b, v1SecureSettings(), 16, 200) }
func BenchmarkV1SendData14(b *testing.B)  { benchSend(b, v1SecureSettings(), 16, 14) }
func BenchmarkV1RecvData14(b *testing.B)  { benchRecv(b, v1SecureSettings(), 16, 14) }
