package prudp

import (
	"errors"
	"fmt"
	"time"
)

// Settings holds every knob of one PRUDP connection profile. A game profile
// starts from one of the platform presets (Friends, ThreeDS, WiiU, Switch)
// and overrides single fields; Validate reports every inconsistency at once.
type Settings struct {
	// Variant selects the wire format.
	Variant Variant
	// AccessKey is the game's sandbox access key (ASCII), the root of the
	// checksum base and of every packet signature.
	AccessKey string

	// FlagsVersion (v0/RV): 0 packs type|flags<<3 in one byte, 1 packs
	// type|flags<<4 in a u16 (all NEX).
	FlagsVersion int
	// ChecksumSize (v0/RV): 1 (all NEX) or 4 bytes.
	ChecksumSize int
	// SignatureVersion (v0): 0 for games, 1 for the friends server.
	SignatureVersion int

	// MinorVersion is the highest PRUDP minor version offered (v1/Lite).
	MinorVersion uint8
	// SupportedFunctions is the function-flag set offered (v1/Lite).
	SupportedFunctions uint32
	// MaxSubstream is the highest reliable substream id offered (v1).
	MaxSubstream uint8

	// Encryption enables RC4 payload encryption (off on Lite).
	Encryption bool
	// Compression enables zlib payload compression with the ratio byte.
	Compression bool
	// FragmentSize is the largest payload of one DATA packet.
	FragmentSize int

	// ResendTimeout is the initial retransmission timeout; the live value
	// adapts to the measured round trip but never drops below ResendFloor.
	ResendTimeout time.Duration
	// ResendFloor is the smallest retransmission timeout ever used.
	ResendFloor time.Duration
	// ResendLimit is how many times a packet is resent before the connection
	// is dropped. Zero means packets are never resent (Switch: TCP carrier);
	// the ping timeout then detects a dead peer.
	ResendLimit int
	// PingTimeout is the keep-alive interval: a PING is sent after this much
	// silence.
	PingTimeout time.Duration
	// SilenceTimeout is how long the peer may stay silent (nothing heard,
	// not even the acknowledgement of a PING) before the connection is
	// dropped: at least three ping timeouts (also what zero means). Some
	// consoles stop answering for longer while busy (ThreeDS).
	SilenceTimeout time.Duration
	// Window is the largest number of unacknowledged reliable packets in
	// flight per connection; further packets wait (consoles buffer ~4).
	Window int
	// PaceInterval is the smallest gap between two new DATA packets sent
	// from the window to the peer, so that a long fragmented message does
	// not overrun a console's receive buffer.
	PaceInterval time.Duration
	// AggregateAck makes the receiver acknowledge with MULTI_ACK packets
	// when the negotiated minor version allows it (v1/Lite).
	AggregateAck bool
	// CoalesceAcks holds the acknowledgement of a reliable DATA packet for
	// a moment (at most CoalesceDelay) so that it shares one datagram with
	// the next packet this side sends to the peer (typically the answer):
	// one datagram, and one system call on each side, less per exchange.
	// A second acknowledgement due meanwhile sends both at once, so a bulk
	// sender never waits on its window. On by default where peers are
	// known to read every packet of a datagram (PRUDPv1: nex-go,
	// NintendoClients; Lite), opt-in on v0 and Rendez-Vous, whose
	// packets carry no size unless HAS_SIZE is set (CoalescesByDefault).
	CoalesceAcks bool
	// CoalesceDelay is the longest a held acknowledgement waits for a
	// packet to share a datagram with (delayed ACK). It must stay well
	// under ResendFloor; zero means DefaultCoalesceDelay.
	CoalesceDelay time.Duration
	// MaxMessageSize caps one reassembled (or sent) message; a peer that
	// sends more is disconnected. It bounds the memory a connection holds.
	MaxMessageSize int
}

// DefaultCoalesceDelay is the hold of an acknowledgement when
// Settings.CoalesceDelay is zero: well under any retransmission timeout,
// and longer than a server's usual answer time (or a proxy's upstream
// round trip on a local network).
const DefaultCoalesceDelay = 2 * time.Millisecond

// MaxCoalesceDelay bounds Settings.CoalesceDelay: the peer's resend timer
// (100 ms at the least) must never fire for an acknowledgement held back.
const MaxCoalesceDelay = 20 * time.Millisecond

// CoalescesByDefault reports whether acknowledgements share datagrams by
// default on variant v: PRUDPv1 and Lite, where every known decoder reads
// all packets of a datagram. v0 and Rendez-Vous stay opt-in.
func CoalescesByDefault(v Variant) bool { return v == V1 || v == Lite }

// silence is the effective SilenceTimeout: never under three ping
// timeouts, so that a live peer always gets to answer a PING.
func (s *Settings) silence() time.Duration {
	return max(s.SilenceTimeout, 3*s.PingTimeout)
}

// coalesceDelay is the effective hold of an acknowledgement.
func (s *Settings) coalesceDelay() time.Duration {
	if s.CoalesceDelay > 0 {
		return s.CoalesceDelay
	}
	return DefaultCoalesceDelay
}

// Friends returns the friends-server preset (PRUDPv0, signature version 1,
// access key ridfebb9).
func Friends() Settings {
	s := base()
	s.Variant = V0
	s.AccessKey = "ridfebb9"
	s.SignatureVersion = 1
	s.FragmentSize = 962
	return s
}

// ThreeDS returns the 3DS game preset (PRUDPv0, signature version 0).
// Its silence timeout is 40 s: Mario Kart 7 consoles stay silent for
// longer than the 15 s of three ping timeouts (Pretendo's server for it
// raised nex-go's silence time from 10 to 20 s, dropping after 40 s).
func ThreeDS() Settings {
	s := base()
	s.Variant = V0
	s.FragmentSize = 962
	s.SilenceTimeout = ThreeDSSilenceTimeout
	return s
}

// ThreeDSSilenceTimeout is the 3DS preset's SilenceTimeout.
const ThreeDSSilenceTimeout = 40 * time.Second

// WiiU returns the Wii U game preset (PRUDPv1 minor version 4).
func WiiU() Settings {
	s := base()
	s.Variant = V1
	s.CoalesceAcks = CoalescesByDefault(s.Variant)
	return s
}

// Switch returns the Switch preset (PRUDPLite minor version 5 over
// WebSocket, no RC4, no resend: the carrier is reliable).
func Switch() Settings {
	s := base()
	s.Variant = Lite
	s.MinorVersion = 5
	s.Encryption = false
	s.ResendTimeout = 5 * time.Second
	s.ResendLimit = 0
	s.CoalesceAcks = CoalescesByDefault(s.Variant)
	return s
}

// Preset returns the named platform preset: friends, 3ds, wiiu or switch.
func Preset(name string) (Settings, error) {
	switch name {
	case "friends":
		return Friends(), nil
	case "3ds":
		return ThreeDS(), nil
	case "wiiu":
		return WiiU(), nil
	case "switch":
		return Switch(), nil
	}
	return Settings{}, fmt.Errorf("prudp: unknown preset %q (want friends, 3ds, wiiu or switch)", name)
}

// OtherUDPVariant is the UDP wire format a listener of a v0 game also
// serves, and the other way round: a server that speaks v1 accepts v0
// (prudp.md §1), and consoles of some titles speak v1 where their
// platform's preset says v0. ok is false for Lite and Rendez-Vous.
func OtherUDPVariant(v Variant) (other Variant, ok bool) {
	switch v {
	case V0:
		return V1, true
	case V1:
		return V0, true
	}
	return v, false
}

// ForVariant returns a copy of s for a console that speaks variant v (V0
// or V1) of the same game: the fields that shape v's wire format take the
// values every NEX title uses (v0: flags version 1, 1-byte checksum, no
// substreams; the signature version stays the profile's, 0 for games and
// 1 for the friends server), the rest is kept. Acknowledgements stay
// coalesced only where the profile coalesces and v's peers read every
// packet of a datagram (CoalescesByDefault). A profile already of variant
// v is returned unchanged.
func (s *Settings) ForVariant(v Variant) Settings {
	out := *s
	if s.Variant == v {
		return out
	}
	out.Variant = v
	if v == V0 {
		out.FlagsVersion, out.ChecksumSize, out.MaxSubstream = 1, 1, 0
		if out.SignatureVersion != 1 {
			out.SignatureVersion = 0
		}
	}
	out.CoalesceAcks = s.CoalesceAcks && CoalescesByDefault(v)
	return out
}

func base() Settings {
	return Settings{
		FlagsVersion:  1,
		ChecksumSize:  1,
		MinorVersion:  4,
		Encryption:    true,
		FragmentSize:  1300,
		ResendTimeout: time.Second,
		ResendFloor:   100 * time.Millisecond,
		ResendLimit:   2,
		PingTimeout:   5 * time.Second,
		Window:        4,
		PaceInterval:  2 * time.Millisecond,
		AggregateAck:  false,

		MaxMessageSize: 1 << 20,
	}
}

// Validate reports every invalid field of s, joined into one error.
func (s *Settings) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("prudp: %s: %s", field, fmt.Sprintf(format, a...)))
	}
	if s.Variant > RV {
		bad("variant", "unknown variant %d", s.Variant)
	}
	if s.AccessKey == "" {
		bad("access_key", "must not be empty")
	}
	if s.Variant == V0 || s.Variant == RV {
		if s.FlagsVersion != 0 && s.FlagsVersion != 1 {
			bad("flags_version", "must be 0 or 1, not %d", s.FlagsVersion)
		}
		if s.ChecksumSize != 1 && s.ChecksumSize != 4 {
			bad("checksum_size", "must be 1 or 4, not %d", s.ChecksumSize)
		}
		if s.SignatureVersion != 0 && s.SignatureVersion != 1 {
			bad("signature_version", "must be 0 or 1, not %d", s.SignatureVersion)
		}
		if s.MaxSubstream != 0 {
			bad("max_substream_id", "v0 has no substreams (must be 0, not %d)", s.MaxSubstream)
		}
	}
	if s.Variant == Lite && s.Encryption {
		bad("encryption", "PRUDPLite carries no RC4 (TLS protects it)")
	}
	if s.FragmentSize < 16 || s.FragmentSize > 65000 {
		bad("fragment_size", "must be between 16 and 65000, not %d", s.FragmentSize)
	}
	if s.ResendTimeout <= 0 {
		bad("resend_timeout", "must be positive")
	}
	if s.ResendFloor <= 0 || s.ResendFloor > s.ResendTimeout {
		bad("resend_floor", "must be positive and at most resend_timeout")
	}
	if s.ResendLimit < 0 {
		bad("resend_limit", "must not be negative")
	}
	if s.PingTimeout <= 0 {
		bad("ping_timeout", "must be positive")
	}
	if s.SilenceTimeout < 0 {
		bad("silence_timeout", "must not be negative")
	}
	if s.Window < 1 || s.Window > 1024 {
		bad("window", "must be between 1 and 1024, not %d", s.Window)
	}
	if s.PaceInterval < 0 {
		bad("pace_interval", "must not be negative")
	}
	if s.MaxMessageSize < s.FragmentSize || s.MaxMessageSize > 64<<20 {
		bad("max_message_size", "must be between fragment_size and 64 MiB, not %d", s.MaxMessageSize)
	}
	if s.CoalesceDelay < 0 || s.CoalesceDelay > MaxCoalesceDelay {
		bad("coalesce_delay", "must be between 0 (default %s) and %s, not %s", DefaultCoalesceDelay, MaxCoalesceDelay, s.CoalesceDelay)
	} else if d := s.coalesceDelay(); s.CoalesceAcks && s.ResendFloor > 0 && s.ResendFloor <= 4*d {
		bad("coalesce_acks", "holds acknowledgements up to %s: resend_floor must be above %s, not %s", d, 4*d, s.ResendFloor)
	}
	return errors.Join(errs...)
}
