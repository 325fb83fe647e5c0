package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// TestPlaceBatch: a batch places its calls in order as one-at-a-time
// auto-joins would, later calls joining the sessions earlier ones created.
func TestPlaceBatch(t *testing.T) {
	session := func(owner uint64, pids ...uint64) store.Gathering {
		g := store.Gathering{Game: "g", Owner: owner, Host: owner, MinParticipants: 1, MaxParticipants: 4,
			GameMode: 1, OpenParticipation: true, Kind: store.KindMatchmakeSession}
		for _, pid := range pids {
			g.Participants = append(g.Participants, store.GatheringParticipant{PID: pid})
		}
		return g
	}
	s1 := session(1, 1, 2, 3)
	s1.ID = 7
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	q := store.GatheringQuery{Kind: store.KindMatchmakeSession, Room: 1, Match: func(g *store.Gathering) bool { return g.GameMode == 1 }}
	call := func(ctx context.Context, pid uint64, extra uint16) *autoJoinReq {
		p := store.GatheringParticipant{PID: pid, Extra: extra}
		g := session(pid, pid)
		g.Participants[0].Extra = extra
		return &autoJoinReq{ctx: ctx, q: q, p: p, create: g}
	}
	bg := context.Background()
	reqs := []*autoJoinReq{
		call(bg, 10, 0),       // joins s1, which is full then
		call(bg, 11, 0),       // creates n1
		call(bg, 12, 0),       // joins n1
		call(canceled, 13, 0), // not placed
		call(bg, 14, 2),       // 3 entries do not fit in n1 (2 of 4): creates n2
		call(bg, 15, 0),       // joins n1 (the older of the two)
	}
	placed := make([]placement, len(reqs))
	for i, r := range reqs {
		placed[i].r = r
	}
	placeBatch([]store.Gathering{s1}, placed)

	if p := placed[0]; p.into == nil || !p.into.found || p.into.g.ID != 7 || len(p.snap.Participants) != 4 || p.new {
		t.Fatalf("call 10: %+v", p)
	}
	n1 := placed[1].into
	if !placed[1].new || n1 == nil || n1.found || len(placed[1].snap.Participants) != 1 {
		t.Fatalf("call 11 should create a session: %+v", placed[1])
	}
	if placed[2].into != n1 || placed[2].new || len(placed[2].snap.Participants) != 2 {
		t.Fatalf("call 12 should join call 11's session: %+v", placed[2])
	}
	if placed[3].into != nil {
		t.Fatalf("a call whose context ended was placed: %+v", placed[3])
	}
	if !placed[4].new || placed[4].into == n1 {
		t.Fatalf("call 14 (3 entries) should create a session: %+v", placed[4])
	}
	if placed[5].into != n1 || len(placed[5].snap.Participants) != 3 {
		t.Fatalf("call 15 should join call 11's session: %+v", placed[5])
	}
	if got := pidsOf(n1.g); len(got) != 3 || got[0] != 11 || got[1] != 12 || got[2] != 15 {
		t.Fatalf("call 11's session is inserted with %v, want [11 12 15]", got)
	}
	// Earlier snapshots keep what the call saw.
	if len(placed[1].snap.Participants) != 1 || len(placed[2].snap.Participants) != 2 {
		t.Fatal("a later placement changed an earlier call's snapshot")
	}
}

// TestAutoJoinBatches: calls of a pool that queue up while a batch holds
// the pool are served together by the next batch, and every call lands
// in exactly one full session.
func TestAutoJoinBatches(t *testing.T) {
	db := openTemp(t)
	s := db.Gatherings()
	ctx := context.Background()
	// A session nobody selects, so that the first call's Match runs while
	// its batch holds the pool.
	if _, err := s.Create(ctx, openSession(1, 9)); err != nil {
		t.Fatal(err)
	}
	type result struct {
		g       store.Gathering
		created bool
		err     error
	}
	results := make(chan result, 12)
	auto := func(pid uint64, hold func()) {
		q := store.GatheringQuery{Kind: store.KindMatchmakeSession, Room: 1, Pool: "mode=1",
			Match: func(g *store.Gathering) bool { hold(); return g.GameMode == 1 }}
		g, c, err := s.AutoJoin(ctx, "g", q, store.GatheringParticipant{PID: pid}, openSession(pid, 1))
		results <- result{g, c, err}
	}
	in, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	go auto(2, func() { once.Do(func() { close(in); <-release }) })
	<-in
	for pid := uint64(3); pid <= 13; pid++ {
		go auto(pid, func() {})
	}
	key := "g\x00" + store.KindMatchmakeSession + "\x00mode=1"
	deadline := time.Now().Add(30 * time.Second)
	for {
		db.autoJoins.mu.Lock()
		n := len(db.autoJoins.queues[key].pending)
		db.autoJoins.mu.Unlock()
		if n == 11 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued, want 11", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	sessions := map[uint32][]uint64{}
	created := 0
	for range 12 {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.created {
			created++
		}
		sessions[r.g.ID] = append(sessions[r.g.ID], r.g.Participants[len(r.g.Participants)-1].PID)
	}
	if db.autoJoins.batches != 2 {
		t.Errorf("%d batches, want 2 (the held one, then the 11 queued together)", db.autoJoins.batches)
	}
	if len(sessions) != 3 || created != 3 {
		t.Fatalf("12 calls made %d sessions (%d created), want 3 full ones: %v", len(sessions), created, sessions)
	}
	for id := range sessions {
		g, err := s.Get(ctx, "g", id)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Participants) != 4 {
			t.Errorf("session %d has %d participants, want 4", id, len(g.Participants))
		}
		members, err := s.OfPID(ctx, "g", g.Participants[3].PID)
		if err != nil || len(members) != 1 || members[0] != id {
			t.Errorf("membership of %d: %v %v", g.Participants[3].PID, members, err)
		}
	}
}

// pidsOf lists g's participants' PIDs in order.
func pidsOf(g store.Gathering) []uint64 {
	out := make([]uint64, len(g.Participants))
	for i, p := range g.Participants {
		out[i] = p.PID
	}
	return out
}

// TestAutoJoinPlacedAgain: a session filled by a Join (which does not
// take the pool's lock) between a batch's search and its write is not
// overfilled; the call is placed again by the next batch.
func TestAutoJoinPlacedAgain(t *testing.T) {
	db := openTemp(t)
	s := db.Gatherings()
	ctx := context.Background()
	full := store.Gathering{Game: "g", Owner: 1, Host: 1, MinParticipants: 1, MaxParticipants: 4,
		ParticipationPolicy: 1, GameMode: 1, MatchmakeSystem: 1, OpenParticipation: true, Kind: store.KindMatchmakeSession,
		Participants: []store.GatheringParticipant{{PID: 1}, {PID: 2}, {PID: 3}}}
	full, err := s.Create(ctx, full)
	if err != nil {
		t.Fatal(err)
	}
	in, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	type result struct {
		g       store.Gathering
		created bool
		err     error
	}
	done := make(chan result, 1)
	go func() {
		q := store.GatheringQuery{Kind: store.KindMatchmakeSession, Room: 1, Pool: "mode=1",
			Match: func(g *store.Gathering) bool { once.Do(func() { close(in); <-release }); return g.GameMode == 1 }}
		offer := full
		offer.ID, offer.Owner, offer.Host, offer.Participants = 0, 10, 10, []store.GatheringParticipant{{PID: 10}}
		g, c, err := s.AutoJoin(ctx, "g", q, store.GatheringParticipant{PID: 10}, offer)
		done <- result{g, c, err}
	}()
	<-in // the batch has read the session with its one free place
	if _, err := s.Join(ctx, "g", full.ID, store.GatheringParticipant{PID: 4}, nil); err != nil {
		t.Fatal(err)
	}
	close(release)
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.g.ID == full.ID || !r.created {
		t.Fatalf("auto-join = session %d (created %v), want a new one: session %d was filled meanwhile", r.g.ID, r.created, full.ID)
	}
	g, err := s.Get(ctx, "g", full.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Participants) != 4 {
		t.Fatalf("the filled session has %d participants, want 4", len(g.Participants))
	}
	if db.autoJoins.batches != 2 {
		t.Errorf("%d batches, want 2 (the one that found its session filled, then the one that placed the call again)", db.autoJoins.batches)
	}
}

// TestPlaceBatchColumns: a call of a batch joins a session an earlier
// call created only if it passes the batch's column filters (which the
// batch's read applied to the stored sessions only).
func TestPlaceBatchColumns(t *testing.T) {
	q := store.GatheringQuery{Kind: store.KindMatchmakeSession, Room: 1, GameMode: &store.Span{Min: 5, Max: 5}}
	call := func(pid uint64, mode uint32) *autoJoinReq {
		g := store.Gathering{Game: "g", Owner: pid, Host: pid, MinParticipants: 1, MaxParticipants: 4, GameMode: mode,
			OpenParticipation: true, Kind: store.KindMatchmakeSession, Participants: []store.GatheringParticipant{{PID: pid}}}
		return &autoJoinReq{ctx: context.Background(), q: q, p: store.GatheringParticipant{PID: pid}, create: g}
	}
	reqs := []*autoJoinReq{call(10, 6), call(11, 5), call(12, 5)}
	placed := make([]placement, len(reqs))
	for i, r := range reqs {
		placed[i].r = r
	}
	placeBatch(nil, placed)
	if !placed[0].new || !placed[1].new || placed[1].into == placed[0].into {
		t.Fatalf("call 11 joined the mode 6 session of call 10: %+v", placed[1])
	}
	if placed[2].new || placed[2].into != placed[1].into {
		t.Fatalf("call 12 should join call 11's mode 5 session: %+v", placed[2])
	}
}
