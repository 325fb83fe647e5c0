package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/nexproxy/nexproxy/rmc/schema"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Virtual ports of a shared listener (Switch: one WebSocket server with
// authentication on PRUDP port 1 and secure on port 2).
const (
	sharedAuthPort   = 1
	sharedSecurePort = 2
)

// game is the runtime of one configured game.
type game struct {
	srv *Server
	// reg describes the game's protocols: the server's registry with the
	// game's variants selected.
	reg *schema.Registry
	// builtins are the links of the built-in services the game serves
	// itself; a proxied game puts them before its upstream.
	builtins []LinkSpec
	// consoles maps PIDs to their current secure sessions.
	consoles consoles
	cfg      *config.Game
	log      *zap.Logger
	env      *Env
	issuer   *kerberos.Issuer
	verifier *kerberos.Verifier
	// local is the chain of every connection of a local game: hooks, then
	// the built-in handlers; built once, since its links keep no state of
	// a connection (a chain per idle session would cost its memory).
	local *chain

	authL, secureL *listener

	upNetwork string // udp, ws or wss
	upAddr    string // host:port of the upstream authentication server
	upTLS     *tls.Config

	// urlWarned holds the bodyKinds whose station URLs could not be
	// inspected and were warned about (bounded by the schema's methods).
	urlWarned sync.Map
}

func newGame(s *Server, gc *config.Game) (*game, error) {
	g := &game{srv: s, cfg: gc, log: s.log.With(zap.String("game", gc.Name)), reg: s.reg}
	if len(gc.Variants) > 0 {
		reg, err := s.reg.WithVariants(gc.Variants...)
		if err != nil {
			return nil, fmt.Errorf("proxy: game %s: %w", gc.Name, err)
		}
		g.reg = reg
	}
	ks := gc.Kerberos
	g.issuer = &kerberos.Issuer{SecureKey: s.secureKey, ServerPID: SecureServerPID, Settings: ks}
	v, err := kerberos.NewVerifier(kerberos.VerifierConfig{SecureKey: s.secureKey, ServerPID: SecureServerPID, Settings: ks})
	if err != nil {
		return nil, fmt.Errorf("proxy: game %s: %w", gc.Name, err)
	}
	g.verifier = v
	var pwFor func(uint64) (string, bool)
	if s.opts.PasswordFor != nil {
		pwFor = func(pid uint64) (string, bool) { return s.opts.PasswordFor(pid, gc.Name) }
	}
	accounts := NewAccounts(gc, s.cfg.Accounts, pwFor)
	if s.opts.Accounts != nil {
		accounts = NewStoreAccounts(gc, s.opts.Accounts, pwFor, g.log)
	}
	g.env = &Env{
		Game:          gc,
		Accounts:      accounts,
		Issuer:        g.issuer,
		Keys:          s.keys,
		SecureStation: g.localStation,
		Log:           g.log,
		Console:       g.consoles.session,
		Disconnect:    g.consoles.disconnect,
		loggedIn:      func(sess *rpc.Session, pid uint64) { s.rec.login(sess, pid, record.ModeLocal) },
	}
	// The built-in services the game serves itself: all of them for a
	// local game, the ones its [games.protocols] names for a proxied game.
	for _, b := range s.opts.Builtins {
		spec, err := b(g.env)
		if err != nil {
			return nil, fmt.Errorf("proxy: game %s: built-in services: %w", gc.Name, err)
		}
		if spec.present() {
			if spec.Name == "" {
				spec.Name = record.HandlerBuiltin
			}
			g.builtins = append(g.builtins, spec)
		}
	}
	if gc.Local() {
		links := append([]LinkSpec{s.opts.Hooks}, g.builtins...)
		g.local = newChain(chainEnd{name: record.HandlerBuiltin, h: rpc.NotImplemented}, links...)
	} else {
		network, up := gc.UpstreamDial()
		g.upNetwork = network
		if network != "udp" {
			host, _, _ := net.SplitHostPort(up)
			g.upTLS = &tls.Config{ServerName: host, InsecureSkipVerify: gc.UpstreamTLSInsecure, MinVersion: tls.VersionTLS12}
		}
		if _, _, err := net.SplitHostPort(up); err != nil {
			return nil, fmt.Errorf("proxy: game %s: upstream %q: %w", gc.Name, gc.Upstream, err)
		}
		g.upAddr = up
	}
	return g, nil
}

// rmcSettingsFor is the RMC settings of one console connection: with
// struct_header left to its default, structures carry headers as
// config.StructHeaderRule says for what the connection negotiated.
func (g *game) rmcSettingsFor(conn *prudp.Conn) rmc.Settings {
	s := g.cfg.RMC
	if g.cfg.StructHeaderAuto {
		minor, _, _ := conn.Negotiated()
		s.StructHeader = config.StructHeaderRule(conn.Variant(), minor, s.NEXVersion)
	}
	return s
}

// errLegsDisagree refuses a secure connection whose upstream leg
// negotiated an RMC encoding other than the console's.
var errLegsDisagree = errors.New("proxy: upstream and console legs disagree on structure headers")

// checkLegs compares what the two legs of a session negotiated. Bodies
// pass between them unchanged and are read with the console leg's RMC
// settings: when the minor versions put structure headers on one leg
// only, every structure would be misread on the way. The upstream may answer
// lower than the console's offer (prudp accepts it), so this is checked
// once both are open.
func (g *game) checkLegs(console, up *prudp.Conn) error {
	cs, us := g.rmcSettingsFor(console), g.rmcSettingsFor(up)
	if cs.StructHeader == us.StructHeader {
		return nil
	}
	cm, _, _ := console.Negotiated()
	um, _, _ := up.Negotiated()
	return fmt.Errorf("%w: PRUDP minor version %d (headers %v) to the console, %d (headers %v) upstream; set the game's prudp minor_version to what the upstream speaks",
		errLegsDisagree, cm, cs.StructHeader, um, us.StructHeader)
}

// upstreamCoalesceDelay is how long an upstream leg holds an
// acknowledgement when coalesce_delay is not set. The next packet the
// proxy sends upstream is the console's next request, a console round
// trip after the answer it acknowledges rather than a handler's moment:
// with the default 2 ms a busy or Wi-Fi console misses it and the
// acknowledgement costs a datagram of its own. It stays far under any
// resend timeout (prudp.MaxCoalesceDelay).
const upstreamCoalesceDelay = 10 * time.Millisecond

// upstreamSettings is the PRUDP profile of an upstream connection: the game's,
// offering exactly what the console negotiated, so that both sides agree on
// the minor version (and with it on structure headers) and on substreams,
// and bodies pass between them unchanged. A console of the game's other
// UDP format (its listener serves both) is proxied in that format, the one
// its own servers speak.
func (g *game) upstreamSettings(console *prudp.Conn) prudp.Settings {
	s := g.cfg.PRUDP
	if v := console.Variant(); v != s.Variant {
		if other, ok := prudp.OtherUDPVariant(s.Variant); ok && other == v {
			s = s.ForVariant(v)
		}
	}
	s.MinorVersion, s.SupportedFunctions, s.MaxSubstream = console.Negotiated()
	if s.CoalesceAcks && s.CoalesceDelay == 0 {
		s.CoalesceDelay = upstreamCoalesceDelay
	}
	return s
}

// relaysDecoded reports whether a login whose ticket nexproxy cannot open
// is relayed decoded (record.ModeRelayDecoded): a PRUDPLite game without
// payload encryption, whose secure CONNECT needs no session key to pass
// through nexproxy (Lite has no packet signatures) and whose calls are
// readable without it.
func (g *game) relaysDecoded() bool {
	return !g.cfg.Local() && g.cfg.PRUDP.Variant == prudp.Lite && !g.cfg.PRUDP.Encryption
}

// securePort is the port consoles reach the game's secure listener at.
func (g *game) securePort() uint16 {
	if g.secureL == nil {
		return 0
	}
	return portOf(g.secureL.l.Addr())
}

// localStation is the secure station nexproxy hands out as the server
// itself: prudps:/address=<advertise>;port=<secure>;CID=1;PID=2;sid=1;stream=10;type=2.
func (g *game) localStation() rmc.StationURL {
	sid := 1
	if g.secureL != nil && g.secureL.shared {
		sid = sharedSecurePort
	}
	s := fmt.Sprintf("prudps:/address=%s;port=%d;CID=1;PID=%d;sid=%d;stream=%d;type=2",
		g.srv.advertiseHost(), g.securePort(), SecureServerPID, sid, prudp.StreamRVSecure)
	u, err := rmc.ParseStationURL(s)
	if err != nil {
		panic("proxy: local station: " + err.Error()) // built from numbers and the validated advertise host
	}
	return u
}

// consoleStation turns the upstream's secure station into the one the
// console gets: nexproxy's secure endpoint, everything else (PID, CID,
// stream, unknown keys) kept in place.
func (g *game) consoleStation(up rmc.StationURL) rmc.StationURL {
	u := stationWithAddr(up, g.srv.advertiseHost(), g.securePort())
	if g.secureL != nil && g.secureL.shared {
		u.SetInt(rmc.URLSID, sharedSecurePort)
	}
	return u
}

// secureTarget reads a secure station URL the way a console does: the
// host:port to dial (authAddr, the authentication server's, when the
// address is 0.0.0.1, as on Switch), the virtual port (stream and sid)
// and the CID to name in the CONNECT.
func secureTarget(st rmc.StationURL, authAddr string) (addr string, vp prudp.VPort, cid uint32, err error) {
	host, _ := st.Address()
	port, ok := st.Port()
	if host == "" || !ok {
		return "", vp, 0, errf("secure station %s has no address", st.String())
	}
	addr = net.JoinHostPort(host, fmt.Sprint(port))
	if host == "0.0.0.1" {
		addr = authAddr
	}
	vp = prudp.VPort{Type: prudp.StreamRVSecure, Port: 1}
	if sid, ok := st.Int(rmc.URLSID); ok && sid >= 0 && sid <= 255 {
		vp.Port = uint8(sid)
	}
	if stream, ok := st.Int(rmc.URLStream); ok && stream > 0 && stream < 16 {
		vp.Type = prudp.StreamType(stream)
	}
	if v, ok := st.Int(rmc.URLCID); ok && v >= 0 && v <= 1<<32-1 {
		cid = uint32(v)
	}
	return addr, vp, cid, nil
}
