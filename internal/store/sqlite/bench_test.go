package sqlite

import (
	"context"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/storetest"
)

// BenchmarkSQLiteGroupCommit measures acknowledged (fsynced) small writes
// per second with 64 concurrent writers, each an AllocateRVCID (one upsert).
//
//	go test -run '^$' -bench SQLiteGroupCommit -benchtime 20000x ./internal/store/sqlite
func BenchmarkSQLiteGroupCommit(b *testing.B) {
	db := openTemp(b)
	st := db.Stations()
	ctx := context.Background()
	var n atomic.Int64
	// SetParallelism multiplies GOMAXPROCS; 32 x 2 cores = 64 writers.
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := st.AllocateRVCID(ctx, "bench"); err != nil {
				b.Error(err)
				return
			}
			n.Add(1)
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "writes/s")
}

// BenchmarkSQLiteAccountCreate is the same with a heavier write: an account
// insert with its uniqueness check.
func BenchmarkSQLiteAccountCreate(b *testing.B) {
	db := openTemp(b)
	acc := db.Accounts()
	ctx := context.Background()
	var pid atomic.Uint64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p := pid.Add(1)
			if _, err := acc.Create(ctx, store.Account{PID: p, Username: "user" + strconv.FormatUint(p, 10), Password: "pw"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(pid.Load())/time.Since(start).Seconds(), "writes/s")
}

// BenchmarkIDAllocatorSQLite measures ids/s from an IDAllocator whose
// blocks are reserved durably in SQLite.
//
//	go test -run '^$' -bench IDAllocatorSQLite ./internal/store/sqlite
func BenchmarkIDAllocatorSQLite(b *testing.B) {
	a := store.NewIDAllocator(openTemp(b).UniqueIDs(), 0)
	ctx := context.Background()
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := a.Next(ctx, "g"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ids/s")
}

// BenchmarkDataStoreSearch: go test ./internal/store/sqlite -run '^$' -bench DataStoreSearch -benchtime 2000x
func BenchmarkDataStoreSearch(b *testing.B) {
	s := openTemp(b).DataStore()
	storetest.SeedDataStore(b, s, "bench", 100000)
	storetest.BenchmarkDataStoreSearch(b, s, "bench")
}
