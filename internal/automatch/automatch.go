// Package automatch is the auto-matchmaking load of issue 11's
// performance target, shared by the matchmaking package's Go benchmark
// and the automatch scenario of `nexproxy bench`: N logged-in consoles
// each call AutoMatchmake(WithSearchCriteria)_Postpone once, their
// starts spread over a period, and the result tells whether every
// console ended up in exactly one full session, and how long each call
// took.
package automatch

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/peer"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// GameMode is the game mode of the sessions the consoles look for and
// offer; any fixed value does, as long as every console uses it.
const GameMode = 9

// Session is the gathering a console offers when no session matches:
// a session of game mode mode for up to size players.
func Session(mode uint32, size uint16) *mm.MatchmakeSession {
	s := &mm.MatchmakeSession{}
	s.SetDefaults()
	s.MinParticipants, s.MaxParticipants = 1, size
	s.GameMode = mode
	s.Attribs = []uint32{7, 0, 3, 0, 0, 0}
	s.MatchmakeSystem = 1
	s.ApplicationData = []byte("app")
	return s
}

// Call is console i's auto-matchmake: even consoles call
// AutoMatchmakeWithSearchCriteria_Postpone, odd ones
// AutoMatchmake_Postpone, as games differ. It returns the gid of the
// session the console is in.
func Call(ctx context.Context, c *matchmakeextension.Client, i int, size uint16) (uint32, error) {
	var g typed.AnyData
	if i%2 == 0 {
		crit := mm.MatchmakeSessionSearchCriteria{}
		crit.SetDefaults()
		crit.GameMode = fmt.Sprint(GameMode)
		crit.MaxParticipants = fmt.Sprint(size)
		r, err := c.AutoMatchmakeWithSearchCriteriaPostpone(ctx, &matchmakeextension.AutoMatchmakeWithSearchCriteriaPostponeRequest{
			SearchCriteria: []mm.MatchmakeSessionSearchCriteria{crit}, Gathering: typed.Hold(Session(GameMode, size))})
		if err != nil {
			return 0, err
		}
		g = r.Gathering
	} else {
		r, err := c.AutoMatchmakePostpone(ctx, &matchmakeextension.AutoMatchmakePostponeRequest{Gathering: typed.Hold(Session(GameMode, size))})
		if err != nil {
			return 0, err
		}
		g = r.Gathering
	}
	s, ok := g.Value.(*mm.MatchmakeSession)
	if !ok {
		return 0, fmt.Errorf("auto-matchmake returned a %T, not a MatchmakeSession", g.Value)
	}
	return s.ID, nil
}

// Register has a logged-in console register its station URL
// (SecureConnection Register), as consoles do right after logging in:
// with shared stores, that is its presence for the other instances,
// whose ghost sweep removes from gatherings the consoles that have none.
func Register(ctx context.Context, c *proxy.Client, s rmc.Settings) error {
	u := rmc.StationURL{Scheme: "prudp"}
	u.SetAddress(c.SecureLocal.Addr().String())
	u.SetPort(c.SecureLocal.Port())
	u.SetInt(rmc.URLType, 2)
	if _, err := secureconnection.NewClient(c.Secure, s).Register(ctx, &secureconnection.RegisterRequest{URLs: []rmc.StationURL{u}}); err != nil {
		return fmt.Errorf("register %d: %w", c.PID, err)
	}
	return nil
}

// Result is what each console's call gave, by console.
type Result struct {
	Latency []time.Duration // how long the call took
	GID     []uint32        // the session the console is in (0: none)
	Err     []error         // the call's error
}

// Run has console i of clients call Call once, starting spread*i/n after
// the first (spread 0: all at the same instant), and waits for every
// call.
func Run(ctx context.Context, clients []*matchmakeextension.Client, size uint16, spread time.Duration) *Result {
	n := len(clients)
	r := &Result{Latency: make([]time.Duration, n), GID: make([]uint32, n), Err: make([]error, n)}
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d := time.Until(start.Add(spread * time.Duration(i) / time.Duration(n))); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					r.Err[i] = ctx.Err()
					return
				}
			}
			t0 := time.Now()
			r.GID[i], r.Err[i] = Call(ctx, c, i, size)
			r.Latency[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	return r
}

// Sessions counts the consoles per session gid (gid 0 included, for the
// consoles that are in none).
func (r *Result) Sessions() map[uint32]int {
	m := map[uint32]int{}
	for _, g := range r.GID {
		m[g]++
	}
	return m
}

// Check says whether all consoles were matched: every call succeeded,
// every console is in exactly one session, and the sessions are exactly
// n/size, each with size consoles. The error names what is wrong.
func (r *Result) Check(size int) error {
	n := len(r.GID)
	if len(r.Err) != n || len(r.Latency) != n {
		return fmt.Errorf("result of %d gids, %d errors, %d latencies", n, len(r.Err), len(r.Latency))
	}
	if size < 1 || n%size != 0 {
		return fmt.Errorf("%d consoles cannot fill sessions of %d", n, size)
	}
	var errs []error
	failed := 0
	for i, err := range r.Err {
		if err != nil {
			if failed < 3 {
				errs = append(errs, fmt.Errorf("console %d: %w", i, err))
			}
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d calls failed: %w", failed, n, errors.Join(errs...))
	}
	sessions := r.Sessions()
	if k := sessions[0]; k > 0 {
		return fmt.Errorf("%d consoles are in no session (gid 0)", k)
	}
	full, over, under := 0, 0, 0
	for _, k := range sessions {
		switch {
		case k == size:
			full++
		case k > size:
			over++
		default:
			under++
		}
	}
	if full != n/size || len(sessions) != n/size {
		return fmt.Errorf("not all matched: %d sessions (%d full, %d over-full, %d not full), want %d full", len(sessions), full, over, under, n/size)
	}
	return nil
}

// Sorted returns the calls' latencies in ascending order.
func (r *Result) Sorted() []time.Duration {
	s := slices.Clone(r.Latency)
	slices.Sort(s)
	return s
}

// Percentile returns the q-quantile (0..1) of sorted durations, nearest
// rank.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

// OneWay says whether the server's requests of a protocol are one-way
// notifications a console does not answer: NotificationEvent (14),
// MessageDelivery (27) and the Nintendo notification protocol (100).
func OneWay(protocol uint16) bool { return protocol == 14 || protocol == 100 || protocol == 27 }

// AnswerServer is a simulated console's proxy.ClientConfig.OnRequest:
// it answers the server's calls with an empty success, and leaves its
// notifications unanswered, as consoles do.
func AnswerServer(ctx context.Context, p *peer.Peer, m *rmc.Message) {
	if !OneWay(m.Protocol) {
		_ = p.Respond(ctx, m, &rpc.Reply{})
	}
}
