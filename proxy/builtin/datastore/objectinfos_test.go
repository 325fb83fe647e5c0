package datastore_test

import (
	"context"
	"slices"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
)

// TestGetObjectInfosInvalidID: GetObjectInfos addresses objects by data id
// only; 0 is no object (NotFound), not the caller's persistence slot 0.
func TestGetObjectInfosInvalidID(t *testing.T) {
	_, a, _ := setup(t, nil)
	ctx := context.Background()
	p := postParam(0, 0)
	p.PersistenceInitParam = ds.DataStorePersistenceInitParam{PersistenceID: 0}
	id := upload(t, a, p, []byte("in slot 0"))
	r, err := a.c.GetObjectInfos(ctx, &ds.GetObjectInfosRequest{DataIDs: []uint64{id, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Results, []rmc.Result{rmc.ResultSuccess, rmc.ResultDataStoreNotFound}) {
		t.Fatalf("results %v, want success and NotFound", r.Results)
	}
	if r.Infos[0].DataID != id || r.Infos[1].DataID != 0 || r.Infos[1].URL != "" {
		t.Errorf("infos %+v", r.Infos)
	}
}
