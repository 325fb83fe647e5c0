package kerberos

import (
	"container/heap"
	"crypto/sha256"
	"sync"
	"time"
)

// replayCache remembers accepted CONNECT requests until their tickets
// expire. Entries leave in expiry order as time passes, checked on every
// admission, so no goroutine is needed; the size cap bounds memory even
// if the clock stalls.
type replayCache struct {
	mu   sync.Mutex
	max  int
	seen map[[sha256.Size]byte]struct{}
	byAt expiryHeap
}

type replayEntry struct {
	key     [sha256.Size]byte
	expires time.Time
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, seen: make(map[[sha256.Size]byte]struct{})}
}

// admit records key until expires and reports whether it was new. When
// the cache is full the entry closest to expiry is dropped: its ticket is
// the next to become useless to a replayer anyway, and refusing logins
// instead would let one busy user lock everybody out.
func (c *replayCache) admit(key [sha256.Size]byte, expires, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.byAt) > 0 && c.byAt[0].expires.Before(now) {
		c.drop()
	}
	if _, dup := c.seen[key]; dup {
		return false
	}
	for len(c.byAt) >= c.max {
		c.drop()
	}
	c.seen[key] = struct{}{}
	heap.Push(&c.byAt, replayEntry{key, expires})
	return true
}

func (c *replayCache) drop() {
	e := heap.Pop(&c.byAt).(replayEntry)
	delete(c.seen, e.key)
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.byAt)
}

// expiryHeap orders entries by expiry, soonest first.
type expiryHeap []replayEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(replayEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
