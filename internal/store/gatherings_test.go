package store_test

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/nexproxy/nexproxy/internal/store"
)

// scanAll feeds gs to q's Collect in pages as a backend would and returns
// the result and how many gatherings it read.
func scanAll(q *store.GatheringQuery, gs []store.Gathering) ([]store.Gathering, int) {
	read := 0
	out, _ := q.Collect(func(after uint32, size int, add func(store.Gathering) bool) (int, error) {
		n := 0
		for _, g := range gs {
			if g.ID <= after {
				continue
			}
			if n == size {
				break
			}
			n++
			read++
			if !add(g) {
				break
			}
		}
		return n, nil
	})
	return out, read
}

// rankedPage is the plain definition of a ranked result that Collect keeps
// while it reads: every match ranked (stable, so ties keep id order), then
// paged.
func rankedPage(q *store.GatheringQuery, matches []store.Gathering) []store.Gathering {
	slices.SortStableFunc(matches, func(a, b store.Gathering) int { return cmp.Compare(q.Rank(&a), q.Rank(&b)) })
	offset, limit := max(q.Offset, 0), q.Limit
	if limit <= 0 {
		limit = 100
	}
	if offset >= len(matches) {
		return nil
	}
	return matches[offset:min(len(matches), offset+limit)]
}

func ids(gs []store.Gathering) []uint32 {
	out := []uint32{}
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

// TestGatheringScanRanked: keeping the best Offset+Limit matches while
// reading gives what ranking every match and paging them gives
// (rankedPage), ties in id order.
func TestGatheringScanRanked(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := r.IntN(3 * store.GatheringPage)
		gs := make([]store.Gathering, n)
		for i := range gs {
			gs[i] = store.Gathering{ID: uint32(i + 1), GameMode: uint32(r.IntN(4)), ProgressScore: uint8(r.IntN(5))}
		}
		q := store.GatheringQuery{
			Match:  func(g *store.Gathering) bool { return g.GameMode != 0 },
			Rank:   func(g *store.Gathering) int64 { return int64(g.ProgressScore) },
			Offset: r.IntN(20), Limit: r.IntN(30),
		}
		var matches []store.Gathering
		for _, g := range gs {
			if q.Match(&g) {
				matches = append(matches, g)
			}
		}
		want := rankedPage(&q, matches)
		got, read := scanAll(&q, gs)
		if !slices.Equal(ids(got), ids(want)) {
			t.Fatalf("offset %d limit %d: %v, want %v", q.Offset, q.Limit, ids(got), ids(want))
		}
		if read != n {
			t.Fatalf("ranked scan read %d of %d", read, n)
		}
	}
}

// TestGatheringScanStops: without Rank reading stops once the page is
// full; it never reads more than MaxGatheringExamine gatherings.
func TestGatheringScanStops(t *testing.T) {
	gs := make([]store.Gathering, store.MaxGatheringExamine+store.GatheringPage)
	for i := range gs {
		gs[i] = store.Gathering{ID: uint32(i + 1)}
	}
	gs[len(gs)-store.GatheringPage-2].GameMode = 1 // the last one within the bound
	gs[len(gs)-1].GameMode = 1                     // beyond it
	mode1 := func(g *store.Gathering) bool { return g.GameMode == 1 }

	got, read := scanAll(&store.GatheringQuery{Match: mode1, Limit: 1}, gs)
	if want := []uint32{uint32(store.MaxGatheringExamine - 1)}; !slices.Equal(ids(got), want) || read != store.MaxGatheringExamine-1 {
		t.Errorf("first match = %v after %d reads, want %v", ids(got), read, want)
	}
	got, read = scanAll(&store.GatheringQuery{Match: mode1}, gs)
	if len(got) != 1 || read != store.MaxGatheringExamine {
		t.Errorf("all matches = %v after %d reads, want 1 match within the bound", ids(got), read)
	}
	got, read = scanAll(&store.GatheringQuery{Offset: 1, Limit: 2}, gs)
	if !slices.Equal(ids(got), []uint32{2, 3}) || read != 3 {
		t.Errorf("page = %v after %d reads", ids(got), read)
	}
}

// TestColumnsMatch: the column filters evaluated in Go, for sessions not
// stored yet.
func TestColumnsMatch(t *testing.T) {
	g := store.Gathering{GameMode: 7, MatchmakeSystem: 1, MinParticipants: 2, MaxParticipants: 8, Owner: 5}
	for _, c := range []struct {
		q    store.GatheringQuery
		want bool
	}{
		{store.GatheringQuery{}, true},
		{store.GatheringQuery{GameMode: &store.Span{Min: 7, Max: 7}}, true},
		{store.GatheringQuery{GameMode: &store.Span{Min: 8, Max: 9}}, false},
		{store.GatheringQuery{MatchmakeSystem: &store.Span{Min: 0, Max: 1}}, true},
		{store.GatheringQuery{MatchmakeSystem: &store.Span{Min: 2, Max: 2}}, false},
		{store.GatheringQuery{MinParticipants: &store.Span{Min: 3, Max: 4}}, false},
		{store.GatheringQuery{MaxParticipants: &store.Span{Min: 8, Max: 12}}, true},
		{store.GatheringQuery{HostOnly: true}, false},
		{store.GatheringQuery{Owner: 5}, true},
		{store.GatheringQuery{Owner: 6}, false},
	} {
		if got := c.q.ColumnsMatch(&g); got != c.want {
			t.Errorf("%+v: %v, want %v", c.q, got, c.want)
		}
	}
}
