package proxy

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

func newSession(id, game string, leg rpc.Leg, conn *prudp.Conn, s rmc.Settings) *rpc.Session {
	return rpc.NewSession(id, game, leg, conn.RemoteAddrPort(), s)
}

// ConsolePeer returns the RMC peer of the session's console connection,
// for tests and tools that need more than rpc.Sender (closing the
// connection, its end). It is nil until the connection's RMC traffic
// starts.
func ConsolePeer(s *rpc.Session) *peer.Peer {
	p, _ := s.Console().(*peer.Peer)
	return p
}

// dispatcher serves the requests arriving on one peer through a chain and
// answers on the same peer.
type dispatcher struct {
	sess  *rpc.Session
	dir   rpc.Direction
	chain *chain
	peer  *peer.Peer // where the answer goes
	log   *zap.Logger
	rec   *recorder
}

func (d *dispatcher) serve(ctx context.Context, m *rmc.Message) {
	c := &rpc.Call{Session: d.sess, Direction: d.dir, Protocol: m.Protocol, Method: m.Method, CallID: m.CallID, Body: m.Body}
	a := &answer{}
	start := time.Now()
	cctx := newCallCtx(ctx, a, start, peer.CallTimeout)
	defer cctx.release()
	r, err := d.chain.h.ServeRMC(cctx, c)
	if errors.Is(err, rpc.ErrDrop) || rpc.OneWay(m.Protocol) && (a.forwarded == 0 || err != nil) {
		d.rec.call(d.sess, d.dir, c, nil, err, start, a)
		return
	}
	if err != nil {
		r = d.failed(m, err)
	}
	if r == nil {
		r = rpc.ErrorReply(rmc.ResultCoreException)
	}
	d.rec.call(d.sess, d.dir, c, r, err, start, a)
	if err := d.peer.Respond(ctx, m, r); err != nil && ctx.Err() == nil {
		d.log.Debug("answer not sent", zap.String("conn", d.sess.ID), zap.Uint32("call_id", m.CallID), zap.Error(err))
	}
}

// Forward is the end of a chain that re-sends each call on to with that
// peer's own call id and returns its answer; one-way calls are sent
// without waiting.
func Forward(to *peer.Peer) rpc.Handler {
	return rpc.HandlerFunc(func(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
		if to == nil {
			return nil, rpc.ErrUpstreamGone
		}
		if notifyOnly(c.Direction, c.Protocol) {
			return nil, to.Notify(ctx, c.Protocol, c.Method, c.Body)
		}
		m, err := to.Call(ctx, c.Protocol, c.Method, c.Body)
		if err != nil {
			return nil, err
		}
		if a := answerOf(ctx); a != nil {
			a.forwarded = m.CallID
		}
		return peer.ReplyOf(m), nil
	})
}

// notifyOnly reports whether a call in direction dir is forwarded as a
// notification, with no answer awaited. A console's call on protocol 14
// (notifications, which NEX sends from the server only) is forwarded as a
// call instead: if the upstream answers it, the answer is relayed back
// (one-way calls are answered exactly when an answer was forwarded); if
// it does not, nothing is sent, as for any notification.
func notifyOnly(dir rpc.Direction, protocol uint16) bool {
	return rpc.OneWay(protocol) && !(dir == rpc.ToServer && protocol == protoNotification)
}

// failed logs a call no answer could be had for and returns the error
// answer its caller gets.
func (d *dispatcher) failed(m *rmc.Message, err error) *rpc.Reply {
	d.log.Warn("call failed", zap.String("conn", d.sess.ID), zap.Uint64("pid", d.sess.PID()),
		zap.Uint32("call_id", m.CallID), zap.Uint16("protocol", m.Protocol), zap.Uint32("method", m.Method), zap.Error(err))
	return &rpc.Reply{Error: rpc.ResultOf(err)}
}

// failing answers every call with the result of err: the chain end of a
// console whose upstream could not be reached.
func failing(err error) rpc.Handler {
	return rpc.HandlerFunc(func(context.Context, *rpc.Call) (*rpc.Reply, error) { return nil, err })
}
