package store

import (
	"context"
	"fmt"
	"sync"
)

// DefaultIDBlock is how many unique ids an IDAllocator reserves at a time.
// Ids left in a block when the process stops are never handed out, so the
// block trades gaps for fewer store round trips.
const DefaultIDBlock = 1024

// IDAllocator hands out NEX unique ids from blocks reserved in a UniqueIDs
// store: ids are unique across restarts and across instances sharing the
// store, and only one call in every block size waits for the store.
// It is safe for concurrent use.
type IDAllocator struct {
	ids   UniqueIDs
	block uint64

	mu    sync.Mutex
	games map[string]*idGame
}

type idGame struct {
	mu         sync.Mutex // held across a reservation, so one reserves per game
	next, stop uint64     // [next, stop) is still free
}

// NewIDAllocator returns an allocator reserving block ids at a time
// (DefaultIDBlock when block is 0).
func NewIDAllocator(ids UniqueIDs, block uint64) *IDAllocator {
	if block == 0 {
		block = DefaultIDBlock
	}
	return &IDAllocator{ids: ids, block: block, games: make(map[string]*idGame)}
}

// Next returns a fresh unique id for game.
func (a *IDAllocator) Next(ctx context.Context, game string) (uint64, error) {
	a.mu.Lock()
	g := a.games[game]
	if g == nil {
		g = &idGame{}
		a.games[game] = g
	}
	a.mu.Unlock()

	g.mu.Lock()
	defer g.mu.Unlock()
	if g.next == g.stop {
		first, err := a.ids.Reserve(ctx, game, a.block)
		if err != nil {
			return 0, fmt.Errorf("store: allocate unique id for %q: %w", game, err)
		}
		g.next, g.stop = first, first+a.block
	}
	id := g.next
	g.next++
	return id, nil
}
