package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nexproxy/nexproxy/internal/store"
)

// Gatherings implements store.Gatherings. A change to one gathering locks
// its row (SELECT ... FOR UPDATE, or AutoJoin's one UPDATE that checks the
// room on the row it locks), so concurrent joins never overfill it.
// AutoJoin also takes a transaction-scoped advisory lock per pool (the
// query's Pool, e.g. one game mode): two auto-matchmakes that both find no
// session must not both create one, and only serialising the search with
// the create prevents that; calls of different pools cannot meet, so they
// do not wait for each other.
type Gatherings struct{ db *DB }

// Gatherings returns the matchmake session store of db.
func (db *DB) Gatherings() *Gatherings { return &Gatherings{db: db} }

var _ store.Gatherings = (*Gatherings)(nil)

const gatheringCols = `id, owner, host, min_p, max_p, policy, policy_arg, flags, state, description, game_mode,
	attributes, open, mm_system, app_buffer, progress, session_key, extra, participants, created_ms, kind`

func scanGathering(game string, r pgx.Row) (store.Gathering, error) {
	var g store.Gathering
	var id, owner, host, policy, arg, flags, state, mode, sys, ms int64
	var minP, maxP, progress int32
	var attrs, parts string
	if err := r.Scan(&id, &owner, &host, &minP, &maxP, &policy, &arg, &flags, &state, &g.Description, &mode,
		&attrs, &g.OpenParticipation, &sys, &g.ApplicationBuffer, &progress, &g.SessionKey, &g.Extra, &parts, &ms, &g.Kind); err != nil {
		return g, mapErr(err)
	}
	g.Game, g.ID, g.Owner, g.Host = game, uint32(id), uint64(owner), uint64(host)
	g.MinParticipants, g.MaxParticipants = uint16(minP), uint16(maxP)
	g.ParticipationPolicy, g.PolicyArgument, g.Flags, g.State = uint32(policy), uint32(arg), uint32(flags), uint32(state)
	g.GameMode, g.MatchmakeSystem, g.ProgressScore = uint32(mode), uint32(sys), uint8(progress)
	g.Created = time.UnixMilli(ms).UTC()
	if err := json.Unmarshal([]byte(attrs), &g.Attributes); err != nil {
		return g, fmt.Errorf("gathering %d attributes: %w", id, err)
	}
	if err := json.Unmarshal([]byte(parts), &g.Participants); err != nil {
		return g, fmt.Errorf("gathering %d participants: %w", id, err)
	}
	return g, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// gatheringRow returns the mutable columns of g in update order, entries
// last.
func gatheringRow(g *store.Gathering) ([]any, error) {
	attrs := g.Attributes
	if attrs == nil {
		attrs = []uint32{}
	}
	aj, err := json.Marshal(attrs)
	if err != nil {
		return nil, err
	}
	parts := g.Participants
	if parts == nil {
		parts = []store.GatheringParticipant{}
	}
	pj, err := json.Marshal(parts)
	if err != nil {
		return nil, err
	}
	return []any{int64(g.Owner), int64(g.Host), int32(g.MinParticipants), int32(g.MaxParticipants),
		int64(g.ParticipationPolicy), int64(g.PolicyArgument), int64(g.Flags), int64(g.State), g.Description,
		int64(g.GameMode), string(aj), g.OpenParticipation, int64(g.MatchmakeSystem), nonNil(g.ApplicationBuffer),
		int32(g.ProgressScore), nonNil(g.SessionKey), nonNil(g.Extra), string(pj), int32(g.Entries())}, nil
}

func create(ctx context.Context, tx pgx.Tx, g store.Gathering) (store.Gathering, error) {
	if g.Game == "" || !g.HasRoom(0) {
		return g, store.ErrInvalid
	}
	if g.Kind == "" {
		g.Kind = store.KindMatchmakeSession
	}
	seen := map[uint64]bool{}
	for _, p := range g.Participants {
		if seen[p.PID] {
			return g, store.ErrInvalid
		}
		seen[p.PID] = true
	}
	var next int64
	if err := tx.QueryRow(ctx, `INSERT INTO gathering_ids (game, next) VALUES ($1, 1)
		ON CONFLICT (game) DO UPDATE SET next = gathering_ids.next + 1 RETURNING next`, g.Game).Scan(&next); err != nil {
		return g, err
	}
	if next <= 0 || next > 0xFFFFFFFF {
		return g, fmt.Errorf("gathering ids exhausted: %w", store.ErrInvalid)
	}
	g.ID = uint32(next)
	g.Created = time.Now().Truncate(time.Millisecond).UTC()
	row, err := gatheringRow(&g)
	if err != nil {
		return g, err
	}
	args := append([]any{g.Game, int64(g.ID)}, row[:len(row)-1]...)
	args = append(args, g.Created.UnixMilli(), g.Kind, row[len(row)-1])
	if _, err := tx.Exec(ctx, `INSERT INTO gatherings (game, `+gatheringCols+`, entries)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`, args...); err != nil {
		return g, err
	}
	for _, p := range g.Participants {
		if _, err := tx.Exec(ctx, `INSERT INTO gathering_members (game, pid, id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			g.Game, int64(p.PID), int64(g.ID)); err != nil {
			return g, err
		}
	}
	return g, nil
}

func save(ctx context.Context, tx pgx.Tx, g *store.Gathering) error {
	row, err := gatheringRow(g)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE gatherings SET owner = $1, host = $2, min_p = $3, max_p = $4, policy = $5, policy_arg = $6,
		flags = $7, state = $8, description = $9, game_mode = $10, attributes = $11, open = $12, mm_system = $13,
		app_buffer = $14, progress = $15, session_key = $16, extra = $17, participants = $18, entries = $19
		WHERE game = $20 AND id = $21`, append(row, g.Game, int64(g.ID))...)
	return err
}

func lock(ctx context.Context, tx pgx.Tx, game string, id uint32) (store.Gathering, error) {
	return scanGathering(game, tx.QueryRow(ctx, `SELECT `+gatheringCols+` FROM gatherings WHERE game = $1 AND id = $2 FOR UPDATE`,
		game, int64(id)))
}

func join(ctx context.Context, tx pgx.Tx, g *store.Gathering, p store.GatheringParticipant) error {
	if g.Has(p.PID) {
		return store.ErrExists
	}
	if !g.HasRoom(1 + int(p.Extra)) {
		return store.ErrGatheringFull
	}
	g.Participants = append(g.Participants, p)
	if err := save(ctx, tx, g); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO gathering_members (game, pid, id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		g.Game, int64(p.PID), int64(g.ID))
	return err
}

func remove(ctx context.Context, tx pgx.Tx, game string, id uint32) error {
	if _, err := tx.Exec(ctx, `DELETE FROM gatherings WHERE game = $1 AND id = $2`, game, int64(id)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM gathering_members WHERE game = $1 AND id = $2`, game, int64(id))
	return err
}

// Create implements store.Gatherings.
func (s *Gatherings) Create(ctx context.Context, g store.Gathering) (store.Gathering, error) {
	var out store.Gathering
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = create(ctx, tx, g)
		return err
	}, "create gathering")
	return out, err
}

// Get implements store.Gatherings.
func (s *Gatherings) Get(ctx context.Context, game string, id uint32) (store.Gathering, error) {
	g, err := scanGathering(game, s.db.pool.QueryRow(ctx, `SELECT `+gatheringCols+` FROM gatherings WHERE game = $1 AND id = $2`,
		game, int64(id)))
	if err != nil {
		return store.Gathering{}, fmt.Errorf("store/postgres: get gathering %d: %w", id, err)
	}
	return g, nil
}

// Join implements store.Gatherings.
func (s *Gatherings) Join(ctx context.Context, game string, id uint32, p store.GatheringParticipant, check func(*store.Gathering) error) (store.Gathering, error) {
	var out store.Gathering
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		g, err := lock(ctx, tx, game, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(&g); err != nil {
				return err
			}
		}
		if err := join(ctx, tx, &g, p); err != nil {
			return err
		}
		out = g
		return nil
	}, fmt.Sprintf("join gathering %d", id))
	return out, err
}

// Leave implements store.Gatherings.
func (s *Gatherings) Leave(ctx context.Context, game string, id uint32, pid uint64) (store.LeaveResult, error) {
	var res store.LeaveResult
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		g, err := lock(ctx, tx, game, id)
		if err != nil {
			return err
		}
		if !g.Has(pid) {
			return store.ErrNotParticipant
		}
		res = store.LeaveResult{Before: g}
		res.Before.Participants = append([]store.GatheringParticipant(nil), g.Participants...)
		kept := g.Participants[:0]
		for _, p := range g.Participants {
			if p.PID != pid {
				kept = append(kept, p)
			}
		}
		g.Participants = kept
		persistent := g.Kind == store.KindPersistent
		if g.Owner == pid && !persistent {
			if len(kept) == 0 || g.Flags&store.GatheringMigrateOwner == 0 {
				res.Ended = true
				return remove(ctx, tx, game, id)
			}
			g.Owner = kept[0].PID
		}
		if len(kept) == 0 && !persistent {
			res.Ended = true
			return remove(ctx, tx, game, id)
		}
		if g.Host == pid {
			g.Host = g.Owner
		}
		if err := save(ctx, tx, &g); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM gathering_members WHERE game = $1 AND pid = $2 AND id = $3`,
			game, int64(pid), int64(id)); err != nil {
			return err
		}
		res.After = g
		return nil
	}, fmt.Sprintf("leave gathering %d", id))
	if err != nil {
		return store.LeaveResult{}, err
	}
	return res, nil
}

// Update implements store.Gatherings.
func (s *Gatherings) Update(ctx context.Context, game string, id uint32, fn func(*store.Gathering) error) (store.Gathering, error) {
	var out store.Gathering
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		g, err := lock(ctx, tx, game, id)
		if err != nil {
			return err
		}
		keep := g
		keep.Participants = append([]store.GatheringParticipant(nil), g.Participants...)
		if err := fn(&g); err != nil {
			return err
		}
		g.Game, g.ID, g.Kind, g.Participants, g.Created = keep.Game, keep.ID, keep.Kind, keep.Participants, keep.Created
		if err := save(ctx, tx, &g); err != nil {
			return err
		}
		out = g
		return nil
	}, fmt.Sprintf("update gathering %d", id))
	return out, err
}

// Delete implements store.Gatherings.
func (s *Gatherings) Delete(ctx context.Context, game string, id uint32) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM gatherings WHERE game = $1 AND id = $2`, game, int64(id))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		_, err = tx.Exec(ctx, `DELETE FROM gathering_members WHERE game = $1 AND id = $2`, game, int64(id))
		return err
	}, fmt.Sprintf("delete gathering %d", id))
}

// columnFilters returns the SQL terms of the column filters of
// store.GatheringQuery, with their arguments numbered from $first in
// columnArgs's order: NULL turns a filter off. Every bound is a bigint,
// as a span's u32 ends need, whatever the column's width (min_p and
// max_p are integers).
func columnFilters(first int) string {
	return fmt.Sprintf(`
	AND ($%[1]d::bigint IS NULL OR game_mode BETWEEN $%[1]d::bigint AND $%[2]d::bigint)
	AND ($%[3]d::bigint IS NULL OR mm_system BETWEEN $%[3]d::bigint AND $%[4]d::bigint)
	AND ($%[5]d::bigint IS NULL OR min_p BETWEEN $%[5]d::bigint AND $%[6]d::bigint)
	AND ($%[7]d::bigint IS NULL OR max_p BETWEEN $%[7]d::bigint AND $%[8]d::bigint)
	AND (NOT $%[9]d::boolean OR host <> 0) AND ($%[10]d::bigint IS NULL OR owner = $%[10]d)`,
		first, first+1, first+2, first+3, first+4, first+5, first+6, first+7, first+8, first+9)
}

// columnArgs are the arguments of columnFilters for q.
func columnArgs(q *store.GatheringQuery) []any {
	var args []any
	for _, s := range []*store.Span{q.GameMode, q.MatchmakeSystem, q.MinParticipants, q.MaxParticipants} {
		if s == nil {
			args = append(args, nil, nil)
			continue
		}
		args = append(args, int64(s.Min), int64(s.Max))
	}
	var owner *int64
	if q.Owner != 0 {
		o := int64(q.Owner)
		owner = &o
	}
	return append(args, q.HostOnly, owner)
}

// qSearch selects a page of candidates of a query: $7 is the id the page
// starts after, $5 its size.
var qSearch = `SELECT ` + gatheringCols + ` FROM gatherings WHERE game = $1 AND id > $7
	AND ($2 <= 0 OR max_p = 0 OR entries + $2 <= max_p) AND (NOT $3 OR open) AND ($6 = '' OR kind = $6)` + columnFilters(8) + `
	AND NOT EXISTS (SELECT 1 FROM gathering_members m WHERE m.game = gatherings.game AND m.id = gatherings.id AND m.pid = $4)
	ORDER BY id LIMIT $5`

// search pages through the candidates of gq and returns its result
// (store.GatheringQuery.Collect).
func (s *Gatherings) search(ctx context.Context, game string, gq *store.GatheringQuery) ([]store.Gathering, error) {
	return gq.Collect(func(after uint32, size int, add func(store.Gathering) bool) (int, error) {
		args := append([]any{game, int32(gq.Room), gq.OpenOnly, int64(gq.Exclude), size, gq.Kind, int64(after)}, columnArgs(gq)...)
		rows, err := s.db.pool.Query(ctx, qSearch, args...)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			g, err := scanGathering(game, rows)
			if err != nil {
				return n, err
			}
			n++
			if !add(g) {
				break
			}
		}
		rows.Close()
		return n, rows.Err()
	})
}

// collectGatherings reads rows of gatherings.
func collectGatherings(rows pgx.Rows, game string) ([]store.Gathering, error) {
	defer rows.Close()
	var out []store.Gathering
	for rows.Next() {
		g, err := scanGathering(game, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	rows.Close()
	return out, rows.Err()
}

// Search implements store.Gatherings.
func (s *Gatherings) Search(ctx context.Context, game string, q store.GatheringQuery) ([]store.Gathering, error) {
	out, err := s.search(ctx, game, &q)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: search gatherings of %q: %w", game, err)
	}
	return out, nil
}

// OfPID implements store.Gatherings.
func (s *Gatherings) OfPID(ctx context.Context, game string, pid uint64) ([]uint32, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT id FROM gathering_members WHERE game = $1 AND pid = $2 ORDER BY id`, game, int64(pid))
	if err != nil {
		return nil, fmt.Errorf("store/postgres: gatherings of %d: %w", pid, err)
	}
	ids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (uint32, error) {
		var id int64
		err := r.Scan(&id)
		return uint32(id), err
	})
	if err != nil {
		return nil, fmt.Errorf("store/postgres: gatherings of %d: %w", pid, err)
	}
	return ids, nil
}

func collectPIDs(rows pgx.Rows) ([]uint64, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (uint64, error) {
		var p int64
		err := r.Scan(&p)
		return uint64(p), err
	})
}

// Members implements store.Gatherings.
func (s *Gatherings) Members(ctx context.Context, game string, after *uint64, limit int) ([]uint64, error) {
	from := int64(math.MinInt64)
	op := ">="
	if after != nil {
		from, op = int64(*after), ">"
	}
	// PIDs are stored as their int64 bit pattern: the order is theirs
	// (PIDs of 2^63 and more first), which visits each once all the same.
	rows, err := s.db.pool.Query(ctx, `SELECT pid FROM (SELECT pid FROM gathering_members WHERE game = $1
		UNION SELECT pid FROM gathering_notices WHERE game = $1 AND active) AS m WHERE pid `+op+` $2 ORDER BY pid LIMIT $3`,
		game, from, max(limit, 1))
	if err != nil {
		return nil, fmt.Errorf("store/postgres: members of %q: %w", game, err)
	}
	out, err := collectPIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: members of %q: %w", game, err)
	}
	return out, nil
}

// BlockList implements store.Gatherings.
func (s *Gatherings) BlockList(ctx context.Context, game string, pid uint64) ([]uint64, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT blocked FROM gathering_blocks WHERE game = $1 AND pid = $2`, game, int64(pid))
	if err != nil {
		return nil, fmt.Errorf("store/postgres: block list of %d: %w", pid, err)
	}
	out, err := collectPIDs(rows)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: block list of %d: %w", pid, err)
	}
	slices.Sort(out)
	return out, nil
}

// queueLockPool queues the transaction-scoped advisory locks of an
// auto-join in pool of game: the game's lock, exclusive for every pool
// (""), shared with the pool's own exclusive lock otherwise. Both kinds
// always take the game's lock first, so they cannot deadlock.
func queueLockPool(b *pgx.Batch, game, pool string) {
	if pool == "" {
		b.Queue(`SELECT pg_advisory_xact_lock(hashtext('nexproxy.gatherings.' || $1))`, game)
		return
	}
	b.Queue(`SELECT pg_advisory_xact_lock_shared(hashtext('nexproxy.gatherings.' || $1)),
		pg_advisory_xact_lock(hashtext('nexproxy.pools.' || $1), hashtext($2))`, game, pool)
}

// SetBlocked implements store.Gatherings.
func (s *Gatherings) SetBlocked(ctx context.Context, game string, pid uint64, pids []uint64, blocked bool) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		// One change of a block list at a time, so the bound holds.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('nexproxy.blocks.' || $1), hashtext($2))`, game, fmt.Sprint(pid)); err != nil {
			return err
		}
		q := `DELETE FROM gathering_blocks WHERE game = $1 AND pid = $2 AND blocked = ANY($3)`
		if blocked {
			q = `INSERT INTO gathering_blocks (game, pid, blocked) SELECT $1, $2, unnest($3::bigint[]) ON CONFLICT DO NOTHING`
		}
		list := make([]int64, len(pids))
		for i, p := range pids {
			list[i] = int64(p)
		}
		if _, err := tx.Exec(ctx, q, game, int64(pid), list); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM gathering_blocks WHERE game = $1 AND pid = $2`, game, int64(pid)).Scan(&n); err != nil {
			return err
		}
		if n > store.MaxBlockList {
			return store.ErrInvalid
		}
		return nil
	}, fmt.Sprintf("block list of %d", pid))
}

// ClearBlockList implements store.Gatherings.
func (s *Gatherings) ClearBlockList(ctx context.Context, game string, pid uint64) error {
	if _, err := s.db.pool.Exec(ctx, `DELETE FROM gathering_blocks WHERE game = $1 AND pid = $2`, game, int64(pid)); err != nil {
		return fmt.Errorf("store/postgres: clear block list of %d: %w", pid, err)
	}
	return nil
}

// PutNotice implements store.Gatherings.
func (s *Gatherings) PutNotice(ctx context.Context, game string, n store.Notice) error {
	if len(n.Text) > store.MaxNoticeText {
		return fmt.Errorf("store/postgres: notice of %d: %w", n.PID, store.ErrInvalid)
	}
	_, err := s.db.pool.Exec(ctx, `INSERT INTO gathering_notices (game, pid, type, param1, param2, text, active)
		VALUES ($1, $2, $3, $4, $5, $6, true)
		ON CONFLICT (game, pid, type) DO UPDATE SET param1 = excluded.param1, param2 = excluded.param2, text = excluded.text, active = true`,
		game, int64(n.PID), int64(n.Type), int64(n.Param1), int64(n.Param2), n.Text)
	if err != nil {
		return fmt.Errorf("store/postgres: notice of %d: %w", n.PID, err)
	}
	return nil
}

// Notices implements store.Gatherings.
func (s *Gatherings) Notices(ctx context.Context, game string, senders []uint64, types []uint32) ([]store.Notice, error) {
	if len(senders) == 0 || len(types) == 0 {
		return nil, nil
	}
	ps := make([]int64, len(senders))
	for i, p := range senders {
		ps[i] = int64(p)
	}
	ts := make([]int64, len(types))
	for i, t := range types {
		ts[i] = int64(t)
	}
	rows, err := s.db.pool.Query(ctx, `SELECT pid, type, param1, param2, text FROM gathering_notices
		WHERE game = $1 AND active AND pid = ANY($2) AND type = ANY($3) ORDER BY pid, type`, game, ps, ts)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: notices: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Notice, error) {
		var pid, typ, p1, p2 int64
		var n store.Notice
		err := r.Scan(&pid, &typ, &p1, &p2, &n.Text)
		n.PID, n.Type, n.Param1, n.Param2 = uint64(pid), uint32(typ), uint64(p1), uint64(p2)
		return n, err
	})
	if err != nil {
		return nil, fmt.Errorf("store/postgres: notices: %w", err)
	}
	slices.SortStableFunc(out, func(a, b store.Notice) int { return cmp.Compare(a.PID, b.PID) })
	return out, nil
}

// EndNotices implements store.Gatherings.
func (s *Gatherings) EndNotices(ctx context.Context, game string, pid uint64) error {
	if _, err := s.db.pool.Exec(ctx, `UPDATE gathering_notices SET active = false WHERE game = $1 AND pid = $2`, game, int64(pid)); err != nil {
		return fmt.Errorf("store/postgres: end notices of %d: %w", pid, err)
	}
	return nil
}
