package prudp

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

func pushSettings() Settings {
	s := fastSettings(WiiU())
	s.AccessKey = "25dbf96a"
	return s
}

// TestPushDeliversInOrder: a receiver gets every message in order,
// including those that arrived before SetReceiver, and its closed function
// runs once when the peer disconnects.
func TestPushDeliversInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := pushSettings()
		tn := newTestNet(t, 1, Impairment{Delay: time.Millisecond, Duplicate: 0.1, Reorder: 0.3}, ListenConfig{Games: []Settings{s}})
		cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		var msgs [][]byte
		for i := range 40 {
			msgs = append(msgs, testMessage(i, 1+i*97))
		}
		// The first ones arrive while nobody receives: they are queued.
		for _, m := range msgs[:5] {
			if err := cli.Send(ctx, 0, m); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Second)
		var mu sync.Mutex
		var got [][]byte
		closed := make(chan struct{})
		var closes int
		srv.SetReceiver(func(m Message) bool {
			mu.Lock()
			got = append(got, m.Data)
			mu.Unlock()
			return true
		}, func() {
			mu.Lock()
			closes++
			mu.Unlock()
			close(closed)
		})
		for _, m := range msgs[5:] {
			if err := cli.Send(ctx, 0, m); err != nil {
				t.Fatal(err)
			}
		}
		for range 60 {
			time.Sleep(time.Second)
			mu.Lock()
			n := len(got)
			mu.Unlock()
			if n >= len(msgs) {
				break
			}
		}
		mu.Lock()
		if len(got) != len(msgs) {
			t.Fatalf("received %d messages, want %d", len(got), len(msgs))
		}
		for i := range msgs {
			if !bytes.Equal(got[i], msgs[i]) {
				t.Fatalf("message %d differs", i)
			}
		}
		mu.Unlock()
		cli.Close()
		<-closed
		synctest.Wait()
		mu.Lock()
		if closes != 1 {
			t.Errorf("closed ran %d times", closes)
		}
		mu.Unlock()
		closeAll(tn.l, srv)
	})
}

// TestPushPauseAndResume: a receiver that asks to hold messages gets none
// until ResumeReceive, then the held ones in order.
func TestPushPauseAndResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := pushSettings()
		tn := newTestNet(t, 2, Impairment{Delay: time.Millisecond}, ListenConfig{Games: []Settings{s}})
		cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var got [][]byte
		srv.SetReceiver(func(m Message) bool {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, m.Data)
			return len(got) != 2 // pause after the second
		}, nil)
		for i := range 6 {
			if err := cli.Send(ctx, 0, testMessage(i, 10)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * time.Second)
		mu.Lock()
		if len(got) != 2 {
			t.Fatalf("received %d messages while paused, want 2", len(got))
		}
		mu.Unlock()
		srv.ResumeReceive()
		time.Sleep(time.Second)
		mu.Lock()
		if len(got) != 6 {
			t.Fatalf("received %d messages after resuming, want 6", len(got))
		}
		for i := range got {
			if !bytes.Equal(got[i], testMessage(i, 10)) {
				t.Errorf("message %d differs", i)
			}
		}
		mu.Unlock()
		closeAll(tn.l, cli, srv)
	})
}

// TestPushClosedAfterEnd: SetReceiver on an ended connection runs closed
// at once.
func TestPushClosedAfterEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := pushSettings()
		tn := newTestNet(t, 3, Impairment{}, ListenConfig{Games: []Settings{s}})
		cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		srv.Abort()
		done := make(chan struct{})
		srv.SetReceiver(func(Message) bool { return true }, func() { close(done) })
		<-done
		closeAll(tn.l, cli)
	})
}

// TestTrySendWouldBlock: TrySend queues nothing once the send queue is
// full, where Send would wait.
func TestTrySendWouldBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := pushSettings()
		s.MaxMessageSize = 64 << 10
		// Nothing gets through: nothing is acknowledged.
		tn := newTestNet(t, 4, Impairment{}, ListenConfig{Games: []Settings{s}})
		cli, srv, err := tn.dial(ctx, DialConfig{Settings: s})
		if err != nil {
			t.Fatal(err)
		}
		tn.net.SetImpairment(Impairment{Loss: 1})
		msg := make([]byte, s.FragmentSize)
		var n int
		for ; n < 1000; n++ {
			err := cli.TrySend(0, msg)
			if errors.Is(err, ErrWouldBlock) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if n == 0 || n == 1000 {
			t.Fatalf("TrySend accepted %d messages before the queue was full", n)
		}
		if got := sendQueueLimit(&s); n*len(msg) < got {
			t.Errorf("queue full after %d bytes, limit %d", n*len(msg), got)
		}
		cli.Abort()
		if err := cli.TrySend(0, msg); !errors.Is(err, ErrClosed) {
			t.Errorf("TrySend on a closed connection: %v", err)
		}
		closeAll(tn.l, srv)
	})
}
