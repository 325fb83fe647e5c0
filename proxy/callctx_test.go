package proxy

import (
	"context"
	"errors"
	"testing"
	"time"
)

type ctxKey struct{}

func TestCallCtxValuesAndDeadline(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "session")
	a := &answer{}
	start := time.Now()
	c := newCallCtx(parent, a, start, time.Minute)
	defer c.release()
	if answerOf(c) != a {
		t.Error("answerOf does not find the call's answer")
	}
	if c.Value(ctxKey{}) != "session" {
		t.Error("the parent's values are lost")
	}
	if d, ok := c.Deadline(); !ok || !d.Equal(start.Add(time.Minute)) {
		t.Errorf("deadline %v %v, want %v", d, ok, start.Add(time.Minute))
	}
	near, cancel := context.WithDeadline(parent, start.Add(time.Second))
	defer cancel()
	if d, _ := newCallCtx(near, a, start, time.Minute).Deadline(); !d.Equal(start.Add(time.Second)) {
		t.Errorf("deadline %v, want the parent's earlier %v", d, start.Add(time.Second))
	}
	if c.Err() != nil {
		t.Errorf("Err = %v before the end", c.Err())
	}
}

// TestCallCtxRelease checks that release cancels the context like the
// cancel function of context.WithTimeout: its Done, made before or after,
// is closed, Err is Canceled, and contexts derived from it end too.
func TestCallCtxRelease(t *testing.T) {
	c := newCallCtx(context.Background(), nil, time.Now(), time.Minute)
	before := c.Done()
	child, cancel := context.WithCancel(c)
	defer cancel()
	c.release()
	for _, d := range []<-chan struct{}{before, c.Done(), child.Done()} {
		select {
		case <-d:
		case <-time.After(10 * time.Second):
			t.Fatal("Done not closed after release")
		}
	}
	if !errors.Is(c.Err(), context.Canceled) || !errors.Is(child.Err(), context.Canceled) {
		t.Errorf("Err = %v, child %v; want Canceled", c.Err(), child.Err())
	}
	c.release() // twice: no panic
	late := newCallCtx(context.Background(), nil, time.Now(), time.Minute)
	late.release()
	select {
	case <-late.Done():
	default:
		t.Error("Done made after release is open")
	}
}

func TestCallCtxDeadline(t *testing.T) {
	c := newCallCtx(context.Background(), nil, time.Now(), 20*time.Millisecond)
	defer c.release()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed at the deadline")
	}
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Errorf("Err = %v, want DeadlineExceeded", c.Err())
	}
	// Without Done: Err alone sees the deadline.
	past := newCallCtx(context.Background(), nil, time.Now().Add(-time.Minute), time.Second)
	if !errors.Is(past.Err(), context.DeadlineExceeded) {
		t.Errorf("Err = %v past the deadline, want DeadlineExceeded", past.Err())
	}
	select {
	case <-past.Done():
	default:
		t.Error("Done open past the deadline")
	}
}

func TestCallCtxParentCanceled(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	c := newCallCtx(parent, nil, time.Now(), time.Minute)
	defer c.release()
	d := c.Done()
	cancel()
	select {
	case <-d:
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed when the parent ended")
	}
	if !errors.Is(c.Err(), context.Canceled) {
		t.Errorf("Err = %v, want the parent's Canceled", c.Err())
	}
	// Ended parent, Done never called: Err sees it.
	c2 := newCallCtx(parent, nil, time.Now(), time.Minute)
	if !errors.Is(c2.Err(), context.Canceled) {
		t.Errorf("Err = %v, want the parent's Canceled", c2.Err())
	}
}
