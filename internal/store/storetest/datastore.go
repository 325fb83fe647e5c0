package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// SampleDataObject returns a pending object with every field set, for
// round-trip tests and benchmarks.
func SampleDataObject(game string, id, owner uint64, now time.Time) store.DataObject {
	now = now.UTC().Truncate(time.Millisecond)
	return store.DataObject{
		Game: game, DataID: id, Owner: owner, Size: 1234, Name: "ghost", DataType: 7,
		MetaBinary:       []byte{1, 2, 3},
		Permission:       store.DataPermission{Permission: 2, Recipients: []uint64{1002, 1003}},
		DeletePermission: store.DataPermission{Permission: 3},
		AccessPassword:   11, UpdatePassword: 22, Flag: 0x40, Period: 90, ReferDataID: 5,
		ReferredCount: 1, ReferredTime: now, Tags: []string{"a", "b"},
		Ratings: []store.DataRating{
			{Slot: 0, InitialValue: 10, TotalValue: 10, RangeMin: -5, RangeMax: 5, Flag: 4},
			{Slot: 3, LockType: 1, PeriodDuration: 60, PeriodHour: 4},
		},
		PersistenceSlot: store.NoPersistenceSlot, ExtraData: []string{"WUP", "4"},
		Status: store.DataPending, NEXStatus: 0, Version: 1,
		Created: now, Updated: now, Expires: now.Add(90 * 24 * time.Hour),
	}
}

// forever stands for the expiry the DataStore service gives objects in a
// persistence slot.
var forever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// TestDataStore checks the store.DataStore contract.
func TestDataStore(t *testing.T, newStore func(t *testing.T) store.DataStore) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)

	t.Run("AllocateDataID", func(t *testing.T) {
		s := newStore(t)
		for i, want := range []uint64{20000, 20001, 20002} {
			got, err := s.AllocateDataID(ctx, "mk8", 20000)
			if err != nil || got != want {
				t.Fatalf("allocation %d = %d, %v; want %d", i, got, err, want)
			}
		}
		if got, err := s.AllocateDataID(ctx, "other", 0); err != nil || got != 1 {
			t.Fatalf("other game: %d, %v", got, err)
		}
	})

	t.Run("CreateGet", func(t *testing.T) {
		s := newStore(t)
		o := SampleDataObject("g", 100, 1001, now)
		if err := s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "g", 100)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, o) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, o)
		}
		if err := s.Create(ctx, o); !errors.Is(err, store.ErrExists) {
			t.Errorf("duplicate create: %v", err)
		}
		if _, err := s.Get(ctx, "g", 101); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing: %v", err)
		}
		if _, err := s.Get(ctx, "h", 100); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("other game: %v", err)
		}
		if err := s.Create(ctx, store.DataObject{Game: "g"}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("data id 0: %v", err)
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		o := SampleDataObject("g", 1, 1001, now)
		if err := s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if _, err := s.Update(ctx, "g", 1, func(o *store.DataObject) error { o.Name = "x"; return boom }); !errors.Is(err, boom) {
			t.Fatalf("aborted update: %v", err)
		}
		if got, _ := s.Get(ctx, "g", 1); got.Name != "ghost" {
			t.Fatalf("aborted update changed the name to %q", got.Name)
		}
		up, err := s.Update(ctx, "g", 1, func(o *store.DataObject) error {
			o.Name, o.Tags, o.Version, o.MetaBinary = "new", []string{"c"}, 2, []byte("m")
			o.Permission.Recipients = []uint64{1004}
			o.Ratings[0].TotalValue = o.Ratings[0].InitialValue
			o.PersistenceSlot = 3 // ignored: slots move with Perpetuate
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.Get(ctx, "g", 1)
		if !reflect.DeepEqual(got, up) || got.Name != "new" || got.Version != 2 || !slices.Equal(got.Tags, []string{"c"}) || got.PersistenceSlot != store.NoPersistenceSlot {
			t.Fatalf("after update: %+v", got)
		}
		if _, err := s.Update(ctx, "g", 2, func(*store.DataObject) error { return nil }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing: %v", err)
		}
	})

	t.Run("PublishAndSlots", func(t *testing.T) {
		s := newStore(t)
		// A detached object expires its period (90 days) after the time
		// of the call that detached it.
		expiresFrom := func(id uint64, at time.Time) {
			t.Helper()
			got, _ := s.Get(ctx, "g", id)
			if want := at.Add(90 * 24 * time.Hour); !got.Expires.Equal(want) {
				t.Errorf("detached object %d expires %v, want %v", id, got.Expires, want)
			}
		}
		mk := func(id uint64, slot uint16, del bool, at time.Time) store.DataObject {
			t.Helper()
			o := SampleDataObject("g", id, 1001, now)
			o.PersistenceSlot, o.DeleteLastObject, o.Expires = slot, del, forever
			if err := s.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
			prev, err := s.Publish(ctx, "g", id, at)
			if err != nil {
				t.Fatalf("publish %d: %v", id, err)
			}
			return prev
		}
		if prev := mk(1, 5, false, now); prev.DataID != 0 {
			t.Errorf("first publish into slot 5 vacated %d", prev.DataID)
		}
		if got, err := s.GetBySlot(ctx, "g", 1001, 5); err != nil || got.DataID != 1 {
			t.Fatalf("slot 5 = %d, %v", got.DataID, err)
		}
		if _, err := s.Publish(ctx, "g", 1, now); !errors.Is(err, store.ErrExists) {
			t.Errorf("second publish: %v", err)
		}
		later := now.Add(time.Hour)
		prev := mk(2, 5, false, later) // detaches 1
		if got, _ := s.Get(ctx, "g", 1); got.Status != store.DataPublished || got.PersistenceSlot != store.NoPersistenceSlot {
			t.Errorf("detached object: %+v", got)
		}
		if got, _ := s.Get(ctx, "g", 1); !reflect.DeepEqual(prev, got) {
			t.Errorf("publish returned %+v, want the detached object %+v", prev, got)
		}
		expiresFrom(1, later)
		prev = mk(3, 5, true, now) // deletes 2
		if got, _ := s.Get(ctx, "g", 2); got.Status != store.DataDeleted {
			t.Errorf("replaced object status %d", got.Status)
		}
		if prev.DataID != 2 || prev.Status != store.DataDeleted || prev.Version != 1 {
			t.Errorf("publish returned %+v, want the deleted object 2", prev)
		}
		if got, _ := s.GetBySlot(ctx, "g", 1001, 5); got.DataID != 3 {
			t.Errorf("slot 5 = %d", got.DataID)
		}
		later = now.Add(2 * time.Hour)
		prev, err := s.Perpetuate(ctx, "g", 1001, 5, 1, false, later)
		if err != nil || prev.DataID != 3 {
			t.Fatalf("perpetuate: %d, %v", prev.DataID, err)
		}
		if prev.Status != store.DataPublished || prev.PersistenceSlot != store.NoPersistenceSlot {
			t.Errorf("perpetuate returned %+v, want the detached object 3", prev)
		}
		expiresFrom(3, later)
		if _, err := s.Perpetuate(ctx, "g", 1002, 5, 1, false, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("perpetuate someone else's: %v", err)
		}
		if prev, err := s.Perpetuate(ctx, "g", 1001, 5, 0, true, now); err != nil || prev.DataID != 1 || prev.Status != store.DataDeleted {
			t.Fatalf("unperpetuate: %+v, %v", prev, err)
		}
		if _, err := s.GetBySlot(ctx, "g", 1001, 5); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("emptied slot: %v", err)
		}
		if got, _ := s.Get(ctx, "g", 1); got.Status != store.DataDeleted {
			t.Errorf("unperpetuate with delete: status %d", got.Status)
		}
		if prev, err := s.Perpetuate(ctx, "g", 1001, 5, 0, false, now); err != nil || prev.DataID != 0 {
			t.Errorf("unperpetuate an empty slot: %+v, %v", prev, err)
		}
	})

	t.Run("Rate", func(t *testing.T) {
		s := newStore(t)
		o := SampleDataObject("g", 1, 1001, now)
		if err := s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		r, err := s.Rate(ctx, "g", 1, 0, 1002, 3, false, now, time.Time{})
		if err != nil || r.TotalValue != 13 || r.Count != 1 {
			t.Fatalf("rate: %+v, %v", r, err)
		}
		r, err = s.Rate(ctx, "g", 1, 0, 1002, 5, true, now, time.Time{})
		if err != nil || r.TotalValue != 15 || r.Count != 1 {
			t.Fatalf("replace: %+v, %v", r, err)
		}
		r, err = s.Rate(ctx, "g", 1, 0, 1003, -1, false, now, now.Add(time.Hour))
		if err != nil || r.TotalValue != 14 || r.Count != 2 {
			t.Fatalf("second user: %+v, %v", r, err)
		}
		if _, err := s.Rate(ctx, "g", 1, 0, 1003, 1, false, now.Add(time.Minute), time.Time{}); !errors.Is(err, store.ErrLocked) {
			t.Errorf("locked: %v", err)
		}
		if _, err := s.Rate(ctx, "g", 1, 0, 1003, 1, false, now.Add(2*time.Hour), time.Time{}); err != nil {
			t.Errorf("after the lock: %v", err)
		}
		if _, err := s.Rate(ctx, "g", 1, 9, 1003, 1, false, now, time.Time{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown slot: %v", err)
		}
		lg, err := s.RatingLog(ctx, "g", 1, 0, 1002)
		if err != nil || lg.Value != 5 || !lg.LockExpires.IsZero() {
			t.Errorf("log: %+v, %v", lg, err)
		}
		if _, err := s.RatingLog(ctx, "g", 1, 3, 1002); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no log: %v", err)
		}
		got, _ := s.Get(ctx, "g", 1)
		if r, _ := got.Rating(0); r.TotalValue != 15 || r.Count != 3 {
			t.Errorf("stored rating %+v", r)
		}
	})

	t.Run("SearchOracle", func(t *testing.T) {
		s := newStore(t)
		rng := rand.New(rand.NewPCG(1, 2))
		var all []store.DataObject
		tags := []string{"t1", "t2", "t3"}
		for id := uint64(1); id <= 300; id++ {
			o := SampleDataObject("g", id, 1000+uint64(rng.IntN(6)), now.Add(-time.Duration(rng.IntN(1000))*time.Minute))
			o.Updated = o.Created.Add(time.Duration(rng.IntN(100)) * time.Minute)
			o.Size = uint32(rng.IntN(50))
			o.Name = fmt.Sprintf("n%02d", rng.IntN(40))
			o.DataType = uint16(rng.IntN(4))
			o.Permission = store.DataPermission{Permission: uint8(rng.IntN(4))}
			if rng.IntN(3) == 0 {
				o.Permission.Recipients = []uint64{1000 + uint64(rng.IntN(6))}
			}
			o.NEXStatus = uint8([]int{0, 0, 2, 5}[rng.IntN(4)])
			o.ReferDataID = uint32(rng.IntN(3))
			o.ReferredCount = uint32(rng.IntN(5))
			o.Tags = nil
			for _, tg := range tags {
				if rng.IntN(2) == 0 {
					o.Tags = append(o.Tags, tg)
				}
			}
			o.Ratings = nil
			if rng.IntN(4) != 0 {
				o.Ratings = []store.DataRating{{Slot: 0, TotalValue: int64(rng.IntN(20)) - 5, Count: uint32(rng.IntN(4))}}
			}
			o.Status = []store.DataStatus{store.DataPending, store.DataPublished, store.DataPublished, store.DataPublished, store.DataDeleted}[rng.IntN(5)]
			o.Expires = now.Add(time.Duration(rng.IntN(100)-10) * time.Hour)
			if err := s.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
			all = append(all, o)
		}
		other := SampleDataObject("h", 1, 1000, now)
		other.Status = store.DataPublished
		if err := s.Create(ctx, other); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 300; i++ {
			q := store.DataQuery{Game: "g", Now: now, Order: store.DataOrder(rng.IntN(9)), Desc: rng.IntN(2) == 0,
				Offset: rng.IntN(30), Limit: 1 + rng.IntN(40), CountLimit: []int{0, 1000, 5}[rng.IntN(3)]}
			if rng.IntN(3) == 0 {
				q.Owners = []uint64{1000 + uint64(rng.IntN(6)), 1000 + uint64(rng.IntN(6))}
			}
			if rng.IntN(5) == 0 {
				q.ExcludeOwners = []uint64{1000 + uint64(rng.IntN(6))}
			}
			if rng.IntN(3) == 0 {
				q.Permissions = []uint8{uint8(rng.IntN(4))}
			}
			if rng.IntN(5) == 0 {
				q.Recipient = 1000 + uint64(rng.IntN(6))
			}
			if rng.IntN(5) == 0 {
				sw := &store.SharedWith{PID: 1000 + uint64(rng.IntN(6))}
				for range rng.IntN(3) {
					sw.Friends = append(sw.Friends, 1000+uint64(rng.IntN(6)))
				}
				q.SharedWith = sw
			}
			if rng.IntN(4) == 0 {
				q.NEXStatuses = []uint8{0}
			}
			if rng.IntN(2) == 0 {
				q.DataTypes = []uint16{uint16(rng.IntN(4)), uint16(rng.IntN(4))}
			}
			if rng.IntN(4) == 0 {
				q.CreatedAfter = now.Add(-time.Duration(rng.IntN(1000)) * time.Minute)
			}
			if rng.IntN(4) == 0 {
				q.CreatedBefore = now.Add(-time.Duration(rng.IntN(1000)) * time.Minute)
			}
			if rng.IntN(4) == 0 {
				q.UpdatedAfter = now.Add(-time.Duration(rng.IntN(1000)) * time.Minute)
			}
			if rng.IntN(6) == 0 {
				q.UpdatedBefore = now.Add(-time.Duration(rng.IntN(1000)) * time.Minute)
			}
			if rng.IntN(4) == 0 {
				q.ReferDataID = uint32(1 + rng.IntN(2))
			}
			if rng.IntN(3) == 0 {
				q.Tags = []string{tags[rng.IntN(3)]}
				if rng.IntN(2) == 0 {
					q.Tags = append(q.Tags, tags[rng.IntN(3)])
				}
			}
			if rng.IntN(4) == 0 {
				q.MinRatingCount = uint32(1 + rng.IntN(3))
			}
			var want []store.DataObject
			matches := 0
			cq := q
			cq.Now = time.Time{} // the count ignores expiry
			for j := range all {
				if q.Match(&all[j]) {
					want = append(want, all[j])
				}
				if cq.Match(&all[j]) {
					matches++
				}
			}
			slices.SortFunc(want, func(a, b store.DataObject) int { return q.Compare(&a, &b) })
			want = want[min(q.Offset, len(want)):]
			want = want[:min(q.Limit, len(want))]
			got, total, err := s.Search(ctx, q)
			if err != nil {
				t.Fatalf("query %d %+v: %v", i, q, err)
			}
			gotIDs, wantIDs := ids(got), ids(want)
			if !slices.Equal(gotIDs, wantIDs) {
				t.Fatalf("query %d %+v:\n got %v\nwant %v", i, q, gotIDs, wantIDs)
			}
			if wantTotal := min(matches, q.CountLimit); total != wantTotal {
				t.Fatalf("query %d: total %d, want %d", i, total, wantTotal)
			}
		}
		if _, _, err := s.Search(ctx, store.DataQuery{Game: "g", Limit: 5000}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("huge page: %v", err)
		}
	})

	t.Run("Notifications", func(t *testing.T) {
		s := newStore(t)
		if err := s.Notify(ctx, "g", 10, []uint64{1001, 1002, 1001}); err != nil {
			t.Fatal(err)
		}
		if err := s.Notify(ctx, "h", 99, []uint64{1001}); err != nil { // another game
			t.Fatal(err)
		}
		for id := uint64(11); id <= 13; id++ {
			if err := s.Notify(ctx, "g", id, []uint64{1001}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Notify(ctx, "g", 14, nil); err != nil {
			t.Fatal(err)
		}
		var seen []uint64
		var last uint64
		for page := 0; ; page++ {
			got, more, err := s.Notifications(ctx, "g", 1001, last, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range got {
				if n.ID <= last {
					t.Fatalf("ids do not increase: %+v after %d", got, last)
				}
				last = n.ID
				seen = append(seen, n.DataID)
			}
			if wantMore := page == 0; more != wantMore {
				t.Fatalf("page %d: has_next %v", page, more)
			}
			if !more {
				break
			}
		}
		if !slices.Equal(seen, []uint64{10, 11, 12, 13}) {
			t.Fatalf("recipient 1001 got %v", seen)
		}
		got, more, err := s.Notifications(ctx, "g", 1002, 0, 10)
		if err != nil || more || len(got) != 1 || got[0].DataID != 10 {
			t.Fatalf("recipient 1002: %+v %v %v", got, more, err)
		}
		if _, _, err := s.Notifications(ctx, "g", 1002, 0, 0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("limit 0: %v", err)
		}
		if latest, err := s.LatestNotification(ctx, "g", 1001); err != nil || latest != last {
			t.Errorf("latest of 1001: %d %v, want %d", latest, err, last)
		}
		if latest, err := s.LatestNotification(ctx, "g", 1003); err != nil || latest != 0 {
			t.Errorf("latest of 1003 (none): %d %v", latest, err)
		}
		if latest, err := s.LatestNotification(ctx, "h", 1002); err != nil || latest != 0 {
			t.Errorf("latest of 1002 in another game: %d %v", latest, err)
		}
	})

	t.Run("Atomic", func(t *testing.T) {
		s := newStore(t)
		for id := uint64(1); id <= 2; id++ {
			if err := s.Create(ctx, SampleDataObject("g", id, 1001, now)); err != nil {
				t.Fatal(err)
			}
		}
		boom := errors.New("boom")
		err := s.Atomic(ctx, func(ctx context.Context, tx store.DataStore) error {
			if _, err := tx.Update(ctx, "g", 1, func(o *store.DataObject) error { o.Name = "changed"; return nil }); err != nil {
				return err
			}
			if o, err := tx.Get(ctx, "g", 1); err != nil || o.Name != "changed" {
				t.Errorf("the transaction does not see its write: %q %v", o.Name, err)
			}
			if _, err := tx.Rate(ctx, "g", 2, 0, 1002, 3, false, now, time.Time{}); err != nil {
				return err
			}
			if err := tx.Create(ctx, SampleDataObject("g", 3, 1001, now)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("atomic: %v", err)
		}
		if o, _ := s.Get(ctx, "g", 1); o.Name != "ghost" {
			t.Errorf("update survived the rollback: %q", o.Name)
		}
		if o, _ := s.Get(ctx, "g", 2); o.Ratings[0].Count != 0 {
			t.Errorf("rating survived the rollback: %+v", o.Ratings[0])
		}
		if _, err := s.Get(ctx, "g", 3); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("create survived the rollback: %v", err)
		}
		// A failing call inside undoes the earlier ones too.
		err = s.Atomic(ctx, func(ctx context.Context, tx store.DataStore) error {
			if _, err := tx.Update(ctx, "g", 1, func(o *store.DataObject) error { o.Name = "changed"; return nil }); err != nil {
				return err
			}
			return tx.Create(ctx, SampleDataObject("g", 2, 1001, now)) // exists
		})
		if !errors.Is(err, store.ErrExists) {
			t.Fatalf("atomic with a duplicate: %v", err)
		}
		if o, _ := s.Get(ctx, "g", 1); o.Name != "ghost" {
			t.Errorf("update survived the failed batch: %q", o.Name)
		}
		if err := s.Atomic(ctx, func(ctx context.Context, tx store.DataStore) error {
			_, err := tx.Update(ctx, "g", 1, func(o *store.DataObject) error { o.Name = "kept"; return nil })
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if o, _ := s.Get(ctx, "g", 1); o.Name != "kept" {
			t.Errorf("committed batch lost: %q", o.Name)
		}
	})

	t.Run("Sweep", func(t *testing.T) {
		s := newStore(t)
		old := SampleDataObject("g", 1, 1001, now.Add(-time.Hour)) // pending, old
		fresh := SampleDataObject("g", 2, 1001, now)               // pending, new
		expired := SampleDataObject("g", 3, 1001, now)
		expired.Status, expired.Expires = store.DataPublished, now.Add(-time.Second)
		live := SampleDataObject("g", 4, 1001, now)
		live.Status = store.DataPublished
		for _, o := range []store.DataObject{old, fresh, expired, live} {
			if err := s.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Sweep(ctx, now.Add(-time.Minute), now, 10)
		if err != nil {
			t.Fatal(err)
		}
		gotIDs := ids(got)
		slices.Sort(gotIDs)
		if !slices.Equal(gotIDs, []uint64{1, 3}) {
			t.Fatalf("swept %v", gotIDs)
		}
		for id, want := range map[uint64]store.DataStatus{1: store.DataDeleted, 2: store.DataPending, 3: store.DataDeleted, 4: store.DataPublished} {
			if o, _ := s.Get(ctx, "g", id); o.Status != want {
				t.Errorf("object %d status %d, want %d", id, o.Status, want)
			}
		}
	})
}

func ids(objs []store.DataObject) []uint64 {
	out := []uint64{}
	for _, o := range objs {
		out = append(out, o.DataID)
	}
	return out
}
