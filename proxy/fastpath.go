package proxy

import (
	"time"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// The fast path forwards, without a goroutine waiting for the answer, the
// calls that no link of a chain ending in Forward would block on or
// answer itself: the request goes on from the goroutine that received
// it, the answer back from the one that received that. Which calls those
// are is derived from the chain's LinkSpecs (chain.inlineFor): every link
// either does not want the call or runs inline by its halves (the URL
// rewriter); any other call walks the chain on a worker.

// serveFast forwards m when the fast path may take it and reports
// whether it did. It runs on the connection's read goroutine and never
// blocks.
func (d *dispatcher) serveFast(m *rmc.Message) bool {
	ch := d.chain
	if !ch.fast || !ch.end.to.CanTakeAsync() {
		return false
	}
	c := &rpc.Call{Session: d.sess, Direction: d.dir, Protocol: m.Protocol, Method: m.Method, CallID: m.CallID, Body: m.Body}
	run, ok := ch.inlineFor(c)
	if !ok {
		return false
	}
	start := time.Now()
	ch.request(c, run)
	to := ch.end.to
	if notifyOnly(d.dir, m.Protocol) {
		err := to.NotifyAsync(c.Protocol, c.Method, c.Body)
		d.rec.call(d.sess, d.dir, c, nil, err, start, &answer{by: ch.end.name})
		return true
	}
	err := to.CallAsync(c.Protocol, c.Method, c.Body, func(resp *rmc.Message, err error) {
		d.answerFast(m, c, run, start, resp, err)
	})
	if err != nil {
		d.answerFast(m, c, run, start, nil, err)
	}
	return true
}

// answerFast completes a call the fast path forwarded: the response
// halves of the inline links, the session log, the answer to the caller.
func (d *dispatcher) answerFast(req *rmc.Message, c *rpc.Call, run uint64, start time.Time, resp *rmc.Message, err error) {
	ch := d.chain
	a := answer{by: ch.end.name}
	var r *rpc.Reply
	if err != nil && rpc.OneWay(req.Protocol) {
		// A notification forwarded as a call (notifyOnly) that got no
		// answer: the caller expects none.
		d.rec.call(d.sess, d.dir, c, nil, err, start, &a)
		return
	}
	if err != nil {
		r = d.failed(req, err)
	} else {
		a.forwarded = resp.CallID
		r = ch.response(c, peer.ReplyOf(resp), run)
	}
	// Recorded before the answer goes out, so that what the caller sees
	// is in the session log and the metrics already.
	d.rec.call(d.sess, d.dir, c, r, err, start, &a)
	d.peer.RespondAsync(req, r)
}
