package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nexproxy/nexproxy/internal/store"
)

// Auto-joins are served in batches, one pool at a time. The auto-joins of
// a pool must be serialised (two that both find no session must not both
// create one), and with one transaction each, every call of a busy pool
// waited for the round trips of all those before it. So the calls of a
// pool queue up in this process, and the first of them leads: it takes
// the pool's lock once for everything queued (up to autoJoinBatchMax),
// reads the pool's vacant sessions once, places each caller in order in
// Go, exactly as one-at-a-time calls would have (a later caller of the
// batch joins the session an earlier one created), writes every change
// and commits in one more round trip, and hands the lead to the first
// caller still waiting. Across instances the pool's advisory lock still
// serialises the batches.

// autoJoinBatchMax bounds the callers one batch serves.
const autoJoinBatchMax = 64

// autoJoinBatchTimeout bounds one batch's transaction. A batch serves
// several callers, so it runs on none of their contexts: a caller that
// gives up must not undo the others' joins.
const autoJoinBatchTimeout = 30 * time.Second

// maxAutoJoinTries bounds the batches one AutoJoin takes part in when the
// session it was placed in was filled or closed in between by a change
// that does not take the pool's lock (Join, Update, Leave).
const maxAutoJoinTries = 8

// autoJoinReq is one AutoJoin call waiting in its pool's queue.
type autoJoinReq struct {
	ctx    context.Context
	q      store.GatheringQuery
	p      store.GatheringParticipant
	create store.Gathering // the session offered, with p as its participant
	tries  int
	res    chan autoJoinRes // one value at a time: the result, or the lead
}

// autoJoinRes is what a waiting AutoJoin receives.
type autoJoinRes struct {
	g       store.Gathering
	created bool
	err     error
	lead    bool // lead the pool's next batch instead
}

// autoJoinQueue is a pool's waiting calls; busy while one of them leads.
type autoJoinQueue struct {
	pending []*autoJoinReq
	busy    bool
}

// autoJoiner holds the queues of the pools with calls in flight.
type autoJoiner struct {
	mu      sync.Mutex
	queues  map[string]*autoJoinQueue
	batches int // served so far
}

// enqueue adds r to the queue of key and reports whether r leads it.
func (aj *autoJoiner) enqueue(key string, r *autoJoinReq) bool {
	aj.mu.Lock()
	defer aj.mu.Unlock()
	if aj.queues == nil {
		aj.queues = map[string]*autoJoinQueue{}
	}
	qu := aj.queues[key]
	if qu == nil {
		qu = &autoJoinQueue{}
		aj.queues[key] = qu
	}
	qu.pending = append(qu.pending, r)
	if qu.busy {
		return false
	}
	qu.busy = true
	return true
}

// take removes the next batch from the queue of key, which the caller
// leads.
func (aj *autoJoiner) take(key string) []*autoJoinReq {
	aj.mu.Lock()
	defer aj.mu.Unlock()
	qu := aj.queues[key]
	aj.batches++
	n := min(len(qu.pending), autoJoinBatchMax)
	batch := slices.Clone(qu.pending[:n])
	qu.pending = slices.Delete(qu.pending, 0, n)
	return batch
}

// done puts the calls to place again at the head of the queue of key and
// hands its lead to the first waiting call, or ends the queue.
func (aj *autoJoiner) done(key string, again []*autoJoinReq) {
	aj.mu.Lock()
	defer aj.mu.Unlock()
	qu := aj.queues[key]
	qu.pending = append(again, qu.pending...)
	if len(qu.pending) == 0 {
		delete(aj.queues, key)
		return
	}
	qu.pending[0].res <- autoJoinRes{lead: true}
}

// AutoJoin implements store.Gatherings: the call waits in its pool's
// queue, and leads a batch when its turn comes (see autoJoiner).
func (s *Gatherings) AutoJoin(ctx context.Context, game string, q store.GatheringQuery, p store.GatheringParticipant, create0 store.Gathering) (store.Gathering, bool, error) {
	create0.Game = game
	create0.Participants = []store.GatheringParticipant{p}
	if create0.Kind == "" {
		create0.Kind = store.KindMatchmakeSession
	}
	if !create0.HasRoom(0) {
		return store.Gathering{}, false, fmt.Errorf("store/postgres: auto-join gathering: %w", store.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return store.Gathering{}, false, fmt.Errorf("store/postgres: auto-join gathering: %w", err)
	}
	r := &autoJoinReq{ctx: ctx, q: q, p: p, create: create0, res: make(chan autoJoinRes, 1)}
	key := game + "\x00" + q.Kind + "\x00" + q.Pool
	if cols := columnKey(&q); cols != "" {
		// One batch reads the candidates of one set of column filters.
		key += "\x00" + cols
	}
	lead := s.db.autoJoins.enqueue(key, r)
	for {
		if lead {
			batch := s.db.autoJoins.take(key)
			s.db.autoJoins.done(key, s.autoJoinBatch(game, batch))
		}
		// Once queued, a call waits for its result even if its context
		// ends: its batch may already have placed it.
		res := <-r.res
		if res.lead {
			lead = true
			continue
		}
		if res.err != nil {
			return store.Gathering{}, false, fmt.Errorf("store/postgres: auto-join gathering: %w", mapErr(res.err))
		}
		return res.g, res.created, nil
	}
}

// placement is where a batch puts one call.
type placement struct {
	r    *autoJoinReq
	into *candidate // nil: the call's context had ended
	snap store.Gathering
	new  bool // r created into
	err  error
}

// candidate is a session a batch can place calls in: one the store had
// (found), or one a call of the batch created.
type candidate struct {
	g     store.Gathering
	found bool
}

// autoJoinBatch serves batch, calls of one pool of game, in one
// transaction, sends each call its result and returns the calls to
// place again.
func (s *Gatherings) autoJoinBatch(game string, batch []*autoJoinReq) (again []*autoJoinReq) {
	ctx, cancel := context.WithTimeout(context.Background(), autoJoinBatchTimeout)
	defer cancel()
	placed, err := s.autoJoinTx(ctx, game, batch)
	for _, pl := range placed {
		switch {
		case err != nil:
			pl.r.res <- autoJoinRes{err: err}
		case pl.err != nil:
			pl.r.res <- autoJoinRes{err: pl.err}
		case pl.into == nil && pl.r.ctx.Err() != nil:
			pl.r.res <- autoJoinRes{err: pl.r.ctx.Err()}
		case pl.into == nil:
			// Its session was filled or closed in between.
			if pl.r.tries++; pl.r.tries >= maxAutoJoinTries {
				pl.r.res <- autoJoinRes{err: fmt.Errorf("the sessions found kept changing: %w", store.ErrGatheringFull)}
				continue
			}
			again = append(again, pl.r)
		default:
			pl.r.res <- autoJoinRes{g: pl.snap, created: pl.new}
		}
	}
	return again
}

// autoJoinTx is autoJoinBatch's transaction: one round trip takes the
// pool's lock and reads the first page of its vacant sessions (those the
// batch's column filters select), more pages are read while the calls
// may need them (readCandidates), placeBatch places the calls, and one
// more round trip writes the joins and the new sessions (each
// with all its participants) and commits. A placement in a found session
// that a change outside the pool's lock filled in between comes back
// without a session.
func (s *Gatherings) autoJoinTx(ctx context.Context, game string, batch []*autoJoinReq) ([]placement, error) {
	q0 := &batch[0].q
	placed := make([]placement, len(batch))
	for i, r := range batch {
		placed[i].r = r
	}
	conn, err := s.db.pool.Acquire(ctx)
	if err != nil {
		return placed, err
	}
	// A connection left inside the transaction (an error on the way) is
	// closed by Release, which rolls the transaction back.
	defer conn.Release()
	var b pgx.Batch
	b.Queue(`BEGIN`)
	queueLockPool(&b, game, q0.Pool)
	b.Queue(autoJoinSearch, autoJoinSearchArgs(game, q0, 0)...)
	br := conn.SendBatch(ctx, &b)
	found, err := readAutoJoinSearch(br, game)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		found, err = readCandidates(ctx, conn, game, q0, found, placed)
	}
	if err != nil {
		return placed, err
	}
	placeBatch(found, placed)

	b = pgx.Batch{}
	for i := range placed {
		pl := &placed[i]
		switch {
		case pl.into == nil:
		case pl.into.found:
			pj, err := json.Marshal([]store.GatheringParticipant{pl.r.p})
			if err != nil {
				return placed, err
			}
			b.Queue(autoJoinJoin, game, int64(pl.into.g.ID), int32(1+int(pl.r.p.Extra)), string(pj), int64(pl.r.p.PID))
		case pl.new:
			c := pl.into
			c.g.Created = time.Now().Truncate(time.Millisecond).UTC()
			row, err := gatheringRow(&c.g)
			if err != nil {
				return placed, err
			}
			args := append([]any{game}, row[:len(row)-1]...)
			pids := make([]int64, len(c.g.Participants))
			for i, p := range c.g.Participants {
				pids[i] = int64(p.PID)
			}
			args = append(args, c.g.Created.UnixMilli(), c.g.Kind, row[len(row)-1], pids)
			b.Queue(autoJoinCreate, args...)
		}
	}
	b.Queue(`COMMIT`)
	br = conn.SendBatch(ctx, &b)
	err = readAutoJoinWrites(br, placed)
	if err == nil {
		err = commitResult(br)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return placed, err
	}
	// The new sessions' ids are known now: every snapshot of one gets it.
	for i := range placed {
		if pl := &placed[i]; pl.into != nil && !pl.into.found {
			pl.snap.ID, pl.snap.Created = pl.into.g.ID, pl.into.g.Created
		}
	}
	return placed, nil
}

// readAutoJoinWrites reads the results of the joins and creates
// autoJoinTx queued, in placement order: a join that found its session
// full or closed leaves its placement without a session; a create sets
// its session's id.
func readAutoJoinWrites(br pgx.BatchResults, placed []placement) error {
	for i := range placed {
		pl := &placed[i]
		switch {
		case pl.into == nil:
		case pl.into.found:
			g, err := scanGathering(pl.into.g.Game, br.QueryRow())
			if errors.Is(err, store.ErrNotFound) {
				pl.into = nil
				continue
			}
			if err != nil {
				return err
			}
			pl.snap = g
		case pl.new:
			var next int64
			if err := br.QueryRow().Scan(&next); err != nil {
				return err
			}
			if next > 0 && next <= 0xFFFFFFFF {
				pl.into.g.ID = uint32(next)
			}
		}
	}
	// A session without an id was not inserted: the u32 id space is spent
	// (reusing ids would confuse consoles), and every call placed in it
	// fails.
	for i := range placed {
		if pl := &placed[i]; pl.into != nil && !pl.into.found && pl.into.g.ID == 0 && pl.err == nil {
			pl.err = fmt.Errorf("gathering ids exhausted: %w", store.ErrInvalid)
		}
	}
	return nil
}

// readCandidates reads the pages of candidates after found (the first
// page) while the calls of placed may need them: every page when a call
// ranks its matches, else until each call finds a session among those
// read (the oldest match comes first, so later pages cannot change its
// choice), the candidates run out, or store.MaxGatheringExamine were
// read. Placing the calls on what was read costs as much as a pass over
// it, so that is tried only each time the candidates have doubled.
func readCandidates(ctx context.Context, conn *pgxpool.Conn, game string, q0 *store.GatheringQuery, found []store.Gathering, placed []placement) ([]store.Gathering, error) {
	ranked := false
	for i := range placed {
		ranked = ranked || placed[i].r.q.Rank != nil
	}
	last := len(found)
	for try := len(found); last == store.GatheringPage && len(found) < store.MaxGatheringExamine; {
		if !ranked && len(found) >= try {
			if placesAll(found, placed) {
				break
			}
			try = 2 * len(found)
		}
		size := min(store.GatheringPage, store.MaxGatheringExamine-len(found))
		rows, err := conn.Query(ctx, autoJoinSearch, autoJoinSearchArgs(game, q0, found[len(found)-1].ID)...)
		if err != nil {
			return nil, err
		}
		page, err := collectGatherings(rows, game)
		if err != nil {
			return nil, err
		}
		found = append(found, page[:min(len(page), size)]...)
		last = len(page)
	}
	return found, nil
}

// placesAll reports whether placeBatch puts every call of placed whose
// context has not ended in a session of found; it leaves placed as it
// was.
func placesAll(found []store.Gathering, placed []placement) bool {
	trial := make([]placement, len(placed))
	for i := range placed {
		trial[i].r = placed[i].r
	}
	placeBatch(found, trial)
	for i := range trial {
		if pl := &trial[i]; pl.r.ctx.Err() == nil && (pl.into == nil || !pl.into.found) {
			return false
		}
	}
	return true
}

// placeBatch places each call of placed, in order, as one-at-a-time
// auto-joins would: in the best session its query selects among found
// and those created by earlier calls of the batch, or in the session it
// offers, which later calls can join. A call whose context ended is not
// placed.
func placeBatch(found []store.Gathering, placed []placement) {
	cands := make([]*candidate, 0, len(found)+len(placed))
	for i := range found {
		cands = append(cands, &candidate{g: found[i], found: true})
	}
	for i := range placed {
		pl := &placed[i]
		if pl.r.ctx.Err() != nil {
			continue
		}
		if c := pick(cands, pl.r); c != nil {
			// A fresh slice: earlier snapshots keep their participants.
			c.g.Participants = append(slices.Clone(c.g.Participants), pl.r.p)
			pl.into, pl.snap = c, c.g
			continue
		}
		c := &candidate{g: pl.r.create}
		cands = append(cands, c)
		pl.into, pl.snap, pl.new = c, c.g, true
	}
}

// pick is the session r's query selects among cands (in id order, the
// batch's new ones last), or nil.
func pick(cands []*candidate, r *autoJoinReq) *candidate {
	q := r.q
	room := max(q.Room, 1+int(r.p.Extra))
	var best *candidate
	var bestRank int64
	for _, c := range cands {
		g := &c.g
		if !g.OpenParticipation || !g.HasRoom(room) || g.Has(r.p.PID) || (q.Kind != "" && g.Kind != q.Kind) ||
			!q.ColumnsMatch(g) {
			continue
		}
		if q.Match != nil && !q.Match(g) {
			continue
		}
		if q.Rank == nil {
			return c
		}
		// Ties keep id order, as store.GatheringQuery.Ranked does.
		if rank := q.Rank(g); best == nil || rank < bestRank {
			best, bestRank = c, rank
		}
	}
	return best
}

// autoJoinSearch is search's query for AutoJoin: a page of open sessions
// with room after id $6, written so that the planner can use the partial
// index gatherings_vacant.
var autoJoinSearch = `SELECT ` + gatheringCols + ` FROM gatherings WHERE game = $1
	AND open AND (max_p = 0 OR entries < max_p) AND id > $6
	AND ($2 <= 0 OR max_p = 0 OR entries + $2 <= max_p) AND ($5 = '' OR kind = $5)` + columnFilters(7) + `
	AND NOT EXISTS (SELECT 1 FROM gathering_members m WHERE m.game = gatherings.game AND m.id = gatherings.id AND m.pid = $3)
	ORDER BY id LIMIT $4`

// columnKey names the column filters of q; "" when it has none.
func columnKey(q *store.GatheringQuery) string {
	if q.GameMode == nil && q.MatchmakeSystem == nil && q.MinParticipants == nil && q.MaxParticipants == nil &&
		!q.HostOnly && q.Owner == 0 {
		return ""
	}
	var b strings.Builder
	for _, a := range columnArgs(q) {
		if p, ok := a.(*int64); ok && p != nil {
			a = *p
		}
		fmt.Fprint(&b, a, " ")
	}
	return b.String()
}

// autoJoinSearchArgs are the arguments of autoJoinSearch for the page
// after id after of the batch whose first query is q0 (the batch's
// queries share kind and column filters).
func autoJoinSearchArgs(game string, q0 *store.GatheringQuery, after uint32) []any {
	args := []any{game, int32(1), int64(0), store.GatheringPage, q0.Kind, int64(after)}
	return append(args, columnArgs(q0)...)
}

// autoJoinJoin adds a participant ($4: a JSON array of it, $3 its entries)
// to gathering $2 if it still has room, is open and does not have them,
// and records the membership; it returns the gathering after the join, or
// no row.
const autoJoinJoin = `WITH j AS (
	UPDATE gatherings SET participants = (participants::jsonb || $4::jsonb)::text, entries = entries + $3
	WHERE game = $1 AND id = $2 AND open AND (max_p = 0 OR entries + $3 <= max_p)
		AND NOT EXISTS (SELECT 1 FROM gathering_members m WHERE m.game = $1 AND m.id = $2 AND m.pid = $5)
	RETURNING ` + gatheringCols + `
), m AS (
	INSERT INTO gathering_members (game, pid, id) SELECT $1, $5, id FROM j ON CONFLICT DO NOTHING
)
SELECT ` + gatheringCols + ` FROM j`

// autoJoinCreate inserts a gathering (create's columns, $2 to $22) under
// the game's next id with the memberships of its participants, whose
// PIDs are $23, and returns the id.
const autoJoinCreate = `WITH n AS (
	INSERT INTO gathering_ids (game, next) VALUES ($1, 1)
	ON CONFLICT (game) DO UPDATE SET next = gathering_ids.next + 1 RETURNING next
), g AS (
	INSERT INTO gatherings (game, ` + gatheringCols + `, entries)
	SELECT $1, next, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22
	FROM n WHERE next BETWEEN 1 AND 4294967295
	RETURNING id
), m AS (
	INSERT INTO gathering_members (game, pid, id) SELECT $1, p, id FROM g, unnest($23::bigint[]) AS p ON CONFLICT DO NOTHING
)
SELECT next FROM n`

// readAutoJoinSearch reads the results of AutoJoin's first batch (BEGIN,
// the pool's lock, the search) and returns the first page of candidates.
func readAutoJoinSearch(br pgx.BatchResults, game string) ([]store.Gathering, error) {
	for range 2 {
		if _, err := br.Exec(); err != nil {
			return nil, err
		}
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	return collectGatherings(rows, game)
}

// commitResult checks that the batch's COMMIT committed: a transaction
// that failed on the way answers COMMIT with ROLLBACK, not an error.
func commitResult(br pgx.BatchResults) error {
	tag, err := br.Exec()
	if err != nil {
		return err
	}
	if tag.String() != "COMMIT" {
		return fmt.Errorf("commit answered %q", tag.String())
	}
	return nil
}
