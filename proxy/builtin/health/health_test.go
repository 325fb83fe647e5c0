package health_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc/protocols/health"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/health"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
)

// brokenAccounts is an accounts store whose reads fail once broken is set
// (after the test's login, which reads it too).
type brokenAccounts struct {
	store.Accounts
	broken atomic.Bool
}

func (b *brokenAccounts) Get(ctx context.Context, pid uint64) (store.Account, error) {
	if b.broken.Load() {
		return store.Account{}, errors.New("connection refused")
	}
	return b.Accounts.Get(ctx, pid)
}

// TestHealth: every method answers true on every platform, and
// PingDatabase answers false while the store fails.
func TestHealth(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, runs after every other cleanup
	for _, platform := range []string{"friends", "3ds", "wiiu", "switch"} {
		t.Run(platform, func(t *testing.T) {
			host := servicetest.Host(t)
			accounts := &brokenAccounts{Accounts: host.Stores.Accounts}
			host.Stores.Accounts = accounts
			srv := servicetest.Start(t, servicetest.Game{Platform: platform}, host)
			c := srv.Login(t, "1001:pw1")
			h := health.NewClient(c.Secure, c.Settings)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			daemon, err := h.PingDaemon(ctx, &health.PingDaemonRequest{})
			if err != nil || !daemon.Result {
				t.Fatalf("PingDaemon = %+v, %v; want true", daemon, err)
			}
			db, err := h.PingDatabase(ctx, &health.PingDatabaseRequest{})
			if err != nil || !db.Result {
				t.Fatalf("PingDatabase = %+v, %v; want true", db, err)
			}
			check, err := h.RunSanityCheck(ctx, &health.RunSanityCheckRequest{})
			if err != nil || !check.Result {
				t.Fatalf("RunSanityCheck = %+v, %v; want true", check, err)
			}
			fix, err := h.FixSanityErrors(ctx, &health.FixSanityErrorsRequest{})
			if err != nil || !fix.Result {
				t.Fatalf("FixSanityErrors = %+v, %v; want true", fix, err)
			}

			accounts.broken.Store(true)
			db, err = h.PingDatabase(ctx, &health.PingDatabaseRequest{})
			if err != nil || db.Result {
				t.Fatalf("PingDatabase with a failing store = %+v, %v; want false", db, err)
			}
		})
	}
}
