package proxy

import (
	"net/netip"
	"testing"
)

// TestAddrMapRemember: registering the same mapping again adds nothing
// (so a console that calls Register in a loop does not pile up cleanup
// functions), a changed mapping is reported, and a session only forgets
// its own mapping.
func TestAddrMapRemember(t *testing.T) {
	a := NewAddrMap()
	seen := netip.MustParseAddrPort("127.0.0.1:40000")
	c1 := netip.MustParseAddrPort("192.0.2.1:5000")
	c2 := netip.MustParseAddrPort("192.0.2.2:5000")
	if !a.Remember(seen, c1) {
		t.Fatal("first mapping not reported as added")
	}
	for range 1000 {
		if a.Remember(seen, c1) {
			t.Fatal("the same mapping reported as added again")
		}
	}
	if !a.Remember(seen, c2) {
		t.Fatal("a changed mapping not reported")
	}
	a.Forget(seen, c1) // the first session ends: the mapping is no longer its own
	if got, ok := a.Lookup(seen); !ok || got != c2 {
		t.Fatalf("Lookup = %v %v, want %v", got, ok, c2)
	}
	a.Forget(seen, c2)
	if a.Len() != 0 {
		t.Fatalf("%d mappings left", a.Len())
	}
}

// TestAddrMapBounded: a full map refuses new entries but still updates
// existing ones.
func TestAddrMapBounded(t *testing.T) {
	a := NewAddrMap()
	real := netip.MustParseAddrPort("192.0.2.1:5000")
	for i := range maxAddrMappings {
		a.m[netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 1)] = real
	}
	if a.Remember(netip.MustParseAddrPort("127.0.0.1:1"), real) {
		t.Fatal("a full map took a new entry")
	}
	existing := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 1}), 1)
	if !a.Remember(existing, netip.MustParseAddrPort("192.0.2.9:1")) {
		t.Fatal("a full map refused to update an existing entry")
	}
}

// TestAddrMapReverse: the reverse lookup follows the forward one as
// mappings are added, changed and forgotten, and a stale session's Forget
// leaves the newer mapping of its address alone.
func TestAddrMapReverse(t *testing.T) {
	a := NewAddrMap()
	s1 := netip.MustParseAddrPort("127.0.0.1:40000")
	s2 := netip.MustParseAddrPort("127.0.0.1:40001")
	c1 := netip.MustParseAddrPort("192.0.2.1:5000")
	c2 := netip.MustParseAddrPort("192.0.2.2:5000")
	a.Remember(s1, c1)
	if got, ok := a.Reverse(c1); !ok || got != s1 {
		t.Fatalf("Reverse(%v) = %v %v, want %v", c1, got, ok, s1)
	}
	a.Remember(s1, c2) // s1 now belongs to another console
	if got, ok := a.Reverse(c1); ok {
		t.Fatalf("Reverse(%v) = %v after its mapping changed", c1, got)
	}
	if got, ok := a.Reverse(c2); !ok || got != s1 {
		t.Fatalf("Reverse(%v) = %v %v, want %v", c2, got, ok, s1)
	}
	a.Remember(s2, c2) // c2 reconnected: the upstream sees it at s2
	a.Forget(s1, c2)   // the old session ends
	if got, ok := a.Reverse(c2); !ok || got != s2 {
		t.Fatalf("Reverse(%v) = %v %v after the old session ended, want %v", c2, got, ok, s2)
	}
	a.Forget(s2, c2)
	if _, ok := a.Reverse(c2); ok || a.Len() != 0 || len(a.rev) != 0 {
		t.Fatalf("mappings left: %v %v", a.m, a.rev)
	}
}
