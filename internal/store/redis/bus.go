package redis

import (
	"context"
	"fmt"
	"sync"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/memory"
)

// Bus implements store.Bus with Redis pub/sub on channels
// "<prefix>bus:<topic>".
type Bus struct {
	c    *Client
	wg   sync.WaitGroup
	once sync.Once
	done chan struct{}
}

// Bus returns a pub/sub bus on c. Close it before c to wait for the
// subscriptions' goroutines.
func (c *Client) Bus() *Bus { return &Bus{c: c, done: make(chan struct{})} }

var _ store.Bus = (*Bus)(nil)

// Publish implements store.Bus.
func (b *Bus) Publish(ctx context.Context, topic string, msg []byte) error {
	if err := store.ValidTopic(topic); err != nil {
		return fmt.Errorf("store/redis: publish: %w", err)
	}
	if err := b.c.rdb.Publish(ctx, b.c.prefix+"bus:"+topic, msg).Err(); err != nil {
		return fmt.Errorf("store/redis: publish to %q: %w", topic, err)
	}
	return nil
}

// Subscribe implements store.Bus. It returns once Redis has confirmed the
// subscription, so nothing published afterwards is missed.
func (b *Bus) Subscribe(ctx context.Context, topic string) (<-chan []byte, error) {
	if err := store.ValidTopic(topic); err != nil {
		return nil, fmt.Errorf("store/redis: subscribe: %w", err)
	}
	select {
	case <-b.done:
		return nil, fmt.Errorf("store/redis: subscribe: %w", store.ErrClosed)
	default:
	}
	ps := b.c.rdb.Subscribe(ctx, b.c.prefix+"bus:"+topic)
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, fmt.Errorf("store/redis: subscribe to %q: %w", topic, err)
	}
	in := ps.Channel()
	out := make(chan []byte, memory.SubscriberBuffer)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer close(out)
		defer ps.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-b.done:
				return
			case m, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- []byte(m.Payload):
				default: // the subscriber fell behind: drop (at most once)
				}
			}
		}
	}()
	return out, nil
}

// Close ends every subscription (their channels close) and waits for
// their goroutines; the client stays open.
func (b *Bus) Close() error {
	b.once.Do(func() { close(b.done) })
	b.wg.Wait()
	return nil
}
