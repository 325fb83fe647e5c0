package datastore_test

import (
	"context"
	"testing"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
)

// TestRejectedObject: an object whose status is 5 (rejected by review)
// stays visible to its owner and is NotFound for everyone else, even
// with its access password, as in Pretendo's DataStore rework.
func TestRejectedObject(t *testing.T) {
	srv, a, b := setup(t, nil)
	ctx := context.Background()
	id := upload(t, a, postParam(0, 0), []byte("rejected"))
	setNEXStatus(t, srv, id, 5)
	m, err := a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	if err != nil || m.Info.Status != 5 {
		t.Fatalf("owner's GetMeta: %+v %v", m, err)
	}
	_, err = a.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(id)})
	wantResult(t, "owner's PrepareGetObject", err, rmc.ResultSuccess)
	_, err = b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	wantResult(t, "GetMeta", err, rmc.ResultDataStoreNotFound)
	_, err = b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(id)})
	wantResult(t, "PrepareGetObject", err, rmc.ResultDataStoreNotFound)
	pw, err := a.c.GetPasswordInfo(ctx, &ds.GetPasswordInfoRequest{DataID: id})
	if err != nil {
		t.Fatal(err)
	}
	gp := getParam(id)
	gp.AccessPassword = pw.Info.AccessPassword
	_, err = b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: gp})
	wantResult(t, "PrepareGetObject with the password", err, rmc.ResultDataStoreNotFound)
	gi, err := b.c.GetObjectInfos(ctx, &ds.GetObjectInfosRequest{DataIDs: []uint64{id}})
	if err != nil || len(gi.Results) != 1 || gi.Results[0] != rmc.ResultDataStoreNotFound {
		t.Errorf("GetObjectInfos: %+v %v", gi, err)
	}
	sm, err := b.c.GetSpecificMeta(ctx, &ds.GetSpecificMetaRequest{Param: ds.DataStoreGetSpecificMetaParam{DataIDs: []uint64{id}}})
	if err != nil || len(sm.Infos) != 0 {
		t.Errorf("GetSpecificMeta: %+v %v", sm, err)
	}
	_, err = b.c.RateObject(ctx, &ds.RateObjectRequest{Target: ds.DataStoreRatingTarget{DataID: id, Slot: 0}, Param: ds.DataStoreRateObjectParam{RatingValue: 1}})
	wantResult(t, "RateObject", err, rmc.ResultDataStoreNotFound)
	for _, target := range []uint8{1, 11} {
		sr, err := b.c.SearchObject(ctx, &ds.SearchObjectRequest{Param: searchParam(target)})
		if err != nil || len(sr.Result.Result) != 0 {
			t.Errorf("search target %d found %+v, %v", target, sr, err)
		}
	}
	sr, err := a.c.SearchObject(ctx, &ds.SearchObjectRequest{Param: searchParam(13)})
	if err != nil || len(sr.Result.Result) != 1 || sr.Result.Result[0].DataID != id {
		t.Errorf("owner's search target 13 (own rejected): %+v %v", sr, err)
	}
}

// setNEXStatus gives an object a review verdict (NEX status) in the store,
// as a moderation tool would: no DataStore method sets it.
func setNEXStatus(t *testing.T, srv *servicetest.Server, id uint64, status uint8) {
	t.Helper()
	_, err := srv.Host.Stores.DataStore.Update(context.Background(), srv.Config.Games[0].Name, id, func(o *store.DataObject) error {
		o.NEXStatus = status
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestChangeMetaStatusIgnored: ChangeMeta's modifies_flag 0x100 (referred
// count) and 0x200 (status) are ignored, as both reference servers ignore
// them (services.md §7.10), so that neither the owner nor a user the
// delete permission lets change the object can approve it while it is
// under review, reject it or set its count; the other bits of the same
// call still apply.
func TestChangeMetaStatusIgnored(t *testing.T) {
	srv, a, b := setup(t, nil)
	ctx := context.Background()
	p := postParam(0, 0)
	p.Flag = 0x1 // needs review
	p.DeletePermission = ds.DataStorePermission{Permission: 0}
	id := upload(t, a, p, []byte("under review"))
	for _, u := range []user{a, b} {
		_, err := u.c.ChangeMeta(ctx, &ds.ChangeMetaRequest{Param: ds.DataStoreChangeMetaParam{DataID: id,
			ModifiesFlag: 0x1 | 0x100 | 0x200, Name: "renamed", ReferredCount: 1000, Status: 0}})
		if u.pid == b.pid {
			// Others cannot see it while it is under review (TestUnderReview).
			wantResult(t, "other user's ChangeMeta under review", err, rmc.ResultDataStoreUnderReviewing)
		} else if err != nil {
			t.Fatalf("ChangeMeta by %d: %v", u.pid, err)
		}
	}
	m, err := a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	if err != nil || m.Info.Status != 2 || m.Info.ReferredCount != 0 || m.Info.Name != "renamed" {
		t.Fatalf("after ChangeMeta 0x301: %+v %v; want status 2, referred count 0, name renamed", m, err)
	}
	_, err = b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	wantResult(t, "other user's GetMeta under review", err, rmc.ResultDataStoreUnderReviewing)

	// An approved object cannot be rejected through ChangeMeta either.
	setNEXStatus(t, srv, id, 0)
	if _, err := b.c.ChangeMeta(ctx, &ds.ChangeMetaRequest{Param: ds.DataStoreChangeMetaParam{DataID: id, ModifiesFlag: 0x200, Status: 5}}); err != nil {
		t.Fatal(err)
	}
	if m, err := b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)}); err != nil || m.Info.Status != 0 {
		t.Errorf("approved object after ChangeMeta status 5: %+v %v", m, err)
	}
}

// TestUnderReview: an object posted with flag 0x1 (needs review) has
// status 2 and stays its owner's alone until approved: everyone else gets
// DataStore::UnderReviewing, and searches leave it out (services.md §7.6).
func TestUnderReview(t *testing.T) {
	srv, a, b := setup(t, nil)
	ctx := context.Background()
	p := postParam(0, 0)
	p.Flag = 0x1
	id := upload(t, a, p, []byte("under review"))
	m, err := a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	if err != nil || m.Info.Status != 2 {
		t.Fatalf("owner's GetMeta: %+v %v, want status 2", m, err)
	}
	if _, err := a.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(id)}); err != nil {
		t.Fatalf("owner's PrepareGetObject: %v", err)
	}
	_, err = b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	wantResult(t, "GetMeta", err, rmc.ResultDataStoreUnderReviewing)
	_, err = b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(id)})
	wantResult(t, "PrepareGetObject", err, rmc.ResultDataStoreUnderReviewing)
	_, err = b.c.RateObject(ctx, &ds.RateObjectRequest{Target: ds.DataStoreRatingTarget{DataID: id, Slot: 0}, Param: ds.DataStoreRateObjectParam{RatingValue: 1}})
	wantResult(t, "RateObject", err, rmc.ResultDataStoreUnderReviewing)
	// Its public delete permission does not let others change what they
	// cannot see.
	_, err = b.c.ChangeMeta(ctx, &ds.ChangeMetaRequest{Param: ds.DataStoreChangeMetaParam{DataID: id, ModifiesFlag: 0x10, MetaBinary: []byte("changed")}})
	wantResult(t, "ChangeMeta", err, rmc.ResultDataStoreUnderReviewing)
	_, err = b.c.DeleteObject(ctx, &ds.DeleteObjectRequest{Param: ds.DataStoreDeleteParam{DataID: id}})
	wantResult(t, "DeleteObject", err, rmc.ResultDataStoreUnderReviewing)
	if sr, err := b.c.SearchObject(ctx, &ds.SearchObjectRequest{Param: searchParam(1)}); err != nil || len(sr.Result.Result) != 0 {
		t.Errorf("public search found %+v, %v", sr, err)
	}
	if sr, err := a.c.SearchObject(ctx, &ds.SearchObjectRequest{Param: searchParam(12)}); err != nil || len(sr.Result.Result) != 1 || sr.Result.Result[0].DataID != id {
		t.Errorf("owner's search target 12 (own pending): %+v %v", sr, err)
	}

	setNEXStatus(t, srv, id, 0) // approved
	if g, err := b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(id)}); err != nil {
		t.Fatalf("PrepareGetObject once approved: %v", err)
	} else if got := download(t, g.Info); string(got) != "under review" {
		t.Fatalf("downloaded %q", got)
	}
}
