package datastore_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
)

// TestDetachedSlotObjectExpires: an object that leaves its persistence
// slot without being deleted (a newer post or PerpetuateObject takes the
// slot, delete_last_object false) expires again, its period from then on,
// as UnperpetuateObject makes it.
func TestDetachedSlotObjectExpires(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	p := postParam(0, 0)
	p.Period = 20
	p.PersistenceInitParam = ds.DataStorePersistenceInitParam{PersistenceID: 3}
	first := upload(t, a, p, []byte("first"))
	second := upload(t, a, p, []byte("second"))
	p.PersistenceInitParam = ds.DataStorePersistenceInitParam{PersistenceID: 65535}
	third := upload(t, a, p, []byte("third"))
	if _, err := a.c.PerpetuateObject(ctx, &ds.PerpetuateObjectRequest{PersistenceSlotID: 3, DataID: third}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint64{first, second} {
		m, err := b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
		if err != nil {
			t.Fatalf("detached %d: %v", id, err)
		}
		if d := time.Until(m.Info.ExpireTime.Time()); d < 20*24*time.Hour-time.Minute || d > 20*24*time.Hour+time.Minute {
			t.Errorf("detached %d expires %v, in %v; want its period of 20 days", id, m.Info.ExpireTime, d)
		}
	}
	if m, err := b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(third, 0)}); err != nil || m.Info.ExpireTime.Year() != 9999 {
		t.Errorf("object in the slot: %v, %v", m, err)
	}
}

// TestPerpetuateDeletesReplacedContent: PerpetuateObject with
// delete_last_object deletes the slot's previous object with its content,
// as a post into the slot does.
func TestPerpetuateDeletesReplacedContent(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	p := postParam(0, 0)
	p.PersistenceInitParam = ds.DataStorePersistenceInitParam{PersistenceID: 6}
	first := upload(t, a, p, []byte("first"))
	p.PersistenceInitParam = ds.DataStorePersistenceInitParam{PersistenceID: 65535}
	second := upload(t, a, p, []byte("second"))
	g, err := b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(first)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.c.PerpetuateObject(ctx, &ds.PerpetuateObjectRequest{PersistenceSlotID: 6, DataID: second, DeleteLastObject: true}); err != nil {
		t.Fatal(err)
	}
	wantReplaced(t, b, first, g.Info.URL)
}

// wantReplaced checks that the object id, deleted by a replacement, is
// gone for u, and that url, its download URL handed out before the
// replacement, finds nothing.
func wantReplaced(t *testing.T, u user, id uint64, url string) {
	t.Helper()
	_, err := u.c.GetMeta(context.Background(), &ds.GetMetaRequest{Param: metaParam(id, 0)})
	wantResult(t, "replaced object", err, rmc.ResultDataStoreNotFound)
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("content of the replaced object: GET answers %d, want 404", resp.StatusCode)
	}
}

// TestMetaPostVacatesSlot: a meta-only post (PostMetaBinary) into an
// occupied slot vacates it as a completed upload does: the previous
// object, detached, expires its period from then on; deleted
// (delete_last_object), it loses its content.
func TestMetaPostVacatesSlot(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	p := postParam(0, 0)
	p.Period = 20
	p.PersistenceInitParam = ds.DataStorePersistenceInitParam{PersistenceID: 7}
	first := upload(t, a, p, []byte("first"))
	if _, err := a.c.PostMetaBinary(ctx, &ds.PostMetaBinaryRequest{Param: p}); err != nil {
		t.Fatal(err)
	}
	m, err := b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(first, 0)})
	if err != nil {
		t.Fatalf("detached %d: %v", first, err)
	}
	if d := time.Until(m.Info.ExpireTime.Time()); d < 20*24*time.Hour-time.Minute || d > 20*24*time.Hour+time.Minute {
		t.Errorf("detached %d expires %v, in %v; want its period of 20 days", first, m.Info.ExpireTime, d)
	}

	p.PersistenceInitParam = ds.DataStorePersistenceInitParam{PersistenceID: 8}
	second := upload(t, a, p, []byte("second"))
	g, err := b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(second)})
	if err != nil {
		t.Fatal(err)
	}
	p.PersistenceInitParam.DeleteLastObject = true
	if _, err := a.c.PostMetaBinary(ctx, &ds.PostMetaBinaryRequest{Param: p}); err != nil {
		t.Fatal(err)
	}
	wantReplaced(t, b, second, g.Info.URL)
}
