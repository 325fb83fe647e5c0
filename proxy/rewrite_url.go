package proxy

import (
	"bytes"
	"net/netip"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// mayHoldURL is a cheap filter: every station URL's text contains ":/",
// so a body without it needs no decoding.
func mayHoldURL(body []byte) bool { return bytes.Contains(body, []byte(":/")) }

// urlAddr returns the address:port a station URL names.
func urlAddr(u *rmc.StationURL) (netip.AddrPort, bool) {
	a, ok := u.Address()
	if !ok {
		return netip.AddrPort{}, false
	}
	p, ok := u.Port()
	if !ok {
		return netip.AddrPort{}, false
	}
	ip, err := netip.ParseAddr(a)
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip.Unmap(), p), true
}

// setURLAddr edits address and port in place, keeping every other
// parameter and the order.
func setURLAddr(u *rmc.StationURL, ap netip.AddrPort) {
	u.SetAddress(ap.Addr().Unmap().String())
	u.SetPort(ap.Port())
}

// editURLs calls fn on every station URL of the tree; fn returns true when
// it changed the URL, which is then written back. It reports whether any
// URL changed. URLs that do not parse are left alone.
func editURLs(v *schema.Value, fn func(u *rmc.StationURL) bool) bool {
	changed := false
	_ = v.Walk(func(_ string, n *schema.Value) error {
		if n.Kind != schema.KindStationURL {
			return nil
		}
		u, err := rmc.ParseStationURL(n.Str)
		if err != nil {
			return nil
		}
		if fn(&u) {
			n.Str = u.String()
			n.StrForm = schema.StrNormal
			changed = true
		}
		return nil
	})
	return changed
}

// mapURLs rewrites every URL whose address:port the map knows to the
// console's real address.
func mapURLs(v *schema.Value, m *AddrMap) bool {
	if m.Len() == 0 {
		return false
	}
	return editURLs(v, func(u *rmc.StationURL) bool {
		ap, ok := urlAddr(u)
		if !ok {
			return false
		}
		real, ok := m.Lookup(ap)
		if !ok {
			return false
		}
		setURLAddr(u, real)
		return true
	})
}

// firstURL returns the first station URL node of the tree, or nil.
func firstURL(v *schema.Value) *schema.Value {
	var found *schema.Value
	_ = v.Walk(func(_ string, n *schema.Value) error {
		if found == nil && n.Kind == schema.KindStationURL {
			found = n
		}
		return nil
	})
	return found
}

// stationWithAddr formats a copy of u pointing at host:port.
func stationWithAddr(u rmc.StationURL, host string, port uint16) rmc.StationURL {
	c := u.Clone()
	c.SetAddress(host)
	c.SetInt(rmc.URLPort, int64(port))
	return c
}
