package datastore

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/storetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// TestSweep: uploads never completed and expired objects go, with their
// content; live ones stay.
func TestSweep(t *testing.T) {
	host := servicetest.Host(t)
	inst, err := newServer(&builtin.Env{Env: &proxy.Env{Game: &config.Game{Name: "g"}, Log: zap.NewNop()}, Host: host})
	if err != nil {
		t.Fatal(err)
	}
	s := inst.(*server)
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	now := time.Now()
	mk := func(id uint64, status store.DataStatus, created, expires time.Time) {
		o := storetest.SampleDataObject("g", id, 1001, created)
		o.Status, o.Expires, o.Ratings = status, expires, nil
		if err := s.meta.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		if err := s.objects.Put(ctx, objectKey("g", id, 1), bytes.NewReader([]byte("x")), 1); err != nil {
			t.Fatal(err)
		}
	}
	mk(1, store.DataPending, now.Add(-4*time.Hour), now.Add(time.Hour))     // abandoned upload
	mk(2, store.DataPending, now, now.Add(time.Hour))                       // upload in progress
	mk(3, store.DataPublished, now.Add(-48*time.Hour), now.Add(-time.Hour)) // expired
	mk(4, store.DataPublished, now, now.Add(time.Hour))                     // live
	s.sweepOnce(ctx)
	for id, gone := range map[uint64]bool{1: true, 2: false, 3: true, 4: false} {
		o, err := s.meta.Get(ctx, "g", id)
		if err != nil || (o.Status == store.DataDeleted) != gone {
			t.Errorf("object %d: status %d, %v", id, o.Status, err)
		}
		_, err = s.objects.Head(ctx, objectKey("g", id, 1))
		if errors.Is(err, store.ErrNotFound) != gone {
			t.Errorf("content of %d: %v", id, err)
		}
	}
}
