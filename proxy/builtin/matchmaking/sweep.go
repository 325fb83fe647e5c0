package matchmaking

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// Config is the service's settings ([games.matchmaking]).
type Config struct {
	// GhostSweep is how often this instance looks for participants whose
	// console is connected nowhere and removes them from their gatherings
	// with the notifications of a disconnect; 0 turns the sweep off
	// (default 30s). Only a local game sweeps (a proxied game's stations
	// are upstream's). See sweeper.
	GhostSweep time.Duration `mapstructure:"ghost_sweep"`
	// JoinClosedWithParam lets JoinMatchmakeSessionWithParam enter a
	// session whose participation is closed (open_participation false):
	// Splatoon's Splatfest joins the second team, as additional
	// participants of its leader, into the first team's closed room
	// (services.md §2.6, §8). The plain joins (JoinMatchmakeSession, Ex,
	// Participate) still refuse such a session, and auto-matchmake never
	// picks one. Default false: every join of a closed session answers
	// RendezVous::PermissionDenied.
	JoinClosedWithParam bool `mapstructure:"join_closed_with_param"`
}

// DefaultConfig returns the defaults of Config.
func DefaultConfig() *Config { return &Config{GhostSweep: 30 * time.Second} }

// Validate implements config.Validator.
func (c *Config) Validate(p *config.Problems) {
	if c.GhostSweep < 0 {
		p.Add("ghost_sweep", "must not be negative, got %s", c.GhostSweep)
	}
}

// sweepBatch is how many participants one store read of a sweep covers.
const sweepBatch = 500

// sweeper removes ghosts: participants left in gatherings by an instance
// that died without cleaning up. A console is connected somewhere while
// it has a session on this instance or a live station entry (the presence
// lease the secure service takes when the console's secure session starts,
// whether or not it registers stations, and keeps refreshing while it is
// connected, store.Stations); once its instance is gone the lease runs
// out, and the next sweep of any live instance makes it leave
// its gatherings as a disconnect would (3007, 4000, 110000 or 109000)
// and its notification data becomes inactive.
// Communities keep their members (unless flag 0x40), as on a disconnect.
// A ghost thus lasts at most the lease plus one sweep interval. Two
// instances sweeping the same ghost are harmless: the store's Leave
// succeeds once and only that instance notifies.
type sweeper struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startSweeper runs s.sweep every interval until stop.
func (s *server) startSweeper(interval time.Duration) *sweeper {
	ctx, cancel := context.WithCancel(context.Background())
	sw := &sweeper{cancel: cancel}
	sw.wg.Add(1)
	go func() {
		defer sw.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.sweep(ctx); err != nil && ctx.Err() == nil {
					s.env.Log.Warn("matchmaking: ghost sweep", zap.Error(err))
				}
			}
		}
	}()
	return sw
}

func (sw *sweeper) stop() {
	sw.cancel()
	sw.wg.Wait()
}

// connected reports whether pid's console is connected to this or
// another instance; an error counts as connected (never remove on doubt).
func (s *server) connected(ctx context.Context, pid uint64) bool {
	if s.env.Console != nil && s.env.Console(pid) != nil {
		return true
	}
	if s.stations == nil {
		return true
	}
	_, err := s.stations.Get(ctx, s.game(), pid)
	return !errors.Is(err, store.ErrNotFound)
}

// sweep walks every participant of the game's gatherings once and makes
// the ghosts leave; it returns the first store error.
func (s *server) sweep(ctx context.Context) error { return s.evictAll(ctx, s.connected) }

// startTimeout bounds the pass of atStart.
const startTimeout = 30 * time.Second

// atStart makes the consoles that are connected nowhere leave what a
// disconnect ends, once, before the service serves its first call: at
// start nobody is connected, so every console's notification data is
// inactive and its matchmake sessions are left (services.md §2.10, §4).
// Alone (store.Stores.Alone) that is every console not connected to this
// process, whatever presence an earlier run left in the store; sharing
// the stores with other instances it is those without a live presence
// entry (a local game only, as for the sweep: a proxied game's presence
// is upstream's), and the consoles of a dead instance follow once their
// lease ran out, at a sweep.
func (s *server) atStart() {
	alone := s.env.Host.Stores.Alone
	if !alone && !s.env.Game.Local() {
		return
	}
	connected := s.connected
	if alone {
		connected = func(_ context.Context, pid uint64) bool { return s.env.Console != nil && s.env.Console(pid) != nil }
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := s.evictAll(ctx, connected); err != nil {
		s.env.Log.Warn("matchmaking: ending what the consoles connected nowhere left at start", zap.Error(err))
	}
}

// evictAll walks every participant of the game's gatherings and every
// sender of active notification data once and evicts those whose console
// connected says is gone; it returns the first store error.
func (s *server) evictAll(ctx context.Context, connected func(context.Context, uint64) bool) error {
	var after *uint64
	for {
		pids, err := s.gs.Members(ctx, s.game(), after, sweepBatch)
		if err != nil {
			return err
		}
		for _, pid := range pids {
			if !connected(ctx, pid) {
				if err := s.evict(ctx, pid); err != nil {
					return err
				}
			}
		}
		if len(pids) < sweepBatch {
			return nil
		}
		after = &pids[len(pids)-1]
	}
}

// evict makes a ghost leave its gatherings as a disconnect does.
func (s *server) evict(ctx context.Context, pid uint64) error {
	ids, err := s.gs.OfPID(ctx, s.game(), pid)
	if err != nil {
		return err
	}
	for _, id := range ids {
		left, err := s.leaveGone(ctx, pid, id)
		if err != nil {
			return err
		}
		if left {
			s.env.Log.Info("matchmaking: removed a participant whose console is connected nowhere", zap.Uint64("pid", pid), zap.Uint32("gid", id))
		}
	}
	return s.gs.EndNotices(ctx, s.game(), pid)
}
