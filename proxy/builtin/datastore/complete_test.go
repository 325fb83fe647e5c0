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
