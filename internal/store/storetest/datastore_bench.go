package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// SeedDataStore fills game with n published objects (32 writers, so group
// commit and pools batch them): 8 data types, 1000 owners, mixed
// permissions, tags and a rating slot 0, created over the last 30 days.
func SeedDataStore(tb testing.TB, s store.DataStore, game string, n int) {
	tb.Helper()
	ctx := context.Background()
	now := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for id := w + 1; id <= n; id += 32 {
				o := SampleDataObject(game, uint64(id), 1000+uint64(rng.IntN(1000)), now.Add(-time.Duration(rng.IntN(30*24*3600))*time.Second))
				o.Status = store.DataPublished
				o.DataType = uint16(rng.IntN(8))
				o.Permission = store.DataPermission{Permission: uint8([]int{0, 0, 0, 1, 3}[rng.IntN(5)])}
				o.Tags = []string{fmt.Sprintf("course%d", rng.IntN(50))}
				o.Ratings = []store.DataRating{{Slot: 0, TotalValue: int64(rng.IntN(10000)), Count: uint32(rng.IntN(100))}}
				o.Name = fmt.Sprintf("obj%d", rng.IntN(100000))
				if err := s.Create(ctx, o); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// BenchSearchQueries are the searches BenchmarkDataStoreSearch times,
// the shapes the service sends: newest public objects of a type, best
// rated of a type, an owner's objects, a tag, everything by update time.
func BenchSearchQueries(game string, now time.Time) []store.DataQuery {
	return []store.DataQuery{
		{Game: game, Now: now, DataTypes: []uint16{3}, Permissions: []uint8{0}, NEXStatuses: []uint8{0}, Order: store.OrderCreated, Desc: true, Limit: 20, CountLimit: 1000},
		{Game: game, Now: now, DataTypes: []uint16{5}, Permissions: []uint8{0}, NEXStatuses: []uint8{0}, Order: store.OrderRatingTotal, Desc: true, Limit: 20, CountLimit: 1000},
		{Game: game, Now: now, Owners: []uint64{1500}, Order: store.OrderCreated, Desc: true, Limit: 100, CountLimit: 1000},
		{Game: game, Now: now, Tags: []string{"course7"}, Permissions: []uint8{0}, Order: store.OrderDataID, Limit: 20, Offset: 40},
		{Game: game, Now: now, Order: store.OrderUpdated, Desc: true, Limit: 50, CountLimit: 1000},
	}
}

// BenchmarkDataStoreSearch times the BenchSearchQueries on a seeded store
// and reports the p50 and p99 latency of each shape in milliseconds.
func BenchmarkDataStoreSearch(b *testing.B, s store.DataStore, game string) {
	ctx := context.Background()
	qs := BenchSearchQueries(game, time.Now())
	lat := make([][]time.Duration, len(qs))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		k := i % len(qs)
		start := time.Now()
		if _, _, err := s.Search(ctx, qs[k]); err != nil {
			b.Fatal(err)
		}
		lat[k] = append(lat[k], time.Since(start))
	}
	var all []time.Duration
	for k, l := range lat {
		if len(l) == 0 {
			continue
		}
		all = append(all, l...)
		slices.Sort(l)
		b.ReportMetric(float64(l[len(l)*99/100])/1e6, fmt.Sprintf("p99ms/q%d", k))
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2])/1e6, "p50ms")
	b.ReportMetric(float64(all[len(all)*99/100])/1e6, "p99ms")
}
