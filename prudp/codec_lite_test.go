package prudp

import (
	"bytes"
	"errors"
	"testing"
)

func TestLiteMalformedInput(t *testing.T) {
	c := mustCodec(t, docSettings(Switch))
	synAck := unhex(t, docLiteExchange[1].hex)
	connect := unhex(t, docLiteExchange[2].hex)
	setOpts := func(raw, opts []byte) []byte {
		out := append(bytes.Clone(raw[:liteHeaderSize]), opts...)
		out[1] = byte(len(opts))
		return out
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrShort},
		{"header cut", synAck[:11], ErrShort},
		{"options cut", synAck[:20], ErrShort},
		{"bad magic", append([]byte{0x81}, synAck[1:]...), ErrMagic},
		{"SYN-ACK without conn sig", setOpts(synAck, synAck[12:18]), ErrOptions},
		{"CONNECT with v1 conn sig", setOpts(connect, append(bytes.Clone(connect[12:18]), append([]byte{1, 16}, make([]byte, 16)...)...)), ErrOptions},
		{"DATA with fragment option", setOpts(unhex(t, "80000000aa1f0100e2000200"), []byte{2, 1, 0}), ErrOptions},
		{"repeated support", setOpts(synAck, append(bytes.Clone(synAck[12:18]), synAck[12:18]...)), ErrOptions},
	} {
		if _, n, err := c.Decode(tc.in); !errors.Is(err, tc.want) || n != 0 {
			t.Errorf("%s: n=%d err=%v, want %v", tc.name, n, err, tc.want)
		}
	}
}

// TestLiteSeveralPacketsPerMessage decodes a WebSocket message holding
// three packets, and reports ErrShort for a packet cut at the message end
// (the carrier may then wait for the next message).
func TestLiteSeveralPacketsPerMessage(t *testing.T) {
	c := mustCodec(t, docSettings(Switch))
	parts := []string{
		"80000e00aa011f00e20001000a0000000a006400038001000000",
		"80000000aa011f0012000200",
		docLiteExchange[1].hex,
	}
	var msg []byte
	for _, p := range parts {
		msg = append(msg, unhex(t, p)...)
	}
	rest := msg
	for i := range parts {
		p, n, err := c.Decode(rest)
		if err != nil || n != len(parts[i])/2 {
			t.Fatalf("packet %d: n=%d err=%v", i, n, err)
		}
		if enc, _ := c.Append(nil, &p, SigContext{}); !bytes.Equal(enc, rest[:n]) {
			t.Errorf("packet %d: re-encode %x", i, enc)
		}
		rest = rest[n:]
	}
	lastCut := msg[len(msg)-len(parts[2])/2 : len(msg)-1]
	if _, _, err := c.Decode(lastCut); !errors.Is(err, ErrShort) {
		t.Errorf("cut packet: %v, want ErrShort", err)
	}
}

func TestLitePortsAndFragment(t *testing.T) {
	c := mustCodec(t, docSettings(Switch))
	p := Packet{Source: VPort{10, 200}, Dest: VPort{9, 2}, Type: TypeData, Flags: FlagReliable | FlagNeedAck | FlagHasSize,
		FragmentID: 7, Sequence: 0xBEEF, Payload: []byte("x")}
	raw, err := c.Append(nil, &p, SigContext{})
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := c.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	comparePackets(t, "lite", &d, &p)
	p.Source.Type = 16
	if _, err := c.Append(nil, &p, SigContext{}); !errors.Is(err, ErrRange) {
		t.Errorf("stream type 16: %v", err)
	}
}
