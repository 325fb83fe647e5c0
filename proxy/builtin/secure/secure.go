// Package secure is nexproxy's built-in secure connection server
// (protocol 11): consoles register their station URLs, learn their public
// address and look up other stations. Stations live in the stations store
// (presence, with leases), shared by every instance that serves the game,
// and each registration gets a connection id (RVCID) unique among them.
// It serves a game exactly when the game has no upstream.
package secure

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
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
		Stores:    []builtin.Store{builtin.StoreStations},
		New: func(env *builtin.Env) (builtin.Instance, error) {
			if env.Env == nil || env.Log == nil {
				return nil, fmt.Errorf("secure: incomplete environment")
			}
			s := &server{env: env.Env, stations: env.Host.Stores.Stations, instance: env.Host.Instance,
				live: map[uint64]held{}, stop: make(chan struct{}), stopped: make(chan struct{})}
			env.OnSecureStart(s.started)
			go s.refresh()
			return s, nil
		},
	})
}

// maxURLs bounds how many URLs one console may register.
const maxURLs = 16

// Presence leases: an entry lives leaseTTL unless its owner refreshes it,
// which it does every leaseRefresh while the console stays connected, so
// an instance that dies leaves no ghost for longer than leaseTTL.
const (
	leaseTTL = 2 * time.Minute
	// presenceTimeout bounds taking the lease when a session starts.
	presenceTimeout = 10 * time.Second
)

// leaseRefresh is how often an instance refreshes the leases it holds,
// and so how soon it notices that a console connected again to another
// instance (a variable for tests).
var leaseRefresh = leaseTTL / 4

// held is a presence entry this instance holds, with the session that
// holds it.
type held struct {
	owner store.Owner
	sess  *rpc.Session
}

// server serves protocol 11 for one game, on secure connections only.
// What consoles register lives in the stations store, shared by every
// instance that serves the game.
type server struct {
	env      *proxy.Env
	stations store.Stations
	instance string

	mu   sync.Mutex
	live map[uint64]held // the consoles whose presence this instance holds

	stop, stopped chan struct{}
	once          sync.Once
}

// Close stops refreshing the leases; the entries run out on their own.
func (s *server) Close() error {
	s.once.Do(func() { close(s.stop) })
	<-s.stopped
	return nil
}

// refresh extends the leases of the stations this instance owns.
func (s *server) refresh() {
	defer close(s.stopped)
	t := time.NewTicker(leaseRefresh)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.mu.Lock()
		live := make(map[uint64]held, len(s.live))
		for pid, h := range s.live {
			live[pid] = h
		}
		s.mu.Unlock()
		for pid, h := range live {
			ctx, cancel := context.WithTimeout(context.Background(), leaseRefresh/2)
			err := s.stations.Touch(ctx, s.env.Game.Name, pid, h.owner, leaseTTL)
			if errors.Is(err, store.ErrNotFound) && s.replaced(ctx, pid, h) {
				err = nil
			}
			cancel()
			if err != nil {
				s.env.Log.Warn("station lease not refreshed", zap.Uint64("pid", pid), zap.Uint32("cid", h.owner.RVCID), zap.Error(err))
			}
		}
	}
}

// replaced reports whether the presence entry h held was taken by another
// connection of the console, and then disconnects h's session when it is
// still the console's here: the console connected again to another
// instance, and its connection here is a stale one that would keep
// receiving what is meant for the console (services.md §8).
func (s *server) replaced(ctx context.Context, pid uint64, h held) bool {
	st, err := s.stations.Get(ctx, s.env.Game.Name, pid)
	if err != nil || st.Owner == h.owner {
		return false
	}
	if s.env.Disconnect != nil && s.env.Disconnect(h.sess) {
		s.env.Log.Info("console connected again elsewhere: its connection here ended", zap.String("conn", h.sess.ID), zap.Uint64("pid", pid),
			zap.String("instance", st.Owner.Instance), zap.Uint32("cid", st.Owner.RVCID))
	}
	s.mu.Lock()
	if s.live[pid] == h {
		delete(s.live, pid)
	}
	s.mu.Unlock()
	return true
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
func (s *server) Register(ctx context.Context, c *rpc.Call, req *secureconnection.RegisterRequest) (*secureconnection.RegisterResponse, error) {
	cid, public, err := s.registerCall(ctx, c, req.URLs)
	if err != nil {
		return nil, err
	}
	return &secureconnection.RegisterResponse{Result: rmc.ResultSuccess, ConnectionID: cid, PublicStation: public}, nil
}

// RegisterEx is Register with login data (not checked: the secure CONNECT
// already proved who the console is).
func (s *server) RegisterEx(ctx context.Context, c *rpc.Call, req *secureconnection.RegisterExRequest) (*secureconnection.RegisterExResponse, error) {
	cid, public, err := s.registerCall(ctx, c, req.URLs)
	if err != nil {
		return nil, err
	}
	return &secureconnection.RegisterExResponse{Result: rmc.ResultSuccess, ConnectionID: cid, PublicStation: public}, nil
}

// registerCall is what Register and RegisterEx share: the secure
// connection only, a bounded list that is not empty (the public station
// is built from the console's own, services.md §1.2: Pretendo refuses a
// list without a local station), then register.
func (s *server) registerCall(ctx context.Context, c *rpc.Call, urls []rmc.StationURL) (uint32, rmc.StationURL, error) {
	if err := onSecure(c); err != nil {
		return 0, rmc.StationURL{}, err
	}
	if len(urls) == 0 || len(urls) > maxURLs {
		return 0, rmc.StationURL{}, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	return s.register(ctx, c, urls)
}

// RequestConnectionData returns the stations of pid with their connection
// id, when cid is that console's.
func (s *server) RequestConnectionData(ctx context.Context, c *rpc.Call, req *secureconnection.RequestConnectionDataRequest) (*secureconnection.RequestConnectionDataResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	st, urls, err := s.lookup(ctx, c, req.PID, req.CID)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return &secureconnection.RequestConnectionDataResponse{}, nil
	}
	out := make([]secureconnection.ConnectionData, len(urls))
	for i, u := range urls {
		out[i] = secureconnection.ConnectionData{Station: u, ConnectionID: st.Owner.RVCID}
	}
	return &secureconnection.RequestConnectionDataResponse{Result: true, ConnectionData: out}, nil
}

// RequestUrls returns the stations of the console with connection id
// cid or, when no console has it, of pid, as Pretendo does (services.md
// §1.3): the asker learnt both from a station URL, and a console that
// reconnected since has a new id but the same PID.
func (s *server) RequestUrls(ctx context.Context, c *rpc.Call, req *secureconnection.RequestUrlsRequest) (*secureconnection.RequestUrlsResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	st, urls, err := s.lookupByRVCID(ctx, c, req.CID)
	if err == nil && st == nil {
		st, urls, err = s.lookupByPID(ctx, c, req.PID)
	}
	if err != nil {
		return nil, err
	}
	if st == nil {
		return &secureconnection.RequestUrlsResponse{}, nil
	}
	return &secureconnection.RequestUrlsResponse{Result: true, URLs: urls}, nil
}

// TestConnectivity answers at once.
func (s *server) TestConnectivity(_ context.Context, c *rpc.Call, _ *secureconnection.TestConnectivityRequest) (*secureconnection.TestConnectivityResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	return &secureconnection.TestConnectivityResponse{}, nil
}

// UpdateURLs replaces the console's stations.
func (s *server) UpdateURLs(ctx context.Context, c *rpc.Call, req *secureconnection.UpdateURLsRequest) (*secureconnection.UpdateURLsResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if len(req.URLs) > maxURLs {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	cid, _, err := s.own(ctx, c)
	if err != nil {
		return nil, err
	}
	if cid == 0 {
		return nil, rpc.Fail(rmc.ResultRendezVousNotAuthenticated)
	}
	if _, err := s.store(ctx, c, cid, req.URLs); err != nil {
		return nil, err
	}
	return &secureconnection.UpdateURLsResponse{}, nil
}

// ReplaceURL replaces the console's stations at the address and port of
// req.URL by req.New, with the console's PID and RVCID (services.md §1.3,
// as Pretendo does). The console names the station as it knows it, which
// is not the stored text: the server added PID and RVCID, the console its
// own RVCID and NAT findings, so the whole URL would rarely match.
func (s *server) ReplaceURL(ctx context.Context, c *rpc.Call, req *secureconnection.ReplaceURLRequest) (*secureconnection.ReplaceURLResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	cid, urls, err := s.own(ctx, c)
	if err != nil {
		return nil, err
	}
	if cid == 0 {
		return nil, rpc.Fail(rmc.ResultRendezVousNotAuthenticated)
	}
	pid := c.Session.PID()
	repl := req.New.Clone()
	repl.SetInt(rmc.URLPID, int64(pid))
	repl.SetInt(rmc.URLRVCID, int64(cid))
	stored := make([]string, len(urls))
	for i, u := range urls {
		if sameEndpoint(&u, &req.URL) {
			u = repl
		}
		stored[i] = u.String()
	}
	owner := store.Owner{Instance: s.instance, RVCID: cid}
	if err := s.stations.Put(ctx, store.Station{Game: s.env.Game.Name, PID: pid, Owner: owner, URLs: stored}, leaseTTL); err != nil {
		return nil, s.failed(c, "store station", err)
	}
	return &secureconnection.ReplaceURLResponse{}, nil
}

// sameEndpoint reports whether both stations carry an address and a port
// and they are equal.
func sameEndpoint(a, b *rmc.StationURL) bool {
	aa, ok1 := a.Address()
	ap, ok2 := a.Port()
	ba, ok3 := b.Address()
	bp, ok4 := b.Port()
	return ok1 && ok2 && ok3 && ok4 && aa == ba && ap == bp
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

// registeredKey is the Session value holding the session's connection id
// once it registered.
type registeredKey struct{}

// presenceKey is the Session value holding the owner of the presence
// entry the session holds (and refreshes) until it ends.
type presenceKey struct{}

// started takes the presence lease of a console whose secure session
// starts: an entry without stations, with a connection id of its own, so
// that every instance sharing the store sees the console as connected
// (the ghost sweeps, the courier's deliveries) before it calls Register,
// which then fills the same entry in. It runs before the session serves
// its first call. Without the entry the console still plays; its
// Register takes the lease.
func (s *server) started(sess *rpc.Session) {
	pid := sess.PID()
	if pid == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), presenceTimeout)
	defer cancel()
	cid, err := s.stations.AllocateRVCID(ctx, s.env.Game.Name)
	if err == nil {
		owner := store.Owner{Instance: s.instance, RVCID: cid}
		if err = s.stations.Put(ctx, store.Station{Game: s.env.Game.Name, PID: pid, Owner: owner}, leaseTTL); err == nil {
			s.hold(sess, pid, owner)
			return
		}
	}
	s.env.Log.Warn("presence lease not taken at connection; Register will take it", zap.String("conn", sess.ID), zap.Uint64("pid", pid), zap.Error(err))
}

// hold makes the session keep owner's entry alive (refresh) until it
// ends (forget), once per session.
func (s *server) hold(sess *rpc.Session, pid uint64, owner store.Owner) {
	s.mu.Lock()
	if sess.Value(presenceKey{}) != nil {
		s.mu.Unlock()
		return
	}
	sess.SetValue(presenceKey{}, owner)
	h := held{owner: owner, sess: sess}
	s.live[pid] = h
	s.mu.Unlock()
	sess.OnClose(func() { s.forget(pid, h) })
}

func (s *server) failed(c *rpc.Call, what string, err error) error {
	s.env.Log.Error("secure: "+what, zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()), zap.Uint32("call_id", c.CallID), zap.Error(err))
	return rpc.Failf(rmc.ResultCoreException, err)
}

// register records the console's stations (a first Register gives the
// connection its id) and returns the id and the public station.
func (s *server) register(ctx context.Context, c *rpc.Call, urls []rmc.StationURL) (uint32, rmc.StationURL, error) {
	sess := c.Session
	cid, ok := sess.Value(registeredKey{}).(uint32)
	if !ok {
		// The presence entry's id, when the session took one at its start.
		owner, _ := sess.Value(presenceKey{}).(store.Owner)
		cid = owner.RVCID
	}
	if cid == 0 {
		var err error
		if cid, err = s.stations.AllocateRVCID(ctx, s.env.Game.Name); err != nil {
			return 0, rmc.StationURL{}, s.failed(c, "allocate connection id", err)
		}
	}
	pub, err := s.store(ctx, c, cid, urls)
	if err != nil {
		return 0, rmc.StationURL{}, err
	}
	return cid, pub, nil
}

// store replaces the stations of the session's PID with urls and the
// public station built from them.
func (s *server) store(ctx context.Context, c *rpc.Call, cid uint32, urls []rmc.StationURL) (rmc.StationURL, error) {
	sess := c.Session
	pid := sess.PID()
	pub := publicStation(sess, urls)
	pub.SetInt(rmc.URLPID, int64(pid))
	pub.SetInt(rmc.URLRVCID, int64(cid))
	stored := make([]string, 0, len(urls)+1)
	for _, u := range urls {
		u = u.Clone()
		u.SetInt(rmc.URLPID, int64(pid))
		u.SetInt(rmc.URLRVCID, int64(cid))
		stored = append(stored, u.String())
	}
	stored = append(stored, pub.String())
	owner := store.Owner{Instance: s.instance, RVCID: cid}
	if err := s.stations.Put(ctx, store.Station{Game: s.env.Game.Name, PID: pid, Owner: owner, URLs: stored}, leaseTTL); err != nil {
		return rmc.StationURL{}, s.failed(c, "store station", err)
	}
	if sess.Value(registeredKey{}) == nil {
		sess.SetValue(registeredKey{}, cid)
		s.hold(sess, pid, owner)
	}
	s.env.Log.Debug("station registered", zap.String("conn", sess.ID), zap.Uint64("pid", pid), zap.Uint32("cid", cid), zap.String("public", pub.String()))
	return pub, nil
}

// forget removes a closed connection's stations, unless a newer
// connection of the console (on any instance) replaced them.
func (s *server) forget(pid uint64, h held) {
	owner := h.owner
	s.mu.Lock()
	if s.live[pid] == h {
		delete(s.live, pid)
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.stations.Delete(ctx, s.env.Game.Name, pid, owner); err != nil {
		s.env.Log.Warn("station not removed; its lease will end it", zap.Uint64("pid", pid), zap.Uint32("cid", owner.RVCID), zap.Error(err))
	}
}

// lookup returns the stations of pid when cid is its connection's; nil
// when there is none (or another connection's).
func (s *server) lookup(ctx context.Context, c *rpc.Call, pid uint64, cid uint32) (*store.Station, []rmc.StationURL, error) {
	st, urls, err := s.lookupByPID(ctx, c, pid)
	if err != nil || st == nil || st.Owner.RVCID != cid {
		return nil, nil, err
	}
	return st, urls, nil
}

// lookupByPID returns the stations of pid, whatever its connection; nil
// when there is none.
func (s *server) lookupByPID(ctx context.Context, c *rpc.Call, pid uint64) (*store.Station, []rmc.StationURL, error) {
	st, err := s.stations.Get(ctx, s.env.Game.Name, pid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, s.failed(c, "look up station", err)
	}
	return stationURLs(st)
}

// lookupByRVCID returns the stations of the console with connection id
// cid; nil when there is none.
func (s *server) lookupByRVCID(ctx context.Context, c *rpc.Call, cid uint32) (*store.Station, []rmc.StationURL, error) {
	if cid == 0 {
		return nil, nil, nil
	}
	st, err := s.stations.GetByRVCID(ctx, s.env.Game.Name, cid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, s.failed(c, "look up station", err)
	}
	return stationURLs(st)
}

// stationURLs parses an entry's stations; nil for the presence of a
// console that has not registered yet.
func stationURLs(st store.Station) (*store.Station, []rmc.StationURL, error) {
	if len(st.URLs) == 0 {
		return nil, nil, nil
	}
	urls := make([]rmc.StationURL, 0, len(st.URLs))
	for _, raw := range st.URLs {
		u, err := rmc.ParseStationURL(raw)
		if err != nil {
			continue // written by this service, so never; skip rather than fail
		}
		urls = append(urls, u)
	}
	return &st, urls, nil
}

// own returns the stations of the session's own registration, nil when
// it has none (or another connection of the console replaced them).
func (s *server) own(ctx context.Context, c *rpc.Call) (uint32, []rmc.StationURL, error) {
	cid, ok := c.Session.Value(registeredKey{}).(uint32)
	if !ok {
		return 0, nil, nil
	}
	st, urls, err := s.lookup(ctx, c, c.Session.PID(), cid)
	if err != nil || st == nil || st.Owner.Instance != s.instance {
		return 0, nil, err
	}
	return cid, urls, nil
}
