package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nexproxy/nexproxy/internal/store/storetest"
)

// BenchmarkRankings1M runs the ranking benchmarks on one category of a
// million entries, seeded with COPY.
//
//	go test -run '^$' -bench Rankings1M -benchtime 2000x ./internal/store/postgres
func BenchmarkRankings1M(b *testing.B) {
	const n = 1_000_000
	db := openTemp(b)
	ctx := context.Background()
	start := time.Now()
	rows := make([][]any, 0, n)
	for i := 0; i < n; i++ {
		s := storetest.BenchRankingScore("bench", 1, i)
		rows = append(rows, []any{s.Game, int64(s.Category), int64(s.PID), int64(s.UniqueID), int64(s.Score), s.Groups, int64(s.Param), s.Updated.UnixMilli()})
	}
	if _, err := db.pool.CopyFrom(ctx, pgx.Identifier{"ranking_scores"},
		[]string{"game", "category", "pid", "unique_id", "score", "groups", "param", "updated_ms"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	if err := (rankBackend{db}).SetCategoryOrder(ctx, "bench", 1, true); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d entries in %v", n, time.Since(start))
	storetest.BenchRankings(b, db.Rankings(), "bench", 1, n)
}
