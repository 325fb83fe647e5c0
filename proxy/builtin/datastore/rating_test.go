package datastore_test

import (
	"context"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy/builtin/datastore"
	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
)

// rate rates slot of id with v and returns the slot's rating.
func rate(u user, id uint64, slot int8, v int32) (ds.DataStoreRatingInfo, error) {
	r, err := u.c.RateObject(context.Background(), &ds.RateObjectRequest{Target: ds.DataStoreRatingTarget{DataID: id, Slot: slot},
		Param: ds.DataStoreRateObjectParam{RatingValue: v}, FetchRatings: true})
	if err != nil {
		return ds.DataStoreRatingInfo{}, err
	}
	return r.Info, nil
}

// TestRateObjectRules: the flags, range and locks of a rating slot
// (services.md §7.7): 0x10 keeps the owner out (OperationNotAllowed),
// internal flags 0x2 and 0x4 enforce range_min and range_max
// (InvalidArgument outside), 0x8 turns negative values into 0, 0x4 lets a
// user's repeat rating replace their earlier one; lock type 1 locks a
// user's next rating for period_duration seconds and 3 for ever
// (AlreadyLocked).
func TestRateObjectRules(t *testing.T) {
	_, a, b := setup(t, nil)
	p := postParam(0, 0)
	slot := func(n int8, ip ds.DataStoreRatingInitParam) ds.DataStoreRatingInitParamWithSlot {
		ip.InitialValue = 10
		return ds.DataStoreRatingInitParamWithSlot{Slot: n, Param: ip}
	}
	p.RatingInitParam = []ds.DataStoreRatingInitParamWithSlot{
		slot(0, ds.DataStoreRatingInitParam{Flag: 0x10}),
		slot(1, ds.DataStoreRatingInitParam{InternalFlag: 0x2 | 0x4, RangeMin: -2, RangeMax: 5}),
		slot(2, ds.DataStoreRatingInitParam{Flag: 0x8}),
		slot(3, ds.DataStoreRatingInitParam{LockType: 1, PeriodDuration: 60}),
		slot(4, ds.DataStoreRatingInitParam{LockType: 3}),
		slot(5, ds.DataStoreRatingInitParam{Flag: 0x4}),
		slot(6, ds.DataStoreRatingInitParam{RangeMin: -2, RangeMax: 5}), // range without the internal flags
	}
	id := upload(t, a, p, []byte("rated"))
	want := func(what string, got ds.DataStoreRatingInfo, err error, total int64, count uint32) {
		t.Helper()
		if err != nil || got.TotalValue != total || got.Count != count {
			t.Errorf("%s: %+v %v, want total %d count %d", what, got, err, total, count)
		}
	}

	_, err := rate(a, id, 0, 1)
	wantResult(t, "owner rates a 0x10 slot", err, rmc.ResultDataStoreOperationNotAllowed)
	got, err := rate(b, id, 0, 1)
	want("other user rates a 0x10 slot", got, err, 11, 1)
	got, err = rate(a, id, 1, 1)
	want("owner rates a slot without 0x10", got, err, 11, 1)

	for _, v := range []int32{-3, 6} {
		_, err = rate(b, id, 1, v)
		wantResult(t, "value outside [range_min, range_max]", err, rmc.ResultDataStoreInvalidArgument)
	}
	got, err = rate(b, id, 1, -2)
	want("range_min", got, err, 9, 2)
	got, err = rate(b, id, 1, 5)
	want("range_max", got, err, 14, 3)
	got, err = rate(b, id, 6, 100)
	want("range without internal flags", got, err, 110, 1)

	got, err = rate(b, id, 2, -4)
	want("negative value on a 0x8 slot", got, err, 10, 1)

	got, err = rate(b, id, 5, 3)
	want("first rating of a 0x4 slot", got, err, 13, 1)
	got, err = rate(b, id, 5, 4)
	want("repeat rating of a 0x4 slot", got, err, 14, 1)
	got, err = rate(a, id, 5, 1)
	want("another user on a 0x4 slot", got, err, 15, 2)

	got, err = rate(b, id, 3, 1)
	want("first rating of an interval slot", got, err, 11, 1)
	_, err = rate(b, id, 3, 1)
	wantResult(t, "rating again within the interval", err, rmc.ResultDataStoreAlreadyLocked)
	got, err = rate(a, id, 3, 1)
	want("another user within the interval", got, err, 12, 2)
	got, err = rate(b, id, 4, 1)
	want("first rating of a permanent slot", got, err, 11, 1)

	datastore.Skew(61 * time.Second)
	got, err = rate(b, id, 3, 1)
	want("rating again after the interval", got, err, 13, 3)
	datastore.Skew(30 * 24 * time.Hour)
	defer datastore.Skew(0)
	_, err = rate(b, id, 4, 1)
	wantResult(t, "rating a permanent slot again 30 days later", err, rmc.ResultDataStoreAlreadyLocked)
}
