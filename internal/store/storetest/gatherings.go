package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/nexproxy/nexproxy/internal/store"
)

func session(owner uint64, maxP uint16, mode uint32) store.Gathering {
	return store.Gathering{
		Game: "g", Owner: owner, Host: owner, MinParticipants: 1, MaxParticipants: maxP, ParticipationPolicy: 1,
		Flags: 0x200, Description: "d", GameMode: mode, Attributes: []uint32{1, 2, 3, 4, 5, 6},
		OpenParticipation: true, MatchmakeSystem: 1, ApplicationBuffer: []byte("app"), ProgressScore: 100,
		SessionKey: []byte("key"), Extra: []byte{9},
		Participants: []store.GatheringParticipant{{PID: owner}},
	}
}

// TestGatherings checks the store.Gatherings contract.
func TestGatherings(t *testing.T, newStore func(t *testing.T) store.Gatherings) {
	ctx := context.Background()

	t.Run("CreateGet", func(t *testing.T) {
		s := newStore(t)
		a, err := s.Create(ctx, session(1, 4, 7))
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.Create(ctx, session(2, 4, 7))
		if err != nil {
			t.Fatal(err)
		}
		if a.ID == 0 || b.ID <= a.ID || a.Created.IsZero() {
			t.Fatalf("ids %d, %d created %v", a.ID, b.ID, a.Created)
		}
		got, err := s.Get(ctx, "g", a.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := session(1, 4, 7)
		if got.Owner != 1 || got.Host != 1 || got.MaxParticipants != 4 || got.GameMode != 7 || got.Flags != 0x200 ||
			!slices.Equal(got.Attributes, want.Attributes) || !got.OpenParticipation || string(got.ApplicationBuffer) != "app" ||
			string(got.SessionKey) != "key" || !slices.Equal(got.Extra, []byte{9}) || got.ProgressScore != 100 ||
			got.Description != "d" || got.MatchmakeSystem != 1 || !got.Created.Equal(a.Created) ||
			!slices.Equal(got.Participants, want.Participants) {
			t.Errorf("Get = %+v", got)
		}
		if _, err := s.Get(ctx, "other", a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("other game: %v", err)
		}
		over := session(3, 1, 0)
		over.Participants[0].Extra = 1
		if _, err := s.Create(ctx, over); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("overfull create: %v", err)
		}
	})

	t.Run("JoinLeave", func(t *testing.T) {
		s := newStore(t)
		g, err := s.Create(ctx, session(1, 3, 0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Join(ctx, "g", g.ID, store.GatheringParticipant{PID: 1}, nil); !errors.Is(err, store.ErrExists) {
			t.Errorf("rejoin: %v", err)
		}
		if _, err := s.Join(ctx, "g", g.ID, store.GatheringParticipant{PID: 2, Extra: 2}, nil); !errors.Is(err, store.ErrGatheringFull) {
			t.Errorf("overfill: %v", err)
		}
		deny := errors.New("denied")
		if _, err := s.Join(ctx, "g", g.ID, store.GatheringParticipant{PID: 2}, func(*store.Gathering) error { return deny }); !errors.Is(err, deny) {
			t.Errorf("check: %v", err)
		}
		j, err := s.Join(ctx, "g", g.ID, store.GatheringParticipant{PID: 2, Extra: 1}, nil)
		if err != nil || j.Entries() != 3 {
			t.Fatalf("join: %v, %d entries", err, j.Entries())
		}
		if _, err := s.Join(ctx, "g", g.ID+100, store.GatheringParticipant{PID: 3}, nil); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("join missing: %v", err)
		}
		ids, err := s.OfPID(ctx, "g", 2)
		if err != nil || !slices.Equal(ids, []uint32{g.ID}) {
			t.Errorf("OfPID = %v, %v", ids, err)
		}
		if _, err := s.Leave(ctx, "g", g.ID, 9); !errors.Is(err, store.ErrNotParticipant) {
			t.Errorf("leave stranger: %v", err)
		}
		// The owner leaves without GatheringMigrateOwner: the gathering ends.
		res, err := s.Leave(ctx, "g", g.ID, 1)
		if err != nil || !res.Ended || res.Before.Entries() != 3 {
			t.Fatalf("owner leave: %+v, %v", res, err)
		}
		if _, err := s.Get(ctx, "g", g.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ended gathering: %v", err)
		}
		if ids, _ := s.OfPID(ctx, "g", 2); len(ids) != 0 {
			t.Errorf("members of ended gathering: %v", ids)
		}
	})

	t.Run("Migrate", func(t *testing.T) {
		s := newStore(t)
		m := session(1, 4, 0)
		m.Flags |= store.GatheringMigrateOwner
		g, err := s.Create(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		for _, pid := range []uint64{2, 3} {
			if _, err := s.Join(ctx, "g", g.ID, store.GatheringParticipant{PID: pid}, nil); err != nil {
				t.Fatal(err)
			}
		}
		res, err := s.Leave(ctx, "g", g.ID, 1)
		if err != nil || res.Ended || res.After.Owner != 2 || res.After.Host != 2 || res.After.Entries() != 2 {
			t.Fatalf("migrate: %+v, %v", res.After, err)
		}
		res, err = s.Leave(ctx, "g", g.ID, 3)
		if err != nil || res.Ended || res.After.Owner != 2 {
			t.Fatalf("leave: %+v, %v", res, err)
		}
		if res, err = s.Leave(ctx, "g", g.ID, 2); err != nil || !res.Ended {
			t.Fatalf("last leave: %+v, %v", res, err)
		}
	})

	t.Run("UpdateDelete", func(t *testing.T) {
		s := newStore(t)
		g, err := s.Create(ctx, session(1, 4, 0))
		if err != nil {
			t.Fatal(err)
		}
		u, err := s.Update(ctx, "g", g.ID, func(g *store.Gathering) error {
			g.OpenParticipation = false
			g.ApplicationBuffer = []byte("new")
			g.Participants = nil // ignored
			return nil
		})
		if err != nil || u.OpenParticipation || string(u.ApplicationBuffer) != "new" || len(u.Participants) != 1 {
			t.Fatalf("update: %+v, %v", u, err)
		}
		if got, _ := s.Get(ctx, "g", g.ID); got.OpenParticipation || len(got.Participants) != 1 {
			t.Errorf("after update: %+v", got)
		}
		if err := s.Delete(ctx, "g", g.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "g", g.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
	})

	t.Run("Search", func(t *testing.T) {
		s := newStore(t)
		var ids []uint32
		for i, spec := range []struct {
			max  uint16
			mode uint32
			open bool
		}{{2, 1, true}, {4, 1, true}, {4, 2, true}, {4, 1, false}} {
			g := session(uint64(10+i), spec.max, spec.mode)
			g.OpenParticipation = spec.open
			c, err := s.Create(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		mode1 := func(g *store.Gathering) bool { return g.GameMode == 1 }
		for name, c := range map[string]struct {
			q    store.GatheringQuery
			want []uint32
		}{
			"all":       {store.GatheringQuery{}, ids},
			"mode":      {store.GatheringQuery{Match: mode1}, []uint32{ids[0], ids[1], ids[3]}},
			"open":      {store.GatheringQuery{Match: mode1, OpenOnly: true}, []uint32{ids[0], ids[1]}},
			"room2":     {store.GatheringQuery{Room: 2, OpenOnly: true}, []uint32{ids[1], ids[2]}},
			"exclude":   {store.GatheringQuery{Exclude: 11}, []uint32{ids[0], ids[2], ids[3]}},
			"page":      {store.GatheringQuery{Offset: 1, Limit: 2}, []uint32{ids[1], ids[2]}},
			"room-none": {store.GatheringQuery{Room: 4}, nil},
		} {
			got, err := s.Search(ctx, "g", c.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gatheringIDs(got), c.want) {
				t.Errorf("%s: %v, want %v", name, gatheringIDs(got), c.want)
			}
		}
	})

	// BeyondScan: a matching session behind more than 1,000 older open
	// sessions that do not match is still found, by Search and by
	// AutoJoin, ranked or not (services.md §8, "every console alone").
	t.Run("BeyondScan", func(t *testing.T) {
		s := newStore(t)
		const others = 1100
		for i := range others {
			if _, err := s.Create(ctx, session(uint64(1000+i), 4, 1)); err != nil {
				t.Fatal(err)
			}
		}
		want, err := s.Create(ctx, session(5000, 4, 2))
		if err != nil {
			t.Fatal(err)
		}
		mode2 := func(g *store.Gathering) bool { return g.GameMode == 2 }
		byOwner := func(g *store.Gathering) int64 { return -int64(g.Owner) }
		q := store.GatheringQuery{Kind: store.KindMatchmakeSession, OpenOnly: true, Room: 1, Match: mode2, Limit: 10}
		ranked := q
		ranked.Rank = byOwner
		for name, q := range map[string]store.GatheringQuery{"plain": q, "ranked": ranked} {
			got, err := s.Search(ctx, "g", q)
			if err != nil || len(got) != 1 || got[0].ID != want.ID {
				t.Errorf("%s Search = %d sessions, %v; want session %d", name, len(got), err, want.ID)
			}
		}
		// The same through the column filter, which the backend's query
		// evaluates.
		cols := store.GatheringQuery{Kind: store.KindMatchmakeSession, OpenOnly: true, Room: 1, GameMode: &store.Span{Min: 2, Max: 2}}
		if got, err := s.Search(ctx, "g", cols); err != nil || len(got) != 1 || got[0].ID != want.ID {
			t.Errorf("column filter Search = %d sessions, %v; want session %d", len(got), err, want.ID)
		}
		for i, q := range []store.GatheringQuery{q, ranked} {
			pid := uint64(9000 + i)
			j, created, err := s.AutoJoin(ctx, "g", q, store.GatheringParticipant{PID: pid}, session(pid, 4, 2))
			if err != nil || created || j.ID != want.ID {
				t.Errorf("AutoJoin %d = session %d, created %v, %v; want to join %d", i, j.ID, created, err, want.ID)
			}
		}
	})

	// ColumnFilters: the query's column filters select on the stored
	// columns, in Search and AutoJoin, and a session AutoJoin creates is
	// joined later only if it passes them.
	t.Run("ColumnFilters", func(t *testing.T) {
		s := newStore(t)
		var ids []uint32
		for i, spec := range []struct {
			mode, system uint32
			min, max     uint16
			host         uint64
		}{{1, 1, 1, 4, 10}, {2, 1, 2, 4, 11}, {3, 2, 1, 8, 12}, {2, 2, 2, 8, 0}} {
			g := session(uint64(10+i), spec.max, spec.mode)
			g.MatchmakeSystem, g.MinParticipants, g.Host = spec.system, spec.min, spec.host
			c, err := s.Create(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		for name, c := range map[string]struct {
			q    store.GatheringQuery
			want []uint32
		}{
			"mode":       {store.GatheringQuery{GameMode: &store.Span{Min: 2, Max: 2}}, []uint32{ids[1], ids[3]}},
			"mode-range": {store.GatheringQuery{GameMode: &store.Span{Min: 2, Max: 3}}, []uint32{ids[1], ids[2], ids[3]}},
			"system":     {store.GatheringQuery{MatchmakeSystem: &store.Span{Min: 2, Max: 2}}, []uint32{ids[2], ids[3]}},
			"min":        {store.GatheringQuery{MinParticipants: &store.Span{Min: 2, Max: 2}}, []uint32{ids[1], ids[3]}},
			"max":        {store.GatheringQuery{MaxParticipants: &store.Span{Min: 5, Max: 8}}, []uint32{ids[2], ids[3]}},
			"host":       {store.GatheringQuery{HostOnly: true, MatchmakeSystem: &store.Span{Min: 2, Max: 2}}, []uint32{ids[2]}},
			"owner":      {store.GatheringQuery{Owner: 11}, []uint32{ids[1]}},
			// Span ends are u32, wider than the columns of some backends.
			"wide": {store.GatheringQuery{GameMode: &store.Span{Min: 3, Max: 1<<32 - 1}, MatchmakeSystem: &store.Span{Max: 1<<32 - 1}, MinParticipants: &store.Span{Max: 1<<32 - 1}, MaxParticipants: &store.Span{Min: 5, Max: 1<<32 - 1}}, []uint32{ids[2]}},
			"none": {store.GatheringQuery{GameMode: &store.Span{Min: 2, Max: 2}, Owner: 10}, nil},
		} {
			got, err := s.Search(ctx, "g", c.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(gatheringIDs(got), c.want) {
				t.Errorf("%s: %v, want %v", name, gatheringIDs(got), c.want)
			}
		}
		// AutoJoin honours the filters: mode 3 joins ids[2]; a mode 5 call
		// offering a mode 6 session creates it, and later mode 5 calls do
		// not join that one.
		q := store.GatheringQuery{Kind: store.KindMatchmakeSession, OpenOnly: true, Room: 1, GameMode: &store.Span{Min: 5, Max: 5}}
		j, created, err := s.AutoJoin(ctx, "g", store.GatheringQuery{OpenOnly: true, Room: 1, GameMode: &store.Span{Min: 3, Max: 3}},
			store.GatheringParticipant{PID: 20}, session(20, 4, 3))
		if err != nil || created || j.ID != ids[2] {
			t.Fatalf("AutoJoin mode 3 = %d %v %v, want to join %d", j.ID, created, err, ids[2])
		}
		five, created, err := s.AutoJoin(ctx, "g", q, store.GatheringParticipant{PID: 21}, session(21, 4, 6))
		if err != nil || !created {
			t.Fatalf("AutoJoin mode 5 = %d %v %v, want a new session", five.ID, created, err)
		}
		// The session created has mode 6: another mode 5 call creates too.
		j, created, err = s.AutoJoin(ctx, "g", q, store.GatheringParticipant{PID: 22}, session(22, 4, 5))
		if err != nil || !created || j.ID == five.ID {
			t.Fatalf("AutoJoin mode 5 again = %d %v %v, want a new session", j.ID, created, err)
		}
		j, created, err = s.AutoJoin(ctx, "g", q, store.GatheringParticipant{PID: 23}, session(23, 4, 5))
		if err != nil || created || j.ID == five.ID {
			t.Fatalf("AutoJoin mode 5 third = %d %v %v, want to join the mode 5 session", j.ID, created, err)
		}
	})

	// AutoJoinRace: 40 participants auto-join 4-player sessions at once;
	// exactly 10 full sessions come out, nobody in two.
	t.Run("AutoJoinRace", func(t *testing.T) {
		s := newStore(t)
		const n, size = 40, 4
		q := store.GatheringQuery{Room: 1, OpenOnly: true, Match: func(g *store.Gathering) bool { return g.GameMode == 5 }}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		created := make(chan bool, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pid := uint64(100 + i)
				_, c, err := s.AutoJoin(ctx, "g", q, store.GatheringParticipant{PID: pid}, session(pid, size, 5))
				errs <- err
				created <- c
			}()
		}
		wg.Wait()
		close(errs)
		close(created)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		nCreated := 0
		for c := range created {
			if c {
				nCreated++
			}
		}
		all, err := s.Search(ctx, "g", store.GatheringQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[uint64]bool{}
		for _, g := range all {
			if g.Entries() != size {
				t.Errorf("session %d has %d entries", g.ID, g.Entries())
			}
			for _, p := range g.Participants {
				if seen[p.PID] {
					t.Errorf("pid %d in two sessions", p.PID)
				}
				seen[p.PID] = true
			}
		}
		if len(all) != n/size || nCreated != n/size || len(seen) != n {
			t.Errorf("%d sessions, %d created, %d players", len(all), nCreated, len(seen))
		}
	})

	t.Run("KindsRank", func(t *testing.T) {
		s := newStore(t)
		a, err := s.Create(ctx, session(1, 4, 1))
		if err != nil {
			t.Fatal(err)
		}
		pg := session(2, 4, 1)
		pg.Kind = store.KindPersistent
		p, err := s.Create(ctx, pg)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Create(ctx, session(3, 4, 1))
		if err != nil {
			t.Fatal(err)
		}
		if a.Kind != store.KindMatchmakeSession || p.Kind != store.KindPersistent {
			t.Fatalf("kinds %q %q", a.Kind, p.Kind)
		}
		if got, err := s.Get(ctx, "g", p.ID); err != nil || got.Kind != store.KindPersistent {
			t.Fatalf("Get kind = %q, %v", got.Kind, err)
		}
		// Update keeps the kind whatever fn does.
		if got, err := s.Update(ctx, "g", p.ID, func(g *store.Gathering) error { g.Kind = "x"; return nil }); err != nil || got.Kind != store.KindPersistent {
			t.Fatalf("Update kind = %q, %v", got.Kind, err)
		}
		got, err := s.Search(ctx, "g", store.GatheringQuery{Kind: store.KindMatchmakeSession})
		if err != nil || !slices.Equal(gatheringIDs(got), []uint32{a.ID, c.ID}) {
			t.Fatalf("sessions = %v, %v", gatheringIDs(got), err)
		}
		got, err = s.Search(ctx, "g", store.GatheringQuery{Kind: store.KindPersistent})
		if err != nil || !slices.Equal(gatheringIDs(got), []uint32{p.ID}) {
			t.Fatalf("persistent = %v, %v", gatheringIDs(got), err)
		}
		// Rank orders before the page applies: highest owner first.
		rank := func(g *store.Gathering) int64 { return -int64(g.Owner) }
		got, err = s.Search(ctx, "g", store.GatheringQuery{Rank: rank, Offset: 1, Limit: 2})
		if err != nil || !slices.Equal(gatheringIDs(got), []uint32{p.ID, a.ID}) {
			t.Fatalf("ranked = %v, %v", gatheringIDs(got), err)
		}
		// AutoJoin takes the best-ranked match, not the oldest.
		j, created, err := s.AutoJoin(ctx, "g", store.GatheringQuery{Kind: store.KindMatchmakeSession, Room: 1, Rank: rank},
			store.GatheringParticipant{PID: 9}, session(9, 4, 1))
		if err != nil || created || j.ID != c.ID {
			t.Fatalf("ranked AutoJoin = %d %v %v", j.ID, created, err)
		}
		m, err := s.Members(ctx, "g", nil, 10)
		if err != nil || !slices.Equal(m, []uint64{1, 2, 3, 9}) {
			t.Fatalf("Members = %v, %v", m, err)
		}
		two := uint64(2)
		if m, err := s.Members(ctx, "g", &two, 1); err != nil || !slices.Equal(m, []uint64{3}) {
			t.Fatalf("Members after 2 = %v, %v", m, err)
		}
		// A persistent gathering survives its owner and last member leaving.
		res, err := s.Leave(ctx, "g", p.ID, 2)
		if err != nil || res.Ended || res.After.Owner != 2 || len(res.After.Participants) != 0 {
			t.Fatalf("persistent Leave = %+v, %v", res, err)
		}
		if _, err := s.Get(ctx, "g", p.ID); err != nil {
			t.Fatalf("persistent gone: %v", err)
		}
	})

	t.Run("BlockLists", func(t *testing.T) {
		s := newStore(t)
		if err := s.SetBlocked(ctx, "g", 1, []uint64{5, 3, 1 << 63}, true); err != nil {
			t.Fatal(err)
		}
		if err := s.SetBlocked(ctx, "g", 1, []uint64{3}, true); err != nil {
			t.Fatal(err)
		}
		if l, err := s.BlockList(ctx, "g", 1); err != nil || !slices.Equal(l, []uint64{3, 5, 1 << 63}) {
			t.Fatalf("BlockList = %v, %v", l, err)
		}
		if l, err := s.BlockList(ctx, "other", 1); err != nil || len(l) != 0 {
			t.Fatalf("other game = %v, %v", l, err)
		}
		if err := s.SetBlocked(ctx, "g", 1, []uint64{5}, false); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.BlockList(ctx, "g", 1); !slices.Equal(l, []uint64{3, 1 << 63}) {
			t.Fatalf("after remove = %v", l)
		}
		many := make([]uint64, store.MaxBlockList)
		for i := range many {
			many[i] = uint64(100 + i)
		}
		if err := s.SetBlocked(ctx, "g", 1, many, true); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("over the bound: %v", err)
		}
		if l, _ := s.BlockList(ctx, "g", 1); len(l) != 2 {
			t.Fatalf("failed change kept %d entries", len(l))
		}
		if err := s.ClearBlockList(ctx, "g", 1); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.BlockList(ctx, "g", 1); len(l) != 0 {
			t.Fatalf("after clear = %v", l)
		}
	})

	t.Run("Notices", func(t *testing.T) {
		s := newStore(t)
		put := func(n store.Notice) {
			t.Helper()
			if err := s.PutNotice(ctx, "g", n); err != nil {
				t.Fatal(err)
			}
		}
		put(store.Notice{PID: 2, Type: 101000, Param1: 1, Param2: 1 << 40, Text: "old"})
		put(store.Notice{PID: 2, Type: 101000, Param1: 7, Param2: 1 << 40, Text: "new"})
		put(store.Notice{PID: 2, Type: 102000, Text: "b"})
		put(store.Notice{PID: 1, Type: 101000, Text: "a"})
		put(store.Notice{PID: 3, Type: 101000, Text: "stranger"})
		put(store.Notice{PID: 1 << 63, Type: 101000, Text: "big"})
		got, err := s.Notices(ctx, "g", []uint64{2, 1}, []uint32{101000})
		want := []store.Notice{{PID: 1, Type: 101000, Text: "a"}, {PID: 2, Type: 101000, Param1: 7, Param2: 1 << 40, Text: "new"}}
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("Notices = %+v, %v", got, err)
		}
		if err := s.EndNotices(ctx, "g", 2); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Notices(ctx, "g", []uint64{1, 2}, []uint32{101000, 102000}); err != nil || len(got) != 1 || got[0].PID != 1 {
			t.Fatalf("after end = %+v, %v", got, err)
		}
		put(store.Notice{PID: 2, Type: 102000, Text: "back"})
		if got, _ := s.Notices(ctx, "g", []uint64{2}, []uint32{101000, 102000}); len(got) != 1 || got[0].Text != "back" {
			t.Fatalf("renewed = %+v", got)
		}
		// Senders with active notices are members (for the ghost sweep),
		// PIDs of 2^63 and more included, each once across pages.
		var all []uint64
		var after *uint64
		for {
			m, err := s.Members(ctx, "g", after, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(m) == 0 {
				break
			}
			all = append(all, m...)
			after = &m[0]
		}
		slices.Sort(all)
		if !slices.Equal(all, []uint64{1, 2, 3, 1 << 63}) {
			t.Fatalf("Members pages = %v", all)
		}
		if err := s.EndNotices(ctx, "g", 1<<63); err != nil {
			t.Fatal(err)
		}
		if err := s.EndNotices(ctx, "g", 3); err != nil {
			t.Fatal(err)
		}
		if m, err := s.Members(ctx, "g", nil, 10); err != nil || !slices.Equal(m, []uint64{1, 2}) {
			t.Fatalf("Members after 3 ended = %v, %v", m, err)
		}
		long := make([]byte, store.MaxNoticeText+1)
		if err := s.PutNotice(ctx, "g", store.Notice{PID: 1, Type: 101000, Text: string(long)}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("long text: %v", err)
		}
	})

	t.Run("Participation", func(t *testing.T) {
		s := newStore(t)
		add := func(game string, community uint32, pids ...uint64) {
			t.Helper()
			if err := s.AddParticipation(ctx, game, community, pids); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := s.Participation(ctx, "g", 1, []uint32{7}); err != nil || len(got) != 0 {
			t.Fatalf("before any = %v, %v", got, err)
		}
		add("g", 7, 1, 2, 1) // a PID listed twice counts once
		add("g", 7, 1)
		add("g", 1<<31+9, 1, 1<<63)
		add("other", 7, 1)
		add("g", 8)
		got, err := s.Participation(ctx, "g", 1, []uint32{7, 1<<31 + 9, 8})
		if err != nil || len(got) != 2 || got[7] != 2 || got[1<<31+9] != 1 {
			t.Fatalf("Participation of 1 = %v, %v", got, err)
		}
		if got, err := s.Participation(ctx, "g", 2, []uint32{7}); err != nil || got[7] != 1 {
			t.Fatalf("Participation of 2 = %v, %v", got, err)
		}
		if got, err := s.Participation(ctx, "g", 1<<63, []uint32{7, 1<<31 + 9}); err != nil || len(got) != 1 || got[1<<31+9] != 1 {
			t.Fatalf("Participation of 2^63 = %v, %v", got, err)
		}
		if got, err := s.Participation(ctx, "other", 1, []uint32{7}); err != nil || got[7] != 1 {
			t.Fatalf("Participation in another game = %v, %v", got, err)
		}
		if got, err := s.Participation(ctx, "g", 1, nil); err != nil || len(got) != 0 {
			t.Fatalf("Participation of no community = %v, %v", got, err)
		}
	})
}

// gatheringIDs returns the ids of gs, in order.
func gatheringIDs(gs []store.Gathering) []uint32 {
	out := make([]uint32, 0, len(gs))
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}
