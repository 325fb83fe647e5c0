package rankmem

import (
	"math"
	"sort"
)

// key orders the entries of a category ascending: score, then update time
// (Unix ms), then PID, then unique id. Descending orders are derived from
// it (see order.go), so one list serves both.
type key struct {
	score uint32
	ms    int64
	pid   uint64
	uid   uint64
}

func (a key) less(b key) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	if a.ms != b.ms {
		return a.ms < b.ms
	}
	if a.pid != b.pid {
		return a.pid < b.pid
	}
	return a.uid < b.uid
}

// firstOf is the smallest possible key with score s.
func firstOf(s uint32) key { return key{score: s, ms: math.MinInt64} }

// Block sizes: a block splits above maxBlock; inserting moves at most
// maxBlock keys (32 KiB), and a million keys make about 2,000 blocks,
// which keeps the prefix rebuild after a write in the microseconds.
const (
	maxBlock  = 1024
	halfBlock = maxBlock / 2
)

// list is an order-statistics list of keys: sorted blocks plus the prefix
// counts of the blocks, rebuilt lazily after a write. rank, select and
// insert are O(log n + block size).
type list struct {
	blocks [][]key
	prefix []int // prefix[i] = keys before blocks[i]; valid unless dirty
	dirty  bool
	n      int
	sum    uint64 // sum of the scores (exact: 2^32 * 2^31 entries fit)
}

// build makes a list of keys already sorted.
func build(keys []key) *list {
	l := &list{dirty: true}
	for len(keys) > 0 {
		n := min(len(keys), halfBlock)
		b := make([]key, n, maxBlock)
		copy(b, keys[:n])
		l.blocks = append(l.blocks, b)
		for _, k := range b {
			l.sum += uint64(k.score)
		}
		l.n += n
		keys = keys[n:]
	}
	return l
}

func (l *list) fix() {
	if !l.dirty {
		return
	}
	l.prefix = l.prefix[:0]
	c := 0
	for _, b := range l.blocks {
		l.prefix = append(l.prefix, c)
		c += len(b)
	}
	l.dirty = false
}

// block returns the index of the block where k belongs: the first whose
// last key is not less than k (the last block when k is beyond them all).
func (l *list) block(k key) int {
	i := sort.Search(len(l.blocks), func(i int) bool {
		b := l.blocks[i]
		return !b[len(b)-1].less(k)
	})
	if i == len(l.blocks) {
		i--
	}
	return i
}

// rank returns how many keys are less than k.
func (l *list) rank(k key) int {
	if l.n == 0 {
		return 0
	}
	l.fix()
	i := l.block(k)
	b := l.blocks[i]
	return l.prefix[i] + sort.Search(len(b), func(j int) bool { return !b[j].less(k) })
}

// countLess returns how many keys have a score below s.
func (l *list) countLess(s uint32) int { return l.rank(firstOf(s)) }

// countLE returns how many keys have a score of at most s.
func (l *list) countLE(s uint32) int {
	if s == math.MaxUint32 {
		return l.n
	}
	return l.rank(firstOf(s + 1))
}

// at returns the key at 0-based position i (0 <= i < n).
func (l *list) at(i int) key {
	l.fix()
	b := sort.Search(len(l.prefix), func(j int) bool { return l.prefix[j] > i }) - 1
	return l.blocks[b][i-l.prefix[b]]
}

func (l *list) insert(k key) {
	l.n++
	l.sum += uint64(k.score)
	l.dirty = true
	if len(l.blocks) == 0 {
		b := make([]key, 1, maxBlock)
		b[0] = k
		l.blocks = append(l.blocks, b)
		return
	}
	i := l.block(k)
	b := l.blocks[i]
	j := sort.Search(len(b), func(j int) bool { return !b[j].less(k) })
	b = append(b, key{})
	copy(b[j+1:], b[j:])
	b[j] = k
	if len(b) <= maxBlock {
		l.blocks[i] = b
		return
	}
	right := make([]key, len(b)-halfBlock, maxBlock)
	copy(right, b[halfBlock:])
	l.blocks[i] = b[:halfBlock:halfBlock]
	// The left half keeps its backing array; give it room to grow again.
	left := make([]key, halfBlock, maxBlock)
	copy(left, l.blocks[i])
	l.blocks[i] = left
	l.blocks = append(l.blocks, nil)
	copy(l.blocks[i+2:], l.blocks[i+1:])
	l.blocks[i+1] = right
}

// remove deletes k and reports whether it was there.
func (l *list) remove(k key) bool {
	if l.n == 0 {
		return false
	}
	i := l.block(k)
	b := l.blocks[i]
	j := sort.Search(len(b), func(j int) bool { return !b[j].less(k) })
	if j == len(b) || b[j] != k {
		return false
	}
	copy(b[j:], b[j+1:])
	b = b[:len(b)-1]
	l.n--
	l.sum -= uint64(k.score)
	l.dirty = true
	if len(b) == 0 {
		l.blocks = append(l.blocks[:i], l.blocks[i+1:]...)
		return true
	}
	l.blocks[i] = b
	return true
}

// first and last return the smallest and largest keys (n > 0).
func (l *list) first() key { return l.blocks[0][0] }
func (l *list) last() key {
	b := l.blocks[len(l.blocks)-1]
	return b[len(b)-1]
}

// Ordered views: position p is 0-based in the ordinal order of the query.

// ordinalPos returns the 0-based ordinal position of k (which is in l).
func (l *list) ordinalPos(k key, desc bool) int {
	r := l.rank(k)
	if !desc {
		return r
	}
	// Better scores first, ties still by time, PID, unique id ascending.
	lt, le := l.countLess(k.score), l.countLE(k.score)
	return (l.n - le) + (r - lt)
}

// standardRank returns 1 + the number of keys with a strictly better
// score than s.
func (l *list) standardRank(s uint32, desc bool) int {
	if desc {
		return l.n - l.countLE(s) + 1
	}
	return l.countLess(s) + 1
}

// atOrdinal returns the key at 0-based ordinal position p (0 <= p < n).
func (l *list) atOrdinal(p int, desc bool) key {
	if !desc {
		return l.at(p)
	}
	k := l.at(l.n - 1 - p)
	lt, le := l.countLess(k.score), l.countLE(k.score)
	groupStart := l.n - le // ordinal position of the group's first entry
	return l.at(lt + (p - groupStart))
}
