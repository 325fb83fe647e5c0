package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nexproxy/nexproxy/internal/store"
)

// Stations implements store.Stations. Leases use the database server's
// clock (now()), so instances on different machines agree on expiry.
type Stations struct{ db *DB }

// Stations returns the presence store of db.
func (db *DB) Stations() *Stations { return &Stations{db: db} }

var _ store.Stations = (*Stations)(nil)

// Put implements store.Stations.
func (s *Stations) Put(ctx context.Context, st store.Station, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("store/postgres: put station of %d: ttl %v: %w", st.PID, ttl, store.ErrInvalid)
	}
	urls := st.URLs
	if urls == nil {
		urls = []string{}
	}
	// The purge keeps the table the size of the live population without a
	// sweeper; it runs in the same round trip.
	_, err := s.db.pool.Exec(ctx, `WITH purge AS (
			DELETE FROM stations WHERE ctid IN (SELECT ctid FROM stations WHERE expires <= now() LIMIT 8))
		INSERT INTO stations (game, pid, rvcid, instance, urls, expires)
		VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 microsecond')
		ON CONFLICT (game, pid) DO UPDATE SET rvcid = excluded.rvcid, instance = excluded.instance,
			urls = excluded.urls, expires = excluded.expires`,
		st.Game, int64(st.PID), int64(st.Owner.RVCID), st.Owner.Instance, urls, ttl.Microseconds())
	if err != nil {
		return fmt.Errorf("store/postgres: put station of %d in %q: %w", st.PID, st.Game, err)
	}
	return nil
}

const stationCols = `game, pid, rvcid, instance, urls, expires`

func scanStation(row pgx.Row) (store.Station, error) {
	var st store.Station
	var pid, rvcid int64
	if err := row.Scan(&st.Game, &pid, &rvcid, &st.Owner.Instance, &st.URLs, &st.Expires); err != nil {
		return store.Station{}, mapErr(err)
	}
	st.PID, st.Owner.RVCID = uint64(pid), uint32(rvcid)
	return st, nil
}

// Get implements store.Stations.
func (s *Stations) Get(ctx context.Context, game string, pid uint64) (store.Station, error) {
	st, err := scanStation(s.db.pool.QueryRow(ctx, `SELECT `+stationCols+` FROM stations
		WHERE game = $1 AND pid = $2 AND expires > now()`, game, int64(pid)))
	if err != nil {
		return store.Station{}, fmt.Errorf("store/postgres: get station of %d in %q: %w", pid, game, err)
	}
	return st, nil
}

// GetByRVCID implements store.Stations.
func (s *Stations) GetByRVCID(ctx context.Context, game string, rvcid uint32) (store.Station, error) {
	st, err := scanStation(s.db.pool.QueryRow(ctx, `SELECT `+stationCols+` FROM stations
		WHERE game = $1 AND rvcid = $2 AND expires > now() ORDER BY expires DESC LIMIT 1`, game, int64(rvcid)))
	if err != nil {
		return store.Station{}, fmt.Errorf("store/postgres: get station of rvcid %d in %q: %w", rvcid, game, err)
	}
	return st, nil
}

// Delete implements store.Stations.
func (s *Stations) Delete(ctx context.Context, game string, pid uint64, owner store.Owner) (bool, error) {
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM stations WHERE game = $1 AND pid = $2 AND instance = $3 AND rvcid = $4`,
		game, int64(pid), owner.Instance, int64(owner.RVCID))
	if err != nil {
		return false, fmt.Errorf("store/postgres: delete station of %d in %q: %w", pid, game, err)
	}
	return tag.RowsAffected() > 0, nil
}

// Touch implements store.Stations.
func (s *Stations) Touch(ctx context.Context, game string, pid uint64, owner store.Owner, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("store/postgres: touch station of %d: ttl %v: %w", pid, ttl, store.ErrInvalid)
	}
	tag, err := s.db.pool.Exec(ctx, `UPDATE stations SET expires = now() + $1 * interval '1 microsecond'
		WHERE game = $2 AND pid = $3 AND instance = $4 AND rvcid = $5 AND expires > now()`,
		ttl.Microseconds(), game, int64(pid), owner.Instance, int64(owner.RVCID))
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store/postgres: touch station of %d in %q: %w", pid, game, err)
	}
	return nil
}

// AllocateRVCID implements store.Stations.
func (s *Stations) AllocateRVCID(ctx context.Context, game string) (uint32, error) {
	var next int64
	err := s.db.pool.QueryRow(ctx, `INSERT INTO rvcid_counters AS c (game, next) VALUES ($1, 1)
		ON CONFLICT (game) DO UPDATE SET next = c.next + 1 RETURNING next`, game).Scan(&next)
	if err != nil {
		return 0, fmt.Errorf("store/postgres: allocate rvcid in %q: %w", game, err)
	}
	return store.RVCIDFromCounter(uint64(next)), nil
}
