// Package rankmem implements store.Rankings for the SQL backends: the rows
// live in SQL (durable, the source of truth at start), and every category
// in use is also held in memory as an order-statistics list, loaded from
// SQL on first use and updated on every write, so that ranks, pages,
// windows, counts and stats cost O(log n) whatever the category's size
// (one million scores: a window around a user in microseconds).
//
// The memory copy is per process: with the postgres backend, several
// instances sharing one database would each see only their own writes
// after load. Use the redis backend for rankings when several instances
// serve one game.
//
// A write is applied to memory under the category's lock, then persisted
// outside it, so concurrent uploads share the SQL backends' group commits;
// should the persist fail the category is dropped from memory and
// reloaded from SQL at its next use. Readers can therefore briefly see a
// write before it is durable, never one that failed for long.
package rankmem

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// Backend is the SQL side: durable rows, read in bulk at load.
type Backend interface {
	// Name names the backend in errors ("store/sqlite").
	Name() string
	// LoadCategory calls fn for every entry of the category.
	LoadCategory(ctx context.Context, game string, category uint32, fn func(store.RankingScore)) error
	// CategoryOrder returns the recorded order of the category.
	CategoryOrder(ctx context.Context, game string, category uint32) (desc, known bool, err error)
	// SetCategoryOrder records desc unless the category has an order.
	SetCategoryOrder(ctx context.Context, game string, category uint32, desc bool) error
	// Put inserts or replaces the entry of s's key, unless the stored
	// entry was updated later than s (so that two writes of one entry that
	// commit out of order keep the later one).
	Put(ctx context.Context, s store.RankingScore) error
	// Delete removes an entry (no error when it is absent).
	Delete(ctx context.Context, game string, category uint32, pid, uniqueID uint64) error
	// Categories lists the categories holding an entry of (pid, uniqueID).
	Categories(ctx context.Context, game string, pid, uniqueID uint64) ([]uint32, error)
	// Common data, stored as is.
	PutCommonData(ctx context.Context, game string, pid, uniqueID uint64, data []byte) error
	CommonData(ctx context.Context, game string, pid, uniqueID uint64) ([]byte, error)
	DeleteCommonData(ctx context.Context, game string, pid, uniqueID uint64) error
}

type catKey struct {
	game string
	cat  uint32
}

type owner struct{ pid, uid uint64 }

type row struct {
	k      key
	groups []byte
	param  uint64
}

// category is one (game, category) in memory.
type category struct {
	mu         sync.RWMutex
	loaded     bool
	orderKnown bool
	desc       bool
	all        *list
	// rows and pids hold no pointers, so that a million entries cost the
	// garbage collector nothing to scan; the rare longer values live in
	// the small overflow maps.
	rows       map[owner]slot
	longGroups map[owner][]byte    // groups of more than slotGroups bytes
	pids       map[uint64]uint64   // a unique id of each PID
	morePIDs   map[uint64][]uint64 // the other unique ids of PIDs with several
	filtered   map[store.RankingFilter]*list
}

// Rankings is store.Rankings on a Backend.
type Rankings struct {
	b   Backend
	now func() time.Time

	mu   sync.Mutex
	cats map[catKey]*category
}

var _ store.Rankings = (*Rankings)(nil)

// New returns the rankings of b.
func New(b Backend) *Rankings {
	return &Rankings{b: b, now: time.Now, cats: map[catKey]*category{}}
}

// SetClock replaces the clock (tests).
func (r *Rankings) SetClock(now func() time.Time) { r.now = now }

func (r *Rankings) errf(op string, err error) error {
	return fmt.Errorf("%s: rankings: %s: %w", r.b.Name(), op, err)
}

// category returns the loaded category, loading it on first use. The
// caller gets it unlocked.
func (r *Rankings) category(ctx context.Context, game string, cat uint32) (*category, error) {
	r.mu.Lock()
	c := r.cats[catKey{game, cat}]
	if c == nil {
		c = &category{}
		r.cats[catKey{game, cat}] = c
	}
	r.mu.Unlock()
	c.mu.RLock()
	ok := c.loaded
	c.mu.RUnlock()
	if ok {
		return c, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded {
		return c, nil
	}
	desc, known, err := r.b.CategoryOrder(ctx, game, cat)
	if err != nil {
		return nil, err
	}
	c.rows, c.longGroups, c.pids, c.morePIDs = map[owner]slot{}, map[owner][]byte{}, map[uint64]uint64{}, map[uint64][]uint64{}
	var keys []key
	err = r.b.LoadCategory(ctx, game, cat, func(s store.RankingScore) {
		rw := &row{k: key{s.Score, s.Updated.UnixMilli(), s.PID, s.UniqueID}, groups: s.Groups, param: s.Param}
		c.set(owner{s.PID, s.UniqueID}, rw)
		keys = append(keys, rw.k)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.less(b) {
			return -1
		}
		if b.less(a) {
			return 1
		}
		return 0
	})
	c.all = build(keys)
	c.filtered = map[store.RankingFilter]*list{}
	c.orderKnown, c.desc = known, desc
	c.loaded = true
	return c, nil
}

// drop forgets a category whose persist failed, so the next use reloads
// it from SQL.
func (r *Rankings) drop(game string, cat uint32) {
	r.mu.Lock()
	delete(r.cats, catKey{game, cat})
	r.mu.Unlock()
}

// insert and remove keep c.all and the built filtered lists in step; the
// caller holds c.mu.
func (c *category) insert(o owner, rw *row) {
	c.set(o, rw)
	c.all.insert(rw.k)
	for f, l := range c.filtered {
		if f.Match(rw.groups) {
			l.insert(rw.k)
		}
	}
}

func (c *category) remove(o owner) *row {
	rw := c.get(o)
	if rw == nil {
		return nil
	}
	c.del(o)
	c.all.remove(rw.k)
	for f, l := range c.filtered {
		if f.Match(rw.groups) {
			l.remove(rw.k)
		}
	}
	return rw
}

// view returns the list of filter f with c.mu read-locked; the caller
// calls the returned unlock. A filtered list is built on first use and
// kept up to date from then on.
func (c *category) view(f store.RankingFilter) (*list, func()) {
	f = f.Normal()
	if !f.Active() {
		c.mu.Lock() // lists fix their prefix counts lazily: not read-only
		return c.all, c.mu.Unlock
	}
	c.mu.Lock()
	l := c.filtered[f]
	if l == nil {
		var keys []key
		for o := range c.rows {
			if rw := c.get(o); f.Match(rw.groups) {
				keys = append(keys, rw.k)
			}
		}
		slices.SortFunc(keys, func(a, b key) int {
			if a.less(b) {
				return -1
			}
			return 1
		})
		l = build(keys)
		c.filtered[f] = l
	}
	return l, c.mu.Unlock
}

func (c *category) score(game string, cat uint32, rw *row) store.RankingScore {
	return store.RankingScore{
		Game: game, Category: cat, PID: rw.k.pid, UniqueID: rw.k.uid, Score: rw.k.score,
		Groups: slices.Clone(rw.groups), Param: rw.param, Updated: time.UnixMilli(rw.k.ms).UTC(),
	}
}

// Upload implements store.Rankings.
func (r *Rankings) Upload(ctx context.Context, s store.RankingScore, keepBetter, desc bool) (bool, error) {
	c, err := r.category(ctx, s.Game, s.Category)
	if err != nil {
		return false, r.errf("upload", err)
	}
	c.mu.RLock()
	known := c.orderKnown
	c.mu.RUnlock()
	if !known {
		if err := r.b.SetCategoryOrder(ctx, s.Game, s.Category, desc); err != nil {
			return false, r.errf("upload: record order", err)
		}
		stored, _, err := r.b.CategoryOrder(ctx, s.Game, s.Category)
		if err != nil {
			return false, r.errf("upload: read order", err)
		}
		c.mu.Lock()
		c.orderKnown, c.desc = true, stored
		c.mu.Unlock()
	}
	o := owner{s.PID, s.UniqueID}
	c.mu.Lock()
	if old := c.get(o); old != nil && keepBetter && !store.RankingBetter(s.Score, old.k.score, desc) {
		c.mu.Unlock()
		return false, nil
	}
	ms := r.now().UnixMilli()
	if old := c.get(o); old != nil && old.k.ms > ms {
		ms = old.k.ms // a clock step back must not let Put skip this write
	}
	s.Updated = time.UnixMilli(ms).UTC()
	s.Groups = slices.Clone(s.Groups)
	c.remove(o)
	c.insert(o, &row{k: key{s.Score, ms, s.PID, s.UniqueID}, groups: s.Groups, param: s.Param})
	c.mu.Unlock()
	if err := r.b.Put(ctx, s); err != nil {
		r.drop(s.Game, s.Category)
		return false, r.errf("upload", err)
	}
	return true, nil
}

// CategoryOrder implements store.Rankings.
func (r *Rankings) CategoryOrder(ctx context.Context, game string, cat uint32) (bool, bool, error) {
	c, err := r.category(ctx, game, cat)
	if err != nil {
		return false, false, r.errf("category order", err)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.desc, c.orderKnown, nil
}

// Delete implements store.Rankings.
func (r *Rankings) Delete(ctx context.Context, game string, cat uint32, pid, uid uint64) error {
	c, err := r.category(ctx, game, cat)
	if err != nil {
		return r.errf("delete", err)
	}
	c.mu.Lock()
	rw := c.remove(owner{pid, uid})
	c.mu.Unlock()
	if rw == nil {
		return r.errf("delete", fmt.Errorf("entry of %d/%d in %d: %w", pid, uid, cat, store.ErrNotFound))
	}
	if err := r.b.Delete(ctx, game, cat, pid, uid); err != nil {
		r.drop(game, cat)
		return r.errf("delete", err)
	}
	return nil
}

// categoriesOf lists the categories holding (pid, uid), in SQL or in a
// loaded category (a write of which may still be on its way to SQL).
func (r *Rankings) categoriesOf(ctx context.Context, game string, pid, uid uint64) ([]uint32, error) {
	cats, err := r.b.Categories(ctx, game, pid, uid)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	var loaded []catKey
	for k := range r.cats {
		if k.game == game && !slices.Contains(cats, k.cat) {
			loaded = append(loaded, k)
		}
	}
	r.mu.Unlock()
	for _, k := range loaded {
		r.mu.Lock()
		c := r.cats[k]
		r.mu.Unlock()
		if c == nil {
			continue
		}
		c.mu.RLock()
		_, ok := c.rows[owner{pid, uid}]
		c.mu.RUnlock()
		if ok {
			cats = append(cats, k.cat)
		}
	}
	slices.Sort(cats)
	return cats, nil
}

// DeleteAll implements store.Rankings.
func (r *Rankings) DeleteAll(ctx context.Context, game string, pid, uid uint64) (int, error) {
	cats, err := r.categoriesOf(ctx, game, pid, uid)
	if err != nil {
		return 0, r.errf("delete all", err)
	}
	return store.DeleteEach(cats, func(cat uint32) error { return r.Delete(ctx, game, cat, pid, uid) })
}

// ChangeAttributes implements store.Rankings.
func (r *Rankings) ChangeAttributes(ctx context.Context, game string, cat uint32, all bool, pid, uid uint64, ch store.RankingChange) (int, error) {
	cats := []uint32{cat}
	if all {
		var err error
		if cats, err = r.categoriesOf(ctx, game, pid, uid); err != nil {
			return 0, r.errf("change attributes", err)
		}
	}
	n := 0
	for _, cat := range cats {
		c, err := r.category(ctx, game, cat)
		if err != nil {
			return n, r.errf("change attributes", err)
		}
		o := owner{pid, uid}
		c.mu.Lock()
		old := c.get(o)
		if old == nil {
			c.mu.Unlock()
			continue
		}
		s, changed := ch.Apply(c.score(game, cat, old))
		if !changed {
			c.mu.Unlock()
			continue
		}
		c.remove(o)
		c.insert(o, &row{k: old.k, groups: s.Groups, param: s.Param})
		c.mu.Unlock()
		if err := r.b.Put(ctx, s); err != nil {
			r.drop(game, cat)
			return n, r.errf("change attributes", err)
		}
		n++
	}
	return n, nil
}

// ranked returns rw with its rank under o in l (c.mu held).
func (c *category) ranked(game string, cat uint32, l *list, rw *row, o store.RankingOrder) store.RankedScore {
	var rank int
	if o.Ordinal {
		rank = l.ordinalPos(rw.k, o.Descending) + 1
	} else {
		rank = l.standardRank(rw.k.score, o.Descending)
	}
	return store.RankedScore{RankingScore: c.score(game, cat, rw), Rank: uint32(rank)}
}

// Entries implements store.Rankings.
func (r *Rankings) Entries(ctx context.Context, game string, cat uint32, o store.RankingOrder, pid uint64) ([]store.RankedScore, error) {
	c, err := r.category(ctx, game, cat)
	if err != nil {
		return nil, r.errf("entries", err)
	}
	l, unlock := c.view(o.Filter)
	defer unlock()
	out := []store.RankedScore{}
	for _, uid := range c.uidsOf(pid) {
		rw := c.get(owner{pid, uid})
		if rw != nil && o.Filter.Match(rw.groups) {
			out = append(out, c.ranked(game, cat, l, rw, o))
		}
	}
	sortRanked(out, o.Descending)
	return out, nil
}

func sortRanked(s []store.RankedScore, desc bool) {
	slices.SortFunc(s, func(a, b store.RankedScore) int {
		if store.RankingLess(&a.RankingScore, &b.RankingScore, desc) {
			return -1
		}
		if store.RankingLess(&b.RankingScore, &a.RankingScore, desc) {
			return 1
		}
		return 0
	})
}

// ByUniqueIDs implements store.Rankings.
func (r *Rankings) ByUniqueIDs(ctx context.Context, game string, cat uint32, o store.RankingOrder, ids []uint64) ([]store.RankedScore, error) {
	c, err := r.category(ctx, game, cat)
	if err != nil {
		return nil, r.errf("by unique ids", err)
	}
	want := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	l, unlock := c.view(o.Filter)
	defer unlock()
	out := []store.RankedScore{}
	for ow := range c.rows {
		if !want[ow.uid] {
			continue
		}
		if rw := c.get(ow); o.Filter.Match(rw.groups) {
			out = append(out, c.ranked(game, cat, l, rw, o))
		}
	}
	sortRanked(out, o.Descending)
	return out, nil
}

// Page implements store.Rankings.
func (r *Rankings) Page(ctx context.Context, game string, cat uint32, o store.RankingOrder, offset uint32, limit int) ([]store.RankedScore, error) {
	c, err := r.category(ctx, game, cat)
	if err != nil {
		return nil, r.errf("page", err)
	}
	l, unlock := c.view(o.Filter)
	defer unlock()
	return c.page(game, cat, l, o, int(offset), limit), nil
}

func (c *category) page(game string, cat uint32, l *list, o store.RankingOrder, offset, limit int) []store.RankedScore {
	out := []store.RankedScore{}
	lastScore, lastRank := uint32(0), 0
	for p := offset; p < l.n && p-offset < limit; p++ {
		k := l.atOrdinal(p, o.Descending)
		rank := p + 1
		if !o.Ordinal {
			if len(out) > 0 && k.score == lastScore {
				rank = lastRank
			} else {
				rank = l.standardRank(k.score, o.Descending)
			}
		}
		lastScore, lastRank = k.score, rank
		rw := c.get(owner{k.pid, k.uid})
		out = append(out, store.RankedScore{RankingScore: c.score(game, cat, rw), Rank: uint32(rank)})
	}
	return out
}

// Around implements store.Rankings.
func (r *Rankings) Around(ctx context.Context, game string, cat uint32, o store.RankingOrder, pid, uid uint64, limit int) ([]store.RankedScore, error) {
	c, err := r.category(ctx, game, cat)
	if err != nil {
		return nil, r.errf("around", err)
	}
	l, unlock := c.view(o.Filter)
	defer unlock()
	rw := c.get(owner{pid, uid})
	if rw == nil || !o.Filter.Match(rw.groups) {
		return nil, r.errf("around", fmt.Errorf("entry of %d/%d in %d: %w", pid, uid, cat, store.ErrNotFound))
	}
	pos := l.ordinalPos(rw.k, o.Descending)
	return c.page(game, cat, l, o, int(store.AroundStart(uint64(pos), limit)), limit), nil
}

// ScoreRank implements store.Rankings.
func (r *Rankings) ScoreRank(ctx context.Context, game string, cat uint32, o store.RankingOrder, score uint32) (uint32, error) {
	c, err := r.category(ctx, game, cat)
	if err != nil {
		return 0, r.errf("score rank", err)
	}
	l, unlock := c.view(o.Filter)
	defer unlock()
	return uint32(l.standardRank(score, o.Descending)), nil
}

// Stats implements store.Rankings.
func (r *Rankings) Stats(ctx context.Context, game string, cat uint32, f store.RankingFilter) (store.RankingStats, error) {
	c, err := r.category(ctx, game, cat)
	if err != nil {
		return store.RankingStats{}, r.errf("stats", err)
	}
	l, unlock := c.view(f)
	defer unlock()
	if l.n == 0 {
		return store.RankingStats{}, nil
	}
	return store.RankingStats{Count: uint64(l.n), Sum: float64(l.sum), Min: l.first().score, Max: l.last().score}, nil
}

// PutCommonData implements store.Rankings.
func (r *Rankings) PutCommonData(ctx context.Context, game string, pid, uid uint64, data []byte) error {
	if err := r.b.PutCommonData(ctx, game, pid, uid, data); err != nil {
		return r.errf("put common data", err)
	}
	return nil
}

// CommonData implements store.Rankings.
func (r *Rankings) CommonData(ctx context.Context, game string, pid, uid uint64) ([]byte, error) {
	d, err := r.b.CommonData(ctx, game, pid, uid)
	if err != nil {
		return nil, r.errf("common data", err)
	}
	return d, nil
}

// DeleteCommonData implements store.Rankings.
func (r *Rankings) DeleteCommonData(ctx context.Context, game string, pid, uid uint64) error {
	if err := r.b.DeleteCommonData(ctx, game, pid, uid); err != nil {
		return r.errf("delete common data", err)
	}
	return nil
}

// slotGroups is how many group bytes a slot holds inline.
const slotGroups = 6

// slot is a row without pointers.
type slot struct {
	k     key
	param uint64
	n     uint8 // len(groups); above slotGroups they are in longGroups
	g     [slotGroups]byte
}

// get returns the row of o, nil when absent (c.mu held).
func (c *category) get(o owner) *row {
	sl, ok := c.rows[o]
	if !ok {
		return nil
	}
	rw := &row{k: sl.k, param: sl.param}
	if int(sl.n) > slotGroups {
		rw.groups = c.longGroups[o]
	} else {
		rw.groups = append([]byte(nil), sl.g[:sl.n]...)
	}
	return rw
}

// set stores the row of o (c.mu held).
func (c *category) set(o owner, rw *row) {
	if _, ok := c.rows[o]; !ok {
		if first, ok := c.pids[o.pid]; !ok {
			c.pids[o.pid] = o.uid
		} else if first != o.uid && !slices.Contains(c.morePIDs[o.pid], o.uid) {
			c.morePIDs[o.pid] = append(c.morePIDs[o.pid], o.uid)
		}
	}
	sl := slot{k: rw.k, param: rw.param, n: uint8(min(len(rw.groups), 255))}
	delete(c.longGroups, o)
	if len(rw.groups) > slotGroups {
		sl.n = slotGroups + 1
		c.longGroups[o] = slices.Clone(rw.groups)
	} else {
		copy(sl.g[:], rw.groups)
	}
	c.rows[o] = sl
}

// del forgets the row of o (c.mu held).
func (c *category) del(o owner) {
	delete(c.rows, o)
	delete(c.longGroups, o)
	more := c.morePIDs[o.pid]
	if c.pids[o.pid] == o.uid {
		if len(more) == 0 {
			delete(c.pids, o.pid)
			return
		}
		c.pids[o.pid] = more[0]
		more = more[1:]
	} else {
		more = slices.DeleteFunc(more, func(u uint64) bool { return u == o.uid })
	}
	if len(more) == 0 {
		delete(c.morePIDs, o.pid)
	} else {
		c.morePIDs[o.pid] = more
	}
}

// uidsOf lists the unique ids pid has in the category (c.mu held).
func (c *category) uidsOf(pid uint64) []uint64 {
	first, ok := c.pids[pid]
	if !ok {
		return nil
	}
	return append([]uint64{first}, c.morePIDs[pid]...)
}
