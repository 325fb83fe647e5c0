package proxy

import (
	"net/netip"
	"sync"
)

// AddrMap remembers, proxy-wide, which address the upstream sees for a
// console (nexproxy's upstream-facing address of that console's secure
// leg) and the console's real address, so that station URLs the upstream
// derived from nexproxy's address can be pointed back at the console,
// and the console's own URLs in its calls back at what the upstream
// stored.
type AddrMap struct {
	mu  sync.RWMutex
	m   map[netip.AddrPort]netip.AddrPort // upstream-seen → real
	rev map[netip.AddrPort]netip.AddrPort // real → upstream-seen
}

// NewAddrMap returns an empty map.
func NewAddrMap() *AddrMap {
	return &AddrMap{m: make(map[netip.AddrPort]netip.AddrPort), rev: make(map[netip.AddrPort]netip.AddrPort)}
}

// maxAddrMappings bounds the map: one entry per live console session is
// the normal size, so this only stops a hostile flood.
const maxAddrMappings = 1 << 17

// Remember maps seen (as the upstream reported it) to real. It reports
// whether it added or changed the mapping: a console that registers again
// with the same addresses adds nothing, so its session registers one
// Forget, not one per call. A full map refuses new entries.
func (a *AddrMap) Remember(seen, real netip.AddrPort) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	old, ok := a.m[seen]
	if ok && old == real || !ok && len(a.m) >= maxAddrMappings {
		return false
	}
	if ok && a.rev[old] == seen {
		delete(a.rev, old)
	}
	a.m[seen] = real
	a.rev[real] = seen
	return true
}

// Forget drops the mapping of seen if it still points at real: a session
// that ends removes only its own entry.
func (a *AddrMap) Forget(seen, real netip.AddrPort) {
	a.mu.Lock()
	if a.m[seen] == real {
		delete(a.m, seen)
	}
	if a.rev[real] == seen {
		delete(a.rev, real)
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

// Reverse returns the address the upstream sees for the console at real.
func (a *AddrMap) Reverse(real netip.AddrPort) (netip.AddrPort, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	s, ok := a.rev[real]
	return s, ok
}

// Len reports the number of mappings.
func (a *AddrMap) Len() int {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.m)
}
