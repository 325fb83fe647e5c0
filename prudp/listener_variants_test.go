package prudp

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// secureConnect is a Connect callback of a secure server: the payload is
// a 32-byte "ticket" (the session key) and a u32 check, answered with
// check+1. It records the profile each CONNECT was matched with.
type secureConnect struct {
	mu   sync.Mutex
	seen []Settings
}

func (sc *secureConnect) connect(r ConnectRequest) (ConnectResponse, error) {
	if len(r.Payload) != 36 {
		return ConnectResponse{}, errors.New("bad payload")
	}
	sc.mu.Lock()
	sc.seen = append(sc.seen, *r.Settings)
	sc.mu.Unlock()
	check := binary.LittleEndian.Uint32(r.Payload[32:])
	return ConnectResponse{Payload: binary.LittleEndian.AppendUint32([]byte{4, 0, 0, 0}, check+1), SessionKey: r.Payload[:32]}, nil
}

func secureDial(s Settings, i int) DialConfig {
	key := bytes.Repeat([]byte{byte(i + 1)}, 32)
	check := uint32(1000 + i)
	return DialConfig{Settings: s, SessionKey: key, ConnectPayload: binary.LittleEndian.AppendUint32(bytes.Clone(key), check),
		CheckConnectReply: func(b []byte) error {
			if len(b) != 8 || binary.LittleEndian.Uint32(b[4:]) != check+1 {
				return errors.New("bad check")
			}
			return nil
		}}
}

// TestListenerServesBothUDPVariants: a listener whose game is configured
// for one UDP format also serves consoles of the other (prudp.md §1),
// each connection with the format (checksum or HMAC signatures, RC4 per
// substream or not) of its own handshake, side by side on one listener;
// garbage is still dropped and counted.
func TestListenerServesBothUDPVariants(t *testing.T) {
	const key = "876138df"
	v0 := fastSettings(ThreeDS())
	v0.AccessKey = key
	v1 := fastSettings(WiiU())
	v1.AccessKey = key
	v1.MinorVersion = 3
	for _, configured := range []Settings{v1, v0} {
		t.Run("configured "+configured.Variant.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// Bounded (fake time), so that a console refused fails the
				// test rather than leaving Accept waiting.
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				sc := &secureConnect{}
				tn := newTestNet(t, 21, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{configured}, Connect: sc.connect})
				defer tn.l.Close()
				type pair struct{ cli, srv *Conn }
				var pairs []pair
				// Both consoles connected at once: each keeps its own format.
				for i, cs := range []Settings{v0, v1} {
					cli, srv, err := tn.dial(ctx, secureDial(cs, i))
					if err != nil {
						t.Fatalf("%s console: %v", cs.Variant, err)
					}
					pairs = append(pairs, pair{cli, srv})
					if srv.Variant() != cs.Variant || srv.Settings().AccessKey != key {
						t.Errorf("%s console served as %s/%s", cs.Variant, srv.Variant(), srv.Settings().AccessKey)
					}
					if got := sc.seen[len(sc.seen)-1].Variant; got != cs.Variant {
						t.Errorf("%s console: Connect was told %s", cs.Variant, got)
					}
					if !bytes.Equal(srv.SessionKey(), cli.SessionKey()) {
						t.Errorf("%s console: session keys differ", cs.Variant)
					}
				}
				if minor, _, _ := pairs[1].cli.Negotiated(); minor != 3 {
					t.Errorf("v1 console negotiated minor version %d, want 3", minor)
				}
				for round := range 2 {
					for _, p := range pairs {
						m := [][]byte{testMessage(round, 40), testMessage(round+1, 2500)}
						if err := exchange(ctx, p.cli, p.srv, 0, m); err != nil {
							t.Fatalf("%s console to server: %v", p.cli.Variant(), err)
						}
						if err := exchange(ctx, p.srv, p.cli, 0, m); err != nil {
							t.Fatalf("server to %s console: %v", p.cli.Variant(), err)
						}
					}
				}
				before := tn.l.Stats()
				stranger, _ := tn.net.Listen("10.5.5.5:5")
				for _, g := range [][]byte{{0xea, 0xd0, 0x01, 0, 0}, {0xaf, 0xa1, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0}, bytes.Repeat([]byte{0xff}, 200)} {
					_ = stranger.WriteTo(g, tn.srvAddr)
				}
				time.Sleep(10 * time.Millisecond)
				if st := tn.l.Stats(); st.Malformed < before.Malformed+3 || st.Active != 2 {
					t.Errorf("garbage: stats %+v, before %+v", st, before)
				}
				stranger.Close()
				closeAll(tn.l, pairs[0].cli, pairs[0].srv, pairs[1].cli, pairs[1].srv)
			})
		})
	}
}

// TestListenerConfiguredVariantWins: a game configured for both UDP
// formats keeps each profile as configured.
func TestListenerConfiguredVariantWins(t *testing.T) {
	const key = "c1621b84"
	v0 := fastSettings(ThreeDS())
	v0.AccessKey = key
	v0.FragmentSize = 500
	v1 := fastSettings(WiiU())
	v1.AccessKey = key
	v1.FragmentSize = 900
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		tn := newTestNet(t, 22, Impairment{}, ListenConfig{Games: []Settings{v0, v1}})
		defer tn.l.Close()
		for _, cs := range []Settings{v0, v1} {
			cli, srv, err := tn.dial(ctx, DialConfig{Settings: cs})
			if err != nil {
				t.Fatalf("%s: %v", cs.Variant, err)
			}
			if got := srv.Settings(); got.Variant != cs.Variant || got.FragmentSize != cs.FragmentSize {
				t.Errorf("%s console got %s with fragment size %d", cs.Variant, got.Variant, got.FragmentSize)
			}
			closeAll(nil, cli, srv)
		}
		tn.l.Close()
	})
}

func TestForVariant(t *testing.T) {
	w := WiiU()
	w.AccessKey = "876138df"
	w.MaxSubstream, w.SignatureVersion, w.FlagsVersion, w.ChecksumSize = 1, 7, 0, 4
	v0 := w.ForVariant(V0)
	if v0.Variant != V0 || v0.FlagsVersion != 1 || v0.ChecksumSize != 1 || v0.SignatureVersion != 0 || v0.MaxSubstream != 0 || v0.CoalesceAcks {
		t.Errorf("v1 profile as v0: %+v", v0)
	}
	if err := v0.Validate(); err != nil {
		t.Error(err)
	}
	if w.Variant != V1 || w.MaxSubstream != 1 {
		t.Errorf("ForVariant changed its receiver: %+v", w)
	}
	f := Friends()
	f = f.ForVariant(V1)
	f = f.ForVariant(V0)
	if f.SignatureVersion != 1 {
		t.Errorf("friends profile lost signature version 1: %+v", f)
	}
	d := ThreeDS()
	d.AccessKey = "876138df"
	d.CoalesceAcks = true
	if v1 := d.ForVariant(V1); v1.Variant != V1 || !v1.CoalesceAcks || v1.FragmentSize != d.FragmentSize || v1.Validate() != nil {
		t.Errorf("3DS profile as v1: %+v", v1)
	}
	for _, v := range []Variant{Lite, RV} {
		if _, ok := OtherUDPVariant(v); ok {
			t.Errorf("%s has another UDP variant", v)
		}
	}
}
