package prudp

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"testing"
	"testing/synctest"
	"time"
)

// buffered counts the packets waiting for a gap to fill.
func (w *recvWindow) buffered() int {
	n := 0
	for i := range w.slots {
		if w.slots[i].full {
			n++
		}
	}
	return n
}

// pending reports the bytes of an unfinished message.
func (r *reassembler) pending() int { return len(r.buf) }

// FuzzReassembler drives a receive window and reassembler with arbitrary
// (sequence id, fragment id, payload) records: nothing panics, memory stays
// within the caps, and delivered bytes are exactly the in-order fragments.
func FuzzReassembler(f *testing.F) {
	f.Add([]byte{1, 0, 1, 3, 'a', 'b', 'c', 2, 0, 0, 1, 'd'})
	f.Add([]byte{2, 0, 0, 1, 'x', 1, 0, 1, 1, 'y', 1, 0, 1, 1, 'y'})
	f.Add(bytes.Repeat([]byte{0xff, 0xff, 7, 200}, 40))
	f.Fuzz(func(t *testing.T, in []byte) {
		w := newRecvWindow(1, 64)
		r := reassembler{max: 4096}
		for len(in) >= 4 {
			seq := binary.LittleEndian.Uint16(in)
			frag := in[2]
			n := min(int(in[3]), len(in)-4)
			payload := in[4 : 4+n]
			in = in[4+n:]
			if w.offer(TypeData, seq, frag, payload) != offerAccepted {
				continue
			}
			for {
				p, ok := w.pop()
				if !ok {
					break
				}
				msg, err := r.add(p.frag, p.payload)
				if err != nil {
					continue
				}
				if len(msg) > r.max {
					t.Fatalf("message of %d bytes beyond cap", len(msg))
				}
			}
			if w.buffered() > len(w.slots) || r.pending() > r.max {
				t.Fatal("caps exceeded")
			}
		}
	})
}

// FuzzListenerInput feeds arbitrary datagrams (and mutations of a real
// handshake) into a listener with one connection: nothing panics and the
// live connection still works afterwards.
func FuzzListenerInput(f *testing.F) {
	syn, _ := hex.DecodeString("ead0011b0000afa1400000000000428d6159bca284f43a9495d78e40aafb000404000000011000000000000000000000000000000000040100")
	f.Add(syn, uint8(0))
	f.Add([]byte{0xaf, 0xa1, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xa2}, uint8(0))
	f.Add([]byte{0x80, 6, 0, 0, 0xaa, 0x1f, 1, 0, 0x40, 0, 0, 0, 0, 4, 5, 0, 0, 0}, uint8(2))
	f.Add([]byte{}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		profiles := []string{"v1-minor4", "v0", "lite", "friends"}
		s := fastSettings(variantProfiles()[profiles[int(which)%len(profiles)]])
		synctest.Test(t, func(t *testing.T) {
			ctx := context.Background()
			// Known profiles of every wire format put the known-title
			// check on the path of whatever the listener refuses.
			var known []Settings
			for _, k := range []Settings{WiiU(), ThreeDS(), Switch()} {
				k.AccessKey = "0badf00d"
				known = append(known, k)
			}
			tn := newTestNet(t, 11, Impairment{}, ListenConfig{Games: []Settings{s}, Known: known, Unserved: func(KnownMatch) {}})
			cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
			if err != nil {
				t.Fatal(err)
			}
			// From the client's own address (reaches the live connection)
			// and from a stranger.
			cliAddr := cli.carrier.LocalAddr().(addrPortAddr).ap
			stranger, _ := tn.net.Listen("10.9.9.9:9")
			for _, src := range []Carrier{cli.carrier, stranger} {
				_ = src.WriteTo(data, tn.srvAddr)
				for i := 0; i+1 < len(data) && i < 64; i += 7 {
					m := append([]byte(nil), data...)
					m[i] ^= 0x5a
					_ = src.WriteTo(m, tn.srvAddr)
				}
			}
			_ = cliAddr
			time.Sleep(10 * time.Millisecond)
			if err := exchange(ctx, cli, srv, 0, [][]byte{[]byte("ok")}); err != nil && srv.Err() == nil {
				t.Fatal(err)
			}
			stranger.Close()
			closeAll(tn.l, cli, srv)
		})
	})
}

// TestBadInputCounted: garbage is dropped, counted, and leaves no state.
func TestBadInputCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := fastSettings(WiiU())
		s.AccessKey = "25dbf96a"
		tn := newTestNet(t, 12, Impairment{}, ListenConfig{Games: []Settings{s}})
		src, _ := tn.net.Listen("10.5.5.5:5")
		inputs := [][]byte{
			{}, {0xea}, {0xea, 0xd0}, {0xea, 0xd0, 1, 0, 0, 0}, bytes.Repeat([]byte{0xea, 0xd0, 0x01}, 30),
			{0xaf, 0xa1, 0x40, 0, 0}, bytes.Repeat([]byte{0xff}, 1500),
		}
		// A valid-looking CONNECT that echoes a wrong connection signature.
		codec, _ := NewCodec(&s)
		cp := Packet{Source: VPort{10, 15}, Dest: VPort{10, 1}, Type: TypeConnect, Flags: FlagReliable | FlagNeedAck | FlagHasSize,
			Sequence: 1, SessionID: 3, ConnSignature: make([]byte, 16), MinorVersion: 4, MaxSubstream: 0}
		b, err := codec.Append(nil, &cp, SigContext{ConnSig: bytes.Repeat([]byte{1}, 16)})
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
		// DATA for no connection.
		dp := Packet{Source: VPort{10, 15}, Dest: VPort{10, 1}, Type: TypeData, Flags: FlagReliable | FlagNeedAck | FlagHasSize, Sequence: 2, Payload: []byte("x")}
		b, _ = codec.Append(nil, &dp, SigContext{})
		inputs = append(inputs, b)
		for _, in := range inputs {
			_ = src.WriteTo(in, tn.srvAddr)
		}
		time.Sleep(10 * time.Millisecond)
		st := tn.l.Stats()
		if st.Active != 0 || st.Malformed == 0 || st.BadSignature == 0 || st.NoConnection == 0 {
			t.Errorf("stats %+v", st)
		}
		src.Close()
		tn.l.Close()
	})
}
