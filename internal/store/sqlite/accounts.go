package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// Accounts implements store.Accounts.
type Accounts struct{ db *DB }

// Accounts returns the accounts store of db.
func (db *DB) Accounts() *Accounts { return &Accounts{db: db} }

var _ store.Accounts = (*Accounts)(nil)

// Statements of the writer, prepared at Open.
var (
	qAccountTaken       = wq(`SELECT COUNT(*) FROM accounts WHERE pid = ? OR username_key = ?`)
	qAccountInsert      = wq(`INSERT INTO accounts (` + accountCols + `, username_key) VALUES (?, ?, ?, ?, ?, ?)`)
	qAccountSetPassword = wq(`UPDATE accounts SET password = ? WHERE pid = ?`)
	qAccountDelete      = wq(`DELETE FROM accounts WHERE pid = ?`)
)

const accountCols = `pid, username, password, game, created_ms`

type scanner interface{ Scan(dest ...any) error }

func scanAccount(s scanner) (store.Account, error) {
	var a store.Account
	var pid, created int64
	var pw string
	if err := s.Scan(&pid, &a.Username, &pw, &a.Game, &created); err != nil {
		return store.Account{}, err
	}
	a.PID, a.Password, a.Created = uint64(pid), store.Password(pw), time.UnixMilli(created).UTC()
	return a, nil
}

// Get implements store.Accounts.
func (s *Accounts) Get(ctx context.Context, pid uint64) (store.Account, error) {
	var a store.Account
	err := s.db.readRow(ctx, shortRead, `SELECT `+accountCols+` FROM accounts WHERE pid = ?`, []any{int64(pid)},
		func(row *sql.Row) (err error) { a, err = scanAccount(row); return err })
	if err != nil {
		return store.Account{}, fmt.Errorf("store/sqlite: get account %d: %w", pid, notFound(err))
	}
	return a, nil
}

// GetByName implements store.Accounts.
func (s *Accounts) GetByName(ctx context.Context, name string) (store.Account, error) {
	var a store.Account
	err := s.db.readRow(ctx, shortRead, `SELECT `+accountCols+` FROM accounts WHERE username_key = ?`, []any{strings.ToLower(name)},
		func(row *sql.Row) (err error) { a, err = scanAccount(row); return err })
	if err != nil {
		return store.Account{}, fmt.Errorf("store/sqlite: get account %q: %w", name, notFound(err))
	}
	return a, nil
}

// Create implements store.Accounts.
func (s *Accounts) Create(ctx context.Context, a store.Account) (store.Account, error) {
	if a.PID == 0 || a.Username == "" {
		return store.Account{}, fmt.Errorf("store/sqlite: create account: pid and username are required: %w", store.ErrInvalid)
	}
	a.Created = s.db.now().UTC().Truncate(time.Millisecond)
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		var n int
		// Checked in the transaction (the writer is the only one), so the
		// error can say which key is taken.
		if err := tx.queryRow(ctx, qAccountTaken,
			int64(a.PID), strings.ToLower(a.Username)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.ErrExists
		}
		_, err := tx.exec(ctx, qAccountInsert,
			int64(a.PID), a.Username, a.Password.Reveal(), a.Game, a.Created.UnixMilli(), strings.ToLower(a.Username))
		if isConstraint(err) {
			return store.ErrExists
		}
		return err
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("store/sqlite: create account %d (%q): %w", a.PID, a.Username, err)
	}
	return a, nil
}

// SetPassword implements store.Accounts.
func (s *Accounts) SetPassword(ctx context.Context, pid uint64, password store.Password) error {
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.exec(ctx, qAccountSetPassword, password.Reveal(), int64(pid))
		return affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store/sqlite: set password of %d: %w", pid, err)
	}
	return nil
}

// Delete implements store.Accounts.
func (s *Accounts) Delete(ctx context.Context, pid uint64) error {
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.exec(ctx, qAccountDelete, int64(pid))
		return affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store/sqlite: delete account %d: %w", pid, err)
	}
	return nil
}

// List implements store.Accounts. PIDs are stored as int64 bit patterns, so
// unsigned order is: non-negative values first, then negative ones (PIDs of
// 2^63 and above), each ascending.
func (s *Accounts) List(ctx context.Context, after uint64, limit int) ([]store.Account, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	q := `SELECT ` + accountCols + ` FROM accounts WHERE (pid > ?1 OR pid < 0) ORDER BY pid < 0, pid LIMIT ?2`
	if int64(after) < 0 {
		q = `SELECT ` + accountCols + ` FROM accounts WHERE pid < 0 AND pid > ?1 ORDER BY pid LIMIT ?2`
	}
	var out []store.Account
	err := s.db.readRows(ctx, longRead, q, []any{int64(after), limit}, func(rows *sql.Rows) error {
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: list accounts: %w", err)
	}
	return out, nil
}

// Count implements store.Accounts.
func (s *Accounts) Count(ctx context.Context) (int64, error) {
	var n int64
	// A count reads the whole table: long.
	err := s.db.readRow(ctx, longRead, `SELECT COUNT(*) FROM accounts`, nil, func(row *sql.Row) error { return row.Scan(&n) })
	if err != nil {
		return 0, fmt.Errorf("store/sqlite: count accounts: %w", err)
	}
	return n, nil
}

func affected(res interface{ RowsAffected() (int64, error) }, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
