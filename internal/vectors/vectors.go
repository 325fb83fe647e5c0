// Package vectors locates and loads the golden captures in ../shared/vectors
// (recorded from an independent NEX implementation) for tests.
//
// The folder is found from the module root: <module>/../shared/vectors, or
// the directory named by NEXPROXY_VECTORS. When it is absent a test is
// skipped with a clear message, except in CI (CI=true), where it fails.
package vectors

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the vectors directory, or "" when it cannot be found.
func Dir() string {
	if d := os.Getenv("NEXPROXY_VECTORS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			v := filepath.Join(filepath.Dir(d), "shared", "vectors")
			if st, err := os.Stat(v); err == nil && st.IsDir() {
				return v
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// Path returns the path of the named vector file, skipping the test (or
// failing it in CI) when the vectors are not available.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	d := Dir()
	if d == "" {
		missing(tb, "vectors folder ../shared/vectors not found (set NEXPROXY_VECTORS)")
		return ""
	}
	p := filepath.Join(d, name)
	if _, err := os.Stat(p); err != nil {
		missing(tb, fmt.Sprintf("vector file %s: %v", p, err))
	}
	return p
}

// Load decodes the named JSON vector file into v.
func Load(tb testing.TB, name string, v any) {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, name))
	if err != nil {
		tb.Fatalf("read vectors: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		tb.Fatalf("decode %s: %v", name, err)
	}
}

// Hex decodes a hex string from a vector file, failing the test on error.
func Hex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatalf("bad hex in vectors %q: %v", s, err)
	}
	return b
}

func missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}
