package prudp

import (
	"net"
	"net/netip"
	"time"
)

// Known profiles: titles a listener does not serve but can name. A
// console whose SYN or CONNECT no game accepts is most often a title
// that is simply not configured; trying the opening packet against the
// known titles' access keys lets the operator be told which one.
//
// The check costs a decode and a signature per known profile, so a flood
// of garbage must not buy unbounded work with it: at most knownBurst
// packets are tried at once, refilled at knownRate per second. The state
// belongs to the read loop, which is the only caller.

const (
	knownRate  = 20 // packets tried per second, sustained
	knownBurst = 20
)

// KnownMatch is what ListenConfig.Unserved is told about an opening
// packet that matched no game but some known profiles.
type KnownMatch struct {
	// Settings are the Known profiles whose access key the packet is
	// valid under: one, unless their keys collide on what the packet
	// proves (see BySignature).
	Settings []*Settings
	// BySignature is true when a signature keyed by the access key proved
	// the match (v1 SYN and CONNECT, Lite CONNECT); false when only the
	// v0 checksum did, which a few bits of the key decide, so a title
	// with a key of the same checksum base matches as well.
	BySignature bool
	// From is the sender's carrier address.
	From net.Addr
	// Type is TypeSyn or TypeConnect.
	Type PacketType
}

type knownSet struct {
	gameSet
	tokens float64
	last   time.Time
}

func newKnownSet(profiles []Settings) (*knownSet, error) {
	k := &knownSet{tokens: knownBurst}
	for i := range profiles {
		if err := k.add(profiles[i]); err != nil {
			return nil, err
		}
	}
	// A console of a known title may speak either UDP format, as it may
	// to a game's listener.
	if err := k.addOtherVariants(profiles); err != nil {
		return nil, err
	}
	return k, nil
}

// allow takes one token of the rate limit.
func (k *knownSet) allow(now time.Time) bool {
	if !k.last.IsZero() {
		k.tokens = min(knownBurst, k.tokens+now.Sub(k.last).Seconds()*knownRate)
	}
	k.last = now
	if k.tokens < 1 {
		return false
	}
	k.tokens--
	return true
}

// identify tries the first packet of a datagram that no game accepted
// against the known profiles and reports a match to cfg.Unserved. Only
// opening packets (SYN or CONNECT without ACK) are tried: anything later
// belongs to a connection, which an unserved title never gets.
func (l *Listener) identify(data []byte, from netip.AddrPort) {
	k := l.known
	if k == nil || l.cfg.Unserved == nil {
		return
	}
	var cands []game
	switch {
	case IsV1(data):
		cands = k.v1
	case len(data) >= 1 && data[0] == 0x80:
		cands = k.lite
	default:
		cands = k.v0
	}
	if len(cands) == 0 || !k.allow(time.Now()) {
		return
	}
	var m KnownMatch
	for i := range cands {
		g := &cands[i]
		p, n, err := g.codec.Decode(data)
		if err != nil || p.Flags.Has(FlagAck) || (p.Type != TypeSyn && p.Type != TypeConnect) {
			continue
		}
		v := g.s.Variant
		if v == Lite && p.Type == TypeSyn {
			continue // an unsigned Lite SYN proves no key
		}
		sc := SigContext{}
		if p.Type == TypeConnect {
			sc.ConnSig = ownConnSignature(v, l.sigKey, from)
		}
		if g.codec.Verify(&p, data[:n], sc) != nil {
			continue
		}
		m.Settings = append(m.Settings, &g.s)
		m.BySignature = v != V0
		m.Type = p.Type
	}
	if len(m.Settings) == 0 {
		return
	}
	m.From = net.UDPAddrFromAddrPort(from)
	l.cfg.Unserved(m)
}
