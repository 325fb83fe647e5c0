// Package secure is nexproxy's built-in secure connection server
// (protocol 11): consoles register their station URLs, learn their public
// address and look up other stations. Stations are shared by every session
// of a game.
package secure

import (
	"context"
	"fmt"
	"sync"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Protocol is the secure connection protocol id.
const Protocol = 11

// Method ids (protocols.md, protocol 11).
const (
	MethodRegister              = 1
	MethodRequestConnectionData = 2
	MethodRequestURLs           = 3
	MethodRegisterEx            = 4
	MethodTestConnectivity      = 5
	MethodUpdateURLs            = 6
	MethodReplaceURL            = 7
	MethodSendReport            = 8
)

const (
	resultInvalidArgument  = rmc.ResultCoreInvalidArgument
	resultNotAuthenticated = rmc.ResultRendezVousNotAuthenticated
)

// maxURLs bounds how many URLs one console may register.
const maxURLs = 16

// station is what one console registered.
type station struct {
	session string
	cid     uint32
	urls    []rmc.StationURL
}

// registry holds the stations of a game by PID.
type registry struct {
	mu      sync.Mutex
	nextCID uint32
	byPID   map[uint64]*station
}

// handler serves protocol 11 for one game.
type handler struct {
	env  *proxy.Env
	reg  *registry
	next rpc.Handler
}

// New is the proxy.Builtin of the secure connection protocol.
func New(env *proxy.Env) (rpc.Link, error) {
	if env == nil || env.Log == nil {
		return nil, fmt.Errorf("secure: incomplete environment")
	}
	reg := &registry{nextCID: 1000, byPID: map[uint64]*station{}}
	return func(next rpc.Handler) rpc.Handler { return &handler{env: env, reg: reg, next: next} }, nil
}

// ServeRMC answers protocol 11 calls from consoles on the secure leg.
func (h *handler) ServeRMC(ctx context.Context, c *rpc.Call) (*rpc.Reply, error) {
	if c.Protocol != Protocol || c.Direction != rpc.ToServer || c.Session.Leg != rpc.LegSecure {
		return h.next.ServeRMC(ctx, c)
	}
	s := c.Session.Settings
	r := rmc.NewReader(c.Body, s)
	w := rmc.NewWriter(s)
	switch c.Method {
	case MethodRegister, MethodRegisterEx:
		urls := readURLs(r)
		if c.Method == MethodRegisterEx {
			r.AnyDataRaw()
		}
		if r.Err() != nil {
			return rpc.ErrorReply(resultInvalidArgument), nil
		}
		cid, public := h.register(c.Session, urls)
		w.Result(rmc.ResultSuccess)
		w.U32(cid)
		w.StationURL(public)
	case MethodRequestConnectionData, MethodRequestURLs:
		cid := r.U32()
		pid := r.PID()
		if r.Err() != nil {
			return rpc.ErrorReply(resultInvalidArgument), nil
		}
		st := h.lookup(pid, cid, c.Method == MethodRequestURLs)
		w.Bool(st != nil)
		if st == nil {
			w.ListLen(0)
			break
		}
		w.ListLen(len(st.urls))
		for _, u := range st.urls {
			if c.Method == MethodRequestURLs {
				w.StationURL(u)
				continue
			}
			w.StructBegin(0)
			w.StationURL(u)
			w.U32(st.cid)
			w.StructEnd(nil)
		}
	case MethodTestConnectivity:
	case MethodUpdateURLs:
		urls := readURLs(r)
		if r.Err() != nil {
			return rpc.ErrorReply(resultInvalidArgument), nil
		}
		if !h.update(c.Session, urls) {
			return rpc.ErrorReply(resultNotAuthenticated), nil
		}
	case MethodReplaceURL:
		old, repl := r.StationURL(), r.StationURL()
		if r.Err() != nil {
			return rpc.ErrorReply(resultInvalidArgument), nil
		}
		if !h.replace(c.Session, old, repl) {
			return rpc.ErrorReply(resultNotAuthenticated), nil
		}
	case MethodSendReport:
		id := r.U32()
		data := r.QBuffer()
		if r.Err() != nil {
			return rpc.ErrorReply(resultInvalidArgument), nil
		}
		h.env.Log.Info("report", zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()),
			zap.Uint32("call_id", c.CallID), zap.Uint32("report_id", id), zap.Int("bytes", len(data)))
	default:
		return h.next.ServeRMC(ctx, c)
	}
	if w.Err() != nil {
		return nil, fmt.Errorf("secure: encode response: %w", w.Err())
	}
	return &rpc.Reply{Body: w.Bytes()}, nil
}

func readURLs(r *rmc.Reader) []rmc.StationURL {
	n := r.ListLen()
	if n > maxURLs {
		r.Fail("station list", fmt.Errorf("%d urls: %w", n, rmc.ErrInvalid))
		return nil
	}
	urls := make([]rmc.StationURL, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		urls = append(urls, r.StationURL())
	}
	return urls
}

// publicStation builds the console's public station from the address
// nexproxy sees, starting from its first URL.
func publicStation(sess *rpc.Session, urls []rmc.StationURL) rmc.StationURL {
	var pub rmc.StationURL
	if len(urls) > 0 {
		pub = urls[0].Clone()
	} else {
		pub = rmc.StationURL{Scheme: "prudp"}
	}
	pub.SetAddress(sess.RemoteAddr.Addr().Unmap().String())
	pub.SetPort(sess.RemoteAddr.Port())
	pub.SetInt(rmc.URLNatMapping, 0)
	pub.SetInt(rmc.URLNatFiltering, 0)
	pub.SetInt(rmc.URLType, 3)
	return pub
}

func (h *handler) register(sess *rpc.Session, urls []rmc.StationURL) (uint32, rmc.StationURL) {
	pid := sess.PID()
	pub := publicStation(sess, urls)
	h.reg.mu.Lock()
	h.reg.nextCID++
	cid := h.reg.nextCID
	h.reg.mu.Unlock()
	pub.SetInt(rmc.URLPID, int64(pid))
	pub.SetInt(rmc.URLRVCID, int64(cid))
	h.store(sess, cid, urls, pub)
	return cid, pub
}

// store replaces the stations of the session's PID.
func (h *handler) store(sess *rpc.Session, cid uint32, urls []rmc.StationURL, pub rmc.StationURL) {
	pid := sess.PID()
	stored := make([]rmc.StationURL, 0, len(urls)+1)
	for _, u := range urls {
		u = u.Clone()
		u.SetInt(rmc.URLPID, int64(pid))
		u.SetInt(rmc.URLRVCID, int64(cid))
		stored = append(stored, u)
	}
	stored = append(stored, pub)
	h.reg.mu.Lock()
	first := sess.Value(registeredKey{}) == nil
	h.reg.byPID[pid] = &station{session: sess.ID, cid: cid, urls: stored}
	h.reg.mu.Unlock()
	if first {
		sess.SetValue(registeredKey{}, cid)
		sess.OnClose(func() {
			h.reg.mu.Lock()
			if st := h.reg.byPID[pid]; st != nil && st.session == sess.ID {
				delete(h.reg.byPID, pid)
			}
			h.reg.mu.Unlock()
		})
	}
	h.env.Log.Debug("station registered", zap.String("conn", sess.ID), zap.Uint64("pid", pid), zap.Uint32("cid", cid), zap.String("public", pub.String()))
}

type registeredKey struct{}

func (h *handler) lookup(pid uint64, cid uint32, anyCID bool) *station {
	h.reg.mu.Lock()
	defer h.reg.mu.Unlock()
	st := h.reg.byPID[pid]
	if st == nil || (st.cid != cid && !(anyCID && cid == 0)) {
		return nil
	}
	return st
}

func (h *handler) update(sess *rpc.Session, urls []rmc.StationURL) bool {
	cid, ok := sess.Value(registeredKey{}).(uint32)
	if !ok {
		return false
	}
	pub := publicStation(sess, urls)
	pub.SetInt(rmc.URLPID, int64(sess.PID()))
	pub.SetInt(rmc.URLRVCID, int64(cid))
	h.store(sess, cid, urls, pub)
	return true
}

func (h *handler) replace(sess *rpc.Session, old, repl rmc.StationURL) bool {
	h.reg.mu.Lock()
	defer h.reg.mu.Unlock()
	st := h.reg.byPID[sess.PID()]
	if st == nil || st.session != sess.ID {
		return false
	}
	o := old.String()
	for i, u := range st.urls {
		if u.String() == o {
			st.urls[i] = repl.Clone()
		}
	}
	return true
}
