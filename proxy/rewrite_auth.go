package proxy

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// sessionKeyUpstreamStation is the Session value holding the upstream
// secure station of the authentication leg's login, for RequestTicket.
type sessionKeyUpstreamStation struct{}

// authRewriter sits in front of the upstream on the authentication leg and
// rewrites ticket and secure station of every login response.
type authRewriter struct {
	srv *Server
	g   *game
}

// spec describes the rewriter as a link: it acts on the console's logins
// and ticket requests only, and waits on their answers on a worker (it
// may open a blind relay).
func (a *authRewriter) spec() LinkSpec {
	return LinkSpec{Name: "rewrite-auth", Wants: a.wants, Link: func(next rpc.Handler) rpc.Handler {
		return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) { return a.serve(ctx, c, next) })
	}}
}

// wants reports whether c is a login or ticket request of the console.
func (a *authRewriter) wants(c *rpc.Call) bool {
	if c.Protocol != protoAuth || c.Direction != rpc.ToServer {
		return false
	}
	switch c.Method {
	case authLogin, authLoginEx, authLoginWithParam, authRequestTicket:
		return true
	}
	return false
}

func (a *authRewriter) serve(ctx context.Context, c *rpc.Call, next rpc.Handler) (*rpc.Reply, error) {
	if !a.wants(c) {
		return next.ServeRMC(ctx, c)
	}
	req, err := a.checkRequest(c)
	if err != nil {
		// Refused rather than forwarded: an upstream that ignores the
		// extra bytes would answer with a ticket the rewriting cannot map
		// (RequestTicket), and a short or padded request is no console's.
		a.g.log.Warn("malformed authentication request refused", zap.String("conn", c.Session.ID),
			zap.Uint32("call_id", c.CallID), zap.Uint32("method", c.Method), zap.Error(err))
		return rpc.ErrorReply(rmc.ResultCoreInvalidArgument), nil
	}
	r, err := next.ServeRMC(ctx, c)
	if err != nil || r == nil || r.Error != 0 {
		return r, err
	}
	body, rerr := a.rewrite(c, req, r.Body)
	if rerr != nil {
		// Never pass an unrewritten ticket on: the console would take it
		// straight to the upstream, and the session would be lost to
		// nexproxy without anyone noticing.
		a.g.log.Warn("login response not rewritten; call refused", zap.String("conn", c.Session.ID), zap.Uint32("call_id", c.CallID), zap.Error(rerr))
		return rpc.ErrorReply(rmc.ResultCoreSystemError), nil
	}
	return &rpc.Reply{Body: body}, nil
}

// checkRequest decodes the request of a login or ticket request. A request
// that is short or has bytes after its last parameter is an error (the
// rewriter answers Core::InvalidArgument, as the built-in authentication
// does); a login whose parameters do not decode for another reason (an
// unknown extra-data class) is passed on, since only its response is
// rewritten. RequestTicket must decode: its source PID is needed.
func (a *authRewriter) checkRequest(c *rpc.Call) (*schema.Value, error) {
	m := a.g.reg.Method(protoAuth, c.Method)
	if m == nil {
		return nil, nil
	}
	v, err := m.DecodeRequest(c.Body, c.Session.Settings)
	switch {
	case err == nil:
		return v, nil
	case c.Method == authRequestTicket, errors.Is(err, schema.ErrTrailing), errors.Is(err, rmc.ErrShort):
		return nil, err
	}
	return nil, nil
}

func (a *authRewriter) rewrite(c *rpc.Call, req *schema.Value, body []byte) ([]byte, error) {
	s := c.Session.Settings
	m := a.g.reg.Method(protoAuth, c.Method)
	if m == nil {
		return nil, errf("method %d not described", c.Method)
	}
	if refused(m, body, s) {
		return body, nil // a refused login passes unchanged
	}
	v, err := m.DecodeResponse(body, s)
	if err != nil {
		return nil, err
	}
	f := findLoginFields(v)
	if f.ticket == nil {
		return nil, errf("no ticket in response")
	}
	ticket := f.ticket
	if len(ticket.Bytes) == 0 {
		return body, nil
	}
	var sourceKey string
	if f.sourceKey != nil {
		sourceKey = f.sourceKey.Str
	}
	var pid uint64
	var upStation rmc.StationURL
	if c.Method == authRequestTicket {
		if req == nil {
			return nil, errf("RequestTicket request not decoded")
		}
		source := fieldOf(req, "source", schema.KindPID)
		if source == nil {
			return nil, errf("no source pid in RequestTicket")
		}
		pid = source.Uint
		st, ok := c.Session.Value(sessionKeyUpstreamStation{}).(rmc.StationURL)
		switch mode := c.Session.Value(sessionKeyLoginMode{}); {
		case !ok || mode == record.ModeBlindRelay:
			return body, nil // no login seen on this connection: nothing to map
		case mode == record.ModeRelayDecoded:
			// The ticket stays the upstream's; the console's next secure
			// CONNECT is relayed like the login's.
			a.srv.keyless.put(a.g, c.Session.RemoteAddr.Addr(), &upstreamLogin{game: a.g, pid: pid, station: st, issued: time.Now()})
			return body, nil
		}
		upStation = st
	} else {
		if f.pid == nil {
			return nil, errf("no pid in login response")
		}
		pid = f.pid.Uint
		if f.station == nil {
			return nil, errf("no secure station in login response")
		}
		if upStation, err = rmc.ParseStationURL(f.station.Str); err != nil {
			return nil, err
		}
		c.Session.SetValue(sessionKeyUpstreamStation{}, upStation)
		c.Session.SetPID(pid)
	}

	mode := record.ModeBlindRelay
	userKey, ok := a.userKey(pid, sourceKey)
	var reissued *kerberos.Reissued
	if ok {
		reissued, err = a.g.issuer.Reissue(userKey, ticket.Bytes, pid)
		switch {
		case errors.Is(err, kerberos.ErrBadMAC):
			a.g.log.Warn("upstream ticket does not open with the known key; relaying blindly",
				zap.String("conn", c.Session.ID), zap.Uint64("pid", pid), zap.Error(err))
		case err != nil:
			// The key opened it (or it is too short to tell): the game's
			// Kerberos settings are not the upstream's, most often its
			// key_size; the console, whose size is the upstream's, still
			// gets through the blind relay.
			a.g.log.Warn("upstream ticket does not decode with the game's kerberos settings (check key_size); relaying blindly",
				zap.String("conn", c.Session.ID), zap.Uint64("pid", pid), zap.Int("key_size", a.g.cfg.Kerberos.KeySize), zap.Error(err))
		default:
			mode = record.ModeIntercepted
		}
	}
	if mode == record.ModeIntercepted {
		a.srv.logins.put(reissued.SessionKey, &upstreamLogin{
			game: a.g, pid: pid, sessionKey: reissued.Upstream.SessionKey,
			internal: reissued.Upstream.InternalTicket, station: upStation, issued: time.Now(),
		})
		ticket.Bytes = reissued.Ticket
		if f.station != nil {
			f.station.Str = a.g.consoleStation(upStation).String()
			f.station.StrForm = schema.StrNormal
		}
	} else if a.g.relaysDecoded() {
		// Without the key nothing can be re-issued, but a PRUDPLite
		// secure leg is not encrypted: the console is sent to nexproxy,
		// whose secure listener passes its CONNECT to the upstream.
		mode = record.ModeRelayDecoded
		a.srv.keyless.put(a.g, c.Session.RemoteAddr.Addr(), &upstreamLogin{game: a.g, pid: pid, station: upStation, issued: time.Now()})
		if f.station != nil {
			f.station.Str = a.g.consoleStation(upStation).String()
			f.station.StrForm = schema.StrNormal
		}
	} else if f.station != nil {
		relayAddr, err := a.srv.relays.open(a.g, c.Session, upStation)
		if err != nil {
			return nil, err
		}
		u := stationWithAddr(upStation, a.srv.advertiseHost(), relayAddr.Port())
		f.station.Str = u.String()
		f.station.StrForm = schema.StrNormal
	}
	c.Session.SetValue(sessionKeyLoginMode{}, mode)
	a.srv.rec.login(c.Session, pid, string(mode))
	a.g.log.Info("login", zap.String("conn", c.Session.ID), zap.Uint64("pid", pid), zap.Uint32("call_id", c.CallID), zap.String("mode", string(mode)))
	return m.EncodeResponse(v, s)
}

// refused reports whether a login or ticket response opens with an error
// result. It carries no ticket, so there is nothing to rewrite, and it is
// judged before the rest is decoded: servers leave the other fields of a
// refusal blank or write none at all (the result alone), which must reach
// the console as the refusal it is, not as Core::SystemError.
// ValidateAndRequestTicketWithParam has no result field on NEX 4 (its
// refusals are RMC errors).
func refused(m *schema.Method, body []byte, s rmc.Settings) bool {
	if !m.ResponseOpensWithResult(s.NEXVersion) {
		return false
	}
	r := rmc.NewReader(body, s)
	res := r.Result()
	return r.Err() == nil && res.IsError()
}

// loginFields are the nodes of a login response the rewriter reads or
// edits (nil when absent). They are found by their schema names, not by
// kind and position, so that a field added to a response (server_name and
// source_key are strings too) cannot be taken for another.
type loginFields struct {
	pid, ticket, station, sourceKey *schema.Value
}

// findLoginFields looks the fields up on the response, or inside its result
// structure for NEX 4's ValidateAndRequestTicketWithParam; the station is
// RVConnectionData's main station or that result's server URL.
func findLoginFields(v *schema.Value) loginFields {
	var f loginFields
	body := v
	if r := v.Field("result"); r != nil && r.Kind == schema.KindStruct {
		body = r
	}
	f.pid = fieldOf(body, "pid", schema.KindPID)
	f.ticket = fieldOf(body, "ticket", schema.KindBuffer)
	f.sourceKey = fieldOf(body, "source_key", schema.KindString)
	f.station = fieldOf(body, "server_url", schema.KindStationURL)
	if cd := body.Field("connection_data"); cd != nil {
		f.station = fieldOf(cd, "main_station", schema.KindStationURL)
	}
	return f
}

// fieldOf returns the named field of v when it has kind k, else nil.
func fieldOf(v *schema.Value, name string, k schema.Kind) *schema.Value {
	if n := v.Field(name); n != nil && n.Kind == k {
		return n
	}
	return nil
}

// sessionKeyLoginMode is the Session value holding the login mode.
type sessionKeyLoginMode struct{}

// LoginMode is how the secure connection of a proxied authentication
// session's login is handled (record.ModeIntercepted, ModeBlindRelay or
// ModeRelayDecoded), or how a proxied secure session is (ModeIntercepted
// or ModeRelayDecoded); "" before its login and on sessions nexproxy
// serves itself.
func LoginMode(s *rpc.Session) string {
	mode, _ := s.Value(sessionKeyLoginMode{}).(string)
	return mode
}

// userKey returns the key of pid's client tickets: the Switch source key
// when the response carries one, else the derived key of a known password.
func (a *authRewriter) userKey(pid uint64, sourceKey string) ([]byte, bool) {
	if sourceKey != "" {
		k, err := kerberos.SourceKeyFromHex(sourceKey)
		return k, err == nil
	}
	return a.g.env.UserKey(pid)
}
