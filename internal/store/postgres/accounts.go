package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nexproxy/nexproxy/internal/store"
)

// Accounts implements store.Accounts.
type Accounts struct{ db *DB }

// Accounts returns the accounts store of db.
func (db *DB) Accounts() *Accounts { return &Accounts{db: db} }

var _ store.Accounts = (*Accounts)(nil)

const accountCols = `pid, username, password, game, created`

func scanAccount(row pgx.Row) (store.Account, error) {
	var a store.Account
	var pid int64
	var pw string
	if err := row.Scan(&pid, &a.Username, &pw, &a.Game, &a.Created); err != nil {
		return store.Account{}, mapErr(err)
	}
	a.PID, a.Password, a.Created = uint64(pid), store.Password(pw), a.Created.UTC()
	return a, nil
}

// Get implements store.Accounts.
func (s *Accounts) Get(ctx context.Context, pid uint64) (store.Account, error) {
	a, err := scanAccount(s.db.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE pid = $1`, int64(pid)))
	if err != nil {
		return store.Account{}, fmt.Errorf("store/postgres: get account %d: %w", pid, err)
	}
	return a, nil
}

// GetByName implements store.Accounts.
func (s *Accounts) GetByName(ctx context.Context, name string) (store.Account, error) {
	a, err := scanAccount(s.db.pool.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE username_key = $1`, strings.ToLower(name)))
	if err != nil {
		return store.Account{}, fmt.Errorf("store/postgres: get account %q: %w", name, err)
	}
	return a, nil
}

// Create implements store.Accounts; the unique constraints decide races.
func (s *Accounts) Create(ctx context.Context, a store.Account) (store.Account, error) {
	if a.PID == 0 || a.Username == "" {
		return store.Account{}, fmt.Errorf("store/postgres: create account: pid and username are required: %w", store.ErrInvalid)
	}
	a.Created = time.Now().UTC().Truncate(time.Microsecond)
	_, err := s.db.pool.Exec(ctx, `INSERT INTO accounts (`+accountCols+`, username_key) VALUES ($1, $2, $3, $4, $5, $6)`,
		int64(a.PID), a.Username, a.Password.Reveal(), a.Game, a.Created, strings.ToLower(a.Username))
	if err != nil {
		return store.Account{}, fmt.Errorf("store/postgres: create account %d (%q): %w", a.PID, a.Username, mapErr(err))
	}
	return a, nil
}

// SetPassword implements store.Accounts.
func (s *Accounts) SetPassword(ctx context.Context, pid uint64, password store.Password) error {
	tag, err := s.db.pool.Exec(ctx, `UPDATE accounts SET password = $1 WHERE pid = $2`, password.Reveal(), int64(pid))
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store/postgres: set password of %d: %w", pid, err)
	}
	return nil
}

// Delete implements store.Accounts.
func (s *Accounts) Delete(ctx context.Context, pid uint64) error {
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM accounts WHERE pid = $1`, int64(pid))
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store/postgres: delete account %d: %w", pid, err)
	}
	return nil
}

// List implements store.Accounts in unsigned PID order (see the sqlite
// backend: non-negative bigints first, then negative ones).
func (s *Accounts) List(ctx context.Context, after uint64, limit int) ([]store.Account, error) {
	q := `SELECT ` + accountCols + ` FROM accounts WHERE (pid > $1 OR pid < 0) ORDER BY pid < 0, pid`
	if int64(after) < 0 {
		q = `SELECT ` + accountCols + ` FROM accounts WHERE pid < 0 AND pid > $1 ORDER BY pid`
	}
	args := []any{int64(after)}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	rows, err := s.db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: list accounts: %w", err)
	}
	defer rows.Close()
	var out []store.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("store/postgres: list accounts: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store/postgres: list accounts: %w", err)
	}
	return out, nil
}

// Count implements store.Accounts.
func (s *Accounts) Count(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store/postgres: count accounts: %w", err)
	}
	return n, nil
}

var errNoRows = pgx.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
