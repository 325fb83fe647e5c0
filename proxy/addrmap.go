package proxy

import (
	"net/netip"
	"sync"
)

// AddrMap remembers, proxy-wide, which address the upstream sees for a
// console (nexproxy's upstream-facing address of that console's secure
// leg) and the console's real address, so that station URLs the upstream
// derived from nexproxy's address can be pointed back at the console.
type AddrMap struct {
	mu sync.RWMutex
	m  map[netip.AddrPort]netip.AddrPort
}

// NewAddrMap returns an empty map.
func NewAddrMap() *AddrMap { return &AddrMap{m: make(map[netip.AddrPort]netip.AddrPort)} }

// Remember maps seen (as the upstream reported it) to real.
func (a *AddrMap) Remember(seen, real netip.AddrPort) {
	a.mu.Lock()
	a.m[seen] = real
	a.mu.Unlock()
}

// Forget drops the mapping of seen if it still points at real: a session
// that ends removes only its own entry.
func (a *AddrMap) Forget(seen, real netip.AddrPort) {
	a.mu.Lock()
	if a.m[seen] == real {
		delete(a.m, seen)
	}
	a.mu.Unlock()
}

// Lookup returns the console address behind seen.
func (a *AddrMap) Lookup(seen netip.AddrPort) (netip.AddrPort, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	r, ok := a.m[seen]
	return r, ok
}

// Len reports the number of mappings.
func (a *AddrMap) Len() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.m)
}
