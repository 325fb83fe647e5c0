package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/storetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if crashChild() {
		return
	}
	goleak.VerifyTestMain(m)
}

// openTemp opens a database in a temporary folder, closed when the test
// ends.
func openTemp(t testing.TB) *DB {
	t.Helper()
	db, _ := openTempAt(t)
	return db
}

// openTempAt is openTemp that also returns the database file's path.
func openTempAt(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nexproxy.db")
	db, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db, path
}

func TestAccounts(t *testing.T) {
	storetest.TestAccounts(t, func(t *testing.T) store.Accounts { return openTemp(t).Accounts() })
}

func TestUniqueIDs(t *testing.T) {
	storetest.TestUniqueIDs(t, func(t *testing.T) store.UniqueIDs { return openTemp(t).UniqueIDs() })
}

func TestStations(t *testing.T) {
	storetest.TestStations(t, func(t *testing.T) store.Stations { return openTemp(t).Stations() })
}

func TestRankings(t *testing.T) {
	storetest.TestRankings(t, func(t *testing.T) store.Rankings { return openTemp(t).Rankings() })
}

func TestDataStore(t *testing.T) {
	storetest.TestDataStore(t, func(t *testing.T) store.DataStore { return openTemp(t).DataStore() })
}

func TestGatherings(t *testing.T) {
	storetest.TestGatherings(t, func(t *testing.T) store.Gatherings { return openTemp(t).Gatherings() })
}
