// Package nattraversal is nexproxy's built-in NAT traversal service
// (protocol 3, services.md §1.4-§1.7): it forwards probe requests to the
// consoles they name (InitiateProbe, 3/2), records the NAT type consoles
// report in their stored stations, and accepts their traversal reports.
//
// Probe targets are found by the RVCID of their station URL in the
// stations store, then sent through builtin.Host.SendToConsole: directly
// to a session of this instance, over the bus to the instance that owns
// the target's connection otherwise.
package nattraversal

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/rmc"
	nat "github.com/nexproxy/nexproxy/rmc/protocols/nattraversal"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Name is the service's name in the registry and in [games.protocols].
const Name = "nattraversal"

// Limits: a request names at most maxTargets consoles (more are ignored,
// a match never has that many peers), at most maxInFlight InitiateProbe
// calls of the game wait for their answer at once (more are dropped: the
// console retries its probe), and each waits at most probeTimeout.
const (
	maxTargets   = 32
	maxInFlight  = 256
	probeTimeout = 10 * time.Second
	storeTimeout = 5 * time.Second
)

// The bits of a station URL's type (services.md §1.2).
const (
	urlTypeBehindNAT = 1
	urlTypePublic    = 2
)

func init() {
	builtin.Register(builtin.Service{
		Name:      Name,
		Protocols: []uint16{nat.ProtocolID},
		Stores:    []builtin.Store{builtin.StoreStations},
		New: func(env *builtin.Env) (builtin.Instance, error) {
			if env.Env == nil || env.Log == nil || env.Game == nil {
				return nil, errors.New("nattraversal: incomplete environment")
			}
			if env.Host == nil || env.Host.Stores == nil || env.Host.Stores.Stations == nil {
				return nil, errors.New("nattraversal: no stations store")
			}
			return newServer(env), nil
		},
	})
}

// server serves protocol 3 for one game.
type server struct {
	env      *builtin.Env
	stations store.Stations
	instance string
	log      *zap.Logger

	// ctx ends the InitiateProbe calls still waiting when the service
	// closes; wg waits for them; slots bounds them.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	slots  chan struct{}
}

func newServer(env *builtin.Env) *server {
	ctx, cancel := context.WithCancel(context.Background())
	return &server{env: env, stations: env.Host.Stores.Stations, instance: env.Host.Instance,
		log: env.Log, ctx: ctx, cancel: cancel, slots: make(chan struct{}, maxInFlight)}
}

// Install puts the NAT traversal methods on the game's mux.
func (s *server) Install(m *rpc.Mux) error { return nat.Register(m, Name, s) }

// Close ends the probe requests still in flight and waits for them.
func (s *server) Close() error {
	s.cancel()
	s.wg.Wait()
	return nil
}

var _ nat.Server = (*server)(nil)

// onSecure passes calls that arrive on the authentication connection on:
// protocol 3 belongs to the secure server.
func onSecure(c *rpc.Call) error {
	if c.Session.Leg != rpc.LegSecure {
		return rpc.ErrPass
	}
	return nil
}

// callFields are the log fields naming a call.
func callFields(c *rpc.Call) []zap.Field {
	return []zap.Field{zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()), zap.Uint32("call_id", c.CallID)}
}

// RequestProbeInitiation asks each target to probe the caller. The
// request names no station, and neither reference server implements it
// (services.md §1.5), so the station sent is the caller's public one as
// registered (its first URL if none is public): the station its peers
// would probe after RequestProbeInitiationExt.
func (s *server) RequestProbeInitiation(ctx context.Context, c *rpc.Call, req *nat.RequestProbeInitiationRequest) (*nat.RequestProbeInitiationResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	station, ok := s.callerStation(ctx, c)
	if !ok {
		s.log.Debug("nattraversal: probe request from a console without stations; nothing to probe", callFields(c)...)
		return &nat.RequestProbeInitiationResponse{}, nil
	}
	s.probe(ctx, c, req.TargetURLs, station)
	return &nat.RequestProbeInitiationResponse{}, nil
}

// RequestProbeInitiationExt asks each target to probe station_to_probe,
// which is forwarded verbatim (services.md §1.5).
func (s *server) RequestProbeInitiationExt(ctx context.Context, c *rpc.Call, req *nat.RequestProbeInitiationExtRequest) (*nat.RequestProbeInitiationExtResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	s.probe(ctx, c, req.TargetURLs, req.StationToProbe)
	return &nat.RequestProbeInitiationExtResponse{}, nil
}

// InitiateProbe is a call the server makes on consoles; a console that
// sends it gets an empty success (nothing to do), as a method the
// protocol has.
func (s *server) InitiateProbe(_ context.Context, c *rpc.Call, _ *nat.InitiateProbeRequest) (*nat.InitiateProbeResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	s.log.Debug("nattraversal: InitiateProbe from a console ignored", callFields(c)...)
	return &nat.InitiateProbeResponse{}, nil
}

// callerStation returns the caller's registered station to probe: the
// public one, else the first.
func (s *server) callerStation(ctx context.Context, c *rpc.Call) (rmc.StationURL, bool) {
	st, ok := s.own(ctx, c)
	if !ok {
		return rmc.StationURL{}, false
	}
	var first rmc.StationURL
	found := false
	for _, raw := range st.URLs {
		u, err := rmc.ParseStationURL(raw)
		if err != nil {
			continue
		}
		if t, ok := u.Int(rmc.URLType); ok && t&urlTypePublic != 0 {
			return u, true
		}
		if !found {
			first, found = u, true
		}
	}
	return first, found
}

// probe sends InitiateProbe(station) to each target connected to this
// instance, without waiting for their answers: the caller's call must
// not wait on other consoles.
func (s *server) probe(ctx context.Context, c *rpc.Call, targets []rmc.StationURL, station rmc.StationURL) {
	if len(targets) > maxTargets {
		s.log.Debug("nattraversal: probe targets beyond the limit ignored", append(callFields(c), zap.Int("targets", len(targets)), zap.Int("limit", maxTargets))...)
		targets = targets[:maxTargets]
	}
	seen := make(map[uint32]bool, len(targets))
	for _, t := range targets {
		raw, ok := t.Get(rmc.URLRVCID)
		cid, err := strconv.ParseUint(raw, 10, 32)
		if !ok || err != nil || cid == 0 {
			s.log.Debug("nattraversal: probe target without a connection id skipped", append(callFields(c), zap.String("target", t.String()))...)
			continue
		}
		if seen[uint32(cid)] {
			continue
		}
		seen[uint32(cid)] = true
		s.probeOne(ctx, c, uint32(cid), station)
	}
}

// probeOne sends InitiateProbe to the console with connection id cid.
func (s *server) probeOne(ctx context.Context, c *rpc.Call, cid uint32, station rmc.StationURL) {
	fields := append(callFields(c), zap.Uint32("target_cid", cid))
	lctx, cancel := context.WithTimeout(ctx, storeTimeout)
	st, err := s.stations.GetByRVCID(lctx, s.env.Game.Name, cid)
	cancel()
	if errors.Is(err, store.ErrNotFound) {
		s.log.Debug("nattraversal: probe target not connected; skipped", fields...)
		return
	}
	if err != nil {
		s.log.Warn("nattraversal: probe target not looked up; skipped", append(fields, zap.Error(err))...)
		return
	}
	fields = append(fields, zap.Uint64("target_pid", st.PID), zap.String("target_instance", st.Owner.Instance))
	encode := func(set rmc.Settings) ([]byte, error) {
		return (&nat.InitiateProbeRequest{StationToProbe: station}).Encode(set)
	}
	select {
	case s.slots <- struct{}{}:
	default:
		s.log.Warn("nattraversal: too many probe requests in flight; one dropped", fields...)
		return
	}
	s.wg.Add(1)
	// Sent without waiting (the caller's call must not wait on its
	// peers); a target on another instance gets it through the host's
	// courier, which logs the answer there.
	go func() {
		defer s.wg.Done()
		defer func() { <-s.slots }()
		pctx, cancel := context.WithTimeout(s.ctx, probeTimeout)
		defer cancel()
		m, err := s.env.Host.SendToConsole(pctx, s.env.Game.Name, st.PID, nat.ProtocolID, nat.MethodInitiateProbe, encode, false)
		switch {
		case errors.Is(err, builtin.ErrNotConnected):
			s.log.Debug("nattraversal: probe target has no session; skipped", fields...)
		case err != nil:
			s.log.Debug("nattraversal: InitiateProbe not answered", append(fields, zap.Error(err))...)
		case m != nil && m.Error != 0:
			s.log.Debug("nattraversal: InitiateProbe refused", append(fields, zap.Stringer("result", m.Error))...)
		case m == nil && st.Owner.Instance != s.instance:
			s.log.Debug("nattraversal: InitiateProbe passed to the target's instance", fields...)
		default:
			s.log.Debug("nattraversal: InitiateProbe sent", fields...)
		}
	}()
}

// rttKey is the Session value holding the round trip time the console
// last reported, for the traversal result logs.
type rttKey struct{}

// ReportNATProperties records the caller's NAT type in its stored
// stations so that its peers receive it (services.md §1.4). The
// reference servers disagree on which URLs get natm/natf; this follows
// Pretendo: the URLs without the public bit (the local ones), since the
// public URL describes the address nexproxy observed, not the console's
// own findings. PID and RVCID are set on every URL, as both do.
func (s *server) ReportNATProperties(ctx context.Context, c *rpc.Call, req *nat.ReportNATPropertiesRequest) (*nat.ReportNATPropertiesResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	c.Session.SetValue(rttKey{}, req.RTT)
	fields := append(callFields(c), zap.Uint32("natm", req.Natm), zap.Uint32("natf", req.Natf), zap.Uint32("rtt", req.RTT))
	st, ok := s.own(ctx, c)
	if !ok {
		s.log.Debug("nattraversal: NAT properties of a console without stations; not recorded", fields...)
		return &nat.ReportNATPropertiesResponse{}, nil
	}
	st.URLs = withNATProperties(st.URLs, st.PID, st.Owner.RVCID, req.Natm, req.Natf)
	// Keep the lease the secure service granted: this service does not
	// decide how long a station lives.
	ttl := time.Until(st.Expires)
	if st.Expires.IsZero() || ttl <= 0 {
		s.log.Debug("nattraversal: station lease ended; NAT properties not recorded", fields...)
		return &nat.ReportNATPropertiesResponse{}, nil
	}
	pctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	if err := s.stations.Put(pctx, st, ttl); err != nil {
		s.log.Error("nattraversal: store station", append(fields, zap.Error(err))...)
		return nil, rpc.Failf(rmc.ResultCoreException, fmt.Errorf("nattraversal: store station: %w", err))
	}
	s.log.Debug("nattraversal: NAT properties recorded", fields...)
	return &nat.ReportNATPropertiesResponse{}, nil
}

// withNATProperties returns urls with natm/natf set on those without the
// public bit (Pretendo's choice) and PID/RVCID on all. A console that
// registered its own station as public (type 2) has no such URL; its
// properties then go on the public behind-NAT station built at Register
// (type 3, the seed server's choice), so that its peers still receive
// them. A URL that does not parse (never: the secure service wrote them)
// is kept as it is.
func withNATProperties(urls []string, pid uint64, cid uint32, natm, natf uint32) []string {
	parsed := make([]rmc.StationURL, len(urls))
	ok := make([]bool, len(urls))
	private := false
	for i, raw := range urls {
		u, err := rmc.ParseStationURL(raw)
		if err != nil {
			continue
		}
		parsed[i], ok[i] = u, true
		if t, _ := u.Int(rmc.URLType); t&urlTypePublic == 0 {
			private = true
		}
	}
	out := make([]string, len(urls))
	for i, raw := range urls {
		if !ok[i] {
			out[i] = raw
			continue
		}
		u := parsed[i]
		t, _ := u.Int(rmc.URLType)
		if private && t&urlTypePublic == 0 || !private && t&urlTypeBehindNAT != 0 {
			u.SetInt(rmc.URLNatMapping, int64(natm))
			u.SetInt(rmc.URLNatFiltering, int64(natf))
		}
		u.SetInt(rmc.URLPID, int64(pid))
		u.SetInt(rmc.URLRVCID, int64(cid))
		out[i] = u.String()
	}
	return out
}

// own returns the caller's station entry when the caller's connection
// owns it: the entry belongs to this instance and the caller's session is
// the PID's current one here (a newer connection of the console ends the
// older before serving it, so the current session is the owner).
func (s *server) own(ctx context.Context, c *rpc.Call) (store.Station, bool) {
	pid := c.Session.PID()
	if pid == 0 || s.env.Console == nil || s.env.Console(pid) != c.Session {
		return store.Station{}, false
	}
	gctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	st, err := s.stations.Get(gctx, s.env.Game.Name, pid)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("nattraversal: look up own station", append(callFields(c), zap.Error(err))...)
		}
		return store.Station{}, false
	}
	if st.Owner.Instance != s.instance {
		return store.Station{}, false
	}
	return st, true
}

// rtt returns the round trip time the session last reported, if any.
func rtt(sess *rpc.Session) (uint32, bool) {
	v, ok := sess.Value(rttKey{}).(uint32)
	return v, ok
}

// ReportNATTraversalResult logs the outcome of a probe (services.md §1.6:
// the reference servers accept and ignore it).
func (s *server) ReportNATTraversalResult(_ context.Context, c *rpc.Call, req *nat.ReportNATTraversalResultRequest) (*nat.ReportNATTraversalResultResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	fields := append(callFields(c), zap.Uint32("target_cid", req.CID), zap.Bool("result", req.Result))
	if req.HasRTT {
		fields = append(fields, zap.Uint32("rtt", req.RTT))
	}
	s.log.Info("nat traversal result", s.withReportedRTT(c, fields)...)
	return &nat.ReportNATTraversalResultResponse{}, nil
}

// ReportNATTraversalResultDetail logs the outcome of a probe with its
// detail code.
func (s *server) ReportNATTraversalResultDetail(_ context.Context, c *rpc.Call, req *nat.ReportNATTraversalResultDetailRequest) (*nat.ReportNATTraversalResultDetailResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	fields := append(callFields(c), zap.Uint32("target_cid", req.CID), zap.Bool("result", req.Result),
		zap.Int32("detail", req.Detail), zap.Uint32("rtt", req.RTT))
	s.log.Info("nat traversal result", s.withReportedRTT(c, fields)...)
	return &nat.ReportNATTraversalResultDetailResponse{}, nil
}

// withReportedRTT adds the round trip time of ReportNATProperties.
func (s *server) withReportedRTT(c *rpc.Call, fields []zap.Field) []zap.Field {
	if v, ok := rtt(c.Session); ok {
		fields = append(fields, zap.Uint32("reported_rtt", v))
	}
	return fields
}

// GetRelaySignatureKey answers "no relay", as Pretendo does (services.md
// §1.6): mode 0, the current UTC time, no address, port 0, address type 0,
// game server id 0. nexproxy runs no relay server, so there is no key to
// sign relay requests with; consoles then traverse NATs directly.
func (s *server) GetRelaySignatureKey(_ context.Context, c *rpc.Call, _ *nat.GetRelaySignatureKeyRequest) (*nat.GetRelaySignatureKeyResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	return &nat.GetRelaySignatureKeyResponse{Time: rmc.Now()}, nil
}
