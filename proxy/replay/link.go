package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/redacted"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/record/sessionlog"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// HandlerReplay names the replay link as the answerer of a call in
// session logs.
const HandlerReplay = "replay"

// LinkOptions configure the link of each game.
type LinkOptions struct {
	// Unmatched answers calls the logs do not hold (error form).
	Unmatched rmc.Result
	// Registry describes the protocols; nil means schema.Default().
	Registry *schema.Registry
}

// Builtin is the replay link of each game, as the server builds its
// built-in services: it answers every console call from the index.
func (ix *Index) Builtin(o LinkOptions) proxy.Builtin {
	if o.Unmatched == 0 {
		o.Unmatched = rmc.ResultCoreNotImplemented
	}
	o.Unmatched |= rmc.ResultErrorBit
	return func(env *proxy.Env) (proxy.LinkSpec, error) {
		reg := o.Registry
		if reg == nil {
			reg = schema.Default()
		}
		if len(env.Game.Variants) > 0 {
			r, err := reg.WithVariants(env.Game.Variants...)
			if err != nil {
				return proxy.LinkSpec{}, fmt.Errorf("replay: %w", err)
			}
			reg = r
		}
		log := env.Log // names the game
		if log == nil {
			log = zap.NewNop()
		}
		g := &gameLink{ix: ix, game: env.Game.Name, reg: reg, unmatched: o.Unmatched, log: log}
		return proxy.LinkSpec{
			Name:  HandlerReplay,
			Wants: func(c *rpc.Call) bool { return c.Direction == rpc.ToServer },
			Link: func(next rpc.Handler) rpc.Handler {
				return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
					if c.Direction != rpc.ToServer {
						return next.ServeRMC(ctx, c)
					}
					return g.serve(c)
				})
			},
		}, nil
	}
}

// gameLink answers the calls of one game.
type gameLink struct {
	ix        *Index
	game      string
	reg       *schema.Registry
	unmatched rmc.Result
	log       *zap.Logger
}

// Answer answers one call of a game the way the link does: for tests and
// tools that drive the index without a server; unmatched 0 means
// Core::NotImplemented.
func (ix *Index) Answer(game string, reg *schema.Registry, unmatched rmc.Result, c *rpc.Call) (*rpc.Reply, error) {
	if unmatched == 0 {
		unmatched = rmc.ResultCoreNotImplemented
	}
	g := &gameLink{ix: ix, game: game, reg: reg, unmatched: unmatched | rmc.ResultErrorBit, log: ix.log.With(zap.String("game", game))}
	return g.serve(c)
}

func (g *gameLink) serve(c *rpc.Call) (*rpc.Reply, error) {
	if rpc.OneWay(c.Protocol) {
		return nil, nil
	}
	var s rmc.Settings
	if c.Session != nil {
		s = c.Session.Settings
	}
	protocol, method := g.reg.NamesFor(c.Protocol, c.Method, s.NEXVersion)
	req, decodeErr := g.reg.DecodeOrRaw(c.Protocol, c.Method, true, c.Body, s)
	var params []byte
	var raw string
	if req.Kind == schema.KindRaw {
		raw = fmt.Sprintf("%x", req.Bytes)
	} else {
		params = req.AppendJSON(nil)
	}
	keys := make([]string, 0, 2)
	k, err := g.ix.key(g.game, protocol, c.Protocol, method, c.Method, params, raw)
	if err == nil {
		keys = append(keys, k)
	}
	var safe redactedCall
	if g.ix.redacted {
		// Logs written without secrets hold placeholders where this
		// call has the values.
		safe = redactCall(c.Protocol, params, raw, len(req.Bytes))
		if k, err := g.ix.key(g.game, protocol, c.Protocol, method, c.Method, safe.params, safe.raw); err == nil && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	r := g.ix.next(keys...)
	fields := func() []zap.Field {
		fs := []zap.Field{zap.String("protocol", protocol), zap.String("method", method), zap.Uint32("call_id", c.CallID)}
		if c.Session != nil {
			fs = append(fs, zap.String("conn", c.Session.ID))
		}
		return fs
	}
	if r == nil {
		// Secrets stay out of the process log whatever log.secrets says.
		if !g.ix.redacted {
			safe = redactCall(c.Protocol, params, raw, len(req.Bytes))
		}
		p := safe.text()
		if len(p) > 512 {
			p = p[:512] + "…"
		}
		fs := append(fields(), zap.String("params", p), zap.Stringer("answer", g.unmatched))
		if decodeErr != nil {
			fs = append(fs, zap.NamedError("decode", decodeErr))
		}
		g.log.Warn("replay: no recorded call matches", fs...)
		return rpc.ErrorReply(g.unmatched), nil
	}
	switch {
	case r.drop:
		return nil, rpc.ErrDrop
	case r.err != 0:
		return rpc.ErrorReply(r.err), nil
	}
	body, err := g.body(c, r, s)
	if err != nil {
		g.log.Warn("replay: recorded response cannot be rebuilt", append(fields(), zap.String("recorded", r.where), zap.Error(err))...)
		return rpc.ErrorReply(g.unmatched), nil
	}
	g.log.Debug("replay: answered", append(fields(), zap.String("recorded", r.where))...)
	return &rpc.Reply{Body: body}, nil
}

// redactedCall is what a log written without secrets holds for a call:
// the JSON of its parameters with the secrets replaced, or for a body
// that did not decode its hex, or the placeholder of the whole body in a
// protocol whose calls carry secrets (sessionlog.SecretBodies).
type redactedCall struct {
	params json.RawMessage
	raw    string
}

// redactCall returns what a log written without secrets holds for a call
// of protocol with the decoded params, or else the hex raw of its body
// of size bytes.
func redactCall(protocol uint16, params []byte, raw string, size int) redactedCall {
	switch {
	case params != nil:
		return redactedCall{params: sessionlog.RedactCallJSON(protocol, params)}
	case sessionlog.SecretBodies(protocol):
		return redactedCall{raw: redacted.Placeholder(size)}
	}
	return redactedCall{raw: raw}
}

// text is the call as the process log shows it.
func (r redactedCall) text() string {
	if r.params != nil {
		return string(r.params)
	}
	return r.raw
}

// body encodes a recorded success for the connection's settings.
func (g *gameLink) body(c *rpc.Call, r *response, s rmc.Settings) ([]byte, error) {
	if r.result == nil {
		if r.resultRaw == "" {
			return []byte{}, nil
		}
		return r.rawBody()
	}
	m := g.reg.Method(c.Protocol, c.Method)
	if m == nil {
		return nil, errors.New("the method is not described")
	}
	v, err := m.FromJSON(false, r.result, s)
	if err != nil {
		return nil, err
	}
	return m.EncodeResponse(v, s)
}
