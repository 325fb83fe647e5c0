package sqlite

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/nexproxy/nexproxy/internal/store"
)

// BenchmarkSQLiteReads measures short reads as the RMC server makes them:
// each on a fresh goroutine (a request's), 8 requests in flight per core,
// with a cancellable context.
//
//	go test -run '^$' -bench SQLiteReads ./internal/store/sqlite
func BenchmarkSQLiteReads(b *testing.B) {
	db := openTemp(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const n = 1000
	for p := uint64(1); p <= n; p++ {
		if _, err := db.Accounts().Create(ctx, store.Account{PID: p, Username: "user" + strconv.FormatUint(p, 10), Password: "pw"}); err != nil {
			b.Fatal(err)
		}
	}
	g, err := db.Gatherings().Create(ctx, store.Gathering{Game: "bench", Kind: store.KindMatchmakeSession, Owner: 1, Host: 1,
		MaxParticipants: 4, Attributes: []uint32{1, 2, 3, 4, 5, 6}, Extra: make([]byte, 200), SessionKey: make([]byte, 32),
		Participants: []store.GatheringParticipant{{PID: 1}}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		read func(i uint64) error
	}{
		{"AccountGet", func(i uint64) error { _, err := db.Accounts().Get(ctx, 1+i%n); return err }},
		{"GatheringGet", func(i uint64) error { _, err := db.Gatherings().Get(ctx, "bench", g.ID); return err }},
		{"OfPID", func(i uint64) error { _, err := db.Gatherings().OfPID(ctx, "bench", 1); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetParallelism(8)
			var next atomic.Uint64
			b.RunParallel(func(pb *testing.PB) {
				done := make(chan error)
				for pb.Next() {
					i := next.Add(1)
					go func() { done <- bc.read(i) }()
					if err := <-done; err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
