package redis

import (
	"context"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/nexproxy/nexproxy/internal/store/storetest"
)

// BenchmarkRankings1M runs the ranking benchmarks on one category of a
// million entries, seeded with pipelined commands in the layout the
// scripts keep (see Rankings).
//
//	go test -run '^$' -bench Rankings1M -benchtime 2000x ./internal/store/redis
func BenchmarkRankings1M(b *testing.B) {
	const n = 1_000_000
	c := openTemp(b)
	r := c.Rankings()
	ctx := context.Background()
	start := time.Now()
	base := r.base("bench", 1)
	var sum uint64
	for lo := 0; lo < n; lo += 10_000 {
		pipe := c.rdb.Pipeline()
		for i := lo; i < min(lo+10_000, n); i++ {
			s := storetest.BenchRankingScore("bench", 1, i)
			pipe.ZAdd(ctx, base+":z", goredis.Z{Score: float64(s.Score), Member: member(s.Updated.UnixMilli(), s.PID, s.UniqueID)})
			pipe.HSet(ctx, base+":h", ownerField(s.PID, s.UniqueID), encodeRow(s))
			sum += uint64(s.Score)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.rdb.Set(ctx, base+":z:sum", strconv.FormatUint(sum, 10), 0).Err(); err != nil {
		b.Fatal(err)
	}
	if err := c.rdb.HSet(ctx, r.orderKey("bench"), "1", "1").Err(); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d entries in %v", n, time.Since(start))
	storetest.BenchRankings(b, r, "bench", 1, n)
}
