package typed

import (
	"context"
	"errors"
	"fmt"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// ErrNotSender reports a one-way call through a Caller that cannot send
// one-way requests (it has no Notify method, as rpc.Sender has).
var ErrNotSender = errors.New("typed: caller cannot send one-way requests")

// settings returns the RMC settings of a call's session (zero without one).
func settings(c *rpc.Call) rmc.Settings {
	if c.Session == nil {
		return rmc.Settings{}
	}
	return c.Session.Settings
}

// Serve answers one call with a typed method: it decodes the request with
// the session's settings (a request that does not decode is answered with
// Core::InvalidArgument), calls fn, and encodes its response; an error from
// fn becomes the reply through rpc.Answer. A nil response is an empty one.
// Generated Register functions use it.
func Serve[Req, Resp any, PReq interface {
	*Req
	Message
}, PResp interface {
	*Resp
	Message
}](ctx context.Context, c *rpc.Call, what string, fn func(context.Context, *rpc.Call, PReq) (PResp, error)) (*rpc.Reply, error) {
	s := settings(c)
	req := PReq(new(Req))
	d := NewDecoder(c.Body, s)
	req.DecodeFrom(d)
	if err := d.Close(what + " request"); err != nil {
		return rpc.ErrorReply(rmc.ResultCoreInvalidArgument), nil
	}
	resp, err := fn(ctx, c, req)
	if err != nil {
		return rpc.Answer(nil, err)
	}
	if resp == nil {
		resp = PResp(new(Resp))
	}
	e := NewEncoder(s)
	resp.EncodeTo(e)
	body, err := e.Close(nil, what+" response")
	if err != nil {
		return nil, err
	}
	return &rpc.Reply{Body: body}, nil
}

// ServeOneWay is Serve for one-way protocols: nothing is answered; a request
// that does not decode, and an error from fn, are returned to the carrier.
func ServeOneWay[Req any, PReq interface {
	*Req
	Message
}](ctx context.Context, c *rpc.Call, what string, fn func(context.Context, *rpc.Call, PReq) error) (*rpc.Reply, error) {
	req := PReq(new(Req))
	d := NewDecoder(c.Body, settings(c))
	req.DecodeFrom(d)
	if err := d.Close(what + " request"); err != nil {
		return nil, rpc.Failf(rmc.ResultCoreInvalidArgument, err)
	}
	return nil, fn(ctx, c, req)
}

// Call encodes req, calls the method through caller and decodes the
// success response; an error response becomes an *rpc.ResultError carrying
// its result. Generated clients use it.
func Call[Resp any, PResp interface {
	*Resp
	Message
}](ctx context.Context, caller rpc.Caller, s rmc.Settings, protocol uint16, method uint32, what string, req Message) (PResp, error) {
	e := NewEncoder(s)
	req.EncodeTo(e)
	body, err := e.Close(nil, what+" request")
	if err != nil {
		return nil, err
	}
	msg, err := caller.Call(ctx, protocol, method, body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if !msg.Success {
		return nil, &rpc.ResultError{Result: msg.Error, Err: fmt.Errorf("%s answered %v", what, msg.Error)}
	}
	resp := PResp(new(Resp))
	d := NewDecoder(msg.Body, s)
	resp.DecodeFrom(d)
	if err := d.Close(what + " response"); err != nil {
		return nil, err
	}
	return resp, nil
}

// Notify encodes req and sends it one-way; caller must also have rpc.Sender's
// Notify method.
func Notify(ctx context.Context, caller rpc.Caller, s rmc.Settings, protocol uint16, method uint32, what string, req Message) error {
	n, ok := caller.(interface {
		Notify(ctx context.Context, protocol uint16, method uint32, body []byte) error
	})
	if !ok {
		return fmt.Errorf("%s: %w", what, ErrNotSender)
	}
	e := NewEncoder(s)
	req.EncodeTo(e)
	body, err := e.Close(nil, what+" request")
	if err != nil {
		return err
	}
	if err := n.Notify(ctx, protocol, method, body); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// NEXOf returns the NEX version of a call's session (0 without one):
// generated Register functions pick a method's layout with it.
func NEXOf(c *rpc.Call) int { return settings(c).NEXVersion }
