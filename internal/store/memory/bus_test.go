package memory

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBus(t *testing.T) {
	storetest.TestBus(t, func(t *testing.T) store.Bus {
		b := NewBus()
		t.Cleanup(func() { b.Close() })
		return b
	})
}

func TestCloseEndsSubscriptions(t *testing.T) {
	b := NewBus()
	ch, err := b.Subscribe(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if _, ok := <-ch; ok {
		t.Error("message after Close")
	}
	if err := b.Publish(context.Background(), "t", nil); err == nil {
		t.Error("Publish after Close succeeded")
	}
}
