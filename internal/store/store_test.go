package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nexproxy/nexproxy/internal/store"
)

// counterIDs is a UniqueIDs whose Reserve is a mutex-guarded counter, to
// test and measure IDAllocator alone.
type counterIDs struct {
	store.UniqueIDs
	mu       sync.Mutex
	next     uint64
	reserves atomic.Int64
	fail     bool
}

func (c *counterIDs) Reserve(_ context.Context, _ string, n uint64) (uint64, error) {
	c.reserves.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return 0, store.ErrClosed
	}
	if c.next == 0 {
		c.next = 1
	}
	first := c.next
	c.next += n
	return first, nil
}

func TestIDAllocator(t *testing.T) {
	ids := &counterIDs{}
	a := store.NewIDAllocator(ids, 10)
	ctx := context.Background()
	for want := uint64(1); want <= 25; want++ {
		if got, err := a.Next(ctx, "g"); err != nil || got != want {
			t.Fatalf("Next = %d, %v; want %d", got, err, want)
		}
	}
	if n := ids.reserves.Load(); n != 3 {
		t.Errorf("%d reservations for 25 ids in blocks of 10, want 3", n)
	}
	ids.fail = true
	for range 5 {
		if _, err := a.Next(ctx, "g"); err != nil {
			t.Fatalf("ids left in the block must not need the store: %v", err)
		}
	}
	if _, err := a.Next(ctx, "g"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("exhausted block with failing store: %v", err)
	}
}

// BenchmarkIDAllocator measures ids/s handed out by 64 goroutines from
// blocks of DefaultIDBlock (the store is an in-memory counter, so this is
// the allocator's own cost; with SQLite one Reserve per block adds about
// one group commit per 1024 ids).
//
//	go test -run '^$' -bench IDAllocator ./internal/store
func BenchmarkIDAllocator(b *testing.B) {
	a := store.NewIDAllocator(&counterIDs{}, 0)
	ctx := context.Background()
	b.SetParallelism(32)
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

func TestValidKey(t *testing.T) {
	for _, k := range []string{"a", "mk8/ghosts/1/2.bin", "A-b_c.d"} {
		if err := store.ValidKey(k); err != nil {
			t.Errorf("ValidKey(%q) = %v", k, err)
		}
	}
	if got := store.RVCIDFromCounter(0xFFFFFFFF + 1); got != 1 {
		t.Errorf("RVCID wrap = %d, want 1", got)
	}
	if got := store.RVCIDFromCounter(0xFFFFFFFF); got != 0xFFFFFFFF {
		t.Errorf("RVCID max = %d", got)
	}
}
