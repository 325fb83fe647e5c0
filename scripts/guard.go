package scripts

import (
	"context"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// guardTick is how often the watchdog samples the heap while hooks run.
const guardTick = 5 * time.Millisecond

// heapMetric is the Go heap occupied by objects, live or not yet swept:
// it rises as soon as a runaway hook allocates, without waiting for a GC.
const heapMetric = "/memory/classes/heap/objects:bytes"

// guardFactor scales Config.MaxMemory into the watchdog's heap-growth
// limit.
const guardFactor = 4

// guard is the memory watchdog. gopher-lua has no allocator hook, so the
// `..` operator and table growth cannot be charged to a budget; instead a
// single goroutine samples the heap while runs are active and cancels every
// run that has seen the heap grow by more than the limit since it was
// first sampled. A run shorter than one tick is never sampled, which keeps
// the per-call cost to registering the run.
//
// The heap is the whole process's, so the watchdog is a last line of
// defence with a wide margin (guardFactor times Config.MaxMemory): other
// sessions allocating at the same time must not get a well-behaved hook
// killed. The precise limit is the byte budget of the string functions.
type guard struct {
	limit uint64

	mu   sync.Mutex
	runs map[*runGuard]struct{}
	wake chan struct{}

	done chan struct{}
	wg   sync.WaitGroup
}

// runGuard is one registered run.
type runGuard struct {
	cancel  context.CancelFunc
	base    uint64 // heap at the first sample that saw the run; 0 = not yet
	seen    int    // samples taken while the run was active
	aborted atomic.Bool
}

func newGuard(limit int64) *guard {
	g := &guard{limit: uint64(limit) * guardFactor, runs: map[*runGuard]struct{}{}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	g.wg.Add(1)
	go g.loop()
	return g
}

func (g *guard) stop() {
	close(g.done)
	g.wg.Wait()
}

func (g *guard) add(r *runGuard, cancel context.CancelFunc) {
	g.mu.Lock()
	r.cancel = cancel
	r.base = 0
	r.seen = 0
	r.aborted.Store(false)
	g.runs[r] = struct{}{}
	first := len(g.runs) == 1
	g.mu.Unlock()
	if first {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
}

func (g *guard) remove(r *runGuard) {
	g.mu.Lock()
	delete(g.runs, r)
	g.mu.Unlock()
}

func (g *guard) loop() {
	defer g.wg.Done()
	sample := []metrics.Sample{{Name: heapMetric}}
	t := time.NewTicker(guardTick)
	defer t.Stop()
	for {
		g.mu.Lock()
		idle := len(g.runs) == 0
		g.mu.Unlock()
		if idle {
			select {
			case <-g.wake:
			case <-g.done:
				return
			}
		}
		select {
		case <-t.C:
		case <-g.done:
			return
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			continue
		}
		heap := sample[0].Value.Uint64()
		g.mu.Lock()
		for r := range g.runs {
			r.seen++
			switch {
			case r.base == 0 || heap < r.base:
				// First sight, or a GC ran: measure growth from here.
				r.base = heap
			case heap-r.base > g.limit && r.seen > 2:
				r.aborted.Store(true)
				r.cancel()
			}
		}
		g.mu.Unlock()
	}
}
