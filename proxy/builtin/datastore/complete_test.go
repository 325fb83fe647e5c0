package datastore_test

import (
	"context"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy/builtin/datastore"
	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
)

// TestLateCompletion: CompletePostObject more than pending_timeout (3
// hours) after PreparePostObject answers NotFound, whether or not the
// sweep has removed the object yet, as in Pretendo's DataStore rework.
func TestLateCompletion(t *testing.T) {
	_, a, _ := setup(t, nil)
	ctx := context.Background()
	data := []byte("late")
	r, err := a.c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: postParam(len(data), 0)})
	if err != nil {
		t.Fatal(err)
	}
	if code := consolePost(t, r.Info.URL, r.Info.Headers, r.Info.Form, data); code/100 != 2 {
		t.Fatalf("upload: %d", code)
	}
	datastore.Skew(3*time.Hour + time.Minute)
	defer datastore.Skew(0)
	for _, success := range []bool{true, false} {
		_, err = a.c.CompletePostObject(ctx, &ds.CompletePostObjectRequest{Param: ds.DataStoreCompletePostParam{DataID: r.Info.DataID, Success: success}})
		wantResult(t, "late completion", err, rmc.ResultDataStoreNotFound)
	}
	_, err = a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(r.Info.DataID, 0)})
	wantResult(t, "late-completed object", err, rmc.ResultDataStoreNotFound)
}

// TestPendingInvisibleToOwner: until CompletePostObject, an object is
// NotFound for its owner as for everyone else (GetMeta, PrepareGetObject,
// search of the owner's objects).
func TestPendingInvisibleToOwner(t *testing.T) {
	_, a, _ := setup(t, nil)
	ctx := context.Background()
	r, err := a.c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: postParam(4, 0)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(r.Info.DataID, 0)})
	wantResult(t, "owner's GetMeta", err, rmc.ResultDataStoreNotFound)
	_, err = a.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(r.Info.DataID)})
	wantResult(t, "owner's PrepareGetObject", err, rmc.ResultDataStoreNotFound)
	sr, err := a.c.SearchObject(ctx, &ds.SearchObjectRequest{Param: searchParam(14)})
	if err != nil || len(sr.Result.Result) != 0 {
		t.Errorf("owner's search found %+v, %v", sr, err)
	}
}

// TestCompletePostObjects: CompletePostObjects (37) completes its data ids
// in order and stops at the first error, which it answers: the objects
// before it are published, those after it stay pending (services.md
// §7.4).
func TestCompletePostObjects(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	var ids []uint64
	for i := range 3 {
		data := []byte{'a' + byte(i)}
		r, err := a.c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: postParam(len(data), 0)})
		if err != nil {
			t.Fatal(err)
		}
		if i != 1 { // the second one's content never arrives
			if code := consolePost(t, r.Info.URL, r.Info.Headers, r.Info.Form, data); code/100 != 2 {
				t.Fatalf("upload: %d", code)
			}
		}
		ids = append(ids, r.Info.DataID)
	}
	visible := func(id uint64) error {
		_, err := b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
		return err
	}
	_, err := a.c.CompletePostObjects(ctx, &ds.CompletePostObjectsRequest{DataIDs: ids})
	wantResult(t, "CompletePostObjects with a missing upload", err, rmc.ResultDataStoreNotFound)
	wantResult(t, "the object before the error", visible(ids[0]), rmc.ResultSuccess)
	wantResult(t, "the object that failed", visible(ids[1]), rmc.ResultDataStoreNotFound)
	wantResult(t, "the object after the error", visible(ids[2]), rmc.ResultDataStoreNotFound)

	// The first one, completed already, now stops the call at once.
	_, err = a.c.CompletePostObjects(ctx, &ds.CompletePostObjectsRequest{DataIDs: []uint64{ids[0], ids[2]}})
	wantResult(t, "CompletePostObjects of a completed object", err, rmc.ResultDataStorePermissionDenied)
	wantResult(t, "the object after the completed one", visible(ids[2]), rmc.ResultDataStoreNotFound)
	if _, err := a.c.CompletePostObjects(ctx, &ds.CompletePostObjectsRequest{DataIDs: []uint64{ids[2]}}); err != nil {
		t.Fatal(err)
	}
	wantResult(t, "the third object", visible(ids[2]), rmc.ResultSuccess)
}

// TestV1Upload: the first revision's upload flow (PreparePostObjectV1,
// the POST, CompletePostObjectV1, PrepareGetObjectV1) with 32-bit data ids.
func TestV1Upload(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	data := []byte("version one")
	pp := postParam(len(data), 0)
	r, err := a.c.PreparePostObjectV1(ctx, &ds.PreparePostObjectV1Request{Param: ds.DataStorePreparePostParamV1{Size: uint32(len(data)),
		Name: "v1", DataType: 7, MetaBinary: []byte("meta"), Permission: pp.Permission, DeletePermission: pp.DeletePermission,
		Period: 30, Tags: []string{"t"}, RatingInitParam: pp.RatingInitParam}})
	if err != nil {
		t.Fatal(err)
	}
	id := r.Info.DataID
	if id == 0 || r.Info.URL == "" {
		t.Fatalf("PreparePostObjectV1: %+v", r.Info)
	}
	if _, err := b.c.PrepareGetObjectV1(ctx, &ds.PrepareGetObjectV1Request{Param: ds.DataStorePrepareGetParamV1{DataID: id}}); resultOf(err) != rmc.ResultDataStoreNotFound {
		t.Errorf("PrepareGetObjectV1 before completion: %v, want NotFound", err)
	}
	if code := consolePost(t, r.Info.URL, r.Info.Headers, r.Info.Form, data); code/100 != 2 {
		t.Fatalf("upload: %d", code)
	}
	_, err = b.c.CompletePostObjectV1(ctx, &ds.CompletePostObjectV1Request{Param: ds.DataStoreCompletePostParamV1{DataID: id, Success: true}})
	wantResult(t, "CompletePostObjectV1 by another user", err, rmc.ResultDataStorePermissionDenied)
	if _, err := a.c.CompletePostObjectV1(ctx, &ds.CompletePostObjectV1Request{Param: ds.DataStoreCompletePostParamV1{DataID: id, Success: true}}); err != nil {
		t.Fatal(err)
	}
	g, err := b.c.PrepareGetObjectV1(ctx, &ds.PrepareGetObjectV1Request{Param: ds.DataStorePrepareGetParamV1{DataID: id}})
	if err != nil || g.Info.Size != uint32(len(data)) {
		t.Fatalf("PrepareGetObjectV1: %+v %v", g, err)
	}
	if got := download(t, ds.DataStoreReqGetInfo{URL: g.Info.URL, Headers: g.Info.Headers}); string(got) != string(data) {
		t.Fatalf("downloaded %q", got)
	}
	m, err := b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(uint64(id), 0)})
	if err != nil || m.Info.Name != "v1" || m.Info.OwnerID != a.pid || m.Info.Period != 30 || m.Info.ExpireTime.Year() == 9999 {
		t.Errorf("meta of the V1 object: %+v %v", m, err)
	}
	_, err = b.c.PrepareGetObjectV1(ctx, &ds.PrepareGetObjectV1Request{Param: ds.DataStorePrepareGetParamV1{DataID: id + 100}})
	wantResult(t, "PrepareGetObjectV1 of a missing object", err, rmc.ResultDataStoreNotFound)
}
