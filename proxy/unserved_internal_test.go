package proxy

import (
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestUnservedFirst: one line per key and window; the table never grows
// past unservedMax, whatever the number of addresses.
func TestUnservedFirst(t *testing.T) {
	u := newUnservedLog(zap.NewNop())
	now := time.Now()
	if !u.first("mk8|10.0.0.1", now) || u.first("mk8|10.0.0.1", now.Add(unservedWindow-time.Second)) {
		t.Error("a repeat within the window was logged, or the first was not")
	}
	if !u.first("mk8|10.0.0.1", now.Add(unservedWindow)) {
		t.Error("a repeat after the window was not logged")
	}
	for i := range 3 * unservedMax {
		if !u.first(fmt.Sprintf("mk8|10.1.%d.%d", i/256, i%256), now) {
			t.Fatalf("address %d not logged", i)
		}
		if len(u.seen) > unservedMax {
			t.Fatalf("%d remembered, max %d", len(u.seen), unservedMax)
		}
	}
}
