package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
)

var qParticipationAdd = wq(`INSERT INTO community_participations (game, gid, pid, count) VALUES (?, ?, ?, 1)
		ON CONFLICT (game, pid, gid) DO UPDATE SET count = min(count + 1, ` + fmt.Sprint(uint32(math.MaxUint32)) + `)`)

// AddParticipation implements store.Gatherings.
func (s *Gatherings) AddParticipation(ctx context.Context, game string, community uint32, pids []uint64) error {
	if len(pids) == 0 {
		return nil
	}
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		seen := make(map[uint64]bool, len(pids))
		for _, p := range pids {
			if seen[p] {
				continue
			}
			seen[p] = true
			if _, err := tx.exec(ctx, qParticipationAdd, game, int64(community), int64(p)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store/sqlite: participation in community %d: %w", community, err)
	}
	return nil
}

// Participation implements store.Gatherings.
func (s *Gatherings) Participation(ctx context.Context, game string, pid uint64, communities []uint32) (map[uint32]uint32, error) {
	out := map[uint32]uint32{}
	if len(communities) == 0 {
		return out, nil
	}
	cj, err := json.Marshal(communities)
	if err != nil {
		return nil, err
	}
	err = s.db.readRows(ctx, shortRead, `SELECT gid, count FROM community_participations
		WHERE game = ? AND pid = ? AND gid IN (SELECT value FROM json_each(?))`, []any{game, int64(pid), string(cj)},
		func(rows *sql.Rows) error {
			for rows.Next() {
				var gid, n int64
				if err := rows.Scan(&gid, &n); err != nil {
					return err
				}
				out[uint32(gid)] = uint32(n)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: participation of %d: %w", pid, err)
	}
	return out, nil
}
