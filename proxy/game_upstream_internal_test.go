package proxy

import (
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/prudp"
)

// An upstream leg holds acknowledgements longer than a console leg by
// default (the next packet upstream is the console's next request), keeps
// a configured coalesce_delay, and holds nothing where coalescing is off.
func TestUpstreamCoalesceDelay(t *testing.T) {
	for _, tc := range []struct {
		name     string
		coalesce bool
		delay    time.Duration
		want     time.Duration
	}{
		{"default", true, 0, upstreamCoalesceDelay},
		{"configured", true, 3 * time.Millisecond, 3 * time.Millisecond},
		{"off", false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := prudp.WiiU()
			s.AccessKey = "76f26496"
			s.CoalesceAcks, s.CoalesceDelay = tc.coalesce, tc.delay
			g := &game{cfg: &config.Game{PRUDP: s}}
			got := g.upstreamSettings(&prudp.Conn{})
			if got.CoalesceDelay != tc.want || got.CoalesceAcks != tc.coalesce {
				t.Fatalf("upstream coalesce_acks %v, delay %v; want %v, %v", got.CoalesceAcks, got.CoalesceDelay, tc.coalesce, tc.want)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("upstream settings invalid: %v", err)
			}
		})
	}
}
