package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store/storetest"
)

// BenchmarkRankings1M runs the ranking benchmarks on one category of a
// million entries, seeded in one transaction.
//
//	go test -run '^$' -bench Rankings1M -benchtime 2000x ./internal/store/sqlite
func BenchmarkRankings1M(b *testing.B) {
	const n = 1_000_000
	db := openTemp(b)
	ctx := context.Background()
	start := time.Now()
	err := db.write(ctx, func(ctx context.Context, tx *Tx) error {
		for i := 0; i < n; i++ {
			s := storetest.BenchRankingScore("bench", 1, i)
			if _, err := tx.exec(ctx, qRankPut, s.Game, int64(s.Category), int64(s.PID), int64(s.UniqueID), int64(s.Score),
				s.Groups, int64(s.Param), s.Updated.UnixMilli()); err != nil {
				return err
			}
		}
		_, err := tx.exec(ctx, qRankSetOrder, "bench", int64(1), true)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d entries in %v", n, time.Since(start))
	storetest.BenchRankings(b, db.Rankings(), "bench", 1, n)
}
