package proxy

import (
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
// treatment on their parameters. The console's own URLs in its requests
// are left intact.
type urlRewriter struct {
	srv *Server
	reg *schema.Registry // the game's
	log *zap.Logger
}

// spec describes the rewriter as a link by its halves: they only decode
// bodies that may hold a station URL and never block, so they run inline
// on the fast path.
func (u *urlRewriter) spec() LinkSpec {
	return LinkSpec{Name: "rewrite-url", Request: u.request, Response: u.response}
}

// request applies the request half: the parameters of a call the server
// makes on the console.
func (u *urlRewriter) request(c *rpc.Call) {
	if c.Direction != rpc.ToConsole {
		return
	}
	if body, ok := u.rewrite(c, c.Body, true); ok {
		c.Body = body
	}
}

// response applies the response half: the return values of a console's
// call; false when nothing changed.
func (u *urlRewriter) response(c *rpc.Call, body []byte) ([]byte, bool) {
	if c.Direction != rpc.ToServer {
		return nil, false
	}
	return u.rewrite(c, body, false)
}

// rewrite returns the edited body and true when a URL changed.
func (u *urlRewriter) rewrite(c *rpc.Call, body []byte, request bool) ([]byte, bool) {
	reg := u.reg
	if !mayHoldURL(body) || reg.Method(c.Protocol, c.Method) == nil {
		return nil, false
	}
	s := c.Session.Settings
	v, err := reg.DecodeOrRaw(c.Protocol, c.Method, request, body, s)
	if err != nil {
		u.log.Debug("station urls not inspected", zap.String("conn", c.Session.ID), zap.Uint32("call_id", c.CallID), zap.Error(err))
		return nil, false
	}
	changed := !request && c.Protocol == protoSecure && (c.Method == secureRegister || c.Method == secureRegisterEx) && u.mapPublic(c, v)
	if mapURLs(v, u.srv.addrs) {
		changed = true
	}
	if !changed {
		return nil, false
	}
	out, err := reg.Encode(c.Protocol, c.Method, request, v, s)
	if err != nil {
		u.log.Warn("station urls not rewritten", zap.String("conn", c.Session.ID), zap.Uint32("call_id", c.CallID), zap.Error(err))
		return nil, false
	}
	return out, true
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
