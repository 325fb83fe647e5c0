package proxy

import (
	"time"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/peer"
)

// fastPath forwards the calls nothing on a proxied chain would block on
// or answer itself without a goroutine waiting for the answer: the
// request goes on from the goroutine that received it, the answer back
// from the one that received that. The chain it stands for is hooks →
// rewriters → Forward(to); a call walks the chain on a worker instead when
// a hook wants it or the authentication rewriter may act on it. The URL
// rewriter's halves run inline (they only decode bodies that may hold a
// station URL).
type fastPath struct {
	to      *peer.Peer       // where calls are forwarded
	handler string           // record.HandlerUpstream or record.HandlerConsole
	hooks   func(*Call) bool // whether a hook acts on a call; nil: none
	url     *urlRewriter     // nil: no URL rewriting on this chain
	auth    bool             // the authentication rewriter is on the chain
}

// newFastPath describes the chain of a proxied leg whose end forwards to
// to; nil when the chain must always be walked (a hook link that cannot
// tell which calls it wants).
func (s *Server) newFastPath(to *peer.Peer, handler string, url *urlRewriter, auth bool) *fastPath {
	f := &fastPath{to: to, handler: handler, hooks: s.opts.HooksWant, url: url, auth: auth}
	if s.opts.Hooks != nil && f.hooks == nil {
		return nil
	}
	return f
}

// serveFast forwards m when the fast path may take it and reports
// whether it did. It runs on the connection's read goroutine and never
// blocks.
func (d *dispatcher) serveFast(m *rmc.Message) bool {
	f := d.fast
	if f == nil || f.auth && m.Protocol == protoAuth || !f.to.CanTakeAsync() {
		return false
	}
	c := &Call{Session: d.sess, Direction: d.dir, Protocol: m.Protocol, Method: m.Method, CallID: m.CallID, Body: m.Body}
	if f.hooks != nil && f.hooks(c) {
		return false
	}
	start := time.Now()
	if f.url != nil {
		f.url.request(c)
	}
	if oneWay(m.Protocol) {
		err := f.to.NotifyAsync(c.Protocol, c.Method, c.Body)
		d.rec.call(d.sess, d.dir, c, nil, err, time.Since(start), &callTrace{handler: f.handler})
		return true
	}
	err := f.to.CallAsync(c.Protocol, c.Method, c.Body, func(resp *rmc.Message, err error) {
		d.answerFast(m, c, start, resp, err)
	})
	if err != nil {
		d.answerFast(m, c, start, nil, err)
	}
	return true
}

// answerFast completes a call the fast path forwarded: the response half
// of the URL rewriter, the session log, the answer to the caller.
func (d *dispatcher) answerFast(req *rmc.Message, c *Call, start time.Time, resp *rmc.Message, err error) {
	f := d.fast
	t := callTrace{handler: f.handler}
	var r *Reply
	if err != nil {
		r = d.failed(req, err)
	} else {
		t.forwarded = resp.CallID
		r = peer.ReplyOf(resp)
		if f.url != nil {
			r = f.url.response(c, r)
		}
	}
	// Recorded before the answer goes out, so that what the caller sees
	// is in the session log and the metrics already.
	d.rec.call(d.sess, d.dir, c, r, err, time.Since(start), &t)
	d.peer.RespondAsync(req, r)
}
