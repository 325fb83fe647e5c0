package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// TestAutoJoinPools: an auto-join holds up the auto-joins of its own pool
// and those of every pool (""), never those of another pool.
func TestAutoJoinPools(t *testing.T) {
	s := openTemp(t).Gatherings()
	ctx := context.Background()
	// A session nobody selects, so that every auto-join's Match runs (in
	// its transaction, holding its locks).
	if _, err := s.Create(ctx, openSession(1, 9)); err != nil {
		t.Fatal(err)
	}
	auto := func(pid uint64, pool string, mode uint32, hold func()) <-chan error {
		done := make(chan error, 1)
		go func() {
			q := store.GatheringQuery{Kind: store.KindMatchmakeSession, Room: 1, Pool: pool,
				Match: func(g *store.Gathering) bool { hold(); return g.GameMode == mode }}
			_, _, err := s.AutoJoin(ctx, "g", q, store.GatheringParticipant{PID: pid}, openSession(pid, mode))
			done <- err
		}()
		return done
	}
	wait := func(what string, done <-chan error) {
		t.Helper()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: still waiting", what)
		}
	}
	inA, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	a := auto(2, "mode=1", 1, func() { once.Do(func() { close(inA); <-release }) })
	select {
	case <-inA:
	case <-time.After(30 * time.Second):
		t.Fatal("the first auto-join never searched")
	}
	// A holds its locks: another pool goes ahead.
	wait("another pool's auto-join while the first holds its pool", auto(3, "mode=2", 2, func() {}))
	// Its own pool and every pool wait for it.
	same, every := auto(4, "mode=1", 1, func() {}), auto(5, "", 1, func() {})
	select {
	case err := <-same:
		t.Fatalf("an auto-join of the same pool did not wait: %v", err)
	case err := <-every:
		t.Fatalf("an auto-join of every pool did not wait: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	wait("first auto-join", a)
	wait("same pool", same)
	wait("every pool", every)
}

// openSession is a 4-player matchmake session of owner in game mode mode,
// open to anyone: the auto-join tests' candidate.
func openSession(owner uint64, mode uint32) store.Gathering {
	return store.Gathering{Game: "g", Owner: owner, Host: owner, MinParticipants: 1, MaxParticipants: 4,
		ParticipationPolicy: 1, GameMode: mode, MatchmakeSystem: 1, OpenParticipation: true,
		Kind: store.KindMatchmakeSession, Participants: []store.GatheringParticipant{{PID: owner}}}
}
