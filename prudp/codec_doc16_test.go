package prudp

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

// The vectors of prudp.md §16, produced by NintendoClients' encoder classes.

// ncConnSigKey is NintendoClients' fixed v1/Lite connection signature key;
// only tests use it (a listener uses NewConnSigKey).
var ncConnSigKey = []byte{0x26, 0xc3, 0x1f, 0x38, 0x1e, 0x46, 0xd6, 0xeb, 0x38, 0xe1, 0xaf, 0x6a, 0xb7, 0x0d, 0x11}

// seqBytes returns from, from+1, ... (n bytes).
func seqBytes(from byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = from + byte(i)
	}
	return b
}

func TestDocPrimitives(t *testing.T) {
	addr := netip.MustParseAddrPort("192.168.1.10:60000")
	if got := ConnSignature(V0, nil, addr); !bytes.Equal(got, unhex(t, "076a2d70")) {
		t.Errorf("v0 connection signature = %x", got)
	}
	if got := ConnSignature(RV, nil, addr); !bytes.Equal(got, unhex(t, "076a2d70")) {
		t.Errorf("rv connection signature = %x", got)
	}
	for _, v := range []Variant{V1, Lite} {
		if got := ConnSignature(v, ncConnSigKey, addr); !bytes.Equal(got, unhex(t, "01595c958b256d794b69d0ca1b283f81")) {
			t.Errorf("%s connection signature = %x", v, got)
		}
	}
	mapped := netip.AddrPortFrom(netip.AddrFrom16(addr.Addr().As16()), addr.Port())
	if got := ConnSignature(V0, nil, mapped); !bytes.Equal(got, unhex(t, "076a2d70")) {
		t.Errorf("IPv4-mapped address: v0 connection signature = %x", got)
	}

	ks := make([]byte, 32)
	sc, err := NewStreamCiphers(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Encrypt(0, ks, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, "0f8744db13ff2c5005a261fd2a16f2b1ff56e6f59756a21c5aefb5078ada400e"); !bytes.Equal(ks, want) {
		t.Errorf("CD&ML keystream = %x", ks)
	}
	rv := make([]byte, 32)
	for range 2 { // CryptRV restarts the keystream for every packet
		if err := CryptRV(rv, make([]byte, 32)); err != nil || !bytes.Equal(rv, ks) {
			t.Errorf("CryptRV keystream = %x, %v", rv, err)
		}
	}

	if got := ModifyKey(seqBytes(0, 32)); !bytes.Equal(got, unhex(t, "11111111111111111111111111111111101112131415161718191a1b1c1d1e1f")) {
		t.Errorf("modify_key(32) = %x", got)
	}
	if got := ModifyKey(seqBytes(0, 16)); !bytes.Equal(got, unhex(t, "090909090909090908090a0b0c0d0e0f")) {
		t.Errorf("modify_key(16) = %x", got)
	}

	sk := seqBytes(0, 32)
	if got := UnreliableBaseKey(sk); !bytes.Equal(got[:], unhex(t, "457ea8a7012124c67937f5a4faf414a1290dc878ae3553bba9a9b814fe4935c5")) {
		t.Errorf("unreliable base key = %x", got)
	}
	key := UnreliableKey(sk, 0x1234, 0x42)
	if !bytes.Equal(key[:], unhex(t, "7990a8a7012124c67937f5a4faf414a1290dc878ae3553bba9a9b814fe493507")) {
		t.Errorf("unreliable key = %x", key)
	}
	hello := make([]byte, 5)
	if err := CryptUnreliable(key, hello, []byte("hello")); err != nil || !bytes.Equal(hello, unhex(t, "69252a1402")) {
		t.Errorf("unreliable hello = %x, %v", hello, err)
	}

	sg := newSigner(docAccessKey)
	payload := unhex(t, "deadbeef")
	for _, tc := range []struct {
		name string
		got  [4]byte
		want string
	}{
		{"A with session key", sg.dataSigA(sk, 2, 0, payload), "4abb464e"},
		{"A without session key", sg.dataSigA(nil, 2, 0, payload), "9e950876"},
		{"B", sg.dataSigB(payload), "037fc15c"},
		{"B empty", sg.dataSigB(nil), "78563412"},
	} {
		if !bytes.Equal(tc.got[:], unhex(t, tc.want)) {
			t.Errorf("data signature %s = %x, want %s", tc.name, tc.got, tc.want)
		}
	}
	if got := LiteSignature(docAccessKey, seqBytes(0x20, 16)); !bytes.Equal(got, unhex(t, "ad1133e09f540b6c8964c7b97b9462aa")) {
		t.Errorf("lite signature = %x", got)
	}
	plain, err := Decompress(unhex(t, "09789c7374a43d000002e91965"), 1000)
	if err != nil || string(plain) != strings.Repeat("A", 100) {
		t.Errorf("decompress doc vector = %q, %v", plain, err)
	}
}

// docPacket is one row of a §16 handshake table.
type docPacket struct {
	c2s   bool
	hex   string
	plain string // RMC plaintext of a DATA payload, "" if none
}

var docV0Exchange = []docPacket{
	{true, "afa140000000000000000000000000a2", ""},
	{false, "a1af10000000000000000020212223f8", ""},
	{true, "afa1e1004220212223010010111213000054", ""},
	{false, "a1af910099101112130100000000000000d4", ""},
	{true, "afa1e20042e57a7b3502000015001e8744db99fe2c5005a661fd2a10f2d68a3395819700", "110000008a01000000040000000600677565737400"},
	{false, "a1af1200994c2b8c6402000077", ""},
	{false, "a1afe200996e411aa60100001200018744db19fe2d5005a2657d2a1696b1ff5607", "0e0000000a01010000000480000064000000"},
	{true, "afa14400422021222301006f", ""},
	{true, "afa1630042b98707600300b2", ""},
}

var docV1Exchange = []docPacket{
	{true, "ead0011b0000afa1400000000000428d6159bca284f43a9495d78e40aafb000404000000011000000000000000000000000000000000040100", ""},
	{false, "ead0011b0000a1af10000000000031f9e04a828a0ba02357a32da83725760004040000000110202122232425262728292a2b2c2d2e2f040100", ""},
	{true, "ead0011f0000afa1e100420001003e38d0eb6734bc6003f49c997ea93cf30004040000000110101112131415161718191a1b1c1d1e1f03023412040100", ""},
	{false, "ead0011f0000a1af9100990001009c6892c1945a534a5489f0eb3effbdfd00040400000001100000000000000000000000000000000003020000040100", ""},
	{true, "ead001031500afa1e200420002009733116bc5c66ca4da11a72844f03dc10201001e8744db99fe2c5005a661fd2a10f2d68a33958197", "110000008a01000000040000000600677565737400"},
	{false, "ead001030000a1af120099000200096323b8c8a307a22485c60b1722a72c020100", ""},
	{false, "ead001031200a1afe20099000100db889c09bb2cf92225ab2cd6a9c1beda020100018744db19fe2d5005a2657d2a1696b1ff56", "0e0000000a01010000000480000064000000"},
	{true, "ead001000000afa1440042000100a14d71065af512fa2a42d39faa21a8a5", ""},
	{true, "ead001000000afa163004200030035d8c5f2d6a9696f5057a9e2636270cd", ""},
}

var docLiteExchange = []docPacket{
	{true, "80060000aa1f010040000000000405000000", ""},
	{false, "80180000aa011f00100000000004050000000110202122232425262728292a2b2c2d2e2f", ""},
	{true, "80180000aa1f0100e10001000004050000008010ad1133e09f540b6c8964c7b97b9462aa", ""},
}

// replayDoc decodes, verifies, re-encodes (with verbatim and with rebuilt
// options) and decrypts every packet of a §16 exchange.
func replayDoc(t *testing.T, c Codec, pkts []docPacket, sigC, sigS, sessionKey []byte) {
	t.Helper()
	// The client signs with the sigS it received, the server with sigC.
	scC := SigContext{SessionKey: sessionKey, ConnSig: sigS}
	scS := SigContext{SessionKey: sessionKey, ConnSig: sigC}
	maxSub := uint8(0)
	recvC, _ := NewStreamCiphers(sessionKey, maxSub)
	recvS, _ := NewStreamCiphers(sessionKey, maxSub)
	sendC, _ := NewStreamCiphers(sessionKey, maxSub)
	sendS, _ := NewStreamCiphers(sessionKey, maxSub)
	for i, dp := range pkts {
		raw := unhex(t, dp.hex)
		sc, recv, send := scS, recvS, sendS
		if dp.c2s {
			sc, recv, send = scC, recvC, sendC
		}
		p, n, err := c.Decode(raw)
		if err != nil || n != len(raw) {
			t.Fatalf("packet %d: Decode: n=%d/%d err=%v", i, n, len(raw), err)
		}
		if err := c.Verify(&p, raw, sc); err != nil {
			t.Errorf("packet %d %s: Verify: %v", i, p.String(), err)
		}
		other := scC
		if dp.c2s {
			other = scS
		}
		// v0 data signatures depend on the session key, not on ConnSig.
		usesConnSig := c.Variant() == V1 || c.Variant() == V0 && (p.Type == TypeConnect || p.Type == TypePing)
		if p.Type != TypeSyn && usesConnSig && c.Verify(&p, raw, other) == nil {
			t.Errorf("packet %d %s verifies with the other direction's context", i, p.String())
		}
		enc, err := c.Append(nil, &p, sc)
		if err != nil || !bytes.Equal(enc, raw) {
			t.Errorf("packet %d: re-encode (verbatim options):\n got %x\nwant %x (%v)", i, enc, raw, err)
		}
		rebuilt := p
		rebuilt.Options = nil
		if enc, err := c.Append(nil, &rebuilt, sc); err != nil || !bytes.Equal(enc, raw) {
			t.Errorf("packet %d: re-encode (built options):\n got %x\nwant %x (%v)", i, enc, raw, err)
		}
		if dp.plain == "" {
			continue
		}
		plain := make([]byte, len(p.Payload))
		if err := recv.Decrypt(p.Substream, plain, p.Payload); err != nil {
			t.Fatal(err)
		}
		if want := unhex(t, dp.plain); !bytes.Equal(plain, want) {
			t.Errorf("packet %d: plaintext %x, want %x", i, plain, want)
		}
		// Sender side: encrypt the plaintext, sign, encode from scratch.
		fresh := rebuilt
		fresh.Payload = make([]byte, len(plain))
		if err := send.Encrypt(p.Substream, fresh.Payload, plain); err != nil {
			t.Fatal(err)
		}
		if enc, err := c.Append(nil, &fresh, sc); err != nil || !bytes.Equal(enc, raw) {
			t.Errorf("packet %d: encrypt+encode:\n got %x\nwant %x (%v)", i, enc, raw, err)
		}
	}
}

func TestDocV0Exchange(t *testing.T) {
	c := mustCodec(t, docSettings(ThreeDS))
	replayDoc(t, c, docV0Exchange, unhex(t, "10111213"), unhex(t, "20212223"), nil)
}

func TestDocV1Exchange(t *testing.T) {
	c := mustCodec(t, docSettings(WiiU))
	replayDoc(t, c, docV1Exchange, seqBytes(0x10, 16), seqBytes(0x20, 16), nil)
}

func TestDocV1SecureData(t *testing.T) {
	c := mustCodec(t, docSettings(WiiU))
	pkt := []docPacket{{true, "ead001030d00afa1e20042000200bdf2757896b17633085fc9466d2c2f5d0201001e24f1c921aea93d763d9e8008", "0e0000008b0100000001000000"}}
	replayDoc(t, c, pkt, seqBytes(0x10, 16), seqBytes(0x20, 16), seqBytes(0, 32))
}

func TestDocLiteExchange(t *testing.T) {
	c := mustCodec(t, docSettings(Switch))
	replayDoc(t, c, docLiteExchange, nil, seqBytes(0x20, 16), nil)
	// The client CONNECT fails verification against another sigS.
	raw := unhex(t, docLiteExchange[2].hex)
	p, _, err := c.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(&p, raw, SigContext{ConnSig: seqBytes(0x21, 16)}); err == nil {
		t.Error("Lite CONNECT verifies with a wrong sigS")
	}
}
