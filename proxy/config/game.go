package config

import (
	"fmt"
	"slices"

	"math"
	"strings"

	"github.com/nexproxy/nexproxy/rmc/schema"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
)

// DefaultServerName is the build name the built-in authentication server
// returns when a game does not set server_name.
const DefaultServerName = "nexproxy"

// decodeGame builds one game: preset first, then the game's own keys, then
// the checks that concern this game alone.
func decodeGame(t *table, base string) Game {
	g := Game{ServerName: DefaultServerName}
	// A title that names nothing was reported; the keys it would have
	// filled in are not reported missing on top.
	titleFailed := !applyTitle(t, &g)
	if !t.str("name", &g.Name) {
		if _, present := t.m["name"]; !present && !titleFailed {
			t.bad("name", "required")
		}
	} else if !validName(g.Name) {
		t.bad("name", "%q must be 1 to 64 letters, digits, '-', '_' or '.' (it names session log files)", g.Name)
	}

	platformOK := false
	if !t.str("platform", &g.Platform) {
		if _, present := t.m["platform"]; !present && !titleFailed {
			t.bad("platform", "required (one of %s)", strings.Join(Platforms, ", "))
		}
	}
	p, err := preset(g.Platform)
	if err == nil {
		platformOK = true
	} else {
		if g.Platform != "" {
			t.bad("platform", "%q is not a platform (want %s)", g.Platform, strings.Join(Platforms, ", "))
		}
		// Keep walking against a stand-in preset so that the rest of the
		// game still gets its type and unknown-key checks.
		p, _ = preset("wiiu")
	}
	g.PRUDP, g.Kerberos, g.RMC = p.prudp, p.kerberos, p.rmc

	if t.str("access_key", &g.PRUDP.AccessKey) {
		if !validAccessKey(g.PRUDP.AccessKey) {
			t.bad("access_key", "%q must be 1 to 128 printable ASCII characters without spaces (8 lowercase hex digits for NEX titles)", g.PRUDP.AccessKey)
		} else if !usualAccessKey(g.PRUDP.AccessKey) {
			t.errs.warn(t.key("access_key"), "%q is not 8 lowercase hex digits, the shape of NEX access keys (the friends server's is ridfebb9): check it against the title", g.PRUDP.AccessKey)
		}
	} else if _, present := t.m["access_key"]; !present && g.PRUDP.AccessKey == "" && !titleFailed {
		t.bad("access_key", "required (the title's 8-hex-digit sandbox access key)")
	}

	transportSet := t.str("transport", &g.Transport)
	t.str("auth_listen", &g.AuthListen)
	t.str("secure_listen", &g.SecureListen)
	t.str("tls_cert", &g.TLSCert)
	t.str("tls_key", &g.TLSKey)
	t.str("upstream", &g.Upstream)
	t.boolean("upstream_tls_insecure", &g.UpstreamTLSInsecure)
	t.str("server_name", &g.ServerName)
	decodeVariants(t, &g)

	if s := t.sub("prudp"); s != nil {
		decodePRUDP(s, &g.PRUDP)
	}
	kerbPID, rmcPID := 0, 0
	if s := t.sub("kerberos"); s != nil {
		kerbPID = decodeKerberos(s, &g.Kerberos)
	}
	structHeaderSet := false
	if s := t.sub("rmc"); s != nil {
		rmcPID, structHeaderSet = decodeRMC(s, &g.RMC)
	}
	// One PID width per title: a knob set on one side applies to both.
	switch {
	case kerbPID != 0 && rmcPID != 0 && kerbPID != rmcPID:
		t.bad("rmc.pid_size", "%d disagrees with %s = %d (a title has one PID width)", rmcPID, t.key("kerberos.pid_size"), kerbPID)
	case kerbPID != 0:
		g.Kerberos.PIDSize, g.RMC.PIDSize = kerbPID, kerbPID
	case rmcPID != 0:
		g.Kerberos.PIDSize, g.RMC.PIDSize = rmcPID, rmcPID
	}
	if !structHeaderSet {
		g.RMC.StructHeader = StructHeaderRule(g.PRUDP.Variant, g.PRUDP.MinorVersion, g.RMC.NEXVersion)
		g.StructHeaderAuto = g.Platform != "switch"
	}

	g.Sections = decodeSections(t, sections.game, base)
	decodeProtocols(t, &g)

	if !transportSet {
		g.Transport = TransportUDP
		if g.PRUDP.Variant == prudp.Lite {
			g.Transport = TransportWebSocket
		}
	}
	if g.SecureListen == "" {
		g.SecureListen = g.AuthListen
	}
	g.TLSCert, g.TLSKey = resolve(base, g.TLSCert), resolve(base, g.TLSKey)
	checkGameTransport(t, &g)
	if platformOK {
		checkPRUDP(t, &g.PRUDP)
		if err := g.Kerberos.Validate(); err != nil {
			t.bad("kerberos", "%v", err)
		}
		if err := g.RMC.Validate(); err != nil {
			t.bad("rmc", "%v", err)
		}
	}
	t.finish()
	return g
}

// checkGameTransport checks listeners, carrier and upstream of one game.
func checkGameTransport(t *table, g *Game) {
	switch g.Transport {
	case TransportUDP:
		if g.PRUDP.Variant == prudp.Lite {
			t.bad("transport", `"udp" cannot carry PRUDPLite (prudp.variant "lite"); use "websocket"`)
		}
		if g.TLSCert != "" || g.TLSKey != "" {
			t.bad("tls_cert", "TLS applies to the websocket transport only")
		}
	case TransportWebSocket:
		if g.PRUDP.Variant != prudp.Lite {
			t.bad("transport", `"websocket" carries PRUDPLite only, not prudp.variant %q`, g.PRUDP.Variant)
		}
		if (g.TLSCert == "") != (g.TLSKey == "") {
			if g.TLSCert == "" {
				t.bad("tls_cert", "required with tls_key")
			} else {
				t.bad("tls_key", "required with tls_cert")
			}
		}
		if g.TLSCert != "" && g.TLSKey != "" {
			checkReadable(t, "tls_cert", g.TLSCert)
			checkReadable(t, "tls_key", g.TLSKey)
		}
	default:
		t.bad("transport", "%q is not a transport (want %q or %q)", g.Transport, TransportUDP, TransportWebSocket)
	}

	if g.AuthListen == "" {
		if _, present := t.m["auth_listen"]; !present {
			t.bad("auth_listen", `required (host:port, e.g. "0.0.0.0:60000")`)
		}
	} else if err := checkListen(g.AuthListen); err != "" {
		t.bad("auth_listen", "%s", err)
	}
	if g.SecureListen != g.AuthListen {
		if err := checkListen(g.SecureListen); err != "" {
			t.bad("secure_listen", "%s", err)
		}
	}

	switch {
	case g.Upstream == "":
		if _, present := t.m["upstream"]; !present {
			t.bad("upstream", `required: the upstream authentication server as host:port, or "local"`)
		} else {
			t.bad("upstream", `"" is not host:port or "local"`)
		}
	case g.Upstream == "local":
		if g.UpstreamTLSInsecure {
			t.bad("upstream_tls_insecure", `means nothing with upstream = "local"`)
		}
	default:
		if _, up := g.UpstreamDial(); !validHostPort(up) {
			t.bad("upstream", `%q is not host:port or "local"`, g.Upstream)
		}
	}
}

// checkPRUDP runs the prudp package's own validation and files each of its
// complaints under the key that sets the field. prudp names fields by their
// config keys ("prudp: fragment_size: must be ..."), which keeps the range
// rules in one place.
func checkPRUDP(t *table, s *prudp.Settings) {
	err := s.Validate()
	if err == nil {
		return
	}
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	for _, e := range list {
		msg := strings.TrimPrefix(e.Error(), "prudp: ")
		field, rest, ok := strings.Cut(msg, ": ")
		if !ok || strings.ContainsAny(field, " ") {
			t.bad("prudp", "%s", msg)
			continue
		}
		if field == "access_key" {
			// Set on the game itself, not in [games.prudp]; the empty case
			// was already reported as missing.
			if s.AccessKey != "" {
				t.bad("access_key", "%s", rest)
			}
			continue
		}
		t.bad("prudp."+field, "%s", rest)
	}
}

func decodePRUDP(t *table, s *prudp.Settings) {
	var variant string
	if t.str("variant", &variant) {
		if v, ok := variantNames[variant]; ok {
			s.Variant = v
		} else {
			t.bad("variant", "%q is not a PRUDP variant (want v0, v1, lite or rv)", variant)
		}
	}
	t.intInto("flags_version", &s.FlagsVersion, math.MinInt32, math.MaxInt32)
	t.intInto("checksum_size", &s.ChecksumSize, math.MinInt32, math.MaxInt32)
	t.intInto("signature_version", &s.SignatureVersion, math.MinInt32, math.MaxInt32)
	if n, ok := t.integer("minor_version", 0, 255); ok {
		s.MinorVersion = uint8(n)
	}
	if n, ok := t.integer("supported_functions", 0, math.MaxUint32); ok {
		s.SupportedFunctions = uint32(n)
	}
	if n, ok := t.integer("max_substream_id", 0, 255); ok {
		s.MaxSubstream = uint8(n)
	}
	t.boolean("encryption", &s.Encryption)
	t.boolean("compression", &s.Compression)
	t.intInto("fragment_size", &s.FragmentSize, math.MinInt32, math.MaxInt32)
	t.duration("resend_timeout", &s.ResendTimeout)
	t.duration("resend_floor", &s.ResendFloor)
	t.intInto("resend_limit", &s.ResendLimit, math.MinInt32, math.MaxInt32)
	t.duration("ping_timeout", &s.PingTimeout)
	t.duration("silence_timeout", &s.SilenceTimeout)
	t.intInto("window", &s.Window, math.MinInt32, math.MaxInt32)
	t.duration("pace_interval", &s.PaceInterval)
	t.boolean("aggregate_ack", &s.AggregateAck)
	if !t.boolean("coalesce_acks", &s.CoalesceAcks) && variant != "" {
		// A variant override takes that variant's default, not the preset's.
		s.CoalesceAcks = prudp.CoalescesByDefault(s.Variant)
	}
	t.duration("coalesce_delay", &s.CoalesceDelay)
	t.intInto("max_message_size", &s.MaxMessageSize, math.MinInt32, math.MaxInt32)
	if _, present := t.m["access_key"]; present {
		t.seen["access_key"] = true
		t.bad("access_key", "set access_key on the game itself, not in [games.prudp]")
	}
	t.finish()
}

// decodeKerberos applies [games.kerberos]; it returns the pid_size set
// there, or 0.
func decodeKerberos(t *table, s *kerberos.Settings) (pidSize int) {
	if n, ok := t.integer("key_size", math.MinInt32, math.MaxInt32); ok {
		if n != 16 && n != 32 {
			t.bad("key_size", "must be 16 or 32, not %d", n)
		} else {
			s.KeySize = int(n)
		}
	}
	pidSize = decodePIDSize(t)
	if n, ok := t.integer("ticket_version", math.MinInt32, math.MaxInt32); ok {
		if n != 0 && n != 1 {
			t.bad("ticket_version", "must be 0 or 1, not %d", n)
		} else {
			s.TicketVersion = int(n)
		}
	}
	if v, ok := t.get("key_derivation"); ok {
		switch v {
		case "old", "0", int64(0), 0:
			s.Derivation = kerberos.DerivationOld
		case "new", "1", int64(1), 1:
			s.Derivation = kerberos.DerivationNew
		default:
			t.bad("key_derivation", `must be "old" (3DS, Wii U) or "new" (Switch), not %s`, describe(v))
		}
	}
	t.finish()
	return pidSize
}

// decodeRMC applies [games.rmc]; it returns the pid_size set there (or 0)
// and whether struct_header was set explicitly.
func decodeRMC(t *table, s *rmc.Settings) (pidSize int, structHeaderSet bool) {
	pidSize = decodePIDSize(t)
	structHeaderSet = t.boolean("struct_header", &s.StructHeader)
	t.intInto("nex_version", &s.NEXVersion, 0, 999999)
	t.finish()
	return pidSize, structHeaderSet
}

func decodePIDSize(t *table) int {
	n, ok := t.integer("pid_size", math.MinInt32, math.MaxInt32)
	if !ok {
		return 0
	}
	if n != 4 && n != 8 {
		t.bad("pid_size", "must be 4 (3DS, Wii U) or 8 (Switch), not %d", n)
		return 0
	}
	return int(n)
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

func validAccessKey(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// usualAccessKey reports whether s has the shape of the access keys NEX
// titles use: 8 lowercase hex digits, or the friends server's ridfebb9.
func usualAccessKey(s string) bool {
	if s == "ridfebb9" {
		return true
	}
	if len(s) != 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !('0' <= s[i] && s[i] <= '9' || 'a' <= s[i] && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// UpstreamDial is how the proxy reaches the upstream of a proxied game:
// the network ("udp", or for WebSocket games "wss" unless Upstream says
// ws://) and the host:port, without the scheme. It is the one reading of
// Upstream, for validation and the proxy alike.
func (g *Game) UpstreamDial() (network, addr string) {
	if g.Transport != TransportWebSocket {
		return "udp", g.Upstream
	}
	if rest, ok := strings.CutPrefix(g.Upstream, "ws://"); ok {
		return "ws", rest
	}
	return "wss", strings.TrimPrefix(g.Upstream, "wss://")
}

// decodeVariants reads variants, a list of the schema's variant names.
func decodeVariants(t *table, g *Game) {
	raw, ok := t.get("variants")
	if !ok {
		return
	}
	var items []any
	switch v := raw.(type) {
	case []any:
		items = v
	case string: // from the environment: "mk8" or "mk8,other"
		for _, n := range strings.Split(v, ",") {
			items = append(items, strings.TrimSpace(n))
		}
	default:
		t.bad("variants", "must be a list of names, not %s", describe(raw))
		return
	}
	known := schema.Default().Variants()
	for i, it := range items {
		name, isStr := it.(string)
		if !isStr || !slices.Contains(known, name) {
			t.bad(fmt.Sprintf("variants[%d]", i), "%v is not a known variant (want one of %s)", it, strings.Join(known, ", "))
			continue
		}
		g.Variants = append(g.Variants, name)
	}
}
