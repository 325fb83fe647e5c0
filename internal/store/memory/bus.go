// Package memory implements store.Bus inside one process, for a single
// nexproxy instance (the default: nothing to install).
package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/nexproxy/nexproxy/internal/store"
)

// SubscriberBuffer is how many messages a subscriber may fall behind before
// messages to it are dropped (the Bus contract: at most once, never block
// the publisher).
const SubscriberBuffer = 256

// Bus is an in-process store.Bus. The zero value is not usable; call NewBus.
type Bus struct {
	mu     sync.Mutex
	subs   map[string]map[*sub]struct{}
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

type sub struct {
	ch chan []byte
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{subs: make(map[string]map[*sub]struct{}), done: make(chan struct{})}
}

// Publish delivers a copy of msg to every current subscriber of topic,
// dropping it for subscribers whose buffer is full.
func (b *Bus) Publish(ctx context.Context, topic string, msg []byte) error {
	if err := store.ValidTopic(topic); err != nil {
		return fmt.Errorf("store/memory: publish: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store/memory: publish: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("store/memory: publish: %w", store.ErrClosed)
	}
	for s := range b.subs[topic] {
		// Each subscriber gets its own copy: a receiver may keep or change it.
		select {
		case s.ch <- append([]byte(nil), msg...):
		default:
		}
	}
	return nil
}

// Subscribe registers a subscriber of topic until ctx is done.
func (b *Bus) Subscribe(ctx context.Context, topic string) (<-chan []byte, error) {
	if err := store.ValidTopic(topic); err != nil {
		return nil, fmt.Errorf("store/memory: subscribe: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store/memory: subscribe: %w", err)
	}
	s := &sub{ch: make(chan []byte, SubscriberBuffer)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, fmt.Errorf("store/memory: subscribe: %w", store.ErrClosed)
	}
	if b.subs[topic] == nil {
		b.subs[topic] = make(map[*sub]struct{})
	}
	b.subs[topic][s] = struct{}{}
	b.wg.Add(1)
	b.mu.Unlock()

	go func() {
		defer b.wg.Done()
		select {
		case <-ctx.Done():
		case <-b.done:
		}
		b.mu.Lock()
		delete(b.subs[topic], s)
		if len(b.subs[topic]) == 0 {
			delete(b.subs, topic)
		}
		// Closed under the lock, so Publish never sends on a closed channel.
		close(s.ch)
		b.mu.Unlock()
	}()
	return s.ch, nil
}

// Close ends every subscription (their channels close) and refuses new
// calls. It waits for the subscription goroutines to finish.
func (b *Bus) Close() error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.done)
	}
	b.mu.Unlock()
	b.wg.Wait()
	return nil
}

var _ store.Bus = (*Bus)(nil)
