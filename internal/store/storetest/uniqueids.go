package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/nexproxy/nexproxy/internal/store"
)

// TestUniqueIDs checks the store.UniqueIDs contract and the IDAllocator
// running on top of it.
func TestUniqueIDs(t *testing.T, newStore func(t *testing.T) store.UniqueIDs) {
	ctx := context.Background()

	t.Run("Reserve", func(t *testing.T) {
		s := newStore(t)
		first, err := s.Reserve(ctx, "mk8", 10)
		if err != nil || first != 1 {
			t.Fatalf("first Reserve = %d, %v; want 1", first, err)
		}
		second, err := s.Reserve(ctx, "mk8", 5)
		if err != nil || second != 11 {
			t.Errorf("second Reserve = %d, %v; want 11", second, err)
		}
		if other, err := s.Reserve(ctx, "smm", 1); err != nil || other != 1 {
			t.Errorf("other game Reserve = %d, %v; want 1 (games are separate)", other, err)
		}
		for _, n := range []uint64{0, 1<<32 + 1} {
			if _, err := s.Reserve(ctx, "mk8", n); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Reserve(%d): %v, want ErrInvalid", n, err)
			}
		}
	})

	t.Run("ReserveConcurrent", func(t *testing.T) {
		s := newStore(t)
		var mu sync.Mutex
		var firsts []uint64
		var wg sync.WaitGroup
		for range 16 {
			wg.Go(func() {
				for range 5 {
					f, err := s.Reserve(ctx, "g", 100)
					if err != nil {
						t.Errorf("Reserve: %v", err)
						return
					}
					mu.Lock()
					firsts = append(firsts, f)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(firsts)
		for i, f := range firsts {
			if f != uint64(1+100*i) {
				t.Fatalf("blocks overlap or leave gaps: sorted firsts %v", firsts)
			}
		}
	})

	t.Run("Associate", func(t *testing.T) {
		s := newStore(t)
		a, b, c := store.UniqueID{ID: 100, Password: 7}, store.UniqueID{ID: 200}, store.UniqueID{ID: 300, Password: 9}
		for _, id := range []store.UniqueID{a, b, c} {
			if err := s.Associate(ctx, "g", 1, id); err != nil {
				t.Fatalf("Associate %v: %v", id, err)
			}
		}
		// Primary (the first) first, then most recent first.
		want := []store.UniqueID{a, c, b}
		if got, err := s.Associations(ctx, "g", 1); err != nil || !slices.Equal(got, want) {
			t.Errorf("Associations = %v, %v; want %v", got, err, want)
		}
		if err := s.Associate(ctx, "g", 1, a); err != nil {
			t.Errorf("re-associating a held id: %v", err)
		}
		if got, _ := s.Associations(ctx, "g", 1); !slices.Equal(got, want) {
			t.Errorf("after no-op Associate = %v, want %v", got, want)
		}
		if err := s.Associate(ctx, "g", 2, b); !errors.Is(err, store.ErrExists) {
			t.Errorf("id held by another pid: %v, want ErrExists", err)
		}
		if err := s.Associate(ctx, "g", 1, store.UniqueID{ID: 100, Password: 8}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("wrong password: %v, want ErrInvalid", err)
		}
		id, pid, err := s.Lookup(ctx, "g", 300)
		if err != nil || pid != 1 || id != c {
			t.Errorf("Lookup = %v, %d, %v", id, pid, err)
		}
		if _, _, err := s.Lookup(ctx, "g", 999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Lookup unknown: %v", err)
		}
		if _, _, err := s.Lookup(ctx, "other", 300); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Lookup in another game: %v", err)
		}
		if got, err := s.Associations(ctx, "g", 42); err != nil || len(got) != 0 {
			t.Errorf("Associations of nobody = %v, %v", got, err)
		}
		if err := s.Associate(ctx, "g", 1, store.UniqueID{ID: 0}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("id 0: %v, want ErrInvalid", err)
		}
	})

	t.Run("SetAssociations", func(t *testing.T) {
		s := newStore(t)
		x, y, z := store.UniqueID{ID: 1, Password: 1}, store.UniqueID{ID: 2, Password: 2}, store.UniqueID{ID: 3, Password: 3}
		if err := s.SetAssociations(ctx, "g", 1, []store.UniqueID{x, y, z}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Associations(ctx, "g", 1); !slices.Equal(got, []store.UniqueID{x, y, z}) {
			t.Errorf("after Set = %v, want list order", got)
		}
		if err := s.SetAssociations(ctx, "g", 1, []store.UniqueID{z, x}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Associations(ctx, "g", 1); !slices.Equal(got, []store.UniqueID{z, x}) {
			t.Errorf("after second Set = %v", got)
		}
		// y was released and keeps existing with its password.
		if id, pid, err := s.Lookup(ctx, "g", 2); err != nil || pid != 0 || id != y {
			t.Errorf("released id Lookup = %v, %d, %v", id, pid, err)
		}
		if err := s.Associate(ctx, "g", 2, y); err != nil {
			t.Errorf("take released id: %v", err)
		}
		// Failures change nothing.
		before, _ := s.Associations(ctx, "g", 1)
		if err := s.SetAssociations(ctx, "g", 1, []store.UniqueID{{ID: 50}, y}); !errors.Is(err, store.ErrExists) {
			t.Errorf("Set with another pid's id: %v, want ErrExists", err)
		}
		if err := s.SetAssociations(ctx, "g", 1, []store.UniqueID{{ID: 51}, {ID: 3, Password: 4}}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Set with wrong password: %v, want ErrInvalid", err)
		}
		if got, _ := s.Associations(ctx, "g", 1); !slices.Equal(got, before) {
			t.Errorf("failed Set changed associations: %v, want %v", got, before)
		}
		if _, _, err := s.Lookup(ctx, "g", 50); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("failed Set recorded id 50: %v", err)
		}
		if err := s.SetAssociations(ctx, "g", 1, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Associations(ctx, "g", 1); err != nil || len(got) != 0 {
			t.Errorf("after clearing = %v, %v", got, err)
		}
		if err := s.SetAssociations(ctx, "g", 5, []store.UniqueID{x, x}); err != nil {
			t.Errorf("duplicate ids in one Set: %v", err)
		}
	})

	t.Run("Allocator", func(t *testing.T) {
		s := newStore(t)
		a1 := store.NewIDAllocator(s, 64)
		a2 := store.NewIDAllocator(s, 100) // a second instance sharing the store
		var mu sync.Mutex
		seen := make(map[uint64]bool)
		var wg sync.WaitGroup
		for i := range 8 {
			alloc := a1
			if i%2 == 1 {
				alloc = a2
			}
			wg.Go(func() {
				for range 500 {
					id, err := alloc.Next(ctx, "g")
					if err != nil {
						t.Errorf("Next: %v", err)
						return
					}
					mu.Lock()
					if seen[id] || id == 0 {
						t.Errorf("id %d handed out twice (or zero)", id)
					}
					seen[id] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 4000 {
			t.Errorf("%d distinct ids, want 4000", len(seen))
		}
	})
}
