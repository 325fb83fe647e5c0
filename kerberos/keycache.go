package kerberos

import (
	"container/list"
	"crypto/md5"
	"sync"
)

// DefaultKeyCacheSize bounds a KeyCache made with size <= 0: a few
// thousand active users cost well under a megabyte.
const DefaultKeyCacheSize = 4096

// KeyCache remembers derived keys so that a login costs a map lookup
// instead of ~65000 MD5 rounds. It is safe for concurrent use, holds at
// most its size in entries (least recently used evicted first), and
// derives each missing key once even when many goroutines ask for it at
// the same time. A nil *KeyCache is valid and derives every time.
type KeyCache struct {
	mu      sync.Mutex
	max     int
	entries map[cacheKey]*list.Element
	lru     list.List // of *cacheEntry, most recently used at the front
}

// cacheKey holds md5(password), all the derivations use of it, so the
// cache never retains a password and entries have a fixed size.
type cacheKey struct {
	method Derivation
	pid    uint64
	pwHash [md5.Size]byte
}

type cacheEntry struct {
	key  cacheKey
	once sync.Once
	val  [md5.Size]byte
}

// NewKeyCache returns a cache holding at most size keys
// (DefaultKeyCacheSize when size <= 0).
func NewKeyCache(size int) *KeyCache {
	if size <= 0 {
		size = DefaultKeyCacheSize
	}
	return &KeyCache{max: size, entries: make(map[cacheKey]*list.Element)}
}

// Key returns DeriveKey(d, pid, password), computed at most once while
// the entry stays cached. The returned slice is the caller's own copy.
func (c *KeyCache) Key(d Derivation, pid uint64, password string) ([]byte, error) {
	if c == nil || (d != DerivationOld && d != DerivationNew) {
		return DeriveKey(d, pid, password)
	}
	e := c.entry(cacheKey{d, pid, md5.Sum([]byte(password))})
	e.once.Do(func() {
		if d == DerivationOld {
			e.val = deriveOldFrom(e.key.pwHash, pid)
		} else {
			e.val = deriveNewFrom(e.key.pwHash, pid)
		}
	})
	out := e.val
	return out[:], nil
}

// Len reports how many keys are cached.
func (c *KeyCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// entry finds or creates the slot for k; the derivation itself runs
// outside the lock so that one slow miss never blocks hits.
func (c *KeyCache) entry(k cacheKey) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[k]; ok {
		c.lru.MoveToFront(el)
		return el.Value.(*cacheEntry)
	}
	e := &cacheEntry{key: k}
	c.entries[k] = c.lru.PushFront(e)
	for c.lru.Len() > c.max {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.entries, last.Value.(*cacheEntry).key)
	}
	return e
}
