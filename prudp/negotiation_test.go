package prudp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// rewriteCarrier sits under a dialled client and lets a test play a peer
// that negotiates differently from ours: it edits the packets of one type
// that the client sends (outgoing) or reads (incoming). An edited packet is
// encoded again with the codec and the right signature context, so that
// only the negotiated values differ and a refusal cannot come from a
// broken signature.
type rewriteCarrier struct {
	Carrier
	codec    Codec
	outgoing bool            // edit what the client sends, not what it reads
	typ      PacketType      // TypeSyn or TypeConnect
	edit     func(p *Packet) // nil: pass everything through

	mu         sync.Mutex
	sigS, sigC []byte // connection signatures of the SYN reply and of the client's CONNECT
	rewritten  int
}

func (r *rewriteCarrier) WriteTo(b []byte, to netip.AddrPort) error {
	p, n, err := r.codec.Decode(b)
	if err != nil || n != len(b) {
		return r.Carrier.WriteTo(b, to)
	}
	r.mu.Lock()
	if p.Type == TypeConnect {
		r.sigC = append([]byte(nil), p.ConnSignature...)
	}
	wire := b
	if r.edit != nil && r.outgoing && p.Type == r.typ {
		wire, err = r.rewriteLocked(&p)
	}
	r.mu.Unlock()
	if err != nil {
		return err
	}
	return r.Carrier.WriteTo(wire, to)
}

func (r *rewriteCarrier) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	n, from, err := r.Carrier.ReadFrom(b)
	if err != nil {
		return n, from, err
	}
	p, k, derr := r.codec.Decode(b[:n])
	if derr != nil || k != n {
		return n, from, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.Type == TypeSyn {
		r.sigS = append([]byte(nil), p.ConnSignature...)
	}
	if r.edit == nil || r.outgoing || p.Type != r.typ {
		return n, from, nil
	}
	wire, werr := r.rewriteLocked(&p)
	if werr != nil || len(wire) > len(b) {
		return 0, from, fmt.Errorf("rewrite %s: %v", p.Type, werr)
	}
	return copy(b, wire), from, nil
}

// rewriteLocked applies the edit to p and encodes it again.
func (r *rewriteCarrier) rewriteLocked(p *Packet) ([]byte, error) {
	r.edit(p)
	p.Options = nil // encode from the edited fields
	var sc SigContext
	switch {
	case p.Type == TypeConnect && p.Flags.Has(FlagAck):
		sc.ConnSig = r.sigC
	case p.Type == TypeConnect:
		sc.ConnSig = r.sigS
	}
	r.rewritten++
	return r.codec.Append(nil, p, sc)
}

// count is how many packets were rewritten.
func (r *rewriteCarrier) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rewritten
}

// negotiationProfile is a profile with room on both sides of each
// negotiated value: minor version 4 (Lite 5), functions 0b1110 and (v1)
// max substream 2.
func negotiationProfile(v Variant) Settings {
	var s Settings
	if v == Lite {
		s = Switch()
		s.AccessKey = "fdf6617f"
		s.ResendLimit = 2 // a refused handshake ends by timeout, not only by ctx
	} else {
		s = WiiU()
		s.AccessKey = "25dbf96a"
		s.MaxSubstream = 2
	}
	s = fastSettings(s)
	s.SupportedFunctions = 0b1110
	return s
}

// negotiationNet is a listener whose drop reasons are recorded and whose
// Connect callback counts its calls.
type negotiationNet struct {
	net   *MemNetwork
	l     *Listener
	srv   netip.AddrPort
	logs  *observer.ObservedLogs
	calls atomic.Int32
}

func newNegotiationNet(t *testing.T, s Settings) *negotiationNet {
	t.Helper()
	nn := &negotiationNet{net: NewMemNetwork(21, Impairment{Delay: time.Millisecond}), srv: netip.MustParseAddrPort("10.0.0.1:60000")}
	core, logs := observer.New(zap.DebugLevel)
	nn.logs = logs
	car, err := nn.net.Listen(nn.srv.String())
	if err != nil {
		t.Fatal(err)
	}
	nn.l, err = ListenCarrier(context.Background(), car, ListenConfig{Games: []Settings{s}, Logger: zap.New(core),
		Connect: func(ConnectRequest) (ConnectResponse, error) {
			nn.calls.Add(1)
			return ConnectResponse{}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return nn
}

// dial connects a client with s through rw (its Carrier and codec are
// filled in here; nil edits nothing). It gives up after a few seconds of
// (fake) time.
func (nn *negotiationNet) dial(t *testing.T, s Settings, rw *rewriteCarrier) (*Conn, *rewriteCarrier, error) {
	t.Helper()
	car, err := nn.net.Listen("10.0.1.1:1000")
	if err != nil {
		t.Fatal(err)
	}
	codec, err := NewCodec(&s)
	if err != nil {
		t.Fatal(err)
	}
	if rw == nil {
		rw = &rewriteCarrier{}
	}
	rw.Carrier, rw.codec = car, codec
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := DialCarrier(ctx, rw, addrPortAddr{"mem", nn.srv}, DialConfig{Settings: s})
	return c, rw, err
}

// dropped counts the listener's drops logged with reason.
func (nn *negotiationNet) dropped(reason string) int {
	return nn.logs.FilterMessage("prudp: drop datagram").FilterField(zap.String("reason", reason)).Len()
}

var negotiationVariants = []Variant{V1, Lite}

// rewriteCase is one rewriting of a handshake packet: edit changes it in
// flight, and refuse says whether the side that receives it must refuse.
type rewriteCase struct {
	name   string
	v1Only bool // the edited field exists on v1 only (max substream)
	edit   func(*Packet)
	refuse bool
}

// runRewriteCases runs fn for every case on every negotiating variant, as
// a subtest in a synctest bubble.
func runRewriteCases(t *testing.T, cases []rewriteCase, fn func(t *testing.T, v Variant, tc rewriteCase)) {
	for _, v := range negotiationVariants {
		for _, tc := range cases {
			if tc.v1Only && v != V1 {
				continue
			}
			t.Run(v.String()+"/"+tc.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) { fn(t, v, tc) })
			})
		}
	}
}

// TestNegotiationListenerRefusesConnectBeyondProfile: a CONNECT whose
// options ask for more than the listener's profile (a higher minor
// version, a function it lacks, more substreams) is dropped before any
// connection exists: the Connect callback never runs and the client never
// connects. The row that re-encodes the CONNECT unchanged shows that the
// rewriting itself is not what the listener refuses.
func TestNegotiationListenerRefusesConnectBeyondProfile(t *testing.T) {
	const reason = "CONNECT negotiates beyond the profile"
	cases := []rewriteCase{
		{name: "unchanged", edit: func(*Packet) {}},
		{name: "higher minor version", edit: func(p *Packet) { p.MinorVersion++ }, refuse: true},
		{name: "function not supported", edit: func(p *Packet) { p.SupportedFunctions |= 1 }, refuse: true},
		{name: "only functions not supported", edit: func(p *Packet) { p.SupportedFunctions = 0x10000 }, refuse: true},
		{name: "larger max substream", v1Only: true, edit: func(p *Packet) { p.MaxSubstream++ }, refuse: true},
	}
	runRewriteCases(t, cases, func(t *testing.T, v Variant, tc rewriteCase) {
		s := negotiationProfile(v)
		nn := newNegotiationNet(t, s)
		defer nn.l.Close()
		cli, rw, err := nn.dial(t, s, &rewriteCarrier{outgoing: true, typ: TypeConnect, edit: tc.edit})
		if rw.count() == 0 {
			t.Fatal("no CONNECT went through the rewriter")
		}
		st := nn.l.Stats()
		if !tc.refuse {
			if err != nil {
				t.Fatalf("unchanged CONNECT: dial: %v", err)
			}
			cli.Abort()
			if st.Accepted != 1 || nn.dropped(reason) != 0 {
				t.Errorf("unchanged CONNECT: stats %+v, %d refusals logged", st, nn.dropped(reason))
			}
			return
		}
		if err == nil {
			cli.Abort()
			t.Fatal("client connected with a CONNECT beyond the listener's profile")
		}
		if n := nn.calls.Load(); n != 0 {
			t.Errorf("Connect callback ran %d times for a CONNECT beyond the profile", n)
		}
		if st.Accepted != 0 || st.Active != 0 || st.Refused == 0 {
			t.Errorf("listener stats %+v: want nothing accepted or active, refusals counted", st)
		}
		if got := nn.dropped(reason); got == 0 || int64(got) != int64(st.Refused) {
			t.Errorf("%d drops logged as %q, %d refusals counted: want every refusal logged with that reason", got, reason, st.Refused)
		}
	})
}

// lowerOffer is a client profile strictly inside negotiationProfile(v):
// minor version one lower, functions a strict subset, one substream less.
func lowerOffer(v Variant) Settings {
	s := negotiationProfile(v)
	s.MinorVersion--
	s.SupportedFunctions = 0b0110
	if v == V1 {
		s.MaxSubstream = 1
	}
	return s
}

// TestNegotiationClientRefusesSynReplyBeyondOffer: a SYN reply that
// settles on more than the client offered ends the dial with ErrHandshake.
// The listener's profile is larger than the client's offer, so a client
// that adopted the reply would connect: the failure is the client's own.
func TestNegotiationClientRefusesSynReplyBeyondOffer(t *testing.T) {
	const reason = "SYN reply negotiates beyond our offer"
	cases := []rewriteCase{
		{name: "unchanged", edit: func(*Packet) {}},
		{name: "lower minor version", edit: func(p *Packet) { p.MinorVersion-- }},
		{name: "higher minor version", edit: func(p *Packet) { p.MinorVersion++ }, refuse: true},
		{name: "function not offered", edit: func(p *Packet) { p.SupportedFunctions |= 0b1000 }, refuse: true},
		{name: "larger max substream", v1Only: true, edit: func(p *Packet) { p.MaxSubstream++ }, refuse: true},
	}
	runRewriteCases(t, cases, func(t *testing.T, v Variant, tc rewriteCase) {
		nn := newNegotiationNet(t, negotiationProfile(v))
		defer nn.l.Close()
		cli, rw, err := nn.dial(t, lowerOffer(v), &rewriteCarrier{typ: TypeSyn, edit: tc.edit})
		if rw.count() == 0 {
			t.Fatal("no SYN reply went through the rewriter")
		}
		if !tc.refuse {
			if err != nil {
				t.Fatalf("SYN reply within the offer: dial: %v", err)
			}
			cli.Abort()
			return
		}
		if err == nil {
			cli.Abort()
			t.Fatal("client connected after a SYN reply beyond its offer")
		}
		if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), reason) {
			t.Errorf("dial: %v; want ErrHandshake: %s", err, reason)
		}
		if n := nn.calls.Load(); n != 0 {
			t.Errorf("the client sent a CONNECT after refusing the SYN reply (%d Connect calls)", n)
		}
	})
}

// TestNegotiationClientRefusesChangedConnectReply: the CONNECT reply must
// repeat exactly the values the SYN reply settled; one that changes any of
// them, up or down, ends the dial with ErrHandshake.
func TestNegotiationClientRefusesChangedConnectReply(t *testing.T) {
	const reason = "CONNECT reply changes the negotiated values"
	cases := []rewriteCase{
		{name: "unchanged", edit: func(*Packet) {}},
		{name: "higher minor version", edit: func(p *Packet) { p.MinorVersion++ }, refuse: true},
		{name: "lower minor version", edit: func(p *Packet) { p.MinorVersion-- }, refuse: true},
		{name: "added function", edit: func(p *Packet) { p.SupportedFunctions |= 1 }, refuse: true},
		{name: "dropped function", edit: func(p *Packet) { p.SupportedFunctions &^= 0b0100 }, refuse: true},
		{name: "larger max substream", v1Only: true, edit: func(p *Packet) { p.MaxSubstream++ }, refuse: true},
		{name: "smaller max substream", v1Only: true, edit: func(p *Packet) { p.MaxSubstream-- }, refuse: true},
	}
	runRewriteCases(t, cases, func(t *testing.T, v Variant, tc rewriteCase) {
		s := negotiationProfile(v)
		nn := newNegotiationNet(t, s)
		defer nn.l.Close()
		cli, rw, err := nn.dial(t, s, &rewriteCarrier{typ: TypeConnect, edit: tc.edit})
		if !tc.refuse {
			if err != nil {
				t.Fatalf("unchanged CONNECT reply: dial: %v", err)
			}
			if rw.count() == 0 {
				t.Fatal("no CONNECT reply went through the rewriter")
			}
			cli.Abort()
			return
		}
		if err == nil {
			cli.Abort()
			t.Fatal("client connected after a CONNECT reply that changed the negotiated values")
		}
		if rw.count() == 0 {
			t.Fatal("no CONNECT reply went through the rewriter")
		}
		if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), reason) {
			t.Errorf("dial: %v; want ErrHandshake: %s", err, reason)
		}
	})
}

// TestNegotiationSettlesOnLowerValues: whichever side offers less, both
// ends settle on the lower minor version, the common functions and (v1)
// the smaller max substream, and the connection then carries data on
// every substream it settled.
func TestNegotiationSettlesOnLowerValues(t *testing.T) {
	type offer struct {
		minor     uint8
		functions uint32
		maxSub    uint8
	}
	cases := []struct {
		name           string
		server, client offer
		want           offer
	}{
		{name: "client offers less", server: offer{4, 0b1110, 2}, client: offer{3, 0b0110, 1}, want: offer{3, 0b0110, 1}},
		{name: "server offers less", server: offer{2, 0b0010, 0}, client: offer{4, 0b1110, 2}, want: offer{2, 0b0010, 0}},
		{name: "each offers less of something", server: offer{4, 0b1100, 1}, client: offer{1, 0b0110, 3}, want: offer{1, 0b0100, 1}},
		{name: "no common function", server: offer{3, 0b1000, 1}, client: offer{3, 0b0111, 1}, want: offer{3, 0, 1}},
		{name: "equal offers", server: offer{4, 0b1110, 2}, client: offer{4, 0b1110, 2}, want: offer{4, 0b1110, 2}},
	}
	apply := func(v Variant, o offer) Settings {
		s := negotiationProfile(v)
		s.MinorVersion, s.SupportedFunctions = o.minor, o.functions
		if v == V1 {
			s.MaxSubstream = o.maxSub
		}
		return s
	}
	for _, v := range negotiationVariants {
		for _, tc := range cases {
			t.Run(v.String()+"/"+tc.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					nn := newNegotiationNet(t, apply(v, tc.server))
					defer nn.l.Close()
					acc := make(chan *Conn, 1)
					go func() {
						c, _ := nn.l.Accept(context.Background())
						acc <- c
					}()
					cli, _, err := nn.dial(t, apply(v, tc.client), nil)
					if err != nil {
						t.Fatalf("dial: %v", err)
					}
					srv := <-acc
					if srv == nil {
						t.Fatal("listener accepted nothing")
					}
					defer closeAll(nil, cli, srv)
					want := tc.want
					if v != V1 {
						want.maxSub = 0 // Lite negotiates no substreams
					}
					for side, c := range map[string]*Conn{"client": cli, "server": srv} {
						var got offer
						got.minor, got.functions, got.maxSub = c.Negotiated()
						if got != want {
							t.Errorf("%s settled on %+v, want %+v", side, got, want)
						}
					}
					ctx := context.Background()
					for sub := uint8(0); sub <= want.maxSub; sub++ {
						msg := [][]byte{testMessage(int(sub), 100)}
						if err := exchange(ctx, cli, srv, sub, msg); err != nil {
							t.Fatalf("substream %d client to server: %v", sub, err)
						}
						if err := exchange(ctx, srv, cli, sub, msg); err != nil {
							t.Fatalf("substream %d server to client: %v", sub, err)
						}
					}
				})
			})
		}
	}
}
