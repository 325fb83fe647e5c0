package sqlite

import (
	"context"
	"runtime"
	"strconv"
	"sync"
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

// BenchmarkSQLiteAutoJoin measures the store's share of issue 11's burst:
// b.N participants auto-join 4-player sessions at once (1,000 at a time,
// each batch in a fresh game), with a Match and Rank as the matchmaking
// service passes. It reports the writer's CPU per AutoJoin (µs/join).
//
//	go test -run '^$' -bench SQLiteAutoJoin -benchtime 4000x ./internal/store/sqlite
func BenchmarkSQLiteAutoJoin(b *testing.B) {
	db := openTemp(b)
	gs := db.Gatherings()
	ctx := context.Background()
	const burst, size = 1000, 4
	q := store.GatheringQuery{Kind: store.KindMatchmakeSession, OpenOnly: true, Room: 1,
		Match: func(g *store.Gathering) bool { return g.Host != 0 && g.GameMode == 1 },
		Rank:  func(g *store.Gathering) int64 { return 0 }}
	b.ResetTimer()
	for done := 0; done < b.N; done += burst {
		game := "g" + strconv.Itoa(done)
		var wg sync.WaitGroup
		for i := range min(burst, b.N-done) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pid := uint64(done + i + 1)
				create := store.Gathering{Owner: pid, Host: pid, MaxParticipants: size, MinParticipants: size, OpenParticipation: true,
					GameMode: 1, Attributes: []uint32{1, 2, 3, 4, 5, 6}, Extra: make([]byte, 200), SessionKey: make([]byte, 32)}
				if _, _, err := gs.AutoJoin(ctx, game, q, store.GatheringParticipant{PID: pid}, create); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
}
