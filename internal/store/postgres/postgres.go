// Package postgres implements the SQL store interfaces (Accounts,
// UniqueIDs, Stations) on PostgreSQL with pgx, for deployments where
// several nexproxy instances share state.
package postgres

import (
	"sync"

	"github.com/nexproxy/nexproxy/internal/store/rankmem"

	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/migrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLock is the advisory lock key that serialises migrations of
// instances starting together ("nexproxy" in ASCII).
const migrationLock = 0x6e657870726f7879

// DB is a pool of connections to one PostgreSQL database (and schema, when
// the URL has search_path).
type DB struct {
	pool *pgxpool.Pool

	rankOnce sync.Once
	rankings *rankmem.Rankings

	autoJoins autoJoiner // Gatherings.AutoJoin's queues, one per pool
}

// Open connects, checks the server answers and applies the pending
// migrations. maxConns 0 keeps pgx's default.
func Open(ctx context.Context, url string, maxConns int32) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The URL may hold a password: report the parse error only (pgx
		// wraps it in a message that quotes the URL; some carry none).
		if inner := errors.Unwrap(err); inner != nil {
			err = inner
		} else {
			err = errors.New("malformed connection string")
		}
		return nil, fmt.Errorf("store/postgres: parse url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: connect: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

func (db *DB) migrate(ctx context.Context) error {
	all, err := migrate.Load(migrationFS, "migrations")
	if err != nil {
		return fmt.Errorf("store/postgres: %w", err)
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var applied int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied); err != nil {
			return fmt.Errorf("read version: %w", err)
		}
		pending, err := migrate.Pending(all, applied)
		if err != nil {
			return err
		}
		for _, m := range pending {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return fmt.Errorf("record migration %d: %w", m.Version, err)
			}
		}
		return nil
	}, "migrate")
}

// tx runs fn in a transaction, committing when it returns nil.
func (db *DB) tx(ctx context.Context, fn func(tx pgx.Tx) error, what string) error {
	err := pgx.BeginFunc(ctx, db.pool, fn)
	if err != nil {
		return fmt.Errorf("store/postgres: %s: %w", what, mapErr(err))
	}
	return nil
}

// mapErr maps unique violations to store.ErrExists and no rows to
// store.ErrNotFound, keeping the original error in the chain.
func mapErr(err error) error {
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "23505":
		return fmt.Errorf("%w: %w", store.ErrExists, err)
	case errors.Is(err, pgx.ErrNoRows):
		return store.ErrNotFound
	}
	return err
}
