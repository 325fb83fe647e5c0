package automatch

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// matched is a result of n consoles all matched into sessions of size,
// gids 100, 101, ...
func matched(n, size int) *Result {
	r := &Result{Latency: make([]time.Duration, n), GID: make([]uint32, n), Err: make([]error, n)}
	for i := range n {
		r.GID[i] = uint32(100 + i/size)
		r.Latency[i] = time.Duration(n-i) * time.Millisecond
	}
	return r
}

func TestCheckAcceptsAllMatched(t *testing.T) {
	if err := matched(40, 4).Check(4); err != nil {
		t.Fatal(err)
	}
}

// TestCheckRejectsBrokenResults feeds Check results that are wrong in
// each way a server could get them wrong.
func TestCheckRejectsBrokenResults(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		size       int
		breakIt    func(r *Result)
	}{
		{"a call failed", "1 of 40 calls failed", 4, func(r *Result) { r.Err[7] = errors.New("boom"); r.GID[7] = 0 }},
		{"a console in no session", "in no session", 4, func(r *Result) { r.GID[3] = 0 }},
		{"one session over-full, one short", "1 over-full, 1 not full", 4, func(r *Result) { r.GID[4] = 100 }},
		{"two half sessions instead of one", "11 sessions (9 full, 0 over-full, 2 not full)", 4, func(r *Result) { r.GID[0], r.GID[1] = 999, 999 }},
		{"wrong size", "want 5 full", 8, func(*Result) {}},
		{"consoles that cannot fill sessions", "cannot fill", 3, func(*Result) {}},
		{"ragged result", "result of", 4, func(r *Result) { r.Err = r.Err[1:] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := matched(40, 4)
			tc.breakIt(r)
			err := r.Check(tc.size)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Check = %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	s := matched(100, 4).Sorted()
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}, {0, time.Millisecond}} {
		if got := Percentile(s, tc.q); got != tc.want {
			t.Errorf("Percentile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if Percentile(nil, 0.5) != 0 {
		t.Error("Percentile of nothing is not 0")
	}
}
