package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/nexproxy/nexproxy/internal/redacted"
)

// matchAll is the matching text of a call whose rules ignore every
// parameter.
const matchAll = "*"

// canonical is the text a call is matched on: its parameters' JSON with
// the ignored parameters removed, re-rendered with object keys sorted and
// one escaping (so that the log writer's rendering and a fresh one of the
// same values compare equal), or the hex of an undescribed body.
func canonical(params json.RawMessage, raw string, rules []*Rule) (string, error) {
	for _, r := range rules {
		if len(r.Path) == 0 {
			return matchAll, nil
		}
	}
	if len(params) == 0 {
		if _, ok := redacted.Size(raw); ok {
			raw = unsized
		}
		return "raw:" + raw, nil
	}
	d := json.NewDecoder(bytes.NewReader(params))
	d.UseNumber()
	var tree any
	if err := d.Decode(&tree); err != nil {
		return "", fmt.Errorf("parameters: %w", err)
	}
	for _, r := range rules {
		tree = drop(tree, r.Path)
	}
	tree = unsize(tree)
	b, err := json.Marshal(tree)
	if err != nil {
		return "", fmt.Errorf("parameters: %w", err)
	}
	return string(b), nil
}

// drop removes what path names from v (a list element becomes null, so
// that the others keep their positions) and returns v.
func drop(v any, path []string) any {
	step, rest := path[0], path[1:]
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if step != "*" && step != k {
				continue
			}
			if len(rest) == 0 {
				delete(t, k)
			} else {
				t[k] = drop(e, rest)
			}
		}
	case []any:
		for i, e := range t {
			if step != "*" && step != strconv.Itoa(i) {
				continue
			}
			if len(rest) == 0 {
				t[i] = nil
			} else {
				t[i] = drop(e, rest)
			}
		}
	}
	return v
}

// unsized stands for every "<redacted N bytes>" placeholder: the size
// of a secret says how its value was written (a number's digits), not
// which request it was, and must not keep a call from matching.
const unsized = "<redacted>"

// unsize replaces the redaction placeholders in v with unsized.
func unsize(v any) any {
	switch t := v.(type) {
	case string:
		if _, ok := redacted.Size(t); ok {
			return unsized
		}
	case map[string]any:
		for k, e := range t {
			t[k] = unsize(e)
		}
	case []any:
		for i, e := range t {
			t[i] = unsize(e)
		}
	}
	return v
}
