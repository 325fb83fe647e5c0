package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// TestStations checks the store.Stations contract.
func TestStations(t *testing.T, newStore func(t *testing.T) store.Stations) {
	ctx := context.Background()
	urls := []string{
		"prudp:/address=192.168.1.5;port=60000;natf=0;natm=0;pmp=0;sid=15;type=2;upnp=0",
		"prudp:/address=203.0.113.7;port=1024;natf=0;natm=0;pmp=0;sid=15;type=3;upnp=0",
	}
	ownerA := store.Owner{Instance: "inst-a", RVCID: 11}
	ownerB := store.Owner{Instance: "inst-b", RVCID: 22}

	t.Run("PutGet", func(t *testing.T) {
		s := newStore(t)
		if err := s.Put(ctx, store.Station{Game: "g", PID: 1000, Owner: ownerA, URLs: urls}, time.Minute); err != nil {
			t.Fatal(err)
		}
		for name, get := range map[string]func() (store.Station, error){
			"Get":        func() (store.Station, error) { return s.Get(ctx, "g", 1000) },
			"GetByRVCID": func() (store.Station, error) { return s.GetByRVCID(ctx, "g", 11) },
		} {
			st, err := get()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if st.Game != "g" || st.PID != 1000 || st.Owner != ownerA || !slices.Equal(st.URLs, urls) {
				t.Errorf("%s = %+v", name, st)
			}
			if d := time.Until(st.Expires); d < 50*time.Second || d > 70*time.Second {
				t.Errorf("%s: expires in %v, want about a minute", name, d)
			}
		}
		if _, err := s.Get(ctx, "other", 1000); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get in another game: %v", err)
		}
		if _, err := s.GetByRVCID(ctx, "other", 11); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetByRVCID in another game: %v", err)
		}
		if _, err := s.Get(ctx, "g", 1001); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get missing: %v", err)
		}
		if err := s.Put(ctx, store.Station{Game: "g", PID: 1, Owner: ownerA}, 0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Put ttl 0: %v, want ErrInvalid", err)
		}
		// No URLs yet (before Register) is allowed.
		if err := s.Put(ctx, store.Station{Game: "g", PID: 2, Owner: ownerB}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if st, err := s.Get(ctx, "g", 2); err != nil || len(st.URLs) != 0 {
			t.Errorf("empty URLs: %+v, %v", st, err)
		}
	})

	t.Run("ReconnectReplaces", func(t *testing.T) {
		s := newStore(t)
		if err := s.Put(ctx, store.Station{Game: "g", PID: 7, Owner: ownerA, URLs: urls[:1]}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, store.Station{Game: "g", PID: 7, Owner: ownerB, URLs: urls[1:]}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if st, err := s.Get(ctx, "g", 7); err != nil || st.Owner != ownerB || !slices.Equal(st.URLs, urls[1:]) {
			t.Errorf("after reconnect Get = %+v, %v", st, err)
		}
		if _, err := s.GetByRVCID(ctx, "g", ownerA.RVCID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("stale RVCID still found: %v", err)
		}
		// The old connection's late disconnect and refresh leave the new one alone.
		if ok, err := s.Delete(ctx, "g", 7, ownerA); err != nil || ok {
			t.Errorf("Delete by old owner = %v, %v; want false", ok, err)
		}
		if err := s.Touch(ctx, "g", 7, ownerA, time.Minute); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Touch by old owner: %v, want ErrNotFound", err)
		}
		if _, err := s.Get(ctx, "g", 7); err != nil {
			t.Errorf("entry gone after old owner's Delete: %v", err)
		}
		if ok, err := s.Delete(ctx, "g", 7, ownerB); err != nil || !ok {
			t.Errorf("Delete by owner = %v, %v; want true", ok, err)
		}
		if _, err := s.Get(ctx, "g", 7); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get after Delete: %v", err)
		}
		if _, err := s.GetByRVCID(ctx, "g", ownerB.RVCID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetByRVCID after Delete: %v", err)
		}
		if ok, err := s.Delete(ctx, "g", 7, ownerB); err != nil || ok {
			t.Errorf("second Delete = %v, %v; want false", ok, err)
		}
	})

	t.Run("LeaseExpiry", func(t *testing.T) {
		s := newStore(t)
		const ttl = time.Second
		if err := s.Put(ctx, store.Station{Game: "g", PID: 1, Owner: ownerA, URLs: urls}, ttl); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, store.Station{Game: "g", PID: 2, Owner: ownerB, URLs: urls}, ttl); err != nil {
			t.Fatal(err)
		}
		// Refreshing PID 2 keeps it alive past the first lease. (At once:
		// a loaded machine may take long between two statements.)
		if err := s.Touch(ctx, "g", 2, ownerB, 10*time.Second); err != nil {
			t.Fatalf("Touch: %v", err)
		}
		time.Sleep(ttl + ttl/4)
		if _, err := s.Get(ctx, "g", 1); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired entry still visible: %v", err)
		}
		if _, err := s.GetByRVCID(ctx, "g", ownerA.RVCID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired entry visible by RVCID: %v", err)
		}
		if err := s.Touch(ctx, "g", 1, ownerA, time.Minute); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Touch expired: %v, want ErrNotFound", err)
		}
		if st, err := s.Get(ctx, "g", 2); err != nil || time.Until(st.Expires) < 5*time.Second {
			t.Errorf("touched entry = %+v, %v", st, err)
		}
		if err := s.Put(ctx, store.Station{Game: "g", PID: 1, Owner: ownerA, URLs: urls}, time.Minute); err != nil {
			t.Fatalf("Put after expiry: %v", err)
		}
		if _, err := s.GetByRVCID(ctx, "g", ownerA.RVCID); err != nil {
			t.Errorf("GetByRVCID after re-Put: %v", err)
		}
	})

	t.Run("AllocateRVCID", func(t *testing.T) {
		s := newStore(t)
		var mu sync.Mutex
		seen := make(map[uint32]bool)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for range 50 {
					id, err := s.AllocateRVCID(ctx, "g")
					if err != nil {
						t.Errorf("AllocateRVCID: %v", err)
						return
					}
					mu.Lock()
					if id == 0 || seen[id] {
						t.Errorf("RVCID %d zero or repeated", id)
					}
					seen[id] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
	})
}
