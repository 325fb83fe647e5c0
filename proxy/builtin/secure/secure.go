// Package secure is nexproxy's built-in secure connection server
// (protocol 11): consoles register their station URLs, learn their public
// address and look up other stations. Stations are shared by every
// session of a game. It serves a game exactly when the game has no
// upstream.
package secure

import (
	"context"
	"fmt"
	"sync"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Name is the service's name in the registry and in logs.
const Name = "secure"

func init() {
	builtin.Register(builtin.Service{
		Name:      Name,
		Protocols: []uint16{secureconnection.ProtocolID},
		Core:      true,
		New: func(env *builtin.Env) (builtin.Instance, error) {
			if env.Env == nil || env.Log == nil {
				return nil, fmt.Errorf("secure: incomplete environment")
			}
			return &server{env: env.Env, reg: &registry{nextCID: 1000, byPID: map[uint64]*station{}}}, nil
		},
	})
}

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

// server serves protocol 11 for one game, on secure connections only.
type server struct {
	env *proxy.Env
	reg *registry
}

// Install puts the secure connection methods on the game's mux.
func (s *server) Install(m *rpc.Mux) error { return secureconnection.Register(m, Name, s) }

var _ secureconnection.Server = (*server)(nil)

// onSecure passes calls that arrive on the authentication connection on:
// protocol 11 is the secure server's.
func onSecure(c *rpc.Call) error {
	if c.Session.Leg != rpc.LegSecure {
		return rpc.ErrPass
	}
	return nil
}

// Register records the console's stations and returns its public one.
func (s *server) Register(_ context.Context, c *rpc.Call, req *secureconnection.RegisterRequest) (*secureconnection.RegisterResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if len(req.URLs) > maxURLs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	cid, public := s.register(c.Session, req.URLs)
	return &secureconnection.RegisterResponse{Result: rmc.ResultSuccess, ConnectionID: cid, PublicStation: public}, nil
}

// RegisterEx is Register with login data (logged by class, not checked:
// the secure CONNECT already proved who the console is).
func (s *server) RegisterEx(_ context.Context, c *rpc.Call, req *secureconnection.RegisterExRequest) (*secureconnection.RegisterExResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if len(req.URLs) > maxURLs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	cid, public := s.register(c.Session, req.URLs)
	return &secureconnection.RegisterExResponse{Result: rmc.ResultSuccess, ConnectionID: cid, PublicStation: public}, nil
}

// RequestConnectionData returns the stations of pid with their connection
// id, when cid is that console's.
func (s *server) RequestConnectionData(_ context.Context, c *rpc.Call, req *secureconnection.RequestConnectionDataRequest) (*secureconnection.RequestConnectionDataResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	st := s.lookup(req.PID, req.CID, false)
	if st == nil {
		return &secureconnection.RequestConnectionDataResponse{}, nil
	}
	out := make([]secureconnection.ConnectionData, len(st.urls))
	for i, u := range st.urls {
		out[i] = secureconnection.ConnectionData{Station: u, ConnectionID: st.cid}
	}
	return &secureconnection.RequestConnectionDataResponse{Result: true, ConnectionData: out}, nil
}

// RequestUrls returns the stations of pid (cid 0: whatever its connection).
func (s *server) RequestUrls(_ context.Context, c *rpc.Call, req *secureconnection.RequestUrlsRequest) (*secureconnection.RequestUrlsResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	st := s.lookup(req.PID, req.CID, true)
	if st == nil {
		return &secureconnection.RequestUrlsResponse{}, nil
	}
	return &secureconnection.RequestUrlsResponse{Result: true, URLs: st.urls}, nil
}

// TestConnectivity answers at once.
func (s *server) TestConnectivity(_ context.Context, c *rpc.Call, _ *secureconnection.TestConnectivityRequest) (*secureconnection.TestConnectivityResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	return &secureconnection.TestConnectivityResponse{}, nil
}

// UpdateURLs replaces the console's stations.
func (s *server) UpdateURLs(_ context.Context, c *rpc.Call, req *secureconnection.UpdateURLsRequest) (*secureconnection.UpdateURLsResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if len(req.URLs) > maxURLs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	if !s.update(c.Session, req.URLs) {
		return nil, rpc.Fail(rmc.ResultRendezVousNotAuthenticated)
	}
	return &secureconnection.UpdateURLsResponse{}, nil
}

// ReplaceURL replaces one of the console's stations.
func (s *server) ReplaceURL(_ context.Context, c *rpc.Call, req *secureconnection.ReplaceURLRequest) (*secureconnection.ReplaceURLResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if !s.replace(c.Session, req.URL, req.New) {
		return nil, rpc.Fail(rmc.ResultRendezVousNotAuthenticated)
	}
	return &secureconnection.ReplaceURLResponse{}, nil
}

// SendReport logs a console's report (its id and size).
func (s *server) SendReport(_ context.Context, c *rpc.Call, req *secureconnection.SendReportRequest) (*secureconnection.SendReportResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	s.env.Log.Info("report", zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()),
		zap.Uint32("call_id", c.CallID), zap.Uint32("report_id", req.ReportID), zap.Int("bytes", len(req.Data)))
	return &secureconnection.SendReportResponse{}, nil
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

func (s *server) register(sess *rpc.Session, urls []rmc.StationURL) (uint32, rmc.StationURL) {
	pid := sess.PID()
	pub := publicStation(sess, urls)
	s.reg.mu.Lock()
	s.reg.nextCID++
	cid := s.reg.nextCID
	s.reg.mu.Unlock()
	pub.SetInt(rmc.URLPID, int64(pid))
	pub.SetInt(rmc.URLRVCID, int64(cid))
	s.store(sess, cid, urls, pub)
	return cid, pub
}

// store replaces the stations of the session's PID.
func (s *server) store(sess *rpc.Session, cid uint32, urls []rmc.StationURL, pub rmc.StationURL) {
	pid := sess.PID()
	stored := make([]rmc.StationURL, 0, len(urls)+1)
	for _, u := range urls {
		u = u.Clone()
		u.SetInt(rmc.URLPID, int64(pid))
		u.SetInt(rmc.URLRVCID, int64(cid))
		stored = append(stored, u)
	}
	stored = append(stored, pub)
	s.reg.mu.Lock()
	first := sess.Value(registeredKey{}) == nil
	s.reg.byPID[pid] = &station{session: sess.ID, cid: cid, urls: stored}
	s.reg.mu.Unlock()
	if first {
		sess.SetValue(registeredKey{}, cid)
		sess.OnClose(func() {
			s.reg.mu.Lock()
			if st := s.reg.byPID[pid]; st != nil && st.session == sess.ID {
				delete(s.reg.byPID, pid)
			}
			s.reg.mu.Unlock()
		})
	}
	s.env.Log.Debug("station registered", zap.String("conn", sess.ID), zap.Uint64("pid", pid), zap.Uint32("cid", cid), zap.String("public", pub.String()))
}

type registeredKey struct{}

func (s *server) lookup(pid uint64, cid uint32, anyCID bool) *station {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	st := s.reg.byPID[pid]
	if st == nil || (st.cid != cid && !(anyCID && cid == 0)) {
		return nil
	}
	return st
}

func (s *server) update(sess *rpc.Session, urls []rmc.StationURL) bool {
	cid, ok := sess.Value(registeredKey{}).(uint32)
	if !ok {
		return false
	}
	pub := publicStation(sess, urls)
	pub.SetInt(rmc.URLPID, int64(sess.PID()))
	pub.SetInt(rmc.URLRVCID, int64(cid))
	s.store(sess, cid, urls, pub)
	return true
}

func (s *server) replace(sess *rpc.Session, old, repl rmc.StationURL) bool {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	st := s.reg.byPID[sess.PID()]
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
