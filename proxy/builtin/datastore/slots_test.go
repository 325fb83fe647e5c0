package datastore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
)

// slotUsers logs in two users of a game configured by toml.
func slotUsers(t *testing.T, toml string) (a, b user) {
	t.Helper()
	_, a, b = setup(t, func(t *testing.T) *servicetest.Server {
		return servicetest.Start(t, servicetest.Game{TOML: toml}, nil)
	})
	return a, b
}

// slotGet is a PrepareGetObject by (owner, slot), as Mario Kart 8
// downloads ghosts.
func slotGet(owner uint64, slot uint16) *ds.PrepareGetObjectRequest {
	p := getParam(0)
	p.PersistenceTarget = ds.DataStorePersistenceTarget{OwnerID: owner, PersistenceID: slot}
	return &ds.PrepareGetObjectRequest{Param: p}
}

// TestMK8GhostSlots: Mario Kart 8 keeps a time-trial ghost per track in
// persistence slot track id - 16, track ids 16 to 63 (services.md §7.8,
// §7.13), so its users have 48 slots: ghosts of slots 11 and 40 go up and
// come down by (owner, slot); slot 48 and beyond are refused.
func TestMK8GhostSlots(t *testing.T) {
	a, b := slotUsers(t, "variants = [\"mk8\"]\n")
	ctx := context.Background()
	for _, slot := range []uint16{11, 40} {
		p := postParam(0, 0)
		p.PersistenceInitParam = ds.DataStorePersistenceInitParam{PersistenceID: slot, DeleteLastObject: true}
		data := []byte("ghost of track " + string(rune('A'+slot)))
		id := upload(t, a, p, data)
		g, err := b.c.PrepareGetObject(ctx, slotGet(a.pid, slot))
		if err != nil || g.Info.DataID != id {
			t.Fatalf("slot %d: get by (owner, slot) %+v %v, want data id %d", slot, g, err, id)
		}
		if got := download(t, g.Info); string(got) != string(data) {
			t.Fatalf("slot %d: downloaded %q", slot, got)
		}
		pi, err := b.c.GetPersistenceInfo(ctx, &ds.GetPersistenceInfoRequest{OwnerID: a.pid, SlotID: slot})
		if err != nil || pi.Info.DataID != id {
			t.Errorf("slot %d: persistence info %+v %v", slot, pi, err)
		}
	}
	p := postParam(4, 0)
	p.PersistenceInitParam = ds.DataStorePersistenceInitParam{PersistenceID: 48}
	_, err := a.c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: p})
	wantResult(t, "post into slot 48", err, rmc.ResultDataStoreInvalidArgument)
	_, err = b.c.PrepareGetObject(ctx, slotGet(a.pid, 48))
	wantResult(t, "get slot 48", err, rmc.ResultDataStoreNotFound)
	_, err = b.c.GetPersistenceInfo(ctx, &ds.GetPersistenceInfoRequest{OwnerID: a.pid, SlotID: 48})
	wantResult(t, "persistence info of slot 48", err, rmc.ResultDataStoreInvalidArgument)
	_, err = a.c.PerpetuateObject(ctx, &ds.PerpetuateObjectRequest{PersistenceSlotID: 48, DataID: 1})
	wantResult(t, "perpetuate into slot 48", err, rmc.ResultDataStoreInvalidArgument)
}

// TestPersistenceSlotsSetting: other games have 16 slots unless
// persistence_slots says otherwise.
func TestPersistenceSlotsSetting(t *testing.T) {
	ctx := context.Background()
	p := postParam(0, 0)
	p.PersistenceInitParam = ds.DataStorePersistenceInitParam{PersistenceID: 16}
	a, _ := slotUsers(t, "")
	_, err := a.c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: p})
	wantResult(t, "default: post into slot 16", err, rmc.ResultDataStoreInvalidArgument)

	a, b := slotUsers(t, "[games.datastore]\npersistence_slots = 64\n")
	p.PersistenceInitParam.PersistenceID = 63
	id := upload(t, a, p, []byte("slot 63"))
	if g, err := b.c.PrepareGetObject(ctx, slotGet(a.pid, 63)); err != nil || g.Info.DataID != id {
		t.Fatalf("persistence_slots 64: get slot 63 %+v %v", g, err)
	}
	p.PersistenceInitParam.PersistenceID = 64
	_, err = a.c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: p})
	wantResult(t, "persistence_slots 64: post into slot 64", err, rmc.ResultDataStoreInvalidArgument)
}

// TestPersistenceSlotsValidated: persistence_slots above 65535 (the "no
// slot" id) or negative is a problem of its key.
func TestPersistenceSlotsValidated(t *testing.T) {
	for _, v := range []string{"65536", "-1"} {
		text := servicetest.Game{TOML: "[games.datastore]\npersistence_slots = " + v + "\n"}.TOMLText(t)
		_, err := config.LoadTOML(text)
		if err == nil || !strings.Contains(err.Error(), "datastore.persistence_slots: must be between") {
			t.Errorf("persistence_slots = %s: %v, want a problem at datastore.persistence_slots", v, err)
		}
	}
}
