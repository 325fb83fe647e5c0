package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nexproxy/nexproxy/internal/store/sqlds"
)

// DataStore returns the DataStore metadata store of db.
func (db *DB) DataStore() *sqlds.Store {
	return sqlds.New(sqlds.Backend{
		Name: "store/postgres",
		Read: func(ctx context.Context, fn func(ctx context.Context, c sqlds.Conn) error) error {
			return fn(ctx, pgConn{q: db.pool})
		},
		Dollar: true,
		Write: func(ctx context.Context, fn func(ctx context.Context, c sqlds.Conn) error) error {
			return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return fn(ctx, pgConn{q: tx}) })
		},
		ForUpdate: " FOR UPDATE",
		Unique: func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && pe.Code == "23505"
		},
		NoRows: func(err error) bool { return errors.Is(err, pgx.ErrNoRows) },
	})
}

type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type pgConn struct{ q querier }

func (c pgConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (c pgConn) QueryRow(ctx context.Context, q string, args ...any) sqlds.Row {
	return c.q.QueryRow(ctx, q, args...)
}

func (c pgConn) Query(ctx context.Context, q string, args ...any) (sqlds.Rows, error) {
	rows, err := c.q.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}
