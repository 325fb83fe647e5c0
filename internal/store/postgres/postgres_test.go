package postgres

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/storetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// openTemp opens a DB in a fresh schema of the server named by
// NEXPROXY_TEST_POSTGRES and drops the schema afterwards.
func openTemp(t testing.TB) *DB {
	t.Helper()
	url := storetest.Env(t, "NEXPROXY_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	ctx := context.Background()
	schema := storetest.RandomName("nexproxy_test_")
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to NEXPROXY_TEST_POSTGRES: %v", err)
	}
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
		admin.Close(ctx)
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db, err := Open(ctx, url+sep+"search_path="+schema, 8)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
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

// TestMigrationsOnce opens the same schema twice (two instances starting):
// the second applies nothing and works.
func TestMigrationsOnce(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	var schema string
	if err := db.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	url := storetest.Env(t, "NEXPROXY_TEST_POSTGRES", "")
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db2, err := Open(ctx, url+sep+"search_path="+schema, 2)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer db2.Close()
	// One row per migration file, however many there are.
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db2.pool.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Errorf("schema_migrations rows = %d, %v", n, err)
	}
	if _, err := Open(ctx, "postgres://%zz", 1); err == nil {
		t.Error("bad URL accepted")
	}
}

func TestRankings(t *testing.T) {
	storetest.TestRankings(t, func(t *testing.T) store.Rankings { return openTemp(t).Rankings() })
}

func TestDataStore(t *testing.T) {
	storetest.TestDataStore(t, func(t *testing.T) store.DataStore { return openTemp(t).DataStore() })
}

// BenchmarkDataStoreSearch: go test ./internal/store/postgres -run '^$' -bench DataStoreSearch -benchtime 3000x
func BenchmarkDataStoreSearch(b *testing.B) {
	db := openTemp(b)
	s := db.DataStore()
	storetest.SeedDataStore(b, s, "bench", 100000)
	// A live database has statistics and visibility maps (autovacuum);
	// freshly seeded tables have neither, and the planner, guessing one
	// matching row, picks nested loops that scan the whole table per row
	// (seconds for the tag query) and cannot use index-only counts.
	if _, err := db.pool.Exec(context.Background(), `VACUUM ANALYZE datastore_objects, datastore_ratings, datastore_tags, datastore_recipients`); err != nil {
		b.Fatal(err)
	}
	storetest.BenchmarkDataStoreSearch(b, s, "bench")
}

func TestGatherings(t *testing.T) {
	storetest.TestGatherings(t, func(t *testing.T) store.Gatherings { return openTemp(t).Gatherings() })
}
