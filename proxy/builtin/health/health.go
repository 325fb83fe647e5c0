// Package health is nexproxy's built-in Health service (protocol 18): the
// liveness checks a console or a monitoring client may call. The server
// answers them itself; PingDatabase reads the accounts store, so that it
// says false when the storage behind the game does not answer.
package health

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/rmc/protocols/health"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Name is the service's name in the registry and in [games.protocols].
const Name = "health"

// pingTimeout bounds PingDatabase's store read: a console waits on the
// answer, and a store that takes longer than this is not healthy.
const pingTimeout = 2 * time.Second

func init() {
	builtin.Register(builtin.Service{
		Name:      Name,
		Protocols: []uint16{health.ProtocolID},
		Stores:    []builtin.Store{builtin.StoreAccounts},
		New: func(env *builtin.Env) (builtin.Instance, error) {
			if env.Env == nil || env.Log == nil || env.Host == nil || env.Host.Stores == nil || env.Host.Stores.Accounts == nil {
				return nil, errors.New("health: incomplete environment")
			}
			return &server{log: env.Log, accounts: env.Host.Stores.Accounts}, nil
		},
	})
}

// server serves protocol 18 for one game.
type server struct {
	log      *zap.Logger
	accounts store.Accounts
}

var _ health.Server = (*server)(nil)

// Install puts the Health methods on the game's mux.
func (s *server) Install(m *rpc.Mux) error { return health.Register(m, Name, s) }

// PingDaemon answers true: the call reached a running server.
func (s *server) PingDaemon(context.Context, *rpc.Call, *health.PingDaemonRequest) (*health.PingDaemonResponse, error) {
	return &health.PingDaemonResponse{Result: true}, nil
}

// PingDatabase answers whether the accounts store answers a read of the
// caller's account (absent counts as an answer).
func (s *server) PingDatabase(ctx context.Context, c *rpc.Call, _ *health.PingDatabaseRequest) (*health.PingDatabaseResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	_, err := s.accounts.Get(ctx, c.Session.PID())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("health: the accounts store does not answer", zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()), zap.Uint32("call_id", c.CallID), zap.Error(err))
		return &health.PingDatabaseResponse{Result: false}, nil
	}
	return &health.PingDatabaseResponse{Result: true}, nil
}

// RunSanityCheck answers true: nexproxy's stores keep no state that a
// check could find inconsistent beyond what their transactions enforce.
func (s *server) RunSanityCheck(context.Context, *rpc.Call, *health.RunSanityCheckRequest) (*health.RunSanityCheckResponse, error) {
	return &health.RunSanityCheckResponse{Result: true}, nil
}

// FixSanityErrors answers true: there is nothing to fix (RunSanityCheck).
func (s *server) FixSanityErrors(context.Context, *rpc.Call, *health.FixSanityErrorsRequest) (*health.FixSanityErrorsResponse, error) {
	return &health.FixSanityErrorsResponse{Result: true}, nil
}
