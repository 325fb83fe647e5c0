package proxy

import (
	"errors"
	"net/netip"
	"sync"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// urlRewriter sits in front of the upstream on the secure leg. Responses
// to the console: the public station of Register/RegisterEx is pointed at
// the console's real address (and the mapping remembered proxy-wide), and
// every URL naming a remembered upstream-seen address is pointed back at
// its console. Requests the server makes on the console get the second
// treatment on their parameters. In the console's calls that name its
// own stations (Register, RegisterEx, UpdateURLs, ReplaceURL), the public
// station it learnt from a rewritten response is pointed back at the
// address the upstream stored; its other URLs are left intact.
type urlRewriter struct {
	srv    *Server
	reg    *schema.Registry // the game's
	log    *zap.Logger
	warned *sync.Map // the game's urlWarned
}

// newURLRewriter returns the URL rewriter of one of the game's sessions.
func (g *game) newURLRewriter(log *zap.Logger) *urlRewriter {
	return &urlRewriter{srv: g.srv, reg: g.reg, log: log, warned: &g.urlWarned}
}

// bodyKind names one direction of a method, for warnings given once.
type bodyKind struct {
	protocol uint16
	method   uint32
	request  bool
}

// spec describes the rewriter as a link by its halves: they only decode
// bodies that may hold a station URL and never block, so they run inline
// on the fast path.
func (u *urlRewriter) spec() LinkSpec {
	return LinkSpec{Name: "rewrite-url", Request: u.request, Response: u.response}
}

// request applies the request half: the parameters of a call the server
// makes on the console, and the console's own stations in its calls.
func (u *urlRewriter) request(c *rpc.Call) {
	var edit func(*rpc.Call, *schema.Value) bool
	switch {
	case c.Direction == rpc.ToConsole:
		edit = u.toConsole
	case c.Protocol == protoSecure && namesOwnStations(c.Method):
		if _, ok := u.srv.addrs.Reverse(c.Session.RemoteAddr); !ok {
			return // nothing to point back: no decoding
		}
		edit = u.unmapOwn
	default:
		return
	}
	if body, ok := u.rewrite(c, c.Body, true, edit); ok {
		c.Body = body
	}
}

// response applies the response half: the return values of a console's
// call; false when nothing changed.
func (u *urlRewriter) response(c *rpc.Call, body []byte) ([]byte, bool) {
	if c.Direction != rpc.ToServer {
		return nil, false
	}
	return u.rewrite(c, body, false, u.toConsole)
}

// namesOwnStations reports whether a console's secure connection call
// lists the caller's own stations (protocols.md §11): those the upstream
// finds by address and port (ReplaceURL) or stores for others to reach.
func namesOwnStations(method uint32) bool {
	switch method {
	case secureRegister, secureRegisterEx, secureUpdateURLs, secureReplaceURL:
		return true
	}
	return false
}

// toConsole edits what goes to a console: the public station of a
// Register/RegisterEx response, then every URL naming an address the map
// knows.
func (u *urlRewriter) toConsole(c *rpc.Call, v *schema.Value) bool {
	changed := c.Direction == rpc.ToServer && c.Protocol == protoSecure && (c.Method == secureRegister || c.Method == secureRegisterEx) && u.mapPublic(c, v)
	if mapURLs(v, u.srv.addrs) {
		changed = true
	}
	return changed
}

// urlTypePublicNAT is the type of the public station a server builds from
// the source address (public | behind NAT, services.md §1.2). A console's
// own local station never has it, so it tells the two apart when both
// name the console's real address (a console on nexproxy's own network).
const urlTypePublicNAT = 3

// unmapOwn points the caller's public stations, which it learnt with its
// real address, back at the address the upstream stored them under: the
// upstream finds the station ReplaceURL names by address and port, and
// keeps what the others reach through mapURLs.
func (u *urlRewriter) unmapOwn(c *rpc.Call, v *schema.Value) bool {
	seen, ok := u.srv.addrs.Reverse(c.Session.RemoteAddr)
	if !ok {
		return false
	}
	real := netip.AddrPortFrom(c.Session.RemoteAddr.Addr().Unmap(), c.Session.RemoteAddr.Port())
	return editURLs(v, func(url *rmc.StationURL) bool {
		if typ, _ := url.Int(rmc.URLType); typ != urlTypePublicNAT {
			return false
		}
		if ap, ok := urlAddr(url); !ok || ap != real || ap == seen {
			return false
		}
		setURLAddr(url, seen)
		return true
	})
}

// rewrite decodes body, applies edit and returns the edited body and true
// when a URL changed. Bytes after the last value the schema knows are
// written back as they came (rmc.md §6.4).
func (u *urlRewriter) rewrite(c *rpc.Call, body []byte, request bool, edit func(*rpc.Call, *schema.Value) bool) ([]byte, bool) {
	m := u.reg.Method(c.Protocol, c.Method)
	if !mayHoldURL(body) || m == nil {
		return nil, false
	}
	s := c.Session.Settings
	v, tail, err := decodePrefix(m, request, body, s)
	if err != nil {
		u.notRewritten(c, request, err)
		return nil, false
	}
	if !edit(c, v) {
		return nil, false
	}
	out, err := m.Encode(request, v, s)
	if err != nil {
		u.log.Warn("station urls not rewritten", zap.String("conn", c.Session.ID), zap.Uint32("call_id", c.CallID), zap.Error(err))
		return nil, false
	}
	return append(out, tail...), true
}

// notRewritten reports a body whose station URLs could not be inspected:
// a warning the first time for the method and direction in the game (a
// schema that does not fit the game would otherwise warn on every call),
// then at debug level.
func (u *urlRewriter) notRewritten(c *rpc.Call, request bool, err error) {
	lvl := zap.DebugLevel
	if _, seen := u.warned.LoadOrStore(bodyKind{c.Protocol, c.Method, request}, struct{}{}); !seen {
		lvl = zap.WarnLevel
	}
	if ce := u.log.Check(lvl, "station urls not inspected: body does not decode, forwarded unchanged"); ce != nil {
		ce.Write(zap.String("conn", c.Session.ID), zap.Uint32("call_id", c.CallID), zap.Uint16("protocol", c.Protocol),
			zap.Uint32("method", c.Method), zap.Bool("request", request), zap.Error(err))
	}
}

// decodePrefix decodes body or, when only bytes after the last value stop
// it (a field the schema does not describe), the longest prefix that
// decodes, and returns the rest. The prefix is found by bisection: every
// prefix longer than the values has trailing bytes, and no other does.
func decodePrefix(m *schema.Method, request bool, body []byte, s rmc.Settings) (*schema.Value, []byte, error) {
	v, err := m.Decode(request, body, s)
	if !errors.Is(err, schema.ErrTrailing) {
		return v, nil, err
	}
	lo, hi := 0, len(body) // body[:hi] has trailing bytes, body[:lo] has none
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if _, perr := m.Decode(request, body[:mid], s); errors.Is(perr, schema.ErrTrailing) {
			hi = mid
		} else {
			lo = mid
		}
	}
	v, perr := m.Decode(request, body[:lo], s)
	if perr != nil {
		return nil, nil, err
	}
	return v, body[lo:], nil
}

// mapPublic points the public station of a Register/RegisterEx response
// at the console's real address and remembers, for the session's life,
// that the upstream sees the console at the address it named.
func (u *urlRewriter) mapPublic(c *rpc.Call, v *schema.Value) bool {
	n := firstURL(v)
	if n == nil || !c.Session.RemoteAddr.IsValid() {
		return false
	}
	url, err := rmc.ParseStationURL(n.Str)
	if err != nil {
		return false
	}
	seen, ok := urlAddr(&url)
	if !ok {
		return false
	}
	real := c.Session.RemoteAddr
	if u.srv.addrs.Remember(seen, real) {
		c.Session.OnClose(func() { u.srv.addrs.Forget(seen, real) })
	}
	setURLAddr(&url, real)
	n.Str = url.String()
	u.log.Debug("public station mapped", zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()),
		zap.Stringer("upstream_seen", seen), zap.Stringer("console", real))
	return true
}
