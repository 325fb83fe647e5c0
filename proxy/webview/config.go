package webview

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/nexproxy/nexproxy/proxy/config"
)

// Config is the [web] table of config.toml.
type Config struct {
	// Listen is the web view's address ("" = off). A host left empty
	// (":8080") means 127.0.0.1.
	Listen string `mapstructure:"listen"`
	// Token is the access token the page needs when Listen is not a
	// loopback address; "" makes one up at startup and logs it once.
	Token string `mapstructure:"token"`
	// Logs is a folder of session logs the page lists and opens ("" =
	// none; any log can still be uploaded).
	Logs string `mapstructure:"logs"`
}

// SectionName is the table's key in config.toml.
const SectionName = "web"

func init() {
	config.RegisterSection(config.Section{Name: SectionName, New: func() any { return &Config{} }})
}

// Validate checks the listen address.
func (c *Config) Validate(p *config.Problems) {
	if c.Listen != "" {
		if _, err := ListenAddr(c.Listen); err != nil {
			p.Add("listen", "%v", err)
		}
	}
}

// FromConfig returns the [web] table of a loaded configuration (the zero
// Config when it has none).
func FromConfig(cfg *config.Config) Config {
	c, err := config.SectionOf[*Config](cfg.Sections, SectionName)
	if err != nil || c == nil {
		return Config{}
	}
	return *c
}

// ListenAddr checks a listen address and gives an empty host the
// loopback one: the web view shows what consoles do, so it is local
// unless asked otherwise.
func ListenAddr(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("%q is not host:port (e.g. \"127.0.0.1:8080\")", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", fmt.Errorf("%q: port must be between 0 and 65535", s)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", fmt.Errorf("%q: host must be an IP address, \"localhost\" or empty", s)
		}
	}
	return net.JoinHostPort(host, port), nil
}

// Loopback reports whether a listen address (as ListenAddr returns it)
// only accepts connections from this machine.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// NewToken returns a random access token.
func NewToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
