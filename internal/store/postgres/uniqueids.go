package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/nexproxy/nexproxy/internal/store"
)

// UniqueIDs implements store.UniqueIDs.
type UniqueIDs struct{ db *DB }

// UniqueIDs returns the unique id store of db.
func (db *DB) UniqueIDs() *UniqueIDs { return &UniqueIDs{db: db} }

var _ store.UniqueIDs = (*UniqueIDs)(nil)

// Reserve implements store.UniqueIDs with one atomic upsert.
func (s *UniqueIDs) Reserve(ctx context.Context, game string, n uint64) (uint64, error) {
	if n == 0 || n > 1<<32 {
		return 0, fmt.Errorf("store/postgres: reserve %d ids: %w", n, store.ErrInvalid)
	}
	var next int64
	err := s.db.pool.QueryRow(ctx, `INSERT INTO unique_id_counters AS c (game, next) VALUES ($1, 1 + $2)
		ON CONFLICT (game) DO UPDATE SET next = c.next + $2 RETURNING next`, game, int64(n)).Scan(&next)
	if err != nil {
		return 0, fmt.Errorf("store/postgres: reserve %d ids for %q: %w", n, game, err)
	}
	return uint64(next) - n, nil
}

// lockPID and lockID serialise changes to one PID's associations and to
// one id, so that "becomes primary if it has none" and "held by another
// PID" are decided without races. Locks are taken PID first, then ids in
// ascending order, so two transactions never wait on each other in a cycle.
func lockPID(ctx context.Context, tx pgx.Tx, game string, pid uint64) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('uidpid:' || $1 || ':' || $2::bigint::text, 0))`, game, int64(pid))
	return err
}

func lockID(ctx context.Context, tx pgx.Tx, game string, id uint64) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('uid:' || $1 || ':' || $2::bigint::text, 0))`, game, int64(id))
	return err
}

func checkTake(ctx context.Context, tx pgx.Tx, game string, pid uint64, id store.UniqueID) (held bool, err error) {
	var pw, owner int64
	err = tx.QueryRow(ctx, `SELECT password, pid FROM unique_ids WHERE game = $1 AND id = $2`, game, int64(id.ID)).Scan(&pw, &owner)
	if isNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if uint64(pw) != id.Password {
		return false, fmt.Errorf("unique id %d: password differs: %w", id.ID, store.ErrInvalid)
	}
	if owner != 0 && uint64(owner) != pid {
		return false, fmt.Errorf("unique id %d: associated with another pid: %w", id.ID, store.ErrExists)
	}
	return uint64(owner) == pid, nil
}

const upsertID = `INSERT INTO unique_ids (game, id, password, pid, is_primary, seq) VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (game, id) DO UPDATE SET pid = excluded.pid, is_primary = excluded.is_primary, seq = excluded.seq`

// Associate implements store.UniqueIDs.
func (s *UniqueIDs) Associate(ctx context.Context, game string, pid uint64, id store.UniqueID) error {
	if pid == 0 || id.ID == 0 {
		return fmt.Errorf("store/postgres: associate unique id %d with pid %d: zero: %w", id.ID, pid, store.ErrInvalid)
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := lockPID(ctx, tx, game, pid); err != nil {
			return err
		}
		if err := lockID(ctx, tx, game, id.ID); err != nil {
			return err
		}
		held, err := checkTake(ctx, tx, game, pid, id)
		if err != nil || held {
			return err
		}
		var hasPrimary bool
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(bool_or(is_primary), false), COALESCE(MAX(seq), 0) + 1
			FROM unique_ids WHERE game = $1 AND pid = $2`, game, int64(pid)).Scan(&hasPrimary, &seq); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, upsertID, game, int64(id.ID), int64(id.Password), int64(pid), !hasPrimary, seq)
		return err
	}, fmt.Sprintf("associate unique id %d with pid %d in %q", id.ID, pid, game))
}

// SetAssociations implements store.UniqueIDs.
func (s *UniqueIDs) SetAssociations(ctx context.Context, game string, pid uint64, ids []store.UniqueID) error {
	if pid == 0 {
		return fmt.Errorf("store/postgres: set unique ids of pid 0: %w", store.ErrInvalid)
	}
	ids = store.DedupeUniqueIDs(ids)
	for _, id := range ids {
		if id.ID == 0 {
			return fmt.Errorf("store/postgres: set unique ids of pid %d: id 0: %w", pid, store.ErrInvalid)
		}
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := lockPID(ctx, tx, game, pid); err != nil {
			return err
		}
		for _, id := range store.SortedIDs(ids) {
			if err := lockID(ctx, tx, game, id); err != nil {
				return err
			}
		}
		for _, id := range ids {
			if _, err := checkTake(ctx, tx, game, pid, id); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE unique_ids SET pid = 0, is_primary = false, seq = 0 WHERE game = $1 AND pid = $2`, game, int64(pid)); err != nil {
			return err
		}
		for i, id := range ids {
			if _, err := tx.Exec(ctx, upsertID, game, int64(id.ID), int64(id.Password), int64(pid), i == 0, int64(len(ids)-i)); err != nil {
				return err
			}
		}
		return nil
	}, fmt.Sprintf("set unique ids of pid %d in %q", pid, game))
}

// Associations implements store.UniqueIDs.
func (s *UniqueIDs) Associations(ctx context.Context, game string, pid uint64) ([]store.UniqueID, error) {
	out := []store.UniqueID{}
	if pid == 0 {
		return out, nil
	}
	rows, err := s.db.pool.Query(ctx, `SELECT id, password FROM unique_ids WHERE game = $1 AND pid = $2 ORDER BY is_primary DESC, seq DESC`, game, int64(pid))
	if err != nil {
		return nil, fmt.Errorf("store/postgres: unique ids of pid %d: %w", pid, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, pw int64
		if err := rows.Scan(&id, &pw); err != nil {
			return nil, fmt.Errorf("store/postgres: unique ids of pid %d: %w", pid, err)
		}
		out = append(out, store.UniqueID{ID: uint64(id), Password: uint64(pw)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store/postgres: unique ids of pid %d: %w", pid, err)
	}
	return out, nil
}

// Lookup implements store.UniqueIDs.
func (s *UniqueIDs) Lookup(ctx context.Context, game string, id uint64) (store.UniqueID, uint64, error) {
	var pw, pid int64
	if err := s.db.pool.QueryRow(ctx, `SELECT password, pid FROM unique_ids WHERE game = $1 AND id = $2`, game, int64(id)).Scan(&pw, &pid); err != nil {
		return store.UniqueID{}, 0, fmt.Errorf("store/postgres: look up unique id %d: %w", id, mapErr(err))
	}
	return store.UniqueID{ID: id, Password: uint64(pw)}, uint64(pid), nil
}
