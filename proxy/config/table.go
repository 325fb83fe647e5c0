package config

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

var sprintf = fmt.Sprintf

// table walks one TOML table (a map from viper's AllSettings) and records
// which keys were read, so that every key left over is reported as unknown
// with its full path. Values may come from the file (typed TOML values) or
// from NEXPROXY_* environment variables (always strings), so each reader
// accepts both spellings.
type table struct {
	path string
	m    map[string]any
	seen map[string]bool
	errs *errList
}

func newTable(path string, m map[string]any, errs *errList) *table {
	return &table{path: path, m: m, seen: make(map[string]bool, len(m)), errs: errs}
}

// key is the full path of k inside t.
func (t *table) key(k string) string {
	if t.path == "" {
		return k
	}
	return t.path + "." + k
}

func (t *table) bad(k, format string, a ...any) {
	t.errs.add(t.key(k), format, a...)
}

func (t *table) get(k string) (any, bool) {
	v, ok := t.m[k]
	if ok {
		t.seen[k] = true
	}
	return v, ok && v != nil
}

// finish reports every key of t that no reader asked for. A misspelt knob
// would otherwise be silently ignored and the preset value used instead,
// which shows up much later as a connection that never completes.
func (t *table) finish() {
	var unknown []string
	for k := range t.m {
		if !t.seen[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		t.bad(k, "unknown key")
	}
}

// str reads a string; it reports whether the key was present and valid.
func (t *table) str(k string, dst *string) bool {
	v, ok := t.get(k)
	if !ok {
		return false
	}
	s, isStr := v.(string)
	if !isStr {
		what := describe(v)
		if secretKey(k) {
			what = describeKind(v)
		}
		t.bad(k, "must be a string, not %s", what)
		return false
	}
	*dst = s
	return true
}

// boolean reads a bool (true/false, or "true"/"false" from the environment).
func (t *table) boolean(k string, dst *bool) bool {
	v, ok := t.get(k)
	if !ok {
		return false
	}
	switch b := v.(type) {
	case bool:
		*dst = b
		return true
	case string:
		p, err := strconv.ParseBool(strings.TrimSpace(b))
		if err == nil {
			*dst = p
			return true
		}
	}
	t.bad(k, "must be true or false, not %s", describe(v))
	return false
}

// integer reads an integer within [lo, hi].
func (t *table) integer(k string, lo, hi int64) (int64, bool) {
	v, ok := t.get(k)
	if !ok {
		return 0, false
	}
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case int32:
		n = int64(x)
	case uint64:
		if x > math.MaxInt64 {
			t.bad(k, "must be between %d and %d, not %d", lo, hi, x)
			return 0, false
		}
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || x < math.MinInt64 || x > math.MaxInt64 {
			t.bad(k, "must be a whole number, not %v", x)
			return 0, false
		}
		n = int64(x)
	case string:
		p, err := strconv.ParseInt(strings.TrimSpace(x), 0, 64)
		if err != nil {
			t.bad(k, "must be a whole number, not %q", x)
			return 0, false
		}
		n = p
	default:
		t.bad(k, "must be a whole number, not %s", describe(v))
		return 0, false
	}
	if n < lo || n > hi {
		t.bad(k, "must be between %d and %d, not %d", lo, hi, n)
		return 0, false
	}
	return n, true
}

// intInto reads an int within [lo, hi] into dst.
func (t *table) intInto(k string, dst *int, lo, hi int64) bool {
	n, ok := t.integer(k, lo, hi)
	if ok {
		*dst = int(n)
	}
	return ok
}

// uint64Into reads a non-negative integer that may use all 64 bits (PIDs).
func (t *table) uint64Into(k string, dst *uint64) bool {
	v, ok := t.get(k)
	if !ok {
		return false
	}
	switch x := v.(type) {
	case uint64:
		*dst = x
		return true
	case int64:
		if x >= 0 {
			*dst = uint64(x)
			return true
		}
	case int:
		if x >= 0 {
			*dst = uint64(x)
			return true
		}
	case float64:
		if x >= 0 && x == math.Trunc(x) && x < 1<<53 {
			*dst = uint64(x)
			return true
		}
	case string:
		p, err := strconv.ParseUint(strings.TrimSpace(x), 0, 64)
		if err == nil {
			*dst = p
			return true
		}
	}
	t.bad(k, "must be a whole number between 0 and %d, not %s", uint64(math.MaxUint64), describe(v))
	return false
}

// duration reads a Go duration string ("50ms", "1s", "1m30s"). Bare
// numbers are refused: whether 5 means seconds or milliseconds is exactly
// the kind of guess that leaves a timer a thousand times off.
func (t *table) duration(k string, dst *time.Duration) bool {
	v, ok := t.get(k)
	if !ok {
		return false
	}
	s, isStr := v.(string)
	if !isStr {
		t.bad(k, `must be a duration string such as "50ms" or "1s", not %s`, describe(v))
		return false
	}
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		t.bad(k, `%q is not a duration (write e.g. "50ms", "1s", "2m")`, s)
		return false
	}
	*dst = d
	return true
}

// sub returns the nested table k, or nil when it is absent or not a table.
func (t *table) sub(k string) *table {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		t.bad(k, "must be a table ([%s]), not %s", t.key(k), describe(v))
		return nil
	}
	return newTable(t.key(k), m, t.errs)
}

// list returns the array of tables k ([[k]]), each with its indexed path.
func (t *table) list(k string) []*table {
	v, ok := t.get(k)
	if !ok {
		return nil
	}
	items, isList := v.([]any)
	if !isList {
		if ms, isMaps := v.([]map[string]any); isMaps {
			for _, m := range ms {
				items = append(items, m)
			}
		} else {
			t.bad(k, "must be an array of tables ([[%s]]), not %s", t.key(k), describe(v))
			return nil
		}
	}
	out := make([]*table, 0, len(items))
	for i, it := range items {
		path := fmt.Sprintf("%s[%d]", t.key(k), i)
		m, isMap := it.(map[string]any)
		if !isMap {
			t.errs.add(path, "must be a table, not %s", describe(it))
			continue
		}
		out = append(out, newTable(path, m, t.errs))
	}
	return out
}

// secretKey reports whether the key k holds a secret (a password, token
// or secret), whose value an error must not repeat.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.HasSuffix(k, "password") || strings.HasSuffix(k, "token") || strings.HasSuffix(k, "secret") || strings.HasSuffix(k, "secret_key")
}

// describeKind is describe without the value: for secrets.
func describeKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int32, int64, uint64, float64:
		return "a number"
	}
	return describe(v)
}

// describe names the TOML type of v for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case int, int32, int64, uint64:
		return fmt.Sprintf("the number %v", x)
	case float64:
		return fmt.Sprintf("the number %v", x)
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	case time.Time:
		return "a date"
	}
	return fmt.Sprintf("a %T", v)
}
