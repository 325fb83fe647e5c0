package postgres

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
)

// AddParticipation implements store.Gatherings: one statement, so the
// counts of a join's PIDs change together.
func (s *Gatherings) AddParticipation(ctx context.Context, game string, community uint32, pids []uint64) error {
	if len(pids) == 0 {
		return nil
	}
	seen := make(map[uint64]bool, len(pids))
	ps := make([]int64, 0, len(pids))
	for _, p := range pids {
		if !seen[p] {
			seen[p] = true
			ps = append(ps, int64(p))
		}
	}
	_, err := s.db.pool.Exec(ctx, `INSERT INTO community_participations AS cp (game, gid, pid, count)
		SELECT $1, $2, p, 1 FROM unnest($3::bigint[]) AS p
		ON CONFLICT (game, pid, gid) DO UPDATE SET count = least(cp.count + 1, $4)`,
		game, int64(community), ps, int64(math.MaxUint32))
	if err != nil {
		return fmt.Errorf("store/postgres: participation in community %d: %w", community, err)
	}
	return nil
}

// Participation implements store.Gatherings.
func (s *Gatherings) Participation(ctx context.Context, game string, pid uint64, communities []uint32) (map[uint32]uint32, error) {
	out := map[uint32]uint32{}
	if len(communities) == 0 {
		return out, nil
	}
	cs := make([]int64, len(communities))
	for i, c := range communities {
		cs[i] = int64(c)
	}
	rows, err := s.db.pool.Query(ctx, `SELECT gid, count FROM community_participations
		WHERE game = $1 AND pid = $2 AND gid = ANY($3)`, game, int64(pid), cs)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: participation of %d: %w", pid, err)
	}
	var gid, n int64
	_, err = pgx.ForEachRow(rows, []any{&gid, &n}, func() error {
		out[uint32(gid)] = uint32(n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store/postgres: participation of %d: %w", pid, err)
	}
	return out, nil
}
