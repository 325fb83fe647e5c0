package replay

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
)

// Config is the [replay] table of config.toml.
type Config struct {
	// Error answers a call the logs do not hold: a result name
	// ("Core::NotImplemented") or number ("0x80010002").
	Error string `mapstructure:"error"`
	// Ignore lists the parameters left out of matching, each
	// "Protocol.Method:path" (see ParseRule).
	Ignore []string `mapstructure:"ignore"`
	// Local names the built-in services that answer live instead of the
	// recording: the login path by default.
	Local []string `mapstructure:"local"`
}

// DefaultConfig is the [replay] table when config.toml has none.
func DefaultConfig() Config {
	return Config{Error: "Core::NotImplemented", Local: []string{"authentication", "secure"}}
}

func init() {
	config.RegisterSection(config.Section{Name: "replay", New: func() any { c := DefaultConfig(); return &c }})
}

// Validate reports a bad error code or ignore rule by key.
func (c *Config) Validate(p *config.Problems) {
	if _, err := ParseResult(c.Error); err != nil {
		p.Add("error", "%v", err)
	}
	for i, r := range c.Ignore {
		if _, err := ParseRule(r); err != nil {
			p.Add(fmt.Sprintf("ignore[%d]", i), "%v", err)
		}
	}
}

// ParseResult reads a result name or number as the error form of the code.
func ParseResult(s string) (rmc.Result, error) {
	if r, ok := rmc.ResultByName(s); ok {
		return r, nil
	}
	if n, err := strconv.ParseUint(s, 0, 32); err == nil {
		return rmc.Result(n) | rmc.ResultErrorBit, nil
	}
	return 0, fmt.Errorf("%q is neither a result name (Core::NotImplemented) nor a number (0x80010002)", s)
}

// Rule leaves one parameter out of matching.
type Rule struct {
	// Protocol and Method name the calls the rule applies to, by name or
	// decimal id; "*" matches every one.
	Protocol, Method string
	// Path walks the parameters from the top: field names, map keys or
	// list indexes, "*" for each of them.
	Path []string
}

// ParseRule reads "Protocol.Method:path", e.g.
// "Ranking.UploadScore:score_data.score", "*.*:unique_id" or
// "DataStore.*:param.*.data_id"; an empty path ("Utility.*:") ignores
// every parameter, so that any call of the method matches.
func ParseRule(s string) (Rule, error) {
	target, path, ok := strings.Cut(s, ":")
	proto, method, ok2 := strings.Cut(target, ".")
	if !ok || !ok2 || proto == "" || method == "" {
		return Rule{}, fmt.Errorf("%q: want Protocol.Method:path (e.g. Ranking.UploadScore:score_data.score)", s)
	}
	r := Rule{Protocol: proto, Method: method}
	if path != "" {
		r.Path = strings.Split(path, ".")
		for _, p := range r.Path {
			if p == "" {
				return Rule{}, fmt.Errorf("%q: empty step in the path", s)
			}
		}
	}
	return r, nil
}

// applies reports whether the rule covers a call of the named method.
func (r *Rule) applies(protocol string, protocolID uint16, method string, methodID uint32) bool {
	return nameMatches(r.Protocol, protocol, uint64(protocolID)) && nameMatches(r.Method, method, uint64(methodID))
}

func nameMatches(pattern, name string, id uint64) bool {
	if pattern == "*" || strings.EqualFold(pattern, name) {
		return true
	}
	n, err := strconv.ParseUint(pattern, 10, 32)
	return err == nil && n == id
}
