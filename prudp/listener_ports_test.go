package prudp

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"
)

// synTo sends one datagram to the listener of tn from a fresh source.
func synTo(t *testing.T, tn *testNet, i int, datagram []byte) {
	t.Helper()
	c, err := tn.net.Listen(fmt.Sprintf("10.0.3.%d:%d", i%250, 3000+i))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.WriteTo(datagram, tn.srvAddr); err != nil {
		t.Fatal(err)
	}
}

func synWire(t *testing.T, s Settings, dest VPort) []byte {
	t.Helper()
	codec, err := NewCodec(&s)
	if err != nil {
		t.Fatal(err)
	}
	syn := Packet{Source: VPort{StreamRVSecure, 15}, Dest: dest, Type: TypeSyn, Flags: FlagNeedAck,
		MinorVersion: s.MinorVersion, SupportedFunctions: s.SupportedFunctions, MaxSubstream: s.MaxSubstream}
	if s.Variant != Lite {
		syn.ConnSignature = make([]byte, connSigLen(s.Variant))
	}
	wire, err := codec.Append(nil, &syn, SigContext{})
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

// TestListenerAnswersOnlyServedPorts: a SYN to a stream type or port the
// listener does not serve gets no answer and is counted.
func TestListenerAnswersOnlyServedPorts(t *testing.T) {
	for _, name := range []string{"v0", "v1-minor4", "lite"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := fastSettings(variantProfiles()[name])
				serves := func(v VPort) bool { return v.Type == StreamRVSecure && (v.Port == 1 || v.Port == 2) }
				tn := newTestNet(t, 31, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}, Serves: serves})
				t.Cleanup(func() { tn.l.Close() })
				synTo(t, tn, 1, synWire(t, s, VPort{StreamRVSecure, 1}))
				synTo(t, tn, 2, synWire(t, s, VPort{StreamRVSecure, 2}))
				synTo(t, tn, 3, synWire(t, s, VPort{StreamRVSecure, 3}))
				synTo(t, tn, 4, synWire(t, s, VPort{StreamDO, 1}))
				time.Sleep(10 * time.Millisecond)
				if st := tn.l.Stats(); st.SynReplies != 2 || st.UnservedPort != 2 {
					t.Errorf("stats %+v, want 2 replies and 2 SYNs to unserved ports", st)
				}
			})
		})
	}
}

// TestListenerDropsDatagramWithTrailingBytes: a SYN followed by bytes
// that are not a whole packet, in the same datagram, is dropped whole;
// two whole v1 SYNs in one datagram are both answered.
func TestListenerDropsDatagramWithTrailingBytes(t *testing.T) {
	for _, name := range []string{"v0", "v1-minor4"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := fastSettings(variantProfiles()[name])
				tn := newTestNet(t, 32, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})
				t.Cleanup(func() { tn.l.Close() })
				syn := synWire(t, s, VPort{StreamRVSecure, 1})
				synTo(t, tn, 1, append(append([]byte{}, syn...), 0xde, 0xad, 0xbe, 0xef))
				time.Sleep(10 * time.Millisecond)
				if st := tn.l.Stats(); st.SynReplies != 0 || st.Malformed != 1 {
					t.Errorf("SYN + garbage: %+v, want no reply and one malformed datagram", st)
				}
				if s.Variant != V1 {
					return // v0 packets carry no size: only v1 coalesces
				}
				synTo(t, tn, 2, append(append([]byte{}, syn...), syn...))
				time.Sleep(10 * time.Millisecond)
				if st := tn.l.Stats(); st.SynReplies != 2 || st.Malformed != 1 {
					t.Errorf("two SYNs in one datagram: %+v, want both answered", st)
				}
			})
		})
	}
}
