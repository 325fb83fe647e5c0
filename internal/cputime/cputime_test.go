package cputime

import (
	"testing"
	"time"
)

// TestProcessGrowsWithWork: burning CPU shows in the reading (where the
// system can tell at all).
func TestProcessGrowsWithWork(t *testing.T) {
	before := Process()
	if before == 0 {
		t.Skip("no process CPU time on this system")
	}
	x := 0
	for deadline := time.Now().Add(50 * time.Millisecond); time.Now().Before(deadline); {
		x++
	}
	if after := Process(); after <= before {
		t.Fatalf("CPU time %v then %v after 50ms of work (%d rounds)", before, after, x)
	}
}
