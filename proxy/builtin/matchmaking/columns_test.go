package matchmaking_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/rmc/protocols/matchmakeextension"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// recordingGatherings keeps the queries the service sends the store; with
// strip set it removes their column filters first, so that only the
// service's own filtering (Match) selects.
type recordingGatherings struct {
	store.Gatherings
	mu      sync.Mutex
	queries []store.GatheringQuery
	strip   bool
}

func (r *recordingGatherings) seen(q store.GatheringQuery) store.GatheringQuery {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, q)
	if r.strip {
		q.GameMode, q.MatchmakeSystem, q.MinParticipants, q.MaxParticipants, q.HostOnly, q.Owner = nil, nil, nil, nil, false, 0
	}
	return q
}

func (r *recordingGatherings) Search(ctx context.Context, game string, q store.GatheringQuery) ([]store.Gathering, error) {
	return r.Gatherings.Search(ctx, game, r.seen(q))
}

func (r *recordingGatherings) AutoJoin(ctx context.Context, game string, q store.GatheringQuery, p store.GatheringParticipant, create store.Gathering) (store.Gathering, bool, error) {
	return r.Gatherings.AutoJoin(ctx, game, r.seen(q), p, create)
}

// last returns the latest query and forgets them all.
func (r *recordingGatherings) last(t *testing.T) store.GatheringQuery {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queries) == 0 {
		t.Fatal("no query reached the store")
	}
	q := r.queries[len(r.queries)-1]
	r.queries = nil
	return q
}

func (r *recordingGatherings) setStrip(v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.strip = v
}

// recordingServer starts a server whose gatherings store records queries
// (on host; nil: the default stores).
func recordingServer(t *testing.T, host *builtin.Host, users []string) (*servicetest.Server, *recordingGatherings) {
	if host == nil {
		host = servicetest.Host(t)
	}
	rec := &recordingGatherings{Gatherings: host.Stores.Gatherings}
	host.Stores.Gatherings = rec
	return servicetest.Start(t, servicetest.Game{Platform: "wiiu", Users: users}, host), rec
}

func spanIs(s *store.Span, lo, hi uint32) bool { return s != nil && *s == store.Span{Min: lo, Max: hi} }

// TestColumnFiltersReachStore: the filters the service applies on stored
// columns reach the store's query, which evaluates them itself: a
// criterion's game mode, system type and participant bounds (a value or
// a range; none when left empty) and "exclude non-host" when browsing;
// the hull of several criteria's, and a host, when auto-matchmaking;
// the supplied session's columns for AutoMatchmake_Postpone; the owner
// for the look-ups by owner.
func TestColumnFiltersReachStore(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv, rec := recordingServer(t, nil, []string{"1001:p", "1002:p", "1003:p"})
	a, b, c := login(t, srv, "1001:p"), login(t, srv, "1002:p"), login(t, srv, "1003:p")
	cx := ctx(t)
	cr, err := a.mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(newSession(2, 4))})
	if err != nil {
		t.Fatal(err)
	}

	sc := criteria("2", 0, "")
	sc.MatchmakeSystem, sc.MaxParticipants, sc.ExcludeNonHostPID = "1,3", "4", true
	if got := browseIDs(t, b, sc); !slices.Equal(got, []uint32{cr.GID}) {
		t.Errorf("browse found %v, want %d", got, cr.GID)
	}
	if q := rec.last(t); !spanIs(q.GameMode, 2, 2) || !spanIs(q.MatchmakeSystem, 1, 3) || q.MinParticipants != nil ||
		!spanIs(q.MaxParticipants, 4, 4) || !q.HostOnly || q.Owner != 0 {
		t.Errorf("browse query %+v", q)
	}
	browseIDs(t, b, criteria("", 0, ""))
	if q := rec.last(t); q.GameMode != nil || q.MatchmakeSystem != nil || q.MinParticipants != nil || q.MaxParticipants != nil || q.HostOnly {
		t.Errorf("browse without filters: query %+v", q)
	}

	// Mode 2 is within the hull 1..5 but matches neither criterion: b
	// creates its own session.
	if got := autoWith(t, b, 1, criteria("1", 0, ""), criteria("3,5", 0, "")); got.ID == cr.GID {
		t.Errorf("auto-matchmake for modes 1 and 3-5 joined the mode 2 session")
	}
	if q := rec.last(t); !spanIs(q.GameMode, 1, 5) || q.MatchmakeSystem != nil || !q.HostOnly {
		t.Errorf("auto-matchmake query %+v", q)
	}
	ar, err := c.mx.AutoMatchmakePostpone(cx, &matchmakeextension.AutoMatchmakePostponeRequest{Gathering: typed.Hold(newSession(2, 4))})
	if err != nil || ar.Gathering.Value.(*mm.MatchmakeSession).ID != cr.GID {
		t.Fatalf("AutoMatchmake_Postpone: %+v %v, want %d", ar, err, cr.GID)
	}
	if q := rec.last(t); !spanIs(q.GameMode, 2, 2) || !spanIs(q.MatchmakeSystem, 1, 1) || !spanIs(q.MinParticipants, 1, 1) ||
		!spanIs(q.MaxParticipants, 4, 4) || !q.HostOnly {
		t.Errorf("AutoMatchmake_Postpone query %+v", q)
	}

	fo, err := c.mx.FindMatchmakeSessionByOwner(cx, &matchmakeextension.FindMatchmakeSessionByOwnerRequest{PID: 1001, Range: rangeAll()})
	if err != nil || len(fo.Sessions) != 1 || fo.Sessions[0].ID != cr.GID {
		t.Errorf("FindMatchmakeSessionByOwner = %+v %v", fo, err)
	}
	if q := rec.last(t); q.Owner != 1001 {
		t.Errorf("FindMatchmakeSessionByOwner query %+v", q)
	}
	f, err := c.mm.FindByOwner(cx, &mm.FindByOwnerRequest{Owner: 1001, Range: rangeAll()})
	if err != nil || len(f.Gatherings) != 1 {
		t.Errorf("FindByOwner = %+v %v", f, err)
	}
	if q := rec.last(t); q.Owner != 1001 {
		t.Errorf("FindByOwner query %+v", q)
	}
}

// TestColumnFiltersKeepResults: over a mix of sessions (a host-less one,
// the ends of the ranges, an unlimited one), every browse finds the same
// sessions whether the store applies the column filters or only the
// service's own filtering does, in SQLite and in PostgreSQL.
func TestColumnFiltersKeepResults(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		t.Cleanup(func() { goleak.VerifyNone(t) })
		keepResults(t, servicetest.Host(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Cleanup(func() { goleak.VerifyNone(t) })
		cfg := servicetest.ScaleOutConfig(t)
		cfg.Backends.Gatherings = store.BackendPostgres
		keepResults(t, servicetest.HostWith(t, cfg))
	})
}

func keepResults(t *testing.T, host *builtin.Host) {
	users := []string{"1001:p", "1002:p", "1003:p", "1004:p", "1005:p", "1006:p", "1007:p"}
	srv, rec := recordingServer(t, host, users)
	cx := ctx(t)
	var ids []uint32
	for i, spec := range []struct {
		mode, system uint32
		minP, maxP   uint16
	}{{1, 1, 1, 4}, {2, 1, 2, 4}, {3, 2, 1, 8}, {2, 2, 2, 8}, {4294967295, 0, 0, 0}, {0, 3, 1, 65535}} {
		s := newSession(spec.mode, spec.maxP)
		s.MatchmakeSystem, s.MinParticipants = spec.system, spec.minP
		r, err := login(t, srv, users[i]).mx.CreateMatchmakeSession(cx, &matchmakeextension.CreateMatchmakeSessionRequest{Gathering: typed.Hold(s)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.GID)
	}
	// The fourth session loses its host.
	if _, err := rec.Update(cx, srv.Config.Games[0].Name, ids[3], func(g *store.Gathering) error { g.Host = 0; return nil }); err != nil {
		t.Fatal(err)
	}
	x := login(t, srv, users[6])
	for _, tc := range []struct {
		mode, system, minP, maxP string
		host                     bool
		want                     []uint32 // nil: not checked
	}{
		{"", "", "", "", false, ids},
		{"2", "", "", "", false, []uint32{ids[1], ids[3]}},
		{" 2 ", "2", "", "", true, []uint32{}},
		{"1,3", "", "", "", false, ids[:4]},
		{"4294967295", "", "", "", false, []uint32{ids[4]}},
		{"0,4294967295", "0,4294967295", "0,65535", "0,65535", true, nil},
		{"", "2", "", "", true, []uint32{ids[2]}},
		{"", "", "2", "", false, []uint32{ids[1], ids[3]}},
		{"", "", "", "0", false, []uint32{ids[4]}},
		{"", "", "0", "", false, nil},
		{"", "", "", "4,8", false, ids[:4]},
		{"", "", "", "65535", false, []uint32{ids[5]}},
		{"", "", "", "65536,4294967295", false, []uint32{}},
		{"", "", "65535,4294967295", "", false, []uint32{}},
		{"", "", "", "65535,4294967295", false, []uint32{ids[5]}},
		{"2", "", "", "8", false, []uint32{ids[3]}},
		{"x", "", "", "", false, []uint32{}},
	} {
		sc := criteria(tc.mode, 5, "") // oldest first
		sc.VacantOnly, sc.MatchmakeSystem, sc.MinParticipants, sc.MaxParticipants, sc.ExcludeNonHostPID = false, tc.system, tc.minP, tc.maxP, tc.host
		rec.setStrip(false)
		got := browseIDs(t, x, sc)
		rec.setStrip(true)
		alone := browseIDs(t, x, sc)
		if !slices.Equal(got, alone) || tc.want != nil && !slices.Equal(got, tc.want) {
			t.Errorf("%+v: found %v, %v without the store's filters, want %v", tc, got, alone, tc.want)
		}
	}
}
