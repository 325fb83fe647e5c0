package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
)

// TestBus checks the store.Bus contract on one bus.
func TestBus(t *testing.T, newBus func(t *testing.T) store.Bus) {
	t.Run("PublishSubscribe", func(t *testing.T) {
		b := newBus(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s1, err := b.Subscribe(ctx, "game/g/gathering/5")
		if err != nil {
			t.Fatal(err)
		}
		s2, err := b.Subscribe(ctx, "game/g/gathering/5")
		if err != nil {
			t.Fatal(err)
		}
		other, err := b.Subscribe(ctx, "game/g/gathering/6")
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte("hello\x00binary")
		if err := b.Publish(ctx, "game/g/gathering/5", msg); err != nil {
			t.Fatal(err)
		}
		for i, ch := range []<-chan []byte{s1, s2} {
			if got := Receive(t, ch); string(got) != string(msg) {
				t.Errorf("subscriber %d got %q", i, got)
			}
		}
		select {
		case m := <-other:
			t.Errorf("other topic received %q", m)
		case <-time.After(100 * time.Millisecond):
		}
		// Per-publisher order holds.
		for _, m := range []string{"1", "2", "3"} {
			if err := b.Publish(ctx, "game/g/gathering/5", []byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		for _, want := range []string{"1", "2", "3"} {
			if got := Receive(t, s1); string(got) != want {
				t.Errorf("got %q, want %q", got, want)
			}
		}
	})

	t.Run("CancelCloses", func(t *testing.T) {
		b := newBus(t)
		ctx, cancel := context.WithCancel(context.Background())
		ch, err := b.Subscribe(ctx, "t")
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case _, ok := <-ch:
				if !ok {
					return
				}
			case <-deadline:
				t.Fatal("channel not closed after ctx was cancelled")
			}
		}
	})

	t.Run("NoSubscribersAndBadTopics", func(t *testing.T) {
		b := newBus(t)
		ctx := context.Background()
		if err := b.Publish(ctx, "nobody-listens", []byte("x")); err != nil {
			t.Errorf("Publish without subscribers: %v", err)
		}
		for _, topic := range []string{"", "a*", "with space", "a?b"} {
			if err := b.Publish(ctx, topic, nil); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Publish(%q): %v, want ErrInvalid", topic, err)
			}
			if _, err := b.Subscribe(ctx, topic); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Subscribe(%q): %v, want ErrInvalid", topic, err)
			}
		}
	})
}

// Receive waits up to 5 s for one message.
func Receive(t testing.TB, ch <-chan []byte) []byte {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no message within 5 s")
	}
	return nil
}
