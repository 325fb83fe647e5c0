package servicetest

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/storetest"
)

// ScaleOutConfig is the store configuration of a community that outgrew
// one machine: accounts and unique ids in PostgreSQL, presence and
// fan-out in Redis, on the test servers of NEXPROXY_TEST_POSTGRES and
// NEXPROXY_TEST_REDIS (the test fails under CI=true without them, and is
// skipped elsewhere). Each call gets a schema and a key prefix of its own,
// removed when the test ends; hosts opened with it share them, as
// instances sharing a database do.
func ScaleOutConfig(tb testing.TB) store.Config {
	tb.Helper()
	pg := storetest.Env(tb, "NEXPROXY_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	rd := storetest.Env(tb, "NEXPROXY_TEST_REDIS", "redis://127.0.0.1:6379/0")
	ctx := context.Background()
	schema := storetest.RandomName("nexproxy_test_")
	admin, err := pgx.Connect(ctx, pg)
	if err != nil {
		tb.Fatalf("servicetest: connect to NEXPROXY_TEST_POSTGRES: %v", err)
	}
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("servicetest: drop schema: %v", err)
		}
		_ = admin.Close(ctx)
	})
	sep := "?"
	if strings.Contains(pg, "?") {
		sep = "&"
	}
	cfg := store.DefaultConfig()
	cfg.DataDir = tb.TempDir()
	cfg.Backends.Accounts, cfg.Backends.UniqueIDs = store.BackendPostgres, store.BackendPostgres
	cfg.Backends.Stations, cfg.Backends.Bus = store.BackendRedis, store.BackendRedis
	cfg.Postgres.URL = pg + sep + "search_path=" + schema
	cfg.Redis.URL = rd
	cfg.Redis.KeyPrefix = storetest.RandomName("nexproxy-test-") + ":"
	return cfg
}
