package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/proxy/config"
)

// TestTestSwitchesAreNotConfig: every NEXPROXY_* variable a test reads
// is either a configuration key or a test switch the configuration
// ignores (NEXPROXY_TEST_*). Any other would make every command that
// loads config.toml fail with "unknown key" while it is set. This
// package registers every configuration section, so keys of sections
// such as [dns] are known here.
func TestTestSwitchesAreNotConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfg, []byte("advertise = \"127.0.0.1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`"(NEXPROXY_[A-Z0-9_]*[A-Z0-9])"`)
	seen := map[string]bool{}
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != "../.." {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range name.FindAllStringSubmatch(string(src), -1) {
			v := m[1]
			if seen[v] {
				continue
			}
			seen[v] = true
			t.Run(v, func(t *testing.T) {
				t.Setenv(v, "1")
				if _, err := config.LoadFile(cfg); err != nil && strings.Contains(err.Error(), "unknown key") {
					t.Errorf("%s reads %s, which is neither a configuration key nor a test switch (NEXPROXY_TEST_*): %v", path, v, err)
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 {
		t.Fatal("found no NEXPROXY_* variable in the tests: the walk missed the tree")
	}
}
