package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/rankmem"
)

// Rankings returns the ranking store of db: rows in SQLite, order in
// memory (package rankmem). One DB must have one Rankings (the memory
// copy is per value), so it is made once and shared.
func (db *DB) Rankings() *rankmem.Rankings {
	db.rankOnce.Do(func() { db.rankings = rankmem.New(rankBackend{db}) })
	return db.rankings
}

type rankBackend struct{ db *DB }

var _ rankmem.Backend = rankBackend{}

var (
	qRankPut = wq(`INSERT INTO ranking_scores (game, category, pid, unique_id, score, groups, param, updated_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (game, category, pid, unique_id) DO UPDATE SET score = excluded.score,
				groups = excluded.groups, param = excluded.param, updated_ms = excluded.updated_ms
			WHERE excluded.updated_ms >= ranking_scores.updated_ms`)
	qRankDelete   = wq(`DELETE FROM ranking_scores WHERE game = ? AND category = ? AND pid = ? AND unique_id = ?`)
	qRankSetOrder = wq(`INSERT INTO ranking_categories (game, category, descending) VALUES (?, ?, ?)
			ON CONFLICT (game, category) DO NOTHING`)
	qRankPutCommon = wq(`INSERT INTO ranking_common_data (game, pid, unique_id, data) VALUES (?, ?, ?, ?)
			ON CONFLICT (game, pid, unique_id) DO UPDATE SET data = excluded.data`)
	qRankDeleteCommon = wq(`DELETE FROM ranking_common_data WHERE game = ? AND pid = ? AND unique_id = ?`)
)

func (rankBackend) Name() string { return "store/sqlite" }

func (b rankBackend) LoadCategory(ctx context.Context, game string, cat uint32, fn func(store.RankingScore)) error {
	// fn runs on the reader too: it is rankmem's in-memory insert.
	err := b.db.readRows(ctx, longRead, `SELECT pid, unique_id, score, groups, param, updated_ms FROM ranking_scores
		WHERE game = ? AND category = ?`, []any{game, int64(cat)}, func(rows *sql.Rows) error {
		for rows.Next() {
			var pid, uid, score, param, ms int64
			var groups []byte
			if err := rows.Scan(&pid, &uid, &score, &groups, &param, &ms); err != nil {
				return err
			}
			fn(store.RankingScore{Game: game, Category: cat, PID: uint64(pid), UniqueID: uint64(uid), Score: uint32(score),
				Groups: groups, Param: uint64(param), Updated: time.UnixMilli(ms).UTC()})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load category %d: %w", cat, err)
	}
	return nil
}

func (b rankBackend) CategoryOrder(ctx context.Context, game string, cat uint32) (bool, bool, error) {
	var desc bool
	err := b.db.readRow(ctx, shortRead, `SELECT descending FROM ranking_categories WHERE game = ? AND category = ?`,
		[]any{game, int64(cat)}, func(row *sql.Row) error { return row.Scan(&desc) })
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	} else if err != nil {
		return false, false, err
	}
	return desc, true, nil
}

func (b rankBackend) SetCategoryOrder(ctx context.Context, game string, cat uint32, desc bool) error {
	return b.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.exec(ctx, qRankSetOrder, game, int64(cat), desc)
		return err
	})
}

func (b rankBackend) Put(ctx context.Context, s store.RankingScore) error {
	groups := s.Groups
	if groups == nil {
		groups = []byte{}
	}
	return b.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.exec(ctx, qRankPut, s.Game, int64(s.Category), int64(s.PID), int64(s.UniqueID), int64(s.Score),
			groups, int64(s.Param), s.Updated.UnixMilli())
		return err
	})
}

func (b rankBackend) Delete(ctx context.Context, game string, cat uint32, pid, uid uint64) error {
	return b.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.exec(ctx, qRankDelete, game, int64(cat), int64(pid), int64(uid))
		return err
	})
}

func (b rankBackend) Categories(ctx context.Context, game string, pid, uid uint64) ([]uint32, error) {
	var out []uint32
	err := b.db.readRows(ctx, shortRead, `SELECT category FROM ranking_scores WHERE game = ? AND pid = ? AND unique_id = ?`,
		[]any{game, int64(pid), int64(uid)}, func(rows *sql.Rows) error {
			for rows.Next() {
				var c int64
				if err := rows.Scan(&c); err != nil {
					return err
				}
				out = append(out, uint32(c))
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (b rankBackend) PutCommonData(ctx context.Context, game string, pid, uid uint64, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	return b.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.exec(ctx, qRankPutCommon, game, int64(pid), int64(uid), data)
		return err
	})
}

func (b rankBackend) CommonData(ctx context.Context, game string, pid, uid uint64) ([]byte, error) {
	var d []byte
	err := b.db.readRow(ctx, shortRead, `SELECT data FROM ranking_common_data WHERE game = ? AND pid = ? AND unique_id = ?`,
		[]any{game, int64(pid), int64(uid)}, func(row *sql.Row) error { return row.Scan(&d) })
	if err != nil {
		return nil, notFound(err)
	}
	if d == nil {
		d = []byte{}
	}
	return d, nil
}

func (b rankBackend) DeleteCommonData(ctx context.Context, game string, pid, uid uint64) error {
	return b.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.exec(ctx, qRankDeleteCommon, game, int64(pid), int64(uid))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}
