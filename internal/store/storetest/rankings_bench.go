package storetest

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// BenchRankingScore is entry i of the benchmark dataset: PID 1+i, unique
// id 0, a pseudo-random score below 10,000,000 (ties happen), no groups,
// updates 1 ms apart.
func BenchRankingScore(game string, cat uint32, i int) store.RankingScore {
	return store.RankingScore{Game: game, Category: cat, PID: uint64(1 + i), Score: uint32((uint64(i) * 2654435761) % 10_000_000),
		Groups: []byte{}, Param: uint64(i), Updated: time.UnixMilli(1_700_000_000_000 + int64(i)).UTC()}
}

// BenchRankings measures the queries the Ranking service makes on a
// category that already holds n entries made by BenchRankingScore (the
// backend's benchmark seeds it in bulk): a window of 11 around a random
// user (GetRanking mode 1) with its p99, a page of 10 (mode 0), stats,
// and uploads from 64 concurrent callers.
func BenchRankings(b *testing.B, s store.Rankings, game string, cat uint32, n int) {
	ctx := context.Background()
	o := store.RankingOrder{Descending: true, Filter: store.RankingFilter{GroupIndex: store.NoGroupFilter}}
	start := time.Now()
	if _, err := s.Stats(ctx, game, cat, o.Filter); err != nil {
		b.Fatal(err)
	}
	b.Logf("first query (loads the category where the backend caches it): %v", time.Since(start))
	b.Run("AroundSelf", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 1))
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			pid := uint64(1 + rng.IntN(n))
			t0 := time.Now()
			rows, err := s.Around(ctx, game, cat, o, pid, 0, 11)
			lat = append(lat, time.Since(t0))
			if err != nil || len(rows) == 0 {
				b.Fatalf("around %d: %d rows, %v", pid, len(rows), err)
			}
		}
		reportP99(b, lat)
	})
	b.Run("Page", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(2, 2))
		for b.Loop() {
			if _, err := s.Page(ctx, game, cat, o, uint32(rng.IntN(1000)), 10); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Stats", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			t0 := time.Now()
			if _, err := s.Stats(ctx, game, cat, o.Filter); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		reportP99(b, lat)
	})
	b.Run("Upload", func(b *testing.B) {
		var seq atomic.Uint64
		b.SetParallelism(128) // 128 x GOMAXPROCS concurrent callers, as many consoles would be
		t0 := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := seq.Add(1)
				_, err := s.Upload(ctx, store.RankingScore{Game: game, Category: cat, PID: 1 + (i*7919)%uint64(n),
					Score: uint32(i * 104729 % 10_000_000), Groups: []byte{}}, false, true)
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "uploads/s")
	})
}

func reportP99(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
