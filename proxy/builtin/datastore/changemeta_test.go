package datastore_test

import (
	"context"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy/builtin/datastore"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
)

// TestChangeMetaV1Refresh: modifies_flag 0x40 (refresh update time and
// expiry) needs no field of its own, so ChangeMetaV1 honours it like
// ChangeMeta.
func TestChangeMetaV1Refresh(t *testing.T) {
	_, a, _ := setup(t, nil)
	ctx := context.Background()
	p := postParam(0, 0)
	p.Period = 10
	id := upload(t, a, p, []byte("v1"))
	datastore.Skew(5 * 24 * time.Hour)
	defer datastore.Skew(0)
	if _, err := a.c.ChangeMetaV1(ctx, &ds.ChangeMetaV1Request{Param: ds.DataStoreChangeMetaParamV1{DataID: id, ModifiesFlag: 0x40}}); err != nil {
		t.Fatal(err)
	}
	m, err := a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(5 * 24 * time.Hour)
	if d := now.Sub(m.Info.UpdateTime.Time()); d < -time.Minute || d > time.Minute {
		t.Errorf("update time %v, want about %v", m.Info.UpdateTime, now.UTC())
	}
	if d := m.Info.ExpireTime.Time().Sub(now); d < 10*24*time.Hour-time.Minute || d > 10*24*time.Hour+time.Minute {
		t.Errorf("expires %v after the refresh, want 10 days", d)
	}
}

// TestChangeMetaPeriod: changing only the period (0x8) moves the expiry to
// the last update plus the new period and leaves the update time alone;
// only 0x40 refreshes both (services.md §7.6).
func TestChangeMetaPeriod(t *testing.T) {
	_, a, _ := setup(t, nil)
	ctx := context.Background()
	p := postParam(0, 0)
	p.Period = 10
	id := upload(t, a, p, []byte("v1"))
	before, err := a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	if err != nil {
		t.Fatal(err)
	}
	datastore.Skew(3 * 24 * time.Hour)
	defer datastore.Skew(0)
	if _, err := a.c.ChangeMeta(ctx, &ds.ChangeMetaRequest{Param: ds.DataStoreChangeMetaParam{DataID: id, ModifiesFlag: 0x8, Period: 30}}); err != nil {
		t.Fatal(err)
	}
	m, err := a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if m.Info.Period != 30 {
		t.Errorf("period %d, want 30", m.Info.Period)
	}
	if m.Info.UpdateTime != before.Info.UpdateTime {
		t.Errorf("update time moved from %v to %v by a period change", before.Info.UpdateTime, m.Info.UpdateTime)
	}
	if d := m.Info.ExpireTime.Time().Sub(before.Info.UpdateTime.Time()); d != 30*24*time.Hour {
		t.Errorf("expires %v after the last update, want 30 days", d)
	}
}
