package dnsd

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/nexproxy/nexproxy/proxy/config"
)

// SectionName is the top-level table of config.toml this package owns.
const SectionName = "dns"

func init() {
	config.RegisterSection(config.Section{Name: SectionName, New: func() any { c := Defaults(); return &c }})
}

// Config is the [dns] section: the optional DNS responder that points
// consoles at nexproxy.
type Config struct {
	// Enabled starts the responder with `nexproxy serve`.
	Enabled bool `mapstructure:"enabled"`
	// Listen is the host:port served over both UDP and TCP.
	Listen string `mapstructure:"listen"`
	// Upstream is the resolver every other query goes to, and the one
	// nexproxy looks its own upstream game servers up with: an IP
	// address, with or without :port (default 53). It must not be this
	// responder.
	Upstream string `mapstructure:"upstream"`
	// Advertise is the address the redirected names resolve to; empty =
	// the top-level advertise (which must then be an IP address).
	Advertise string `mapstructure:"advertise"`
	// Names are further names answered with Advertise; "*.example.net"
	// matches every name below example.net.
	Names []string `mapstructure:"names"`
	// PlatformNames adds the names of the game servers of the platforms
	// the configured games belong to (PlatformPatterns).
	PlatformNames bool `mapstructure:"platform_names"`
	// Records answer names with addresses of their own (e.g. an account
	// server running on another machine).
	Records []Record `mapstructure:"records"`
	// TTL is the time to live of the answers the responder makes itself.
	TTL time.Duration `mapstructure:"ttl"`
	// Timeout bounds one forwarded query (UDP, then TCP when truncated).
	Timeout time.Duration `mapstructure:"timeout"`
	// MaxInflight bounds the queries being forwarded at once; past it
	// further queries are answered REFUSED rather than queued.
	MaxInflight int `mapstructure:"max_inflight"`
	// MaxTCPConns bounds the open TCP connections.
	MaxTCPConns int `mapstructure:"max_tcp_conns"`
}

// Record is one [[dns.records]] entry.
type Record struct {
	// Name is a name or "*." pattern.
	Name string `mapstructure:"name"`
	// Address is the IPv4 or IPv6 address it resolves to.
	Address string `mapstructure:"address"`
}

// Defaults is the section's value when config.toml leaves keys out: off.
func Defaults() Config {
	return Config{
		Listen:        "0.0.0.0:53",
		PlatformNames: true,
		TTL:           60 * time.Second,
		Timeout:       2 * time.Second,
		MaxInflight:   256,
		MaxTCPConns:   64,
	}
}

// Validate checks the section (config.Validator).
func (c *Config) Validate(p *config.Problems) {
	if !c.Enabled {
		return
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		p.Add("listen", "%q: want host:port (e.g. \"0.0.0.0:53\")", c.Listen)
	}
	if c.Upstream == "" {
		p.Add("upstream", "required when the responder is enabled: the IP address of the resolver that answers every other name (e.g. \"1.1.1.1\" or your router's address)")
	} else if _, err := UpstreamAddr(c.Upstream); err != nil {
		p.Add("upstream", "%v", err)
	} else if msg := selfLoop(c.Listen, c.Upstream); msg != "" {
		p.Add("upstream", "%s", msg)
	}
	if c.Advertise != "" {
		if _, err := netip.ParseAddr(c.Advertise); err != nil {
			p.Add("advertise", "%q is not an IP address", c.Advertise)
		}
	}
	for i, n := range c.Names {
		if _, err := ParsePattern(n); err != nil {
			p.Add(fmt.Sprintf("names[%d]", i), "%v", err)
		}
	}
	for i, r := range c.Records {
		if _, err := ParsePattern(r.Name); err != nil {
			p.Add(fmt.Sprintf("records[%d].name", i), "%v", err)
		}
		if _, err := netip.ParseAddr(r.Address); err != nil {
			p.Add(fmt.Sprintf("records[%d].address", i), "%q is not an IP address", r.Address)
		}
	}
	if c.TTL < time.Second || c.TTL > 24*time.Hour {
		p.Add("ttl", "%s: want 1s to 24h", c.TTL)
	}
	if c.Timeout <= 0 || c.Timeout > time.Minute {
		p.Add("timeout", "%s: want more than 0 and at most 1m", c.Timeout)
	}
	if c.MaxInflight < 1 || c.MaxInflight > 65536 {
		p.Add("max_inflight", "%d: want 1 to 65536", c.MaxInflight)
	}
	if c.MaxTCPConns < 1 || c.MaxTCPConns > 65536 {
		p.Add("max_tcp_conns", "%d: want 1 to 65536", c.MaxTCPConns)
	}
}

// UpstreamAddr reads an upstream resolver address: an IP address with an
// optional port (default 53). A host name is refused: looking it up would
// need a resolver, which may be this responder.
func UpstreamAddr(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if ap.Port() == 0 {
			return netip.AddrPort{}, fmt.Errorf("%q: port 0", s)
		}
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q: want an IP address with an optional port (\"1.1.1.1\", \"[2606:4700::1111]:53\"), not a host name", s)
	}
	if a.Zone() != "" {
		return netip.AddrPort{}, fmt.Errorf("%q: zones are not supported", s)
	}
	return netip.AddrPortFrom(a.Unmap(), 53), nil
}

// selfLoop says why upstream would be the responder itself, or "":
// the same port on the address listened on, on a loopback address when
// listening on loopback or every address, or on one of local (this
// machine's addresses) when listening on every address.
func selfLoop(listen, upstream string, local ...netip.Addr) string {
	up, err := UpstreamAddr(upstream)
	if err != nil {
		return ""
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	lp, err := strconv.ParseUint(port, 10, 16)
	if err != nil || uint16(lp) != up.Port() {
		return ""
	}
	la, err := netip.ParseAddr(host)
	all := host == "" || (err == nil && la.IsUnspecified())
	self := (err == nil && la.Unmap() == up.Addr()) ||
		(up.Addr().IsLoopback() && (all || (err == nil && la.IsLoopback()) || host == "localhost"))
	if all {
		for _, a := range local {
			self = self || a.Unmap() == up.Addr()
		}
	}
	if self {
		return fmt.Sprintf("%s is this responder (listen = %q): queries would loop", upstream, listen)
	}
	return ""
}
