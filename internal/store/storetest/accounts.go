package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// TestAccounts checks the store.Accounts contract.
func TestAccounts(t *testing.T, newStore func(t *testing.T) store.Accounts) {
	ctx := context.Background()

	t.Run("CreateGet", func(t *testing.T) {
		s := newStore(t)
		before := time.Now().Add(-time.Second)
		a, err := s.Create(ctx, store.Account{PID: 1750000001, Username: "Mario_64", Password: "pw-123", Game: "mk8"})
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if a.Created.Before(before) || a.Created.After(time.Now().Add(time.Second)) {
			t.Errorf("Created = %v, want about now", a.Created)
		}
		for _, get := range []func() (store.Account, error){
			func() (store.Account, error) { return s.Get(ctx, 1750000001) },
			func() (store.Account, error) { return s.GetByName(ctx, "mario_64") },
			func() (store.Account, error) { return s.GetByName(ctx, "MARIO_64") },
		} {
			g, err := get()
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if g.PID != a.PID || g.Username != "Mario_64" || g.Password.Reveal() != "pw-123" || g.Game != "mk8" || !g.Created.Equal(a.Created) {
				t.Errorf("got %+v (password %q), want %+v", g, g.Password.Reveal(), a)
			}
		}
		// A 64-bit PID (Switch) round-trips, and an empty game means any game.
		big := uint64(1)<<63 + 5
		if _, err := s.Create(ctx, store.Account{PID: big, Username: "switch", Password: "x"}); err != nil {
			t.Fatalf("Create 64-bit pid: %v", err)
		}
		if g, err := s.Get(ctx, big); err != nil || g.PID != big || g.Game != "" {
			t.Errorf("Get 64-bit pid = %+v, %v", g, err)
		}
	})

	t.Run("PasswordNeverPrinted", func(t *testing.T) {
		a := store.Account{PID: 1, Username: "u", Password: "hunter2"}
		for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%+v", a), fmt.Sprintf("%#v", a), a.Password.String(), fmt.Sprint(a.Password)} {
			if strings.Contains(s, "hunter2") {
				t.Errorf("password printed: %s", s)
			}
		}
	})

	t.Run("Errors", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Create(ctx, store.Account{PID: 10, Username: "Luigi", Password: "a"}); err != nil {
			t.Fatal(err)
		}
		expect := func(what string, err, want error) {
			t.Helper()
			if !errors.Is(err, want) {
				t.Errorf("%s: error %v, want %v", what, err, want)
			}
		}
		_, err := s.Create(ctx, store.Account{PID: 10, Username: "other", Password: "a"})
		expect("same pid", err, store.ErrExists)
		_, err = s.Create(ctx, store.Account{PID: 11, Username: "lUIGI", Password: "a"})
		expect("same name other case", err, store.ErrExists)
		_, err = s.Create(ctx, store.Account{PID: 0, Username: "zero", Password: "a"})
		expect("pid 0", err, store.ErrInvalid)
		_, err = s.Create(ctx, store.Account{PID: 12, Username: "", Password: "a"})
		expect("empty name", err, store.ErrInvalid)
		_, err = s.Get(ctx, 99)
		expect("Get missing", err, store.ErrNotFound)
		_, err = s.GetByName(ctx, "nobody")
		expect("GetByName missing", err, store.ErrNotFound)
		expect("SetPassword missing", s.SetPassword(ctx, 99, "x"), store.ErrNotFound)
		expect("Delete missing", s.Delete(ctx, 99), store.ErrNotFound)
		if n, err := s.Count(ctx); err != nil || n != 1 {
			t.Errorf("Count after failed creates = %d, %v; want 1", n, err)
		}
	})

	t.Run("SetPasswordDelete", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Create(ctx, store.Account{PID: 20, Username: "Peach", Password: "old"}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetPassword(ctx, 20, "new"); err != nil {
			t.Fatal(err)
		}
		if a, err := s.Get(ctx, 20); err != nil || a.Password.Reveal() != "new" {
			t.Errorf("after SetPassword: %q, %v", a.Password.Reveal(), err)
		}
		if err := s.Delete(ctx, 20); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, 20); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get after Delete: %v", err)
		}
		// The name is free again.
		if _, err := s.Create(ctx, store.Account{PID: 21, Username: "PEACH", Password: "p"}); err != nil {
			t.Errorf("reuse deleted name: %v", err)
		}
	})

	t.Run("ListCount", func(t *testing.T) {
		s := newStore(t)
		pids := []uint64{500, 3, 77, 1 << 40, 42, 9, 1000, 8, 2, 64}
		for _, p := range pids {
			if _, err := s.Create(ctx, store.Account{PID: p, Username: fmt.Sprintf("user%d", p), Password: "p"}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.Count(ctx); err != nil || n != int64(len(pids)) {
			t.Errorf("Count = %d, %v", n, err)
		}
		all, err := s.List(ctx, 0, 0)
		if err != nil || len(all) != len(pids) {
			t.Fatalf("List all = %d accounts, %v", len(all), err)
		}
		var paged []store.Account
		after := uint64(0)
		for {
			page, err := s.List(ctx, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 3 {
				t.Fatalf("page of %d > limit 3", len(page))
			}
			if len(page) == 0 {
				break
			}
			paged = append(paged, page...)
			after = page[len(page)-1].PID
		}
		if len(paged) != len(all) {
			t.Fatalf("paged %d accounts, all %d", len(paged), len(all))
		}
		for i := range all {
			if i > 0 && all[i].PID <= all[i-1].PID {
				t.Errorf("List not ordered by PID: %d after %d", all[i].PID, all[i-1].PID)
			}
			if paged[i].PID != all[i].PID || paged[i].Username != all[i].Username {
				t.Errorf("page item %d = %d, want %d", i, paged[i].PID, all[i].PID)
			}
		}
	})

	t.Run("ConcurrentCreateOneWinner", func(t *testing.T) {
		s := newStore(t)
		var wins, exists atomic.Int32
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				_, err := s.Create(ctx, store.Account{PID: uint64(100 + i), Username: "Contested", Password: "p"})
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, store.ErrExists):
					exists.Add(1)
				default:
					t.Errorf("Create: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 || exists.Load() != 15 {
			t.Errorf("wins %d, exists %d; want 1 and 15", wins.Load(), exists.Load())
		}
	})
}
