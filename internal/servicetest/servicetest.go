// Package servicetest gives tests a builtin.Host on real storage: the
// embedded SQLite and files backends in a temporary folder, opened the way
// `nexproxy serve` opens them and closed when the test ends.
package servicetest

import (
	"context"
	"testing"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/stores"
	"github.com/nexproxy/nexproxy/proxy/builtin"
)

// Host opens the default stores in a fresh temporary folder.
func Host(tb testing.TB) *builtin.Host {
	tb.Helper()
	cfg := store.DefaultConfig()
	cfg.DataDir = tb.TempDir()
	return HostWith(tb, cfg)
}

// HostWith opens the stores cfg describes (PostgreSQL and Redis ones in CI)
// for one host named after the test.
func HostWith(tb testing.TB, cfg store.Config) *builtin.Host {
	tb.Helper()
	st, err := stores.Open(context.Background(), cfg, nil)
	if err != nil {
		tb.Fatalf("servicetest: open stores: %v", err)
	}
	h := &builtin.Host{Stores: st, Instance: builtin.NewInstanceID()}
	tb.Cleanup(func() {
		if err := h.Close(); err != nil {
			tb.Errorf("servicetest: close services: %v", err)
		}
		if err := st.Close(); err != nil {
			tb.Errorf("servicetest: close stores: %v", err)
		}
	})
	return h
}
