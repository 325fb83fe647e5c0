package servicetest

import (
	"net"
	"strconv"
	"testing"
)

// TestFreePort: ports come from below the ephemeral range, are never
// handed out twice, and can be bound.
func TestFreePort(t *testing.T) {
	seen := map[int]bool{}
	for i := range 200 {
		network := []string{"udp", "tcp"}[i%2]
		p := FreePort(t, network)
		if p < freePortMin || p > freePortMax {
			t.Fatalf("port %d outside %d-%d", p, freePortMin, freePortMax)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
	p := FreePort(t, "udp")
	c, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		t.Fatalf("the free port %d cannot be bound: %v", p, err)
	}
	_ = c.Close()
}
