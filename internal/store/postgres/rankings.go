package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/rankmem"
)

// Rankings returns the ranking store of db: rows in PostgreSQL, order in
// memory (package rankmem), made once per DB. The memory copy is per
// process: several instances serving one game's rankings should use the
// redis backend for them.
func (db *DB) Rankings() *rankmem.Rankings {
	db.rankOnce.Do(func() { db.rankings = rankmem.New(rankBackend{db}) })
	return db.rankings
}

type rankBackend struct{ db *DB }

var _ rankmem.Backend = rankBackend{}

func (rankBackend) Name() string { return "store/postgres" }

func (b rankBackend) LoadCategory(ctx context.Context, game string, cat uint32, fn func(store.RankingScore)) error {
	rows, err := b.db.pool.Query(ctx, `SELECT pid, unique_id, score, groups, param, updated_ms FROM ranking_scores
		WHERE game = $1 AND category = $2`, game, int64(cat))
	if err != nil {
		return fmt.Errorf("load category %d: %w", cat, err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid, uid, score, param, ms int64
		var groups []byte
		if err := rows.Scan(&pid, &uid, &score, &groups, &param, &ms); err != nil {
			return fmt.Errorf("load category %d: %w", cat, err)
		}
		fn(store.RankingScore{Game: game, Category: cat, PID: uint64(pid), UniqueID: uint64(uid), Score: uint32(score),
			Groups: groups, Param: uint64(param), Updated: time.UnixMilli(ms).UTC()})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load category %d: %w", cat, err)
	}
	return nil
}

func (b rankBackend) CategoryOrder(ctx context.Context, game string, cat uint32) (bool, bool, error) {
	var desc bool
	err := b.db.pool.QueryRow(ctx, `SELECT descending FROM ranking_categories WHERE game = $1 AND category = $2`,
		game, int64(cat)).Scan(&desc)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return desc, true, nil
}

func (b rankBackend) SetCategoryOrder(ctx context.Context, game string, cat uint32, desc bool) error {
	_, err := b.db.pool.Exec(ctx, `INSERT INTO ranking_categories (game, category, descending) VALUES ($1, $2, $3)
		ON CONFLICT (game, category) DO NOTHING`, game, int64(cat), desc)
	return err
}

func (b rankBackend) Put(ctx context.Context, s store.RankingScore) error {
	groups := s.Groups
	if groups == nil {
		groups = []byte{}
	}
	_, err := b.db.pool.Exec(ctx, `INSERT INTO ranking_scores (game, category, pid, unique_id, score, groups, param, updated_ms)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (game, category, pid, unique_id) DO UPDATE SET score = excluded.score,
			groups = excluded.groups, param = excluded.param, updated_ms = excluded.updated_ms
		WHERE excluded.updated_ms >= ranking_scores.updated_ms`,
		s.Game, int64(s.Category), int64(s.PID), int64(s.UniqueID), int64(s.Score), groups, int64(s.Param), s.Updated.UnixMilli())
	return err
}

func (b rankBackend) Delete(ctx context.Context, game string, cat uint32, pid, uid uint64) error {
	_, err := b.db.pool.Exec(ctx, `DELETE FROM ranking_scores WHERE game = $1 AND category = $2 AND pid = $3 AND unique_id = $4`,
		game, int64(cat), int64(pid), int64(uid))
	return err
}

func (b rankBackend) Categories(ctx context.Context, game string, pid, uid uint64) ([]uint32, error) {
	rows, err := b.db.pool.Query(ctx, `SELECT category FROM ranking_scores WHERE game = $1 AND pid = $2 AND unique_id = $3`,
		game, int64(pid), int64(uid))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []uint32
	for rows.Next() {
		var c int64
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, uint32(c))
	}
	return out, rows.Err()
}

func (b rankBackend) PutCommonData(ctx context.Context, game string, pid, uid uint64, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	_, err := b.db.pool.Exec(ctx, `INSERT INTO ranking_common_data (game, pid, unique_id, data) VALUES ($1, $2, $3, $4)
		ON CONFLICT (game, pid, unique_id) DO UPDATE SET data = excluded.data`, game, int64(pid), int64(uid), data)
	return err
}

func (b rankBackend) CommonData(ctx context.Context, game string, pid, uid uint64) ([]byte, error) {
	var d []byte
	err := b.db.pool.QueryRow(ctx, `SELECT data FROM ranking_common_data WHERE game = $1 AND pid = $2 AND unique_id = $3`,
		game, int64(pid), int64(uid)).Scan(&d)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if d == nil {
		d = []byte{}
	}
	return d, nil
}

func (b rankBackend) DeleteCommonData(ctx context.Context, game string, pid, uid uint64) error {
	tag, err := b.db.pool.Exec(ctx, `DELETE FROM ranking_common_data WHERE game = $1 AND pid = $2 AND unique_id = $3`,
		game, int64(pid), int64(uid))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}
