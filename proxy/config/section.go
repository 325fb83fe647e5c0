package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/go-viper/mapstructure/v2"
)

// A Section is a table of config.toml that another package owns and types:
// a built-in service's [games.<name>] table, or the top-level [store]. The
// owner registers it from an init function (as the service registers
// itself); Load decodes it into a fresh value of the owner's type, reports
// unknown keys and badly typed values with their full keys, and then asks
// the value to validate itself. The configuration package never learns
// what the section means.
type Section struct {
	// Name is the table's key: "ranking" for [games.ranking], "store" for
	// [store].
	Name string
	// New returns a pointer to the section's typed value holding its
	// defaults; keys absent from the file keep them. Fields are named by
	// `mapstructure:"snake_key"` tags. Nil: the section has no table of
	// its own (a service without settings that is still Choosable).
	New func() any
	// Choosable marks a game service that a proxied game may serve
	// itself while its other protocols go upstream:
	// [games.protocols] <name> = "local".
	Choosable bool
}

// Validator is implemented by section values that check themselves after
// decoding. Each problem is reported through p with its key relative to
// the section ("categories[0].order").
type Validator interface {
	Validate(p *Problems)
}

// PathResolver is implemented by section values that hold file paths.
// After decoding, ResolvePaths gets the function that makes a relative
// path relative to the configuration file's folder, as the file's own
// paths (tls_cert, scripts.dir, ...) are.
type PathResolver interface {
	ResolvePaths(resolve func(path string) string)
}

// Problems collects the problems of one section while it validates.
type Problems struct {
	path string
	errs *errList
}

// Add reports a problem with key (relative to the section; "" for the
// section itself).
func (p *Problems) Add(key, format string, a ...any) {
	k := p.path
	if key != "" {
		k += "." + key
	}
	p.errs.add(k, format, a...)
}

var sections struct {
	mu   sync.Mutex
	game map[string]Section
	top  map[string]Section
}

// RegisterGameSection makes [games.<s.Name>] a known table of every game.
// It panics on a duplicate or reserved name: registration happens at init,
// where that is a programming error.
func RegisterGameSection(s Section) { register(&sections.game, s, gameKeys) }

// RegisterSection makes the top-level [<s.Name>] a known table.
func RegisterSection(s Section) { register(&sections.top, s, topKeys) }

// Keys the configuration package reads itself, which no section may take.
var (
	gameKeys = []string{"name", "platform", "access_key", "transport", "auth_listen", "secure_listen", "tls_cert", "tls_key",
		"upstream", "upstream_tls_insecure", "server_name", "prudp", "kerberos", "rmc", "protocols", "variants"}
	topKeys = []string{"advertise", "local_secure_password", "metrics", "log", "scripts", "games", "accounts", "store"}
)

func register(m *map[string]Section, s Section, reserved []string) {
	sections.mu.Lock()
	defer sections.mu.Unlock()
	if s.Name == "" {
		panic("config: section without a name")
	}
	for _, k := range reserved {
		if k == s.Name {
			panic("config: section name " + s.Name + " is reserved")
		}
	}
	if *m == nil {
		*m = map[string]Section{}
	}
	if _, dup := (*m)[s.Name]; dup {
		panic("config: section " + s.Name + " registered twice")
	}
	(*m)[s.Name] = s
}

// GameSections lists the registered [games.<name>] sections by name.
func GameSections() []string { return sectionNames(sections.game) }

func sectionNames(m map[string]Section) []string {
	sections.mu.Lock()
	defer sections.mu.Unlock()
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func sectionList(m map[string]Section) []Section {
	sections.mu.Lock()
	defer sections.mu.Unlock()
	out := make([]Section, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// decodeSections decodes every registered section of t into a map by
// section name; an absent table yields the section's defaults.
func decodeSections(t *table, registered map[string]Section, base string) map[string]any {
	list := sectionList(registered)
	if len(list) == 0 {
		return nil
	}
	out := make(map[string]any, len(list))
	for _, s := range list {
		if s.New == nil {
			continue
		}
		v := s.New()
		raw, present := t.get(s.Name)
		if present {
			m, isMap := raw.(map[string]any)
			if !isMap {
				t.bad(s.Name, "must be a table ([%s]), not %s", t.key(s.Name), describe(raw))
			} else {
				decodeInto(t.key(s.Name), m, v, t.errs)
			}
		}
		if r, ok := v.(PathResolver); ok {
			r.ResolvePaths(func(path string) string { return resolve(base, path) })
		}
		if val, ok := v.(Validator); ok {
			val.Validate(&Problems{path: t.key(s.Name), errs: t.errs})
		}
		out[s.Name] = v
	}
	return out
}

// decodeInto fills dst (a pointer to a struct with mapstructure tags) from
// m. Values from the environment are strings, so weak typing is on;
// durations are written as strings ("15m").
func decodeInto(path string, m map[string]any, dst any, errs *errList) {
	unknownKeys(path, m, reflect.TypeOf(dst), errs)
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:           dst,
		WeaklyTypedInput: true,
		DecodeHook:       mapstructure.StringToTimeDurationHookFunc(),
	})
	if err != nil {
		errs.add(path, "internal: %v", err)
		return
	}
	if err := dec.Decode(m); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "decoding failed") {
				continue
			}
			if key, msg := splitDecodeError(line); key != "" {
				errs.add(path+"."+key, "%s", msg)
			} else {
				errs.add(path, "%s", msg)
			}
		}
	}
}

// unknownKeys reports every key of m (and of the tables nested in it) that
// no field of t names, each with its full path: a misspelt setting must
// not silently fall back to its default.
func unknownKeys(path string, m map[string]any, t reflect.Type, errs *errList) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if name != "-" && f.IsExported() {
			fields[name] = f.Type
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ft, ok := fields[k]
		if !ok {
			errs.add(path+"."+k, "unknown key")
			continue
		}
		switch v := m[k].(type) {
		case map[string]any:
			unknownKeys(path+"."+k, v, ft, errs)
		case []any:
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() != reflect.Slice {
				continue
			}
			for i, it := range v {
				if im, ok := it.(map[string]any); ok {
					unknownKeys(fmt.Sprintf("%s.%s[%d]", path, k, i), im, ft.Elem(), errs)
				}
			}
		}
	}
}

// splitDecodeError turns one of mapstructure's "'key' expected type ..."
// lines into a key and a message.
func splitDecodeError(s string) (key, msg string) {
	if strings.HasPrefix(s, "'") {
		if end := strings.Index(s[1:], "'"); end >= 0 {
			return s[1 : end+1], strings.TrimSpace(s[end+2:])
		}
	}
	return "", s
}

// SectionOf returns the decoded value of a registered section of type T
// from a decoded section map, or the zero T when it is absent.
func SectionOf[T any](m map[string]any, name string) (T, error) {
	var zero T
	v, ok := m[name]
	if !ok {
		return zero, fmt.Errorf("config: no section %q (is its package linked in?)", name)
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("config: section %q is a %s, not a %s", name, reflect.TypeOf(v), reflect.TypeOf(zero))
	}
	return t, nil
}

// Modes of [games.protocols].
const (
	ModeLocal    = "local"
	ModeUpstream = "upstream"
)

// decodeProtocols reads [games.protocols]: which choosable services a
// proxied game serves itself. A local game serves every service itself.
func decodeProtocols(t *table, g *Game) {
	choosable := map[string]bool{}
	for _, s := range sectionList(sections.game) {
		if s.Choosable {
			choosable[s.Name] = true
		}
	}
	p := t.sub("protocols")
	if p == nil {
		return
	}
	names := make([]string, 0, len(p.m))
	for k := range p.m {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		var mode string
		if !p.str(k, &mode) {
			continue
		}
		if !choosable[k] {
			p.bad(k, "not a service a game can serve locally (want one of %s)", strings.Join(sortedKeys(choosable), ", "))
			continue
		}
		switch mode {
		case ModeLocal:
			if g.localServices == nil {
				g.localServices = map[string]bool{}
			}
			g.localServices[k] = true
		case ModeUpstream:
			if g.Local() {
				p.bad(k, `"upstream" needs an upstream server (this game has upstream = "local")`)
			}
		default:
			p.bad(k, `%q must be "local" or "upstream"`, mode)
		}
	}
	p.finish()
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
