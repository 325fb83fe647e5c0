package datastore_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
)

func exists(t *testing.T, u user, id uint64) bool {
	t.Helper()
	_, err := u.c.GetMeta(context.Background(), &ds.GetMetaRequest{Param: metaParam(id, 0)})
	return err == nil
}

func name(t *testing.T, u user, id uint64) string {
	t.Helper()
	m, err := u.c.GetMeta(context.Background(), &ds.GetMetaRequest{Param: metaParam(id, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return m.Info.Name
}

func TestTransactionalBatches(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	post := func(u user) uint64 {
		r, err := u.c.PostMetaBinary(ctx, &ds.PostMetaBinaryRequest{Param: postParam(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		return r.DataID
	}
	mine1, mine2, theirs := post(a), post(a), post(b)

	// DeleteObjects: the second item is b's object (delete permission 3).
	del := []ds.DataStoreDeleteParam{{DataID: mine1}, {DataID: theirs}}
	_, err := a.c.DeleteObjects(ctx, &ds.DeleteObjectsRequest{Param: del, Transactional: true})
	wantResult(t, "transactional delete", err, rmc.ResultDataStorePermissionDenied)
	if !exists(t, a, mine1) {
		t.Fatal("a failed transactional DeleteObjects deleted its first item")
	}

	// ChangeMetas: the last item is unknown.
	cm := func(id uint64, n string) ds.DataStoreChangeMetaParam {
		return ds.DataStoreChangeMetaParam{DataID: id, ModifiesFlag: 0x1, Name: n}
	}
	_, err = a.c.ChangeMetas(ctx, &ds.ChangeMetasRequest{DataIDs: []uint64{mine1, mine2, 999999},
		Param: []ds.DataStoreChangeMetaParam{cm(mine1, "x1"), cm(mine2, "x2"), cm(999999, "x3")}, Transactional: true})
	wantResult(t, "transactional change", err, rmc.ResultDataStoreNotFound)
	if n1, n2 := name(t, a, mine1), name(t, a, mine2); n1 != "ghost" || n2 != "ghost" {
		t.Fatalf("a failed transactional ChangeMetas renamed: %q %q", n1, n2)
	}
	r, err := a.c.ChangeMetas(ctx, &ds.ChangeMetasRequest{DataIDs: []uint64{mine1, mine2},
		Param: []ds.DataStoreChangeMetaParam{cm(mine1, "x1"), cm(mine2, "x2")}, Transactional: true})
	if err != nil || !slices.Equal(r.Results, []rmc.Result{rmc.ResultSuccess, rmc.ResultSuccess}) {
		t.Fatalf("transactional change: %+v %v", r, err)
	}
	if n1, n2 := name(t, a, mine1), name(t, a, mine2); n1 != "x1" || n2 != "x2" {
		t.Fatalf("after a transactional ChangeMetas: %q %q", n1, n2)
	}

	// RateObjects: the second target has no slot 4.
	rate := func(transactional bool) (*ds.RateObjectsResponse, error) {
		return b.c.RateObjects(ctx, &ds.RateObjectsRequest{
			Targets:       []ds.DataStoreRatingTarget{{DataID: mine1}, {DataID: mine2, Slot: 4}},
			Param:         []ds.DataStoreRateObjectParam{{RatingValue: 3}, {RatingValue: 3}},
			Transactional: transactional, FetchRatings: true})
	}
	_, err = rate(true)
	wantResult(t, "transactional rate", err, rmc.ResultDataStoreInvalidArgument)
	if g, err := b.c.GetRating(ctx, &ds.GetRatingRequest{Target: ds.DataStoreRatingTarget{DataID: mine1}}); err != nil || g.Rating.Count != 0 {
		t.Fatalf("a failed transactional RateObjects rated: %+v %v", g, err)
	}
	rr, err := rate(false)
	if err != nil || !slices.Equal(rr.Results, []rmc.Result{rmc.ResultSuccess, rmc.ResultDataStoreInvalidArgument | rmc.ResultErrorBit}) || rr.Infos[0].Count != 1 {
		t.Fatalf("per-item rate: %+v %v", rr, err)
	}

	// PostMetaBinariesWithDataId: the second id is taken.
	free := mine1 + 1000
	_, err = a.c.PostMetaBinariesWithDataId(ctx, &ds.PostMetaBinariesWithDataIdRequest{DataIDs: []uint64{free, theirs},
		Param: []ds.DataStorePreparePostParam{postParam(0, 0), postParam(0, 0)}, Transactional: true})
	wantResult(t, "transactional post", err, rmc.ResultDataStoreOperationNotAllowed)
	if exists(t, a, free) {
		t.Fatal("a failed transactional PostMetaBinariesWithDataId posted its first item")
	}

	// ResetRatings: the second object is b's.
	_, err = a.c.ResetRatings(ctx, &ds.ResetRatingsRequest{DataIDs: []uint64{mine1, theirs}, Transactional: true})
	wantResult(t, "transactional reset", err, rmc.ResultDataStorePermissionDenied)
	if g, _ := a.c.GetRating(ctx, &ds.GetRatingRequest{Target: ds.DataStoreRatingTarget{DataID: mine1}}); g == nil || g.Rating.Count != 1 {
		t.Fatalf("a failed transactional ResetRatings reset: %+v", g)
	}

	// Not transactional: per-item results, the good items applied.
	dr, err := a.c.DeleteObjects(ctx, &ds.DeleteObjectsRequest{Param: del})
	if err != nil || !slices.Equal(dr.Results, []rmc.Result{rmc.ResultSuccess, rmc.ResultDataStorePermissionDenied | rmc.ResultErrorBit}) {
		t.Fatalf("per-item delete: %+v %v", dr, err)
	}
	if exists(t, a, mine1) || !exists(t, b, theirs) {
		t.Fatal("per-item delete did not delete exactly the first")
	}
	// A transactional delete that succeeds removes every item.
	dr, err = a.c.DeleteObjects(ctx, &ds.DeleteObjectsRequest{Param: []ds.DataStoreDeleteParam{{DataID: mine2}}, Transactional: true})
	if err != nil || len(dr.Results) != 1 || exists(t, a, mine2) {
		t.Fatalf("transactional delete: %+v %v", dr, err)
	}
}

func TestNewArrivedNotifications(t *testing.T) {
	srv, a, b := setup(t, nil)
	ctx := context.Background()
	cc := srv.Login(t, "1003:pw3")
	c := user{1003, ds.NewClient(cc.Secure, cc.Settings)}
	notify := postParam(0, 2, 1002)
	notify.Flag = 0x8
	var want []uint64
	for range 3 {
		r, err := a.c.PostMetaBinary(ctx, &ds.PostMetaBinaryRequest{Param: notify})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r.DataID)
	}
	// Uploaded objects notify when completed.
	want = append(want, upload(t, a, notify, []byte("content")))
	// Without the flag, or for others: nothing.
	if _, err := a.c.PostMetaBinary(ctx, &ds.PostMetaBinaryRequest{Param: postParam(0, 2, 1002)}); err != nil {
		t.Fatal(err)
	}
	var got []uint64
	var last uint64
	for page := 0; ; page++ {
		r, err := b.c.GetNewArrivedNotifications(ctx, &ds.GetNewArrivedNotificationsRequest{
			Param: ds.DataStoreGetNewArrivedNotificationsParam{LastNotificationID: last, Limit: 3}})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range r.Result {
			if n.NotificationID <= last {
				t.Fatalf("ids do not increase: %+v", r.Result)
			}
			last = n.NotificationID
			got = append(got, n.DataID)
		}
		if r.HasNext != (page == 0) {
			t.Fatalf("page %d: has_next %v", page, r.HasNext)
		}
		if !r.HasNext {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("notifications %v, want %v", got, want)
	}
	v1, err := b.c.GetNewArrivedNotificationsV1(ctx, &ds.GetNewArrivedNotificationsV1Request{Param: ds.DataStoreGetNewArrivedNotificationsParam{Limit: 10}})
	if err != nil || len(v1.Result) != 4 || uint64(v1.Result[3].DataID) != want[3] || v1.HasNext {
		t.Fatalf("V1: %+v %v", v1, err)
	}
	for _, u := range []user{a, c} {
		r, err := u.c.GetNewArrivedNotifications(ctx, &ds.GetNewArrivedNotificationsRequest{Param: ds.DataStoreGetNewArrivedNotificationsParam{Limit: 10}})
		if err != nil || len(r.Result) != 0 {
			t.Fatalf("%d got %+v %v", u.pid, r, err)
		}
	}
}

func TestChangeMetaCompareParam(t *testing.T) {
	_, a, _ := setup(t, nil)
	ctx := context.Background()
	r, err := a.c.PostMetaBinary(ctx, &ds.PostMetaBinaryRequest{Param: postParam(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	change := func(cmp ds.DataStoreChangeMetaCompareParam, n string) error {
		_, err := a.c.ChangeMeta(ctx, &ds.ChangeMetaRequest{Param: ds.DataStoreChangeMetaParam{DataID: r.DataID, ModifiesFlag: 0x1, Name: n, CompareParam: cmp}})
		return err
	}
	err = change(ds.DataStoreChangeMetaCompareParam{ComparisonFlag: 0x1, Name: "other"}, "x")
	wantResult(t, "name differs", err, rmc.ResultDataStoreValueNotEqual)
	err = change(ds.DataStoreChangeMetaCompareParam{ComparisonFlag: 0x1 | 0x80, Name: "ghost", DataType: 8}, "x")
	wantResult(t, "data type differs", err, rmc.ResultDataStoreValueNotEqual)
	if n := name(t, a, r.DataID); n != "ghost" {
		t.Fatalf("a failed comparison changed the name to %q", n)
	}
	if err := change(ds.DataStoreChangeMetaCompareParam{ComparisonFlag: 0x1 | 0x80 | 0x10 | 0x20, Name: "ghost", DataType: 7,
		MetaBinary: []byte("meta"), Tags: []string{"t1"}}, "x"); err != nil {
		t.Fatal(err)
	}
	if err := change(ds.DataStoreChangeMetaCompareParam{}, "y"); err != nil { // no condition
		t.Fatal(err)
	}
	if n := name(t, a, r.DataID); n != "y" {
		t.Fatalf("name %q", n)
	}
}

func TestSearchMinimalRatingFrequency(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	var ids []uint64
	for i := range 3 {
		r, err := a.c.PostMetaBinary(ctx, &ds.PostMetaBinaryRequest{Param: postParam(0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.DataID)
		for range i { // object i is rated i times (slot 0 is modifiable: no)
			if _, err := b.c.RateObject(ctx, &ds.RateObjectRequest{Target: ds.DataStoreRatingTarget{DataID: r.DataID}, Param: ds.DataStoreRateObjectParam{RatingValue: 1}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		col, min uint8
		want     []uint64
	}{
		{64, 0, []uint64{ids[2], ids[1], ids[0]}},
		{64, 1, []uint64{ids[2], ids[1]}},
		{96, 2, []uint64{ids[2]}},
		{0, 2, []uint64{ids[2], ids[1], ids[0]}}, // not a rating order: no filter
	} {
		p := searchParam(1)
		p.ResultOrderColumn, p.ResultOrder, p.MinimalRatingFrequency = tc.col, 1, uint32(tc.min)
		got, _ := searchIDs(t, a, p)
		if !slices.Equal(got, tc.want) {
			t.Errorf("column %d, minimal frequency %d: %v, want %v", tc.col, tc.min, got, tc.want)
		}
	}
}

// TestNotificationUrl: the URL GetNotificationUrl hands out serves the
// caller's notifier, which names the newest notification and changes when
// one arrives, without another call.
func TestNotificationUrl(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	r, err := b.c.GetNotificationUrl(ctx, &ds.GetNotificationUrlRequest{})
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info
	if !strings.HasSuffix(info.URL, "/") || !strings.HasPrefix(info.Key, "/") || !strings.HasPrefix(info.Query, "?") {
		t.Fatalf("url %q key %q query %q", info.URL, info.Key, info.Query)
	}
	url := strings.TrimSuffix(info.URL, "/") + info.Key + info.Query
	poll := func() (uint64, uint64) {
		t.Helper()
		body := download(t, ds.DataStoreReqGetInfo{URL: url})
		f := strings.Split(string(body), ",")
		if len(f) != 3 {
			t.Fatalf("notifier %q", body)
		}
		id, err1 := strconv.ParseUint(f[0], 10, 64)
		pid, err2 := strconv.ParseUint(f[1], 10, 64)
		if _, err3 := strconv.ParseInt(f[2], 10, 64); err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("notifier %q", body)
		}
		return id, pid
	}
	if id, pid := poll(); id != 0 || pid != b.pid {
		t.Fatalf("before any notification: id %d pid %d", id, pid)
	}
	notify := postParam(0, 2, b.pid)
	notify.Flag = 0x8
	if _, err := a.c.PostMetaBinary(ctx, &ds.PostMetaBinaryRequest{Param: notify}); err != nil {
		t.Fatal(err)
	}
	n, err := b.c.GetNewArrivedNotifications(ctx, &ds.GetNewArrivedNotificationsRequest{Param: ds.DataStoreGetNewArrivedNotificationsParam{Limit: 10}})
	if err != nil || len(n.Result) != 1 {
		t.Fatalf("notifications %+v %v", n, err)
	}
	if id, _ := poll(); id != n.Result[0].NotificationID {
		t.Fatalf("notifier names %d, newest notification is %d", id, n.Result[0].NotificationID)
	}
}

// TestNotifierAfterTransactionalBatch: a notifying post inside a
// transactional batch rewrites the recipient's notifier once the batch
// commits, and a batch that is undone leaves it as it was.
func TestNotifierAfterTransactionalBatch(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	r, err := b.c.GetNotificationUrl(ctx, &ds.GetNotificationUrlRequest{})
	if err != nil {
		t.Fatal(err)
	}
	url := strings.TrimSuffix(r.Info.URL, "/") + r.Info.Key + r.Info.Query
	newest := func() string {
		t.Helper()
		return strings.Split(string(download(t, ds.DataStoreReqGetInfo{URL: url})), ",")[0]
	}
	notify := postParam(0, 2, b.pid)
	notify.Flag = 0x8
	// Undone: the second id is 0, so the whole batch fails.
	if _, err := a.c.PostMetaBinariesWithDataId(ctx, &ds.PostMetaBinariesWithDataIdRequest{
		DataIDs: []uint64{900001, 0}, Param: []ds.DataStorePreparePostParam{notify, notify}, Transactional: true}); err == nil {
		t.Fatal("a transactional batch with an invalid item succeeded")
	}
	if got := newest(); got != "0" {
		t.Fatalf("notifier after an undone batch names %s", got)
	}
	if _, err := a.c.PostMetaBinariesWithDataId(ctx, &ds.PostMetaBinariesWithDataIdRequest{
		DataIDs: []uint64{900002, 900003}, Param: []ds.DataStorePreparePostParam{notify, notify}, Transactional: true}); err != nil {
		t.Fatal(err)
	}
	n, err := b.c.GetNewArrivedNotifications(ctx, &ds.GetNewArrivedNotificationsRequest{Param: ds.DataStoreGetNewArrivedNotificationsParam{Limit: 10}})
	if err != nil || len(n.Result) != 2 {
		t.Fatalf("notifications %+v %v", n, err)
	}
	if got, want := newest(), strconv.FormatUint(n.Result[1].NotificationID, 10); got != want {
		t.Fatalf("notifier after the batch names %s, want %s", got, want)
	}
}
