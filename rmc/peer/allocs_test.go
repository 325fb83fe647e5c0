package peer

import (
	"context"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// countingWire takes every message at once and counts them.
type countingWire struct{ sent int }

func (w *countingWire) TrySend([]byte) error                 { w.sent++; return nil }
func (w *countingWire) Send(context.Context, []byte) error   { w.sent++; return nil }
func (w *countingWire) Recv(context.Context) ([]byte, error) { select {} }
func (w *countingWire) Close() error                         { return nil }

// TestAsyncSendsAllocateNothing: an answer and a notification that the
// connection takes at once allocate nothing (no message, no closure for
// a failure: the proxy's path for every call), and still leave.
func TestAsyncSendsAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop buffers: allocation counts do not hold")
	}
	w := &countingWire{}
	p := New(w, nil, nil)
	req := rmc.NewRequest(11, 1, 7, []byte{1, 2, 3})
	ok, failed := &rpc.Reply{Body: []byte{4, 5}}, &rpc.Reply{Error: rmc.ResultCoreInvalidArgument}
	body := []byte{6}       // received bytes, on the heap already
	p.RespondAsync(req, ok) // fills the encode pool
	for name, send := range map[string]func(){
		"answer":       func() { p.RespondAsync(req, ok) },
		"error answer": func() { p.RespondAsync(req, failed) },
		"notification": func() { _ = p.NotifyAsync(14, 1, body) },
	} {
		before := w.sent
		if n := testing.AllocsPerRun(100, send); n != 0 {
			t.Errorf("%s: %v allocations per send, want 0", name, n)
		}
		if w.sent == before {
			t.Errorf("%s: nothing sent", name)
		}
	}
}
