package main

import (
	"fmt"
	"net"
	"net/netip"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/dnsd"
)

// dnsResponder is the [dns] responder of a serve, when enabled.
type dnsResponder struct {
	srv *dnsd.Server
	// resolver is what the proxy looks its upstream game servers up
	// with: the responder's upstream, never the responder. nil when the
	// responder is off (the system's resolver).
	resolver *net.Resolver
}

// startDNS starts the DNS responder that cfg's [dns] section describes;
// off, it returns a responder that does nothing.
func startDNS(log *zap.Logger, cfg *config.Config) (*dnsResponder, error) {
	c, err := config.SectionOf[*dnsd.Config](cfg.Sections, dnsd.SectionName)
	if err != nil {
		return nil, err
	}
	if !c.Enabled {
		return &dnsResponder{}, nil
	}
	adv := c.Advertise
	if adv == "" {
		adv = cfg.Advertise
	}
	ip, err := netip.ParseAddr(adv)
	if err != nil {
		return nil, fmt.Errorf("dns: advertise %q is not an IP address: set dns.advertise to the address consoles reach this machine at", adv)
	}
	if ip.IsLoopback() {
		log.Warn("dns: redirected names resolve to a loopback address, which a console cannot reach: set advertise (or dns.advertise) to this machine's LAN address",
			zap.Stringer("address", ip))
	}
	table, err := dnsd.BuildTable(c, cfg.Games, ip)
	if err != nil {
		return nil, err
	}
	r, err := dnsd.Resolver(c.Upstream)
	if err != nil {
		return nil, err
	}
	srv, err := dnsd.Start(*c, dnsd.Options{Table: table, Logger: log.Named("dns")})
	if err != nil {
		return nil, err
	}
	return &dnsResponder{srv: srv, resolver: r}, nil
}

// stop closes the responder.
func (d *dnsResponder) stop(log *zap.Logger) {
	if d.srv == nil {
		return
	}
	if err := d.srv.Close(); err != nil {
		log.Error("stop dns responder", zap.Error(err))
	}
}
