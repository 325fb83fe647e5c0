package store

import (
	"errors"
	"time"
)

// RankingScore is one entry of a ranking category.
type RankingScore struct {
	Game     string
	Category uint32
	PID      uint64
	// UniqueID is the NEX unique id the entry belongs to (0 when the game
	// uses none); it lets one PID keep several entries (save slots).
	UniqueID uint64
	Score    uint32
	// Groups are the entry's group numbers (RankingScoreData.groups);
	// filters look at the first four.
	Groups []byte
	Param  uint64
	// Updated is set by the store at Upload and ChangeAttributes (UTC,
	// millisecond precision).
	Updated time.Time
}

// RankedScore is an entry with its rank under the query's order.
type RankedScore struct {
	RankingScore
	Rank uint32
}

// NoGroupFilter is the RankingFilter.GroupIndex that filters nothing.
const NoGroupFilter = 255

// RankingFilter selects the entries whose Groups[GroupIndex] equals
// GroupNum. A GroupIndex above 3 (NEX sends 255) filters nothing.
type RankingFilter struct {
	GroupIndex uint8
	GroupNum   uint8
}

// Active reports whether f filters anything.
func (f RankingFilter) Active() bool { return f.GroupIndex <= 3 }

// Match reports whether an entry with groups passes f.
func (f RankingFilter) Match(groups []byte) bool {
	if !f.Active() {
		return true
	}
	return int(f.GroupIndex) < len(groups) && groups[f.GroupIndex] == f.GroupNum
}

// Normal returns f with every inactive filter spelled the same way, so it
// can key a map.
func (f RankingFilter) Normal() RankingFilter {
	if !f.Active() {
		return RankingFilter{GroupIndex: NoGroupFilter}
	}
	return f
}

// RankingOrder is how a query orders and ranks a category.
type RankingOrder struct {
	// Descending: higher scores are better.
	Descending bool
	// Ordinal selects "1234" ranks instead of standard "1224" ranks.
	Ordinal bool
	// Filter restricts the query (and its ranks and totals) to entries of
	// one group.
	Filter RankingFilter
}

// Ranking change flags (RankingChangeAttributesParam.flags, services.md
// §5.4): bits 0-3 replace groups[0..3], bit 4 replaces param.
const (
	RankingChangeGroup0 = 0x01
	RankingChangeParam  = 0x10
)

// RankingChange is what ChangeAttributes replaces.
type RankingChange struct {
	// Flags: bit i (i < 4) replaces Groups[i] by the change's Groups[i]
	// (ignored when the change has no such group); RankingChangeParam
	// replaces Param.
	Flags  uint8
	Groups []byte
	Param  uint64
}

// Apply returns s changed by c (s's groups are copied, never aliased) and
// whether anything changed. Groups grow with zeros when a flag names an
// index beyond their end.
func (c RankingChange) Apply(s RankingScore) (RankingScore, bool) {
	changed := false
	groups := append([]byte(nil), s.Groups...)
	for i := 0; i < 4; i++ {
		if c.Flags&(1<<i) == 0 || i >= len(c.Groups) {
			continue
		}
		for len(groups) <= i {
			groups = append(groups, 0)
		}
		if groups[i] != c.Groups[i] {
			groups[i] = c.Groups[i]
		}
		changed = true
	}
	if c.Flags&RankingChangeParam != 0 {
		s.Param = c.Param
		changed = true
	}
	s.Groups = groups
	return s, changed
}

// RankingStats are the aggregates GetStats reports.
type RankingStats struct {
	Count    uint64
	Sum      float64
	Min, Max uint32
}

// RankingBetter reports whether score a is strictly better than b.
func RankingBetter(a, b uint32, desc bool) bool {
	if desc {
		return a > b
	}
	return a < b
}

// RankingLess is the ordinal order of entries under desc: the better score
// first, then the earlier update, then the lower PID, then the lower unique
// id. Every backend lists entries in this order.
func RankingLess(a, b *RankingScore, desc bool) bool {
	if a.Score != b.Score {
		return RankingBetter(a.Score, b.Score, desc)
	}
	if ta, tb := a.Updated.UnixMilli(), b.Updated.UnixMilli(); ta != tb {
		return ta < tb
	}
	if a.PID != b.PID {
		return a.PID < b.PID
	}
	return a.UniqueID < b.UniqueID
}

// AroundStart is the 0-based position of the first entry of a window of n
// entries around the entry at 0-based ordinal position pos (services.md
// §5.3 mode 1): with n = 11 the entry is 6th, 5 above and 5 below; with
// n = 10, 4 above and 5 below; clamped at the top.
func AroundStart(pos uint64, n int) uint64 {
	back := uint64(n/2 + n%2)
	rank := pos + 1
	if rank <= back {
		return 0
	}
	return rank - back
}

// DeleteEach deletes (pid, uniqueID) from each of cats with del and counts
// the entries removed, skipping categories where del reports ErrNotFound:
// the DeleteAll of a backend that deletes one category at a time.
func DeleteEach(cats []uint32, del func(category uint32) error) (int, error) {
	n := 0
	for _, cat := range cats {
		err := del(cat)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
