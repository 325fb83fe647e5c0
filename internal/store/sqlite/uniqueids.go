package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/nexproxy/nexproxy/internal/store"
)

// UniqueIDs implements store.UniqueIDs.
type UniqueIDs struct{ db *DB }

// UniqueIDs returns the unique id store of db.
func (db *DB) UniqueIDs() *UniqueIDs { return &UniqueIDs{db: db} }

var _ store.UniqueIDs = (*UniqueIDs)(nil)

// Statements of the writer, prepared at Open.
var (
	qReserveIDs = wq(`INSERT INTO unique_id_counters (game, next) VALUES (?1, 1 + ?2)
			ON CONFLICT (game) DO UPDATE SET next = next + ?2 RETURNING next`)
	qIDLookup    = wq(`SELECT password, pid FROM unique_ids WHERE game = ? AND id = ?`)
	qIDNextSeq   = wq(`SELECT COALESCE(MAX(seq), 0) FROM unique_ids WHERE game = ? AND pid = ?`)
	qIDPrimaries = wq(`SELECT COUNT(*) FROM unique_ids WHERE game = ? AND pid = ? AND is_primary = 1`)
	qIDAssociate = wq(`INSERT INTO unique_ids (game, id, password, pid, is_primary, seq) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (game, id) DO UPDATE SET pid = excluded.pid, is_primary = excluded.is_primary, seq = excluded.seq`)
	qIDClear = wq(`UPDATE unique_ids SET pid = 0, is_primary = 0, seq = 0 WHERE game = ? AND pid = ?`)
	qIDSet   = wq(`INSERT INTO unique_ids (game, id, password, pid, is_primary, seq) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (game, id) DO UPDATE SET pid = excluded.pid, is_primary = excluded.is_primary, seq = excluded.seq`)
)

// Reserve implements store.UniqueIDs.
func (s *UniqueIDs) Reserve(ctx context.Context, game string, n uint64) (uint64, error) {
	if n == 0 || n > 1<<32 {
		return 0, fmt.Errorf("store/sqlite: reserve %d ids: %w", n, store.ErrInvalid)
	}
	var next int64
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		return tx.queryRow(ctx, qReserveIDs, game, int64(n)).Scan(&next)
	})
	if err != nil {
		return 0, fmt.Errorf("store/sqlite: reserve %d ids for %q: %w", n, game, err)
	}
	return uint64(next) - n, nil
}

type idRow struct {
	password uint64
	pid      uint64
}

// lookup reads one id inside a write transaction.
func lookupTx(ctx context.Context, tx *Tx, game string, id uint64) (idRow, bool, error) {
	var pw, pid int64
	err := tx.queryRow(ctx, qIDLookup, game, int64(id)).Scan(&pw, &pid)
	if errors.Is(err, sql.ErrNoRows) {
		return idRow{}, false, nil
	}
	if err != nil {
		return idRow{}, false, err
	}
	return idRow{password: uint64(pw), pid: uint64(pid)}, true, nil
}

// checkTake says whether pid may take id: ErrInvalid for a wrong password,
// ErrExists when another PID holds it.
func checkTake(row idRow, found bool, pid uint64, id store.UniqueID) error {
	if !found {
		return nil
	}
	if row.password != id.Password {
		return fmt.Errorf("unique id %d: password differs: %w", id.ID, store.ErrInvalid)
	}
	if row.pid != 0 && row.pid != pid {
		return fmt.Errorf("unique id %d: associated with another pid: %w", id.ID, store.ErrExists)
	}
	return nil
}

func nextSeq(ctx context.Context, tx *Tx, game string, pid uint64) (int64, error) {
	var seq int64
	err := tx.queryRow(ctx, qIDNextSeq, game, int64(pid)).Scan(&seq)
	return seq + 1, err
}

// Associate implements store.UniqueIDs.
func (s *UniqueIDs) Associate(ctx context.Context, game string, pid uint64, id store.UniqueID) error {
	if pid == 0 || id.ID == 0 {
		return fmt.Errorf("store/sqlite: associate unique id %d with pid %d: zero: %w", id.ID, pid, store.ErrInvalid)
	}
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		row, found, err := lookupTx(ctx, tx, game, id.ID)
		if err != nil {
			return err
		}
		if err := checkTake(row, found, pid, id); err != nil {
			return err
		}
		if found && row.pid == pid {
			return nil
		}
		var primaries int
		if err := tx.queryRow(ctx, qIDPrimaries, game, int64(pid)).Scan(&primaries); err != nil {
			return err
		}
		seq, err := nextSeq(ctx, tx, game, pid)
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, qIDAssociate,
			game, int64(id.ID), int64(id.Password), int64(pid), primaries == 0, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("store/sqlite: associate unique id %d with pid %d in %q: %w", id.ID, pid, game, err)
	}
	return nil
}

// SetAssociations implements store.UniqueIDs.
func (s *UniqueIDs) SetAssociations(ctx context.Context, game string, pid uint64, ids []store.UniqueID) error {
	if pid == 0 {
		return fmt.Errorf("store/sqlite: set unique ids of pid 0: %w", store.ErrInvalid)
	}
	ids = store.DedupeUniqueIDs(ids)
	for _, id := range ids {
		if id.ID == 0 {
			return fmt.Errorf("store/sqlite: set unique ids of pid %d: id 0: %w", pid, store.ErrInvalid)
		}
	}
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		for _, id := range ids {
			row, found, err := lookupTx(ctx, tx, game, id.ID)
			if err != nil {
				return err
			}
			if err := checkTake(row, found, pid, id); err != nil {
				return err
			}
		}
		if _, err := tx.exec(ctx, qIDClear, game, int64(pid)); err != nil {
			return err
		}
		// Later in the list means older: seq descends along the list.
		for i, id := range ids {
			if _, err := tx.exec(ctx, qIDSet,
				game, int64(id.ID), int64(id.Password), int64(pid), i == 0, int64(len(ids)-i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store/sqlite: set unique ids of pid %d in %q: %w", pid, game, err)
	}
	return nil
}

// Associations implements store.UniqueIDs.
func (s *UniqueIDs) Associations(ctx context.Context, game string, pid uint64) ([]store.UniqueID, error) {
	out := []store.UniqueID{}
	if pid == 0 {
		return out, nil
	}
	err := s.db.readRows(ctx, shortRead, `SELECT id, password FROM unique_ids WHERE game = ? AND pid = ? ORDER BY is_primary DESC, seq DESC`,
		[]any{game, int64(pid)}, func(rows *sql.Rows) error {
			for rows.Next() {
				var id, pw int64
				if err := rows.Scan(&id, &pw); err != nil {
					return err
				}
				out = append(out, store.UniqueID{ID: uint64(id), Password: uint64(pw)})
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: unique ids of pid %d: %w", pid, err)
	}
	return out, nil
}

// Lookup implements store.UniqueIDs.
func (s *UniqueIDs) Lookup(ctx context.Context, game string, id uint64) (store.UniqueID, uint64, error) {
	var pw, pid int64
	err := s.db.readRow(ctx, shortRead, `SELECT password, pid FROM unique_ids WHERE game = ? AND id = ?`, []any{game, int64(id)},
		func(row *sql.Row) error { return row.Scan(&pw, &pid) })
	if err != nil {
		return store.UniqueID{}, 0, fmt.Errorf("store/sqlite: look up unique id %d: %w", id, notFound(err))
	}
	return store.UniqueID{ID: id, Password: uint64(pw)}, uint64(pid), nil
}
