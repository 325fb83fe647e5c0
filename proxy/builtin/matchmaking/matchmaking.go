// Package matchmaking is nexproxy's built-in match making (services.md
// §2-§4): matchmake sessions created, joined, searched and auto-matched
// through MatchmakeExtension (109), plain gatherings and every look-up of
// MatchMaking (21) and MatchMakingExt (50), communities (persistent
// gatherings), block lists and friends' notification data, with
// notifications (protocol 14) pushed to the consoles wherever they are
// connected (builtin.Host.SendToConsole: directly here, over the bus
// elsewhere). Gatherings live in store.Gatherings, whose atomic joins keep
// concurrent auto-matchmakes from overfilling or splitting sessions; a
// game's Lua hook may change the search criteria (builtin.Host.Search),
// and a periodic sweep removes the participants of instances that died.
package matchmaking

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mmk8 "github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension/mk8"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakingext"
	"github.com/nexproxy/nexproxy/rmc/protocols/notification"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// Name is the service's name in the registry and in [games.protocols].
const Name = "matchmaking"

// Limits on what a console may store (services.md §2.7, the stricter
// reference server's values).
const (
	maxDescription = 256
	maxAttribs     = 16
	maxBuffer      = 512
	maxLocalExtra  = 4 // extra local players per console
	sessionKeyLen  = 32
	maxBrowse      = 100
	maxCriteria    = 2
	notifyTimeout  = 5 * time.Second
	leaveTimeout   = 10 * time.Second
)

// geoIPUnused is the @GIR entry's value in a new session's MatchmakeParam
// (matchmake_geo_ip_result 3, unused; services.md §2.7).
const geoIPUnused = 3

// Gathering flags the service acts on (services.md §2.4).
const (
	flagNotifyAll    = 0x400
	flagNotifyAllNew = 0x800
)

// Notification types (services.md §4).
const (
	notifyParticipation = 3001
	notifyDisconnected  = 3007
	notifyEnded         = 3008
	notifyOwnerChanged  = 4000
	notifyUnregistered  = 109000
	notifyHostChanged   = 110000
	notifyAdded         = 122000
)

func init() {
	builtin.Register(builtin.Service{
		Name:      Name,
		Protocols: []uint16{mm.ProtocolID, matchmakingext.ProtocolID, matchmakeextension.ProtocolID},
		Stores:    []builtin.Store{builtin.StoreStations},
		Config:    func() any { return DefaultConfig() },
		New: func(env *builtin.Env) (builtin.Instance, error) {
			if env.Host == nil || env.Host.Stores == nil || env.Host.Stores.Gatherings == nil {
				return nil, errors.New("matchmaking: no gatherings store (store.backends.gatherings)")
			}
			cfg, _ := env.Settings.(*Config)
			if cfg == nil {
				cfg = DefaultConfig()
			}
			s := &server{env: env, gs: env.Host.Stores.Gatherings, stations: env.Host.Stores.Stations, cfg: *cfg}
			s.atStart()
			if env.Env != nil {
				env.OnSecureStart(func(sess *rpc.Session) { s.watch(sess) })
			}
			// A proxied game's consoles register their stations upstream,
			// so presence elsewhere is unknown here: no sweep for it.
			if cfg.GhostSweep > 0 && env.Game.Local() {
				s.sweeper = s.startSweeper(cfg.GhostSweep)
			}
			return s, nil
		},
	})
}

// server serves protocols 21, 50 and 109 for one game.
type server struct {
	env      *builtin.Env
	gs       store.Gatherings
	stations store.Stations
	cfg      Config     // [games.matchmaking]
	trackMu  sync.Mutex // makes track's check-then-set atomic
	sweeper  *sweeper   // nil when ghost_sweep is 0
}

// Close stops the ghost sweep.
func (s *server) Close() error {
	if s.sweeper != nil {
		s.sweeper.stop()
	}
	return nil
}

// Install puts the match making methods on the game's mux.
func (s *server) Install(m *rpc.Mux) error {
	if err := mm.Register(m, Name, s); err != nil {
		return err
	}
	if err := matchmakingext.Register(m, Name, extServer{s}); err != nil {
		return err
	}
	if s.isMK8() {
		v := mk8Server{s}
		if err := matchmakeextension.Register(m, Name, v); err != nil {
			return err
		}
		return mmk8.Register(m, Name, v)
	}
	return matchmakeextension.Register(m, Name, s)
}

func (s *server) game() string { return s.env.Game.Name }

func (s *server) logger(c *rpc.Call) *zap.Logger {
	return s.env.Log.With(zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()), zap.Uint32("call_id", c.CallID))
}

// failed maps the store's errors to results; others are logged and
// answered with Core::Exception.
func (s *server) failed(c *rpc.Call, what string, err error) error {
	var re *rpc.ResultError
	switch {
	case errors.As(err, &re):
		return err
	case errors.Is(err, store.ErrNotFound):
		return rpc.Fail(rmc.ResultRendezVousSessionVoid)
	case errors.Is(err, store.ErrGatheringFull):
		return rpc.Fail(rmc.ResultRendezVousSessionFull)
	case errors.Is(err, store.ErrExists):
		return rpc.Fail(rmc.ResultRendezVousAlreadyParticipatedGathering)
	case errors.Is(err, store.ErrNotParticipant):
		return rpc.Fail(rmc.ResultRendezVousNotParticipatedGathering)
	case errors.Is(err, store.ErrInvalid):
		return rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	s.logger(c).Error("matchmaking: "+what, zap.Error(err))
	return rpc.Failf(rmc.ResultCoreException, err)
}

// sessionKey is the per-connection key of the session's *joined.
type sessionKey struct{}

// joined is what one connection entered itself. When the connection ends
// its console leaves these gatherings, and, when the console went offline
// with it, every other gathering that lists its PID (disconnected). A
// stale connection (its console reconnected) thus never removes the places
// the new connection took.
type joined struct {
	mu   sync.Mutex
	gids map[uint32]bool
	// notices: the connection published notification data, which ends
	// with it.
	notices bool
}

func (j *joined) published() {
	j.mu.Lock()
	j.notices = true
	j.mu.Unlock()
}

func (j *joined) hasNotices() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.notices
}

func (j *joined) add(gid uint32) {
	j.mu.Lock()
	j.gids[gid] = true
	j.mu.Unlock()
}

func (j *joined) remove(gid uint32) {
	j.mu.Lock()
	delete(j.gids, gid)
	j.mu.Unlock()
}

func (j *joined) list() []uint32 {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]uint32, 0, len(j.gids))
	for gid := range j.gids {
		out = append(out, gid)
	}
	slices.Sort(out)
	return out
}

// track returns what the caller's connection joined (watch).
func (s *server) track(c *rpc.Call) *joined { return s.watch(c.Session) }

// watch returns what sess joined, registering on its first use that the
// end of sess runs disconnected. A local game's sessions are watched from
// their start (OnSecureStart), so that a console other consoles put in
// gatherings (additional participants) leaves them too; elsewhere a
// session is watched from its first matchmaking call or its first
// addition by another console of this instance (watchPID). trackMu makes
// the look-up and the registration one step, so two concurrent calls
// cannot register twice.
func (s *server) watch(sess *rpc.Session) *joined {
	s.trackMu.Lock()
	defer s.trackMu.Unlock()
	if j, ok := sess.Value(sessionKey{}).(*joined); ok {
		return j
	}
	j := &joined{gids: map[uint32]bool{}}
	sess.SetValue(sessionKey{}, j)
	pid := sess.PID()
	sess.OnClose(func() { s.disconnected(sess, pid, j) })
	return j
}

// watchPID watches the session of pid when its console is connected to
// this instance (a console the caller adds to a gathering).
func (s *server) watchPID(pid uint64) {
	if s.env.Console == nil {
		return
	}
	if sess := s.env.Console(pid); sess != nil {
		s.watch(sess)
	}
}

// disconnected is the disconnect procedure of services.md §2.9 for a
// connection that ended: the console leaves the gatherings places
// returns, each with the notifications of a leave (3007 and the rest,
// notifyLeave), communities keeping it unless flag 0x40; the notification
// data the connection published becomes inactive.
func (s *server) disconnected(sess *rpc.Session, pid uint64, j *joined) {
	ctx, cancel := context.WithTimeout(context.Background(), leaveTimeout)
	defer cancel()
	log := s.env.Log.With(zap.String("conn", sess.ID), zap.Uint64("pid", pid))
	for _, id := range s.places(ctx, sess, pid, j) {
		if _, err := s.leaveGone(ctx, pid, id); err != nil {
			log.Error("matchmaking: leave on disconnect", zap.Uint32("gid", id), zap.Error(err))
		}
	}
	if j.hasNotices() {
		if err := s.gs.EndNotices(ctx, s.game(), pid); err != nil {
			log.Error("matchmaking: end notification data on disconnect", zap.Error(err))
		}
	}
}

// places returns the gatherings the end of sess makes pid leave: those
// the connection joined itself and, when the console's place in the game
// ended with it, every other gathering that lists the PID (services.md
// §2.9: also those other consoles added it to; §8: before a new
// connection of the console serves a call). That is the case when sess
// is still its PID's session here and no other instance holds the
// console's presence, and when a newer connection of the console replaced
// sess here: the new one serves its first call only once sess ended, and
// the gatherings it joined itself, should it have started already, are
// kept. Otherwise (a PID many consoles share, a console now connected to
// another instance, a store error) only the connection's own gatherings.
func (s *server) places(ctx context.Context, sess *rpc.Session, pid uint64, j *joined) []uint32 {
	own := j.list()
	if pid == 0 || s.env.Console == nil {
		return own
	}
	var keep []uint32
	switch cur := s.env.Console(pid); {
	case cur == nil:
		return own
	case cur == sess:
		if s.stations != nil {
			st, err := s.stations.Get(ctx, s.game(), pid)
			if err == nil && st.Owner.Instance != s.env.Host.Instance || err != nil && !isNotFound(err) {
				return own
			}
		}
	default:
		if nj, ok := cur.Value(sessionKey{}).(*joined); ok {
			keep = nj.list()
		}
	}
	all, err := s.gs.OfPID(ctx, s.game(), pid)
	if err != nil {
		s.env.Log.Warn("matchmaking: gatherings of a disconnected console; it leaves only those it joined itself",
			zap.String("conn", sess.ID), zap.Uint64("pid", pid), zap.Error(err))
		return own
	}
	out := own
	for _, id := range all {
		if !slices.Contains(own, id) && !slices.Contains(keep, id) {
			out = append(out, id)
		}
	}
	return out
}

// leaveGone makes pid leave gathering id as a disconnect does (services.md
// §2.9): a community keeps it unless flag 0x40; the others hear 3007 and
// the rest of the leave's notifications. A gathering that is gone or no
// longer lists pid is no error. It reports whether pid left.
func (s *server) leaveGone(ctx context.Context, pid uint64, id uint32) (bool, error) {
	g, err := s.gs.Get(ctx, s.game(), id)
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, err
	}
	if g.Kind == store.KindPersistent && g.Flags&flagLeaveOnDisconnect == 0 {
		return false, nil
	}
	res, err := s.gs.Leave(ctx, s.game(), id, pid)
	if err != nil {
		if isNotFound(err) || errors.Is(err, store.ErrNotParticipant) {
			return false, nil // left meanwhile (another instance swept it first)
		}
		return false, err
	}
	s.notifyLeave(ctx, pid, res, notifyDisconnected, "")
	return true, nil
}

// session converts an AnyData from the console to a store gathering.
// Only MatchmakeSession holders are sessions (RegisterGathering takes the
// other classes).
func (s *server) session(c *rpc.Call, a typed.AnyData) (*mm.MatchmakeSession, error) {
	ms, ok := a.Value.(*mm.MatchmakeSession)
	if !ok || ms == nil {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	return checkSession(ms)
}

// checkSession applies the limits of services.md §2.7 to a session from
// the console. A max_participants of 0 is no limit (§2.8; store.HasRoom).
func checkSession(ms *mm.MatchmakeSession) (*mm.MatchmakeSession, error) {
	if len(ms.Description) > maxDescription || len(ms.Attribs) > maxAttribs || len(ms.ApplicationData) > maxBuffer ||
		ms.ProgressScore > 100 || ms.MaxParticipants != 0 && ms.MinParticipants > ms.MaxParticipants {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	return ms, nil
}

// newGathering is what Create and auto-matchmake's create branch store
// (services.md §2.7): the client's session with a new key, the caller as
// owner and host, started now, and the MatchmakeParam entries the server
// adds: @SR = true and @GIR = 3 (geo-IP lookup unused).
func (s *server) newGathering(c *rpc.Call, ms *mm.MatchmakeSession) (store.Gathering, error) {
	cp := *ms
	cp.SessionKey = make([]byte, sessionKeyLen)
	if _, err := rand.Read(cp.SessionKey); err != nil {
		return store.Gathering{}, s.failed(c, "session key", err)
	}
	cp.StartedTime = rmc.Now()
	cp.SystemPasswordEnabled = false
	stripPrivate(&cp) // a console never sets the server's own entries
	// A copy: the console's request keeps its own params.
	cp.Param.Params = slices.Clone(cp.Param.Params)
	cp.Param.Params.Set("@SR", rmc.Variant{Type: rmc.VariantBool, Value: true})
	cp.Param.Params.Set("@GIR", rmc.VariantOfInt(geoIPUnused))
	pid := c.Session.PID()
	cp.Owner, cp.Host = pid, pid
	g := toStore(&cp, c.Session.Settings)
	g.Game = s.game()
	return g, nil
}

// toStore keeps the columns the store filters on and the whole encoded
// session as Extra, so version-dependent fields survive unchanged.
func toStore(ms *mm.MatchmakeSession, set rmc.Settings) store.Gathering {
	g := storeColumns(ms)
	g.ApplicationBuffer = append([]byte(nil), ms.ApplicationData...)
	g.SessionKey = append([]byte(nil), ms.SessionKey...)
	e := typed.NewEncoder(set)
	ms.EncodeTo(e)
	if b, err := e.Close(nil, "MatchmakeSession"); err == nil {
		g.Extra = b
	}
	return g
}

// storeColumns is toStore's filter columns alone (no Extra, no buffers):
// what a search compares sessions with.
func storeColumns(ms *mm.MatchmakeSession) store.Gathering {
	return store.Gathering{
		ID: ms.ID, Owner: ms.Owner, Host: ms.Host, MinParticipants: ms.MinParticipants, MaxParticipants: ms.MaxParticipants,
		ParticipationPolicy: ms.ParticipationPolicy, PolicyArgument: ms.PolicyArgument, Flags: ms.Flags, State: ms.State,
		Description: ms.Description, GameMode: ms.GameMode, Attributes: append([]uint32(nil), ms.Attribs...),
		OpenParticipation: ms.OpenParticipation, MatchmakeSystem: ms.MatchmakeSystem, ProgressScore: ms.ProgressScore,
	}
}

// fromStore rebuilds the session a console sees.
func fromStore(g *store.Gathering, set rmc.Settings) *mm.MatchmakeSession {
	ms, ok := rawSession(g, set)
	if !ok {
		ms = &mm.MatchmakeSession{}
		ms.SetDefaults()
	}
	stripPrivate(ms)
	ms.ID, ms.Owner, ms.Host = g.ID, g.Owner, g.Host
	ms.MinParticipants, ms.MaxParticipants = g.MinParticipants, g.MaxParticipants
	ms.ParticipationPolicy, ms.PolicyArgument, ms.Flags, ms.State = g.ParticipationPolicy, g.PolicyArgument, g.Flags, g.State
	ms.Description, ms.GameMode, ms.Attribs = g.Description, g.GameMode, g.Attributes
	ms.OpenParticipation, ms.MatchmakeSystem = g.OpenParticipation, g.MatchmakeSystem
	ms.ApplicationData, ms.ProgressScore, ms.SessionKey = g.ApplicationBuffer, g.ProgressScore, g.SessionKey
	ms.ParticipationCount = uint32(g.Entries())
	return ms
}

// passworded reports whether g needs a password (plain joins and
// auto-matchmake refuse those, services.md §2.6).
func passworded(g *store.Gathering, set rmc.Settings) bool {
	ms := fromStore(g, set)
	return ms.UserPasswordEnabled || ms.SystemPasswordEnabled
}

// extraOf turns a participant count (0 means 1) into extra local players.
func extraOf(n uint16) (uint16, error) {
	if n <= 1 {
		return 0, nil
	}
	if n-1 > maxLocalExtra {
		return 0, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	return n - 1, nil
}

// ---- notifications ----

// notify sends one NotificationEvent to each PID, on this instance or,
// through the host's courier, on the instance its console is connected
// to. Delivery is best effort: a console that is gone simply misses it,
// as it would on the reference servers.
func (s *server) notify(ctx context.Context, to []uint64, ev notification.NotificationEvent) {
	seen := map[uint64]bool{}
	req := notification.ProcessNotificationEventRequest{Event: ev}
	encode := func(set rmc.Settings) ([]byte, error) { return req.Encode(set) }
	for _, pid := range to {
		if pid == 0 || seen[pid] {
			continue
		}
		seen[pid] = true
		nctx, cancel := context.WithTimeout(ctx, notifyTimeout)
		_, err := s.env.Host.SendToConsole(nctx, s.env.Game.Name, pid, notification.ProtocolID, notification.MethodProcessNotificationEvent, encode, true)
		cancel()
		if err != nil && !errors.Is(err, builtin.ErrNotConnected) {
			s.env.Log.Debug("matchmaking: notification not delivered", zap.Uint64("to", pid), zap.Uint32("type", ev.Type), zap.Error(err))
		}
	}
}

func pids(g *store.Gathering) []uint64 {
	out := make([]uint64, 0, len(g.Participants))
	for _, p := range g.Participants {
		out = append(out, p.PID)
	}
	return out
}

// notifyJoin sends 3001 for a new participant: to the owner, or to every
// participant with flag 0x400/0x800; not for the owner's own join unless
// those flags are set (services.md §2.7, §4). With 0x800 the joiner then
// hears one 3001 per participant already there (§2.4, §2.8): every
// distinct PID of g but the ones the same call added (fresh; none given:
// the joiner alone).
func (s *server) notifyJoin(ctx context.Context, g *store.Gathering, joiner uint64, message string, fresh ...uint64) {
	all := g.Flags&(flagNotifyAll|flagNotifyAllNew) != 0
	if joiner == g.Owner && !all {
		return
	}
	to := []uint64{g.Owner}
	if all {
		to = pids(g)
	}
	ev := notification.NotificationEvent{
		SourcePID: joiner, Type: notifyParticipation, Param1: uint64(g.ID), Param2: joiner, Text: message,
		Param3: uint64(g.Entries()),
	}
	s.notify(ctx, to, ev)
	if g.Flags&flagNotifyAllNew == 0 {
		return
	}
	if len(fresh) == 0 {
		fresh = []uint64{joiner}
	}
	for _, p := range g.Participants {
		if !slices.Contains(fresh, p.PID) {
			ev.Param2 = p.PID
			s.notify(ctx, []uint64{joiner}, ev)
		}
	}
}

// notifyLeave sends what services.md §2.9 lists after a leave: 109000
// when the gathering ended with people left, 4000 when the owner moved,
// 110000 when the host moved, then kind (3007 or 3008) to the owner (or to
// everyone with 0x400/0x800).
func (s *server) notifyLeave(ctx context.Context, leaver uint64, res store.LeaveResult, kind uint32, message string) {
	before := &res.Before
	gid := uint64(before.ID)
	if res.Ended {
		rest := make([]uint64, 0, len(before.Participants))
		for _, p := range before.Participants {
			if p.PID != leaver {
				rest = append(rest, p.PID)
			}
		}
		s.notify(ctx, rest, notification.NotificationEvent{SourcePID: leaver, Type: notifyUnregistered, Param1: gid})
		return
	}
	after := &res.After
	rest := pids(after)
	if after.Owner != before.Owner {
		s.notify(ctx, rest, notification.NotificationEvent{SourcePID: leaver, Type: notifyOwnerChanged, Param1: gid, Param2: after.Owner})
	}
	if after.Host != before.Host {
		s.notify(ctx, rest, notification.NotificationEvent{SourcePID: leaver, Type: notifyHostChanged, Param1: gid})
	}
	to := []uint64{after.Owner}
	if after.Flags&(flagNotifyAll|flagNotifyAllNew) != 0 {
		to = rest
	}
	if after.Owner == leaver {
		// A community keeps its owner when the owner leaves it.
		to = slices.DeleteFunc(to, func(p uint64) bool { return p == leaver })
	}
	s.notify(ctx, to, notification.NotificationEvent{SourcePID: leaver, Type: kind, Param1: gid, Param2: leaver, Text: message})
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func notificationUnregistered(source uint64, gid uint32) notification.NotificationEvent {
	return notification.NotificationEvent{SourcePID: source, Type: notifyUnregistered, Param1: uint64(gid)}
}
