package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// Stations implements store.Stations. Leases are compared with this
// process's clock, so instances sharing one database file should have
// synchronised clocks (they share a machine anyway).
type Stations struct{ db *DB }

// Stations returns the presence store of db.
func (db *DB) Stations() *Stations { return &Stations{db: db} }

var _ store.Stations = (*Stations)(nil)

// Statements of the writer, prepared at Open.
var (
	qStationPurge = wq(`DELETE FROM stations WHERE rowid IN
			(SELECT rowid FROM stations WHERE expires_ms <= ? LIMIT 8)`)
	qStationPut = wq(`INSERT INTO stations (game, pid, rvcid, instance, urls, expires_ms) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (game, pid) DO UPDATE SET rvcid = excluded.rvcid, instance = excluded.instance,
				urls = excluded.urls, expires_ms = excluded.expires_ms`)
	qStationDelete = wq(`DELETE FROM stations WHERE game = ? AND pid = ? AND instance = ? AND rvcid = ?`)
	qStationTouch  = wq(`UPDATE stations SET expires_ms = ? WHERE game = ? AND pid = ? AND instance = ? AND rvcid = ? AND expires_ms > ?`)
	qRVCIDNext     = wq(`INSERT INTO rvcid_counters (game, next) VALUES (?, 1)
			ON CONFLICT (game) DO UPDATE SET next = next + 1 RETURNING next`)
)

// Put implements store.Stations.
func (s *Stations) Put(ctx context.Context, st store.Station, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("store/sqlite: put station of %d: ttl %v: %w", st.PID, ttl, store.ErrInvalid)
	}
	urls := st.URLs
	if urls == nil {
		urls = []string{}
	}
	js, err := json.Marshal(urls)
	if err != nil {
		return fmt.Errorf("store/sqlite: put station of %d: %w", st.PID, err)
	}
	now := s.db.now()
	err = s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		// Expired entries are dropped a few at a time, so the table stays
		// the size of the live population without a sweeper goroutine.
		if _, err := tx.exec(ctx, qStationPurge, now.UnixMilli()); err != nil {
			return err
		}
		_, err := tx.exec(ctx, qStationPut,
			st.Game, int64(st.PID), int64(st.Owner.RVCID), st.Owner.Instance, string(js), now.Add(ttl).UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("store/sqlite: put station of %d in %q: %w", st.PID, st.Game, err)
	}
	return nil
}

const stationCols = `game, pid, rvcid, instance, urls, expires_ms`

func scanStation(sc scanner) (store.Station, error) {
	var st store.Station
	var pid, rvcid, exp int64
	var js string
	if err := sc.Scan(&st.Game, &pid, &rvcid, &st.Owner.Instance, &js, &exp); err != nil {
		return store.Station{}, err
	}
	if err := json.Unmarshal([]byte(js), &st.URLs); err != nil {
		return store.Station{}, fmt.Errorf("decode urls: %w", err)
	}
	st.PID, st.Owner.RVCID, st.Expires = uint64(pid), uint32(rvcid), time.UnixMilli(exp)
	return st, nil
}

// Get implements store.Stations.
func (s *Stations) Get(ctx context.Context, game string, pid uint64) (store.Station, error) {
	var st store.Station
	err := s.db.readRow(ctx, shortRead, `SELECT `+stationCols+` FROM stations WHERE game = ? AND pid = ? AND expires_ms > ?`,
		[]any{game, int64(pid), s.db.now().UnixMilli()},
		func(row *sql.Row) (err error) { st, err = scanStation(row); return err })
	if err != nil {
		return store.Station{}, fmt.Errorf("store/sqlite: get station of %d in %q: %w", pid, game, notFound(err))
	}
	return st, nil
}

// GetByRVCID implements store.Stations.
func (s *Stations) GetByRVCID(ctx context.Context, game string, rvcid uint32) (store.Station, error) {
	var st store.Station
	err := s.db.readRow(ctx, shortRead, `SELECT `+stationCols+` FROM stations WHERE game = ? AND rvcid = ? AND expires_ms > ?
		ORDER BY expires_ms DESC LIMIT 1`, []any{game, int64(rvcid), s.db.now().UnixMilli()},
		func(row *sql.Row) (err error) { st, err = scanStation(row); return err })
	if err != nil {
		return store.Station{}, fmt.Errorf("store/sqlite: get station of rvcid %d in %q: %w", rvcid, game, notFound(err))
	}
	return st, nil
}

// Delete implements store.Stations.
func (s *Stations) Delete(ctx context.Context, game string, pid uint64, owner store.Owner) (bool, error) {
	var n int64
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.exec(ctx, qStationDelete,
			game, int64(pid), owner.Instance, int64(owner.RVCID))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store/sqlite: delete station of %d in %q: %w", pid, game, err)
	}
	return n > 0, nil
}

// Touch implements store.Stations.
func (s *Stations) Touch(ctx context.Context, game string, pid uint64, owner store.Owner, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("store/sqlite: touch station of %d: ttl %v: %w", pid, ttl, store.ErrInvalid)
	}
	now := s.db.now()
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.exec(ctx, qStationTouch,
			now.Add(ttl).UnixMilli(), game, int64(pid), owner.Instance, int64(owner.RVCID), now.UnixMilli())
		return affected(res, err)
	})
	if err != nil {
		return fmt.Errorf("store/sqlite: touch station of %d in %q: %w", pid, game, err)
	}
	return nil
}

// AllocateRVCID implements store.Stations.
func (s *Stations) AllocateRVCID(ctx context.Context, game string) (uint32, error) {
	var next int64
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		return tx.queryRow(ctx, qRVCIDNext, game).Scan(&next)
	})
	if err != nil {
		return 0, fmt.Errorf("store/sqlite: allocate rvcid in %q: %w", game, err)
	}
	return store.RVCIDFromCounter(uint64(next)), nil
}
