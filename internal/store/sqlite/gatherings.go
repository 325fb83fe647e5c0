package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// Gatherings implements store.Gatherings. Every change runs in the single
// writer's transaction, which serialises them: a join reads the row and
// writes it back without another change in between, so no lock is needed.
type Gatherings struct{ db *DB }

// Gatherings returns the matchmake session store of db.
func (db *DB) Gatherings() *Gatherings { return &Gatherings{db: db} }

var _ store.Gatherings = (*Gatherings)(nil)

const gatheringCols = `id, owner, host, min_p, max_p, policy, policy_arg, flags, state, description, game_mode,
	attributes, open, mm_system, app_buffer, progress, session_key, extra, participants, created_ms, kind`

var (
	qGatheringNextID = wq(`INSERT INTO gathering_ids (game, next) VALUES (?, 1)
			ON CONFLICT (game) DO UPDATE SET next = next + 1 RETURNING next`)
	qGatheringInsert = wq(`INSERT INTO gatherings (game, ` + gatheringCols + `, entries)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qGatheringUpdate = wq(`UPDATE gatherings SET owner = ?, host = ?, min_p = ?, max_p = ?, policy = ?, policy_arg = ?,
			flags = ?, state = ?, description = ?, game_mode = ?, attributes = ?, open = ?, mm_system = ?,
			app_buffer = ?, progress = ?, session_key = ?, extra = ?, participants = ?, entries = ?
			WHERE game = ? AND id = ?`)
	// qGatheringJoin writes what a join changes: the participants.
	qGatheringJoin      = wq(`UPDATE gatherings SET participants = ?, entries = ? WHERE game = ? AND id = ?`)
	qGatheringGet       = wq(`SELECT ` + gatheringCols + ` FROM gatherings WHERE game = ? AND id = ?`)
	qGatheringDelete    = wq(`DELETE FROM gatherings WHERE game = ? AND id = ?`)
	qGatheringDelMember = wq(`DELETE FROM gathering_members WHERE game = ? AND id = ?`)
	qGatheringAddMember = wq(`INSERT OR IGNORE INTO gathering_members (game, pid, id) VALUES (?, ?, ?)`)
	qGatheringRmMember  = wq(`DELETE FROM gathering_members WHERE game = ? AND pid = ? AND id = ?`)
	qGatheringSearch    = wq(`SELECT ` + gatheringCols + ` FROM gatherings WHERE game = ? AND id > ?
			AND (? <= 0 OR max_p = 0 OR entries + ? <= max_p) AND (? = 0 OR open = 1) AND (? = '' OR kind = ?)` + columnFilters + `
			AND NOT EXISTS (SELECT 1 FROM gathering_members m WHERE m.game = gatherings.game AND m.id = gatherings.id AND m.pid = ?)
			ORDER BY id LIMIT ?`)
	// qGatheringSearchVacant is qGatheringSearch for open gatherings with
	// room (AutoJoin's usual query): its first two terms are the
	// gatherings_vacant index's, so that SQLite reads that index alone.
	qGatheringSearchVacant = wq(`SELECT ` + gatheringCols + ` FROM gatherings WHERE game = ?
			AND open = 1 AND (max_p = 0 OR entries < max_p) AND id > ?
			AND (? <= 0 OR max_p = 0 OR entries + ? <= max_p) AND (? = 0 OR open = 1) AND (? = '' OR kind = ?)` + columnFilters + `
			AND NOT EXISTS (SELECT 1 FROM gathering_members m WHERE m.game = gatherings.game AND m.id = gatherings.id AND m.pid = ?)
			ORDER BY id LIMIT ?`)
)

// columnFilters are the search statements' terms for the column filters
// of store.GatheringQuery; searchArgs gives their arguments, each filter a
// flag (0: off) and its values.
const columnFilters = `
			AND (? = 0 OR game_mode BETWEEN ? AND ?) AND (? = 0 OR mm_system BETWEEN ? AND ?)
			AND (? = 0 OR min_p BETWEEN ? AND ?) AND (? = 0 OR max_p BETWEEN ? AND ?)
			AND (? = 0 OR host <> 0) AND (? = 0 OR owner = ?)`

func scanGathering(game string, r scanner) (store.Gathering, error) {
	var g store.Gathering
	var id, owner, host, minP, maxP, policy, arg, flags, state, mode, sys, progress, ms int64
	var attrs, parts string
	if err := r.Scan(&id, &owner, &host, &minP, &maxP, &policy, &arg, &flags, &state, &g.Description, &mode,
		&attrs, &g.OpenParticipation, &sys, &g.ApplicationBuffer, &progress, &g.SessionKey, &g.Extra, &parts, &ms, &g.Kind); err != nil {
		return g, err
	}
	g.Game, g.ID, g.Owner, g.Host = game, uint32(id), uint64(owner), uint64(host)
	g.MinParticipants, g.MaxParticipants = uint16(minP), uint16(maxP)
	g.ParticipationPolicy, g.PolicyArgument, g.Flags, g.State = uint32(policy), uint32(arg), uint32(flags), uint32(state)
	g.GameMode, g.MatchmakeSystem, g.ProgressScore = uint32(mode), uint32(sys), uint8(progress)
	g.Created = time.UnixMilli(ms).UTC()
	var err error
	if g.Attributes, err = decodeAttributesJSON(attrs); err != nil {
		return g, fmt.Errorf("gathering %d attributes: %w", id, err)
	}
	if g.Participants, err = decodeParticipantsJSON(parts); err != nil {
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

// row returns the mutable columns of g, in qGatheringUpdate's order.
func gatheringRow(g *store.Gathering) []any {
	aj := appendAttributesJSON(nil, g.Attributes)
	pj := appendParticipantsJSON(nil, g.Participants)
	return []any{int64(g.Owner), int64(g.Host), int64(g.MinParticipants), int64(g.MaxParticipants),
		int64(g.ParticipationPolicy), int64(g.PolicyArgument), int64(g.Flags), int64(g.State), g.Description,
		int64(g.GameMode), string(aj), g.OpenParticipation, int64(g.MatchmakeSystem), nonNil(g.ApplicationBuffer),
		int64(g.ProgressScore), nonNil(g.SessionKey), nonNil(g.Extra), string(pj), g.Entries()}
}

func (s *Gatherings) errf(op string, id uint32, err error) error {
	return fmt.Errorf("store/sqlite: %s gathering %d: %w", op, id, err)
}

// Create implements store.Gatherings.
func (s *Gatherings) Create(ctx context.Context, g store.Gathering) (store.Gathering, error) {
	var out store.Gathering
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		out, err = s.create(ctx, tx, g)
		return err
	})
	if err != nil {
		return store.Gathering{}, s.errf("create", 0, err)
	}
	return out, nil
}

func (s *Gatherings) create(ctx context.Context, tx *Tx, g store.Gathering) (store.Gathering, error) {
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
	if err := tx.queryRow(ctx, qGatheringNextID, g.Game).Scan(&next); err != nil {
		return g, err
	}
	if next <= 0 || next > 0xFFFFFFFF {
		// The u32 id space is spent; reusing ids would confuse consoles.
		return g, fmt.Errorf("gathering ids exhausted: %w", store.ErrInvalid)
	}
	g.ID = uint32(next)
	g.Created = s.db.now().Truncate(time.Millisecond).UTC()
	row := gatheringRow(&g)
	// row holds owner..participants, entries; the insert wants id first and
	// created_ms before entries.
	args := append([]any{g.Game, int64(g.ID)}, row[:len(row)-1]...)
	args = append(args, g.Created.UnixMilli(), g.Kind, row[len(row)-1])
	if _, err := tx.exec(ctx, qGatheringInsert, args...); err != nil {
		return g, err
	}
	for _, p := range g.Participants {
		if _, err := tx.exec(ctx, qGatheringAddMember, g.Game, int64(p.PID), int64(g.ID)); err != nil {
			return g, err
		}
	}
	return g, nil
}

// Get implements store.Gatherings.
func (s *Gatherings) Get(ctx context.Context, game string, id uint32) (store.Gathering, error) {
	var g store.Gathering
	err := s.db.readRow(ctx, shortRead, qGatheringGet, []any{game, int64(id)},
		func(row *sql.Row) (err error) { g, err = scanGathering(game, row); return err })
	if err != nil {
		return store.Gathering{}, s.errf("get", id, notFound(err))
	}
	return g, nil
}

func (s *Gatherings) load(ctx context.Context, tx *Tx, game string, id uint32) (store.Gathering, error) {
	g, err := scanGathering(game, tx.queryRow(ctx, qGatheringGet, game, int64(id)))
	return g, notFound(err)
}

func (s *Gatherings) save(ctx context.Context, tx *Tx, g *store.Gathering) error {
	_, err := tx.exec(ctx, qGatheringUpdate, append(gatheringRow(g), g.Game, int64(g.ID))...)
	return err
}

func (s *Gatherings) join(ctx context.Context, tx *Tx, g *store.Gathering, p store.GatheringParticipant) error {
	if g.Has(p.PID) {
		return store.ErrExists
	}
	if !g.HasRoom(1 + int(p.Extra)) {
		return store.ErrGatheringFull
	}
	g.Participants = append(g.Participants, p)
	pj := appendParticipantsJSON(nil, g.Participants)
	// A join's check only reads: the participants are all that changed.
	if _, err := tx.exec(ctx, qGatheringJoin, string(pj), g.Entries(), g.Game, int64(g.ID)); err != nil {
		return err
	}
	_, err := tx.exec(ctx, qGatheringAddMember, g.Game, int64(p.PID), int64(g.ID))
	return err
}

// Join implements store.Gatherings.
func (s *Gatherings) Join(ctx context.Context, game string, id uint32, p store.GatheringParticipant, check func(*store.Gathering) error) (store.Gathering, error) {
	var out store.Gathering
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		g, err := s.load(ctx, tx, game, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(&g); err != nil {
				return err
			}
		}
		if err := s.join(ctx, tx, &g, p); err != nil {
			return err
		}
		out = g
		return nil
	})
	if err != nil {
		return store.Gathering{}, s.errf("join", id, err)
	}
	return out, nil
}

func (s *Gatherings) remove(ctx context.Context, tx *Tx, game string, id uint32) error {
	if _, err := tx.exec(ctx, qGatheringDelete, game, int64(id)); err != nil {
		return err
	}
	_, err := tx.exec(ctx, qGatheringDelMember, game, int64(id))
	return err
}

// Leave implements store.Gatherings.
func (s *Gatherings) Leave(ctx context.Context, game string, id uint32, pid uint64) (store.LeaveResult, error) {
	var res store.LeaveResult
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		g, err := s.load(ctx, tx, game, id)
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
				return s.remove(ctx, tx, game, id)
			}
			g.Owner = kept[0].PID
		}
		if len(kept) == 0 && !persistent {
			res.Ended = true
			return s.remove(ctx, tx, game, id)
		}
		if g.Host == pid {
			g.Host = g.Owner
		}
		if err := s.save(ctx, tx, &g); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, qGatheringRmMember, game, int64(pid), int64(id)); err != nil {
			return err
		}
		res.After = g
		return nil
	})
	if err != nil {
		return store.LeaveResult{}, s.errf("leave", id, err)
	}
	return res, nil
}

// Update implements store.Gatherings.
func (s *Gatherings) Update(ctx context.Context, game string, id uint32, fn func(*store.Gathering) error) (store.Gathering, error) {
	var out store.Gathering
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		g, err := s.load(ctx, tx, game, id)
		if err != nil {
			return err
		}
		keep := g
		keep.Participants = append([]store.GatheringParticipant(nil), g.Participants...)
		if err := fn(&g); err != nil {
			return err
		}
		g.Game, g.ID, g.Kind, g.Participants, g.Created = keep.Game, keep.ID, keep.Kind, keep.Participants, keep.Created
		if err := s.save(ctx, tx, &g); err != nil {
			return err
		}
		out = g
		return nil
	})
	if err != nil {
		return store.Gathering{}, s.errf("update", id, err)
	}
	return out, nil
}

// Delete implements store.Gatherings.
func (s *Gatherings) Delete(ctx context.Context, game string, id uint32) error {
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.exec(ctx, qGatheringDelete, game, int64(id))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return store.ErrNotFound
		}
		_, err = tx.exec(ctx, qGatheringDelMember, game, int64(id))
		return err
	})
	if err != nil {
		return s.errf("delete", id, err)
	}
	return nil
}

// searchArgs are the arguments of qGatheringSearch (or
// qGatheringSearchVacant) for q's page of size gatherings after id after.
func searchArgs(game string, q *store.GatheringQuery, after uint32, size int) []any {
	span := func(s *store.Span) []any {
		if s == nil {
			return []any{false, 0, 0}
		}
		return []any{true, int64(s.Min), int64(s.Max)}
	}
	args := []any{game, int64(after), q.Room, q.Room, q.OpenOnly, q.Kind, q.Kind}
	args = append(args, span(q.GameMode)...)
	args = append(args, span(q.MatchmakeSystem)...)
	args = append(args, span(q.MinParticipants)...)
	args = append(args, span(q.MaxParticipants)...)
	// An Exclude of 0 excludes nothing: PID 0 is never a participant.
	return append(args, q.HostOnly, q.Owner != 0, int64(q.Owner), int64(q.Exclude), size)
}

// search pages through the candidates of q with query (qGatheringSearch
// or qGatheringSearchVacant), which st prepares, and returns q's result
// (store.GatheringQuery.Collect).
func search(ctx context.Context, game string, q *store.GatheringQuery, st func() (*sql.Stmt, error)) ([]store.Gathering, error) {
	return q.Collect(func(after uint32, size int, add func(store.Gathering) bool) (int, error) {
		s, err := st()
		if err != nil {
			return 0, err
		}
		rows, err := s.QueryContext(ctx, searchArgs(game, q, after, size)...)
		if err != nil {
			return 0, err
		}
		defer rows.Close() // before AutoJoin's join writes
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
		return n, rows.Err()
	})
}

// Search implements store.Gatherings.
func (s *Gatherings) Search(ctx context.Context, game string, q store.GatheringQuery) ([]store.Gathering, error) {
	var out []store.Gathering
	err := s.db.read(ctx, longRead, func(ctx context.Context) (err error) {
		out, err = search(ctx, game, &q, func() (*sql.Stmt, error) { return s.db.rstmt(ctx, qGatheringSearch) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: search gatherings of %q: %w", game, err)
	}
	return out, nil
}

// AutoJoin implements store.Gatherings.
func (s *Gatherings) AutoJoin(ctx context.Context, game string, q store.GatheringQuery, p store.GatheringParticipant, create store.Gathering) (store.Gathering, bool, error) {
	var out store.Gathering
	var created bool
	q.Exclude = p.PID
	q.Limit = 1
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		query := qGatheringSearch
		if q.OpenOnly && q.Room > 0 {
			query = qGatheringSearchVacant
		}
		found, err := search(ctx, game, &q, func() (*sql.Stmt, error) { return tx.stmt(ctx, query) })
		if err != nil {
			return err
		}
		if len(found) > 0 {
			g := found[0]
			if err := s.join(ctx, tx, &g, p); err != nil {
				return err
			}
			out = g
			return nil
		}
		create.Game = game
		create.Participants = []store.GatheringParticipant{p}
		out, err = s.create(ctx, tx, create)
		created = err == nil
		return err
	})
	if err != nil {
		return store.Gathering{}, false, fmt.Errorf("store/sqlite: auto-join in %q: %w", game, err)
	}
	return out, created, nil
}

// OfPID implements store.Gatherings.
func (s *Gatherings) OfPID(ctx context.Context, game string, pid uint64) ([]uint32, error) {
	var out []uint32
	err := s.db.readRows(ctx, shortRead, `SELECT id FROM gathering_members WHERE game = ? AND pid = ? ORDER BY id`,
		[]any{game, int64(pid)}, func(rows *sql.Rows) error {
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				out = append(out, uint32(id))
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: gatherings of %d: %w", pid, err)
	}
	return out, nil
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
	var out []uint64
	err := s.db.readRows(ctx, longRead, `SELECT pid FROM (SELECT pid FROM gathering_members WHERE game = ?
		UNION SELECT pid FROM gathering_notices WHERE game = ? AND active = 1) WHERE pid `+op+` ? ORDER BY pid LIMIT ?`,
		[]any{game, game, from, max(limit, 1)}, func(rows *sql.Rows) (err error) { out, err = collectPIDs(rows); return err })
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: members of %q: %w", game, err)
	}
	return out, nil
}

// collectPIDs reads rows of one PID column; the caller closes rows.
func collectPIDs(rows *sql.Rows) ([]uint64, error) {
	var out []uint64
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, uint64(p))
	}
	return out, nil
}

var (
	qBlockList  = `SELECT blocked FROM gathering_blocks WHERE game = ? AND pid = ? ORDER BY blocked`
	qBlockAdd   = wq(`INSERT OR IGNORE INTO gathering_blocks (game, pid, blocked) VALUES (?, ?, ?)`)
	qBlockDel   = wq(`DELETE FROM gathering_blocks WHERE game = ? AND pid = ? AND blocked = ?`)
	qBlockCount = wq(`SELECT count(*) FROM gathering_blocks WHERE game = ? AND pid = ?`)
	qBlockClear = wq(`DELETE FROM gathering_blocks WHERE game = ? AND pid = ?`)
	qNoticePut  = wq(`INSERT INTO gathering_notices (game, pid, type, param1, param2, text, active) VALUES (?, ?, ?, ?, ?, ?, 1)
			ON CONFLICT (game, pid, type) DO UPDATE SET param1 = excluded.param1, param2 = excluded.param2, text = excluded.text, active = 1`)
	qNoticeEnd = wq(`UPDATE gathering_notices SET active = 0 WHERE game = ? AND pid = ?`)
)

// BlockList implements store.Gatherings.
// Every auto-matchmake and search reads the caller's block list (at most
// store.MaxBlockList rows): a short read.
func (s *Gatherings) BlockList(ctx context.Context, game string, pid uint64) ([]uint64, error) {
	var out []uint64
	err := s.db.readRows(ctx, shortRead, qBlockList, []any{game, int64(pid)},
		func(rows *sql.Rows) (err error) { out, err = collectPIDs(rows); return err })
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: block list of %d: %w", pid, err)
	}
	slices.Sort(out) // int64 order differs for PIDs ≥ 2^63
	return out, nil
}

// SetBlocked implements store.Gatherings.
func (s *Gatherings) SetBlocked(ctx context.Context, game string, pid uint64, pids []uint64, blocked bool) error {
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		q := qBlockDel
		if blocked {
			q = qBlockAdd
		}
		for _, p := range pids {
			if _, err := tx.exec(ctx, q, game, int64(pid), int64(p)); err != nil {
				return err
			}
		}
		var n int
		if err := tx.queryRow(ctx, qBlockCount, game, int64(pid)).Scan(&n); err != nil {
			return err
		}
		if n > store.MaxBlockList {
			return store.ErrInvalid
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store/sqlite: block list of %d: %w", pid, err)
	}
	return nil
}

// ClearBlockList implements store.Gatherings.
func (s *Gatherings) ClearBlockList(ctx context.Context, game string, pid uint64) error {
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.exec(ctx, qBlockClear, game, int64(pid))
		return err
	})
	if err != nil {
		return fmt.Errorf("store/sqlite: clear block list of %d: %w", pid, err)
	}
	return nil
}

// PutNotice implements store.Gatherings.
func (s *Gatherings) PutNotice(ctx context.Context, game string, n store.Notice) error {
	if len(n.Text) > store.MaxNoticeText {
		return fmt.Errorf("store/sqlite: notice of %d: %w", n.PID, store.ErrInvalid)
	}
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.exec(ctx, qNoticePut, game, int64(n.PID), int64(n.Type), int64(n.Param1), int64(n.Param2), n.Text)
		return err
	})
	if err != nil {
		return fmt.Errorf("store/sqlite: notice of %d: %w", n.PID, err)
	}
	return nil
}

// Notices implements store.Gatherings.
func (s *Gatherings) Notices(ctx context.Context, game string, senders []uint64, types []uint32) ([]store.Notice, error) {
	if len(senders) == 0 || len(types) == 0 {
		return nil, nil
	}
	sj, err := json.Marshal(toInt64s(senders))
	if err != nil {
		return nil, err
	}
	tj, err := json.Marshal(types)
	if err != nil {
		return nil, err
	}
	var out []store.Notice
	err = s.db.readRows(ctx, shortRead, `SELECT pid, type, param1, param2, text FROM gathering_notices
		WHERE game = ? AND active = 1 AND pid IN (SELECT value FROM json_each(?)) AND type IN (SELECT value FROM json_each(?))
		ORDER BY pid, type`, []any{game, string(sj), string(tj)}, func(rows *sql.Rows) error {
		for rows.Next() {
			var pid, typ, p1, p2 int64
			var n store.Notice
			if err := rows.Scan(&pid, &typ, &p1, &p2, &n.Text); err != nil {
				return err
			}
			n.PID, n.Type, n.Param1, n.Param2 = uint64(pid), uint32(typ), uint64(p1), uint64(p2)
			out = append(out, n)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: notices: %w", err)
	}
	slices.SortStableFunc(out, func(a, b store.Notice) int { return cmp.Compare(a.PID, b.PID) })
	return out, nil
}

func toInt64s(ps []uint64) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = int64(p)
	}
	return out
}

// EndNotices implements store.Gatherings.
func (s *Gatherings) EndNotices(ctx context.Context, game string, pid uint64) error {
	err := s.db.write(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.exec(ctx, qNoticeEnd, game, int64(pid))
		return err
	})
	if err != nil {
		return fmt.Errorf("store/sqlite: end notices of %d: %w", pid, err)
	}
	return nil
}
