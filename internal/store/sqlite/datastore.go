package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/nexproxy/nexproxy/internal/store/sqlds"
)

// DataStore returns the DataStore metadata store of db.
func (db *DB) DataStore() *sqlds.Store {
	return sqlds.New(db.dataStoreBackend())
}

func (db *DB) dataStoreBackend() sqlds.Backend {
	return sqlds.Backend{
		Name: "store/sqlite",
		// DataStore reads include searches and counts of any size: long.
		// Their statements vary with their lists, so they are not prepared.
		Read: func(ctx context.Context, fn func(ctx context.Context, c sqlds.Conn) error) error {
			return db.read(ctx, longRead, func(ctx context.Context) error { return fn(ctx, readConn{db: db}) })
		},
		Write: func(ctx context.Context, fn func(ctx context.Context, c sqlds.Conn) error) error {
			return db.write(ctx, func(ctx context.Context, tx *Tx) error { return fn(ctx, txConn{tx: tx}) })
		},
		Unique: isConstraint,
		NoRows: func(err error) bool { return errors.Is(err, sql.ErrNoRows) },
	}
}

// readConn runs statements on the read pool. Only read makes one, for
// the function it runs on a reader goroutine.
type readConn struct{ db *DB }

func (c readConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return 0, errors.New("store/sqlite: write on the read pool")
}

func (c readConn) QueryRow(ctx context.Context, q string, args ...any) sqlds.Row {
	return c.db.r.QueryRowContext(ctx, q, args...)
}

func (c readConn) Query(ctx context.Context, q string, args ...any) (sqlds.Rows, error) {
	rows, err := c.db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// txConn runs statements in the writer's transaction (unprepared: the
// DataStore's statements vary with their lists).
type txConn struct{ tx *Tx }

func (c txConn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := c.tx.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c txConn) QueryRow(ctx context.Context, q string, args ...any) sqlds.Row {
	return c.tx.tx.QueryRowContext(ctx, q, args...)
}

func (c txConn) Query(ctx context.Context, q string, args ...any) (sqlds.Rows, error) {
	rows, err := c.tx.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }
