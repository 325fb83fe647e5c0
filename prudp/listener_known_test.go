package prudp

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestListenerKnown: an opening packet that matches no game but a known
// profile is reported to Unserved with that profile, once per packet,
// and still gets no answer; a key that is neither is reported nowhere.
func TestListenerKnown(t *testing.T) {
	mk := func(s Settings, key string) Settings { s = fastSettings(s); s.AccessKey = key; return s }
	cases := []struct {
		name        string
		game, known []Settings
		dial        Settings
		want        string // access key reported, "" none
		bySignature bool
		typ         PacketType
	}{
		{"v1 SYN", []Settings{mk(WiiU(), "25dbf96a")}, []Settings{mk(WiiU(), "2869ba38"), mk(WiiU(), "9f2b4678")},
			mk(WiiU(), "9f2b4678"), "9f2b4678", true, TypeSyn},
		{"v0 SYN", []Settings{mk(ThreeDS(), "6181dff1")}, []Settings{mk(ThreeDS(), "876138df"), mk(WiiU(), "9f2b4678")},
			mk(ThreeDS(), "876138df"), "876138df", false, TypeSyn},
		{"lite CONNECT", []Settings{mk(Switch(), "fdf6617f")}, []Settings{mk(Switch(), "9587602b"), mk(Switch(), "09c1c475")},
			mk(Switch(), "09c1c475"), "09c1c475", true, TypeConnect},
		{"v1 of no kind", []Settings{mk(WiiU(), "25dbf96a")}, []Settings{mk(WiiU(), "2869ba38")},
			mk(WiiU(), "deadbeef"), "", false, 0},
		{"v1 with no v1 game", []Settings{mk(ThreeDS(), "6181dff1")}, []Settings{mk(WiiU(), "2869ba38")},
			mk(WiiU(), "2869ba38"), "2869ba38", true, TypeSyn},
		// A known title's console speaking the other UDP format is named.
		{"v1 SYN of a known v0 title", []Settings{mk(WiiU(), "25dbf96a")}, []Settings{mk(ThreeDS(), "876138df")},
			mk(WiiU(), "876138df"), "876138df", true, TypeSyn},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var mu sync.Mutex
				var got []KnownMatch
				tn := newTestNet(t, 11, Impairment{Delay: time.Millisecond}, ListenConfig{
					Games: tc.game, Known: tc.known,
					Unserved: func(m KnownMatch) { mu.Lock(); got = append(got, m); mu.Unlock() },
				})
				car, _ := tn.net.Listen("10.0.3.1:5")
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				c, err := DialCarrier(ctx, car, addrPortAddr{"mem", tn.srvAddr}, DialConfig{Settings: tc.dial})
				cancel()
				if err == nil {
					c.Abort()
					t.Fatal("a key of no game was accepted")
				}
				tn.l.Close()
				mu.Lock()
				defer mu.Unlock()
				if tc.want == "" {
					if len(got) != 0 {
						t.Fatalf("reported %+v", got)
					}
					return
				}
				if len(got) == 0 {
					t.Fatal("not reported")
				}
				for _, m := range got {
					if len(m.Settings) != 1 || m.Settings[0].AccessKey != tc.want || m.BySignature != tc.bySignature || m.Type != tc.typ {
						t.Errorf("match %+v (settings %v), want %s by signature %v type %s", m, m.Settings, tc.want, tc.bySignature, tc.typ)
					}
					if m.From.String() != "10.0.3.1:5" {
						t.Errorf("from %s", m.From)
					}
				}
			})
		})
	}
}

// TestKnownRateLimit: the known-title check runs at most knownBurst times
// at once and knownRate times a second after that, whatever arrives.
func TestKnownRateLimit(t *testing.T) {
	s := fastSettings(WiiU())
	s.AccessKey = "2869ba38"
	codec, err := NewCodec(&s)
	if err != nil {
		t.Fatal(err)
	}
	syn, err := codec.Append(nil, &Packet{Source: VPort{Type: StreamRVSecure, Port: 15}, Dest: VPort{Type: StreamRVSecure, Port: 1},
		Type: TypeSyn, Flags: FlagNeedAck, ConnSignature: make([]byte, 16)}, SigContext{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	l := &Listener{cfg: ListenConfig{Unserved: func(KnownMatch) { n++ }}, sigKey: make([]byte, 16)}
	if l.known, err = newKnownSet([]Settings{s}); err != nil {
		t.Fatal(err)
	}
	from := netip.MustParseAddrPort("10.0.0.9:1")
	for range 3 * knownBurst {
		l.identify(syn, from)
	}
	if n != knownBurst {
		t.Errorf("%d reports from a burst, want %d", n, knownBurst)
	}
	// The bucket refills with time: one second buys knownRate more.
	k := l.known
	now := time.Now()
	k.last, k.tokens = now, 0
	allowed := 0
	for i := range 10 * knownRate {
		if k.allow(now.Add(time.Duration(i) * time.Second / time.Duration(10*knownRate))) {
			allowed++
		}
	}
	if allowed < knownRate-1 || allowed > knownRate+1 {
		t.Errorf("%d allowed in one second, want about %d", allowed, knownRate)
	}
}

// BenchmarkKnownIdentify measures one known-title check of a refused v1
// SYN against 40 known v1 profiles (the work the rate limit bounds).
func BenchmarkKnownIdentify(b *testing.B) {
	var known []Settings
	for i := range 40 {
		s := WiiU()
		s.AccessKey = fmt.Sprintf("%08x", 0x10000000+i)
		known = append(known, s)
	}
	target := known[len(known)-1]
	codec, _ := NewCodec(&target)
	syn, err := codec.Append(nil, &Packet{Source: VPort{Type: StreamRVSecure, Port: 15}, Dest: VPort{Type: StreamRVSecure, Port: 1},
		Type: TypeSyn, Flags: FlagNeedAck, ConnSignature: make([]byte, 16)}, SigContext{})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	l := &Listener{cfg: ListenConfig{Unserved: func(KnownMatch) { n++ }}, sigKey: make([]byte, 16)}
	if l.known, err = newKnownSet(known); err != nil {
		b.Fatal(err)
	}
	from := netip.MustParseAddrPort("10.0.0.9:1")
	b.ReportAllocs()
	for b.Loop() {
		l.known.tokens = knownBurst
		l.identify(syn, from)
	}
	if n == 0 {
		b.Fatal("no match")
	}
}
