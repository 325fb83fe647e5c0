package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/nexproxy/nexproxy/internal/store"
)

// TestRankings checks the store.Rankings contract, comparing every ordered
// query with a brute-force computation over the same entries.
func TestRankings(t *testing.T, newStore func(t *testing.T) store.Rankings) {
	ctx := context.Background()
	up := func(t *testing.T, s store.Rankings, game string, cat uint32, pid, uid uint64, score uint32, groups []byte, keepBetter, desc bool) bool {
		t.Helper()
		ok, err := s.Upload(ctx, store.RankingScore{Game: game, Category: cat, PID: pid, UniqueID: uid, Score: score, Groups: groups, Param: pid * 10}, keepBetter, desc)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	all := store.RankingOrder{Filter: store.RankingFilter{GroupIndex: store.NoGroupFilter}}

	t.Run("UploadModesAndOrder", func(t *testing.T) {
		s := newStore(t)
		if _, known, err := s.CategoryOrder(ctx, "g", 1); err != nil || known {
			t.Fatalf("CategoryOrder of an empty category = %v, %v", known, err)
		}
		if !up(t, s, "g", 1, 1000, 0, 500, []byte{1, 2}, true, true) {
			t.Fatal("first upload not stored")
		}
		if up(t, s, "g", 1, 1000, 0, 400, nil, true, true) {
			t.Error("keepBetter stored a worse score (descending)")
		}
		if up(t, s, "g", 1, 1000, 0, 500, nil, true, true) {
			t.Error("keepBetter stored an equal score")
		}
		if !up(t, s, "g", 1, 1000, 0, 600, []byte{3}, true, true) {
			t.Error("keepBetter refused a better score")
		}
		if !up(t, s, "g", 1, 1000, 0, 100, []byte{4, 5}, false, true) {
			t.Error("replace refused a worse score")
		}
		// Ascending: lower is better; the category's recorded order stays.
		if !up(t, s, "g", 1, 1000, 0, 50, nil, true, false) {
			t.Error("keepBetter ascending refused a lower score")
		}
		desc, known, err := s.CategoryOrder(ctx, "g", 1)
		if err != nil || !known || !desc {
			t.Errorf("CategoryOrder = %v, %v, %v; want the first upload's descending", desc, known, err)
		}
		got, err := s.Entries(ctx, "g", 1, all, 1000)
		if err != nil || len(got) != 1 {
			t.Fatalf("Entries = %v, %v", got, err)
		}
		e := got[0]
		if e.Score != 50 || len(e.Groups) != 0 || e.Param != 10000 || e.Rank != 1 || e.Game != "g" || e.Category != 1 || e.Updated.IsZero() {
			t.Errorf("entry = %+v", e)
		}
		long := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
		up(t, s, "g", 1, 1001, 3, 70, long, false, true)
		if got, _ := s.Entries(ctx, "g", 1, all, 1001); len(got) != 1 || !bytes.Equal(got[0].Groups, long) {
			t.Errorf("ten groups came back as %v", got)
		}
		// Another game and category are apart.
		if got, _ := s.Entries(ctx, "h", 1, all, 1000); len(got) != 0 {
			t.Errorf("entries leaked across games: %v", got)
		}
		if got, _ := s.Entries(ctx, "g", 2, all, 1000); len(got) != 0 {
			t.Errorf("entries leaked across categories: %v", got)
		}
	})

	t.Run("DeleteAndChange", func(t *testing.T) {
		s := newStore(t)
		for cat := uint32(1); cat <= 3; cat++ {
			up(t, s, "g", cat, 1000, 7, 100*cat, []byte{1, 1}, false, true)
			up(t, s, "g", cat, 1000, 8, 100*cat, []byte{1, 1}, false, true)
		}
		if err := s.Delete(ctx, "g", 1, 1000, 7); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "g", 1, 1000, 7); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second Delete = %v, want ErrNotFound", err)
		}
		n, err := s.ChangeAttributes(ctx, "g", 2, false, 1000, 7, store.RankingChange{Flags: 0x02 | store.RankingChangeParam, Groups: []byte{9, 9}, Param: 77})
		if err != nil || n != 1 {
			t.Fatalf("ChangeAttributes = %d, %v", n, err)
		}
		got, _ := s.Entries(ctx, "g", 2, all, 1000)
		for _, e := range got {
			want := []byte{1, 1}
			param := uint64(10000)
			if e.UniqueID == 7 {
				want, param = []byte{1, 9}, 77
			}
			if !bytes.Equal(e.Groups, want) || e.Param != param {
				t.Errorf("after change: %+v", e)
			}
		}
		if n, err := s.ChangeAttributes(ctx, "g", 0, true, 1000, 8, store.RankingChange{Flags: 0x01, Groups: []byte{5}}); err != nil || n != 3 {
			t.Errorf("ChangeAttributes all = %d, %v; want 3", n, err)
		}
		f := store.RankingOrder{Descending: true, Filter: store.RankingFilter{GroupIndex: 0, GroupNum: 5}}
		for cat := uint32(1); cat <= 3; cat++ {
			got, _ := s.Entries(ctx, "g", cat, f, 1000)
			if len(got) != 1 || got[0].UniqueID != 8 {
				t.Errorf("category %d filtered after change all: %+v", cat, got)
			}
		}
		if n, err := s.DeleteAll(ctx, "g", 1000, 7); err != nil || n != 2 {
			t.Errorf("DeleteAll = %d, %v; want 2", n, err)
		}
		if n, err := s.DeleteAll(ctx, "g", 1000, 7); err != nil || n != 0 {
			t.Errorf("DeleteAll again = %d, %v; want 0", n, err)
		}
		for cat := uint32(1); cat <= 3; cat++ {
			got, _ := s.Entries(ctx, "g", cat, all, 1000)
			if len(got) != 1 || got[0].UniqueID != 8 {
				t.Errorf("category %d after DeleteAll: %+v", cat, got)
			}
		}
	})

	t.Run("CommonData", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.CommonData(ctx, "g", 1, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing = %v", err)
		}
		blob := bytes.Repeat([]byte{1, 2, 3}, 2000)
		if err := s.PutCommonData(ctx, "g", 1, 0, blob); err != nil {
			t.Fatal(err)
		}
		if err := s.PutCommonData(ctx, "g", 1, 5, []byte{}); err != nil {
			t.Fatal(err)
		}
		if d, err := s.CommonData(ctx, "g", 1, 0); err != nil || !bytes.Equal(d, blob) {
			t.Errorf("CommonData = %d bytes, %v", len(d), err)
		}
		if d, err := s.CommonData(ctx, "g", 1, 5); err != nil || len(d) != 0 {
			t.Errorf("empty CommonData = %v, %v", d, err)
		}
		for _, k := range [][2]uint64{{2, 0}, {1, 6}} {
			if _, err := s.CommonData(ctx, "g", k[0], k[1]); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("CommonData %v = %v", k, err)
			}
		}
		if _, err := s.CommonData(ctx, "h", 1, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CommonData of another game = %v", err)
		}
		if err := s.DeleteCommonData(ctx, "g", 1, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteCommonData(ctx, "g", 1, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete = %v", err)
		}
	})

	t.Run("RanksExample", func(t *testing.T) {
		// services.md §5.2: ascending 123, 178, 178, 196 → 1 2 2 4 / 1 2 3 4.
		s := newStore(t)
		for i, sc := range []uint32{196, 178, 123, 178} {
			up(t, s, "g", 1, uint64(2000+i), 0, sc, nil, false, false)
		}
		for _, ordinal := range []bool{false, true} {
			o := all
			o.Ordinal = ordinal
			page, err := s.Page(ctx, "g", 1, o, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			var ranks []uint32
			var pids []uint64
			for _, e := range page {
				ranks = append(ranks, e.Rank)
				pids = append(pids, e.PID)
			}
			want := []uint32{1, 2, 2, 4}
			if ordinal {
				want = []uint32{1, 2, 3, 4}
			}
			if !slices.Equal(ranks, want) || !slices.Equal(pids, []uint64{2002, 2001, 2003, 2000}) {
				t.Errorf("ordinal=%v: ranks %v pids %v", ordinal, ranks, pids)
			}
		}
		if r, _ := s.ScoreRank(ctx, "g", 1, all, 178); r != 2 {
			t.Errorf("ScoreRank(178) = %d, want 2", r)
		}
		if r, _ := s.ScoreRank(ctx, "g", 1, all, 500); r != 5 {
			t.Errorf("ScoreRank(500) = %d, want 5", r)
		}
		st, err := s.Stats(ctx, "g", 1, all.Filter)
		if err != nil || st != (store.RankingStats{Count: 4, Sum: 675, Min: 123, Max: 196}) {
			t.Errorf("Stats = %+v, %v", st, err)
		}
		if st, _ := s.Stats(ctx, "g", 9, all.Filter); st != (store.RankingStats{}) {
			t.Errorf("Stats of an empty category = %+v", st)
		}
	})

	t.Run("AgainstBruteForce", func(t *testing.T) {
		s := newStore(t)
		rng := rand.New(rand.NewPCG(1, 2))
		const n = 300
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int, score uint32, g0, g1 byte) {
				defer wg.Done()
				_, err := s.Upload(ctx, store.RankingScore{Game: "g", Category: 5, PID: uint64(1000 + i%250), UniqueID: uint64(i / 250),
					Score: score, Groups: []byte{g0, g1}, Param: uint64(i)}, false, true)
				if err != nil {
					errs <- err
				}
			}(i, uint32(rng.IntN(40)*10), byte(rng.IntN(3)), byte(rng.IntN(2)))
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		filters := []store.RankingFilter{{GroupIndex: 255}, {GroupIndex: 0, GroupNum: 1}, {GroupIndex: 1, GroupNum: 0}, {GroupIndex: 3, GroupNum: 0}}
		for _, desc := range []bool{false, true} {
			for _, ordinal := range []bool{false, true} {
				for _, f := range filters {
					o := store.RankingOrder{Descending: desc, Ordinal: ordinal, Filter: f}
					t.Run(fmt.Sprintf("desc=%v,ordinal=%v,filter=%d/%d", desc, ordinal, f.GroupIndex, f.GroupNum), func(t *testing.T) {
						checkAgainstBruteForce(ctx, t, s, o)
					})
				}
			}
		}
	})
}

// checkAgainstBruteForce reads the whole category of AgainstBruteForce
// under o and checks order, ranks, pages, windows and stats.
func checkAgainstBruteForce(ctx context.Context, t *testing.T, s store.Rankings, o store.RankingOrder) {
	full, err := s.Page(ctx, "g", 5, o, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, e := range full {
		if !o.Filter.Match(e.Groups) {
			t.Fatalf("filter let %+v through", e)
		}
	}
	ordinalBefore := func(i int) int { return i + 1 }
	for i := range full {
		if i > 0 && !store.RankingLess(&full[i-1].RankingScore, &full[i].RankingScore, o.Descending) {
			t.Fatalf("entries %d and %d out of order: %+v %+v", i-1, i, full[i-1], full[i])
		}
		r := ordinalBefore(i)
		if !o.Ordinal {
			r = 1
			for _, f := range full {
				if store.RankingBetter(f.Score, full[i].Score, o.Descending) {
					r++
				}
			}
		}
		if full[i].Rank != uint32(r) {
			t.Fatalf("entry %d rank %d, want %d", i, full[i].Rank, r)
		}
	}
	// Count every filtered entry by brute force from the unfiltered list.
	unf, _ := s.Page(ctx, "g", 5, store.RankingOrder{Filter: store.RankingFilter{GroupIndex: 255}}, 0, 1<<20)
	for _, e := range unf {
		if o.Filter.Match(e.Groups) {
			want++
		}
	}
	if len(full) != want || len(unf) != 300 {
		t.Fatalf("%d filtered entries, want %d (of %d)", len(full), want, len(unf))
	}
	for _, off := range []int{0, 1, 7, len(full) - 3, len(full), len(full) + 5} {
		if off < 0 {
			continue
		}
		page, err := s.Page(ctx, "g", 5, o, uint32(off), 10)
		if err != nil {
			t.Fatal(err)
		}
		wantPage := full[min(off, len(full)):min(off+10, len(full))]
		if !sameRanked(page, wantPage) {
			t.Errorf("page at %d differs:\n got %v\nwant %v", off, page, wantPage)
		}
	}
	for _, i := range []int{0, 1, 5, len(full) / 2, len(full) - 2, len(full) - 1} {
		if i < 0 || i >= len(full) {
			continue
		}
		e := full[i]
		for _, n := range []int{1, 10, 11} {
			win, err := s.Around(ctx, "g", 5, o, e.PID, e.UniqueID, n)
			if err != nil {
				t.Fatal(err)
			}
			start := int(store.AroundStart(uint64(i), n))
			wantWin := full[min(start, len(full)):min(start+n, len(full))]
			if !sameRanked(win, wantWin) {
				t.Errorf("window of %d around %d differs", n, i)
			}
		}
		got, err := s.Entries(ctx, "g", 5, o, e.PID)
		if err != nil {
			t.Fatal(err)
		}
		var wantE []store.RankedScore
		for _, f := range full {
			if f.PID == e.PID {
				wantE = append(wantE, f)
			}
		}
		if !sameRanked(got, wantE) {
			t.Errorf("Entries(%d) = %v, want %v", e.PID, got, wantE)
		}
		byID, err := s.ByUniqueIDs(ctx, "g", 5, o, []uint64{1})
		if err != nil {
			t.Fatal(err)
		}
		var wantID []store.RankedScore
		for _, f := range full {
			if f.UniqueID == 1 {
				wantID = append(wantID, f)
			}
		}
		if !sameRanked(byID, wantID) {
			t.Errorf("ByUniqueIDs differs")
		}
	}
	st, err := s.Stats(ctx, "g", 5, o.Filter)
	if err != nil {
		t.Fatal(err)
	}
	var ws store.RankingStats
	for i, e := range full {
		ws.Count++
		ws.Sum += float64(e.Score)
		if i == 0 || e.Score < ws.Min {
			ws.Min = e.Score
		}
		ws.Max = max(ws.Max, e.Score)
	}
	if st != ws {
		t.Errorf("Stats = %+v, want %+v", st, ws)
	}
	for _, score := range []uint32{0, 5, 100, 390, 1000} {
		r, err := s.ScoreRank(ctx, "g", 5, o, score)
		if err != nil {
			t.Fatal(err)
		}
		want := uint32(1)
		for _, f := range full {
			if store.RankingBetter(f.Score, score, o.Descending) {
				want++
			}
		}
		if r != want {
			t.Errorf("ScoreRank(%d) = %d, want %d", score, r, want)
		}
	}
}

func sameRanked(a, b []store.RankedScore) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.PID != y.PID || x.UniqueID != y.UniqueID || x.Rank != y.Rank || x.Score != y.Score || x.Param != y.Param ||
			!bytes.Equal(x.Groups, y.Groups) || !x.Updated.Equal(y.Updated) {
			return false
		}
	}
	return true
}
