package datastore_test

import (
	"context"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
)

// TestRejectedObject: an object whose status is 5 (rejected by review)
// stays visible to its owner and is NotFound for everyone else, even
// with its access password, as in Pretendo's DataStore rework.
func TestRejectedObject(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	id := upload(t, a, postParam(0, 0), []byte("rejected"))
	if _, err := a.c.ChangeMeta(ctx, &ds.ChangeMetaRequest{Param: ds.DataStoreChangeMetaParam{DataID: id, ModifiesFlag: 0x200, Status: 5}}); err != nil {
		t.Fatal(err)
	}
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
