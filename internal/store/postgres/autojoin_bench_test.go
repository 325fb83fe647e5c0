package postgres

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// BenchmarkAutoJoin1000 auto-joins 1000 participants into 4-player
// sessions, arriving evenly over one second (half of them searching one
// pool, half every pool, as the automatch bench's consoles do), and
// reports the latency percentiles of one AutoJoin and the sessions made.
//
//	go test -run '^$' -bench AutoJoin1000 -benchtime 3x ./internal/store/postgres
func BenchmarkAutoJoin1000(b *testing.B) {
	const n, size, spread = 1000, 4, time.Second
	var all []time.Duration
	for i := range b.N {
		b.StopTimer()
		s := openTemp(b).Gatherings()
		b.StartTimer()
		ctx := context.Background()
		lat := make([]time.Duration, n)
		var wg sync.WaitGroup
		start := time.Now()
		for j := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Until(start.Add(spread * time.Duration(j) / n)))
				pid := uint64(j + 1)
				pool := "mode=1 system=1"
				if j%2 == 0 {
					pool = ""
				}
				q := store.GatheringQuery{Kind: store.KindMatchmakeSession, Room: 1, Pool: pool,
					Match: func(g *store.Gathering) bool { return g.GameMode == 1 }}
				g := store.Gathering{Owner: pid, Host: pid, MinParticipants: 1, MaxParticipants: size,
					ParticipationPolicy: 1, GameMode: 1, MatchmakeSystem: 1, OpenParticipation: true}
				t0 := time.Now()
				if _, _, err := s.AutoJoin(ctx, "g", q, store.GatheringParticipant{PID: pid}, g); err != nil {
					b.Error(err)
				}
				lat[j] = time.Since(t0)
			}()
		}
		wg.Wait()
		b.StopTimer()
		found, err := s.Search(ctx, "g", store.GatheringQuery{Limit: n})
		if err != nil {
			b.Fatal(err)
		}
		if len(found) != n/size {
			b.Errorf("run %d: %d sessions, want %d", i, len(found), n/size)
		}
		all = append(all, lat...)
		b.StartTimer()
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(all[len(all)-1].Microseconds())/1000, "max-ms")
}
