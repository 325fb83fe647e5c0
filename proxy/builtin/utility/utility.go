// Package utility is nexproxy's built-in Utility service (protocol 110):
// NEX unique ids, with and without password, associated with the caller's
// PID, and the game's integer and string settings. Ids come from the
// store's durable reservations, so they are unique across restarts and
// across instances that share a store.
package utility

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"sort"
	"strconv"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/utility"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

// Name is the service's name in the registry, in [games.utility] and in
// [games.protocols].
const Name = "utility"

// Settings are a game's [games.utility] table: the values
// GetIntegerSettings and GetStringSettings return, by settings index and
// then by key, e.g.
//
//	[games.utility.integer_settings]
//	5 = { 0 = 5, 1 = 42, 2 = -1 }
//	[games.utility.string_settings]
//	5 = { 0 = "setting-5" }
type Settings struct {
	IntegerSettings map[string]map[string]int32  `mapstructure:"integer_settings"`
	StringSettings  map[string]map[string]string `mapstructure:"string_settings"`

	ints    map[uint32]typed.Map[uint16, int32]
	strings map[uint32]typed.Map[uint16, string]
}

// Validate checks that indexes are u32 and keys u16, and prepares the
// answers.
func (s *Settings) Validate(p *config.Problems) {
	s.ints = settingsTable(p, "integer_settings", s.IntegerSettings)
	s.strings = settingsTable(p, "string_settings", s.StringSettings)
}

// settingsTable turns one [games.utility] table into its answers, by
// settings index, each in key order.
func settingsTable[V any](p *config.Problems, table string, in map[string]map[string]V) map[uint32]typed.Map[uint16, V] {
	out := map[uint32]typed.Map[uint16, V]{}
	for idx, values := range in {
		i, ok := parseIndex(p, table, idx)
		if !ok {
			continue
		}
		var m typed.Map[uint16, V]
		for _, k := range sortedKeys(values) {
			if key, ok := parseKey(p, table+"."+idx, k); ok {
				m.Set(key, values[k])
			}
		}
		out[i] = m
	}
	return out
}

func parseIndex(p *config.Problems, table, s string) (uint32, bool) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		p.Add(table+"."+s, "a settings index is a number from 0 to 4294967295")
		return 0, false
	}
	return uint32(n), true
}

func parseKey(p *config.Problems, table, s string) (uint16, bool) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		p.Add(table+"."+s, "a setting's key is a number from 0 to 65535")
		return 0, false
	}
	return uint16(n), true
}

// sortedKeys orders a table's keys by number, so that answers list the
// settings in key order whatever order the file had.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, errA := strconv.ParseUint(keys[i], 10, 64)
		b, errB := strconv.ParseUint(keys[j], 10, 64)
		if errA != nil || errB != nil {
			return keys[i] < keys[j]
		}
		return a < b
	})
	return keys
}

func init() {
	builtin.Register(builtin.Service{
		Name:      Name,
		Protocols: []uint16{utility.ProtocolID},
		Config:    func() any { return &Settings{} },
		Stores:    []builtin.Store{builtin.StoreUniqueIDs},
		New: func(env *builtin.Env) (builtin.Instance, error) {
			settings, _ := env.Settings.(*Settings)
			if settings == nil {
				settings = &Settings{}
			}
			if settings.ints == nil && (len(settings.IntegerSettings) > 0 || len(settings.StringSettings) > 0) {
				// Built without the configuration loader (tests): prepare
				// the answers now.
				var p config.Problems
				settings.Validate(&p)
			}
			return &server{env: env, ids: env.Host.Stores.UniqueIDs, alloc: env.Host.Stores.IDs, settings: settings}, nil
		},
	})
}

// server serves protocol 110 for one game.
type server struct {
	env      *builtin.Env
	ids      store.UniqueIDs
	alloc    *store.IDAllocator
	settings *Settings
}

var _ utility.Server = (*server)(nil)

// Install puts the utility methods on the game's mux.
func (s *server) Install(m *rpc.Mux) error { return utility.Register(m, Name, s) }

func (s *server) game() string { return s.env.Game.Name }

// failed logs a store failure and answers Core::Exception: the console
// cannot do anything about it, the operator can.
func (s *server) failed(c *rpc.Call, what string, err error) error {
	s.env.Log.Error("utility: "+what, zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()), zap.Uint32("call_id", c.CallID), zap.Error(err))
	return rpc.Failf(rmc.ResultCoreException, err)
}

// acquire hands out a fresh id, associated with the caller at once (its
// primary id when it has none), as the reference servers do.
func (s *server) acquire(ctx context.Context, c *rpc.Call, password uint64) (utility.UniqueIdInfo, error) {
	id, err := s.alloc.Next(ctx, s.game())
	if err != nil {
		return utility.UniqueIdInfo{}, s.failed(c, "reserve unique id", err)
	}
	info := store.UniqueID{ID: id, Password: password}
	if err := s.ids.Associate(ctx, s.game(), c.Session.PID(), info); err != nil {
		return utility.UniqueIdInfo{}, s.failed(c, "associate unique id", err)
	}
	return utility.UniqueIdInfo{UniqueID: id, Password: password}, nil
}

// AcquireNexUniqueId returns a new id without password.
func (s *server) AcquireNexUniqueId(ctx context.Context, c *rpc.Call, _ *utility.AcquireNexUniqueIdRequest) (*utility.AcquireNexUniqueIdResponse, error) {
	info, err := s.acquire(ctx, c, 0)
	if err != nil {
		return nil, err
	}
	return &utility.AcquireNexUniqueIdResponse{UniqueID: info.UniqueID}, nil
}

// AcquireNexUniqueIdWithPassword returns a new id with a random password.
func (s *server) AcquireNexUniqueIdWithPassword(ctx context.Context, c *rpc.Call, _ *utility.AcquireNexUniqueIdWithPasswordRequest) (*utility.AcquireNexUniqueIdWithPasswordResponse, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, s.failed(c, "password", err)
	}
	info, err := s.acquire(ctx, c, binary.LittleEndian.Uint64(b[:]))
	if err != nil {
		return nil, err
	}
	return &utility.AcquireNexUniqueIdWithPasswordResponse{Info: info}, nil
}

// associate replaces the caller's associations with infos (the first one
// primary; ids 0 dropped), after checking every id: it must exist
// (Core::InvalidArgument), carry its password (Core::AccessDenied) and not
// belong to another PID (Core::AccessDenied). Nothing changes on a
// refusal.
func (s *server) associate(ctx context.Context, c *rpc.Call, infos []utility.UniqueIdInfo) error {
	ids := make([]store.UniqueID, 0, len(infos))
	for _, in := range infos {
		if in.UniqueID == 0 {
			continue
		}
		known, owner, err := s.ids.Lookup(ctx, s.game(), in.UniqueID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return rpc.Fail(rmc.ResultCoreInvalidArgument)
		case err != nil:
			return s.failed(c, "look up unique id", err)
		case known.Password != in.Password:
			return rpc.Fail(rmc.ResultCoreAccessDenied)
		case owner != 0 && owner != c.Session.PID():
			return rpc.Fail(rmc.ResultCoreAccessDenied)
		}
		ids = append(ids, store.UniqueID{ID: in.UniqueID, Password: in.Password})
	}
	err := s.ids.SetAssociations(ctx, s.game(), c.Session.PID(), ids)
	switch {
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrInvalid):
		// Taken or changed by another call meanwhile.
		return rpc.Fail(rmc.ResultCoreAccessDenied)
	case err != nil:
		return s.failed(c, "associate unique ids", err)
	}
	return nil
}

// AssociateNexUniqueIdWithMyPrincipalId makes info the caller's only id
// (an id of 0 clears them).
func (s *server) AssociateNexUniqueIdWithMyPrincipalId(ctx context.Context, c *rpc.Call, req *utility.AssociateNexUniqueIdWithMyPrincipalIdRequest) (*utility.AssociateNexUniqueIdWithMyPrincipalIdResponse, error) {
	if err := s.associate(ctx, c, []utility.UniqueIdInfo{req.Info}); err != nil {
		return nil, err
	}
	return &utility.AssociateNexUniqueIdWithMyPrincipalIdResponse{}, nil
}

// maxAssociations bounds one call's list: a console has a handful of save
// slots, not thousands.
const maxAssociations = 256

// AssociateNexUniqueIdsWithMyPrincipalId makes infos the caller's ids, the
// first one primary.
func (s *server) AssociateNexUniqueIdsWithMyPrincipalId(ctx context.Context, c *rpc.Call, req *utility.AssociateNexUniqueIdsWithMyPrincipalIdRequest) (*utility.AssociateNexUniqueIdsWithMyPrincipalIdResponse, error) {
	if len(req.Infos) > maxAssociations {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	if err := s.associate(ctx, c, req.Infos); err != nil {
		return nil, err
	}
	return &utility.AssociateNexUniqueIdsWithMyPrincipalIdResponse{}, nil
}

func (s *server) associations(ctx context.Context, c *rpc.Call) ([]utility.UniqueIdInfo, error) {
	ids, err := s.ids.Associations(ctx, s.game(), c.Session.PID())
	if err != nil {
		return nil, s.failed(c, "read associations", err)
	}
	out := make([]utility.UniqueIdInfo, len(ids))
	for i, id := range ids {
		out[i] = utility.UniqueIdInfo{UniqueID: id.ID, Password: id.Password}
	}
	return out, nil
}

// GetAssociatedNexUniqueIdWithMyPrincipalId returns the caller's primary
// id, or a zero one.
func (s *server) GetAssociatedNexUniqueIdWithMyPrincipalId(ctx context.Context, c *rpc.Call, _ *utility.GetAssociatedNexUniqueIdWithMyPrincipalIdRequest) (*utility.GetAssociatedNexUniqueIdWithMyPrincipalIdResponse, error) {
	infos, err := s.associations(ctx, c)
	if err != nil {
		return nil, err
	}
	var resp utility.GetAssociatedNexUniqueIdWithMyPrincipalIdResponse
	if len(infos) > 0 {
		resp.Info = infos[0]
	}
	return &resp, nil
}

// GetAssociatedNexUniqueIdsWithMyPrincipalId returns every id of the
// caller, primary first; none is a list of one zero id, as the reference
// server answers.
func (s *server) GetAssociatedNexUniqueIdsWithMyPrincipalId(ctx context.Context, c *rpc.Call, _ *utility.GetAssociatedNexUniqueIdsWithMyPrincipalIdRequest) (*utility.GetAssociatedNexUniqueIdsWithMyPrincipalIdResponse, error) {
	infos, err := s.associations(ctx, c)
	if err != nil {
		return nil, err
	}
	if len(infos) == 0 {
		infos = []utility.UniqueIdInfo{{}}
	}
	return &utility.GetAssociatedNexUniqueIdsWithMyPrincipalIdResponse{Infos: infos}, nil
}

// GetIntegerSettings returns the configured integer settings of an index;
// an index the game does not configure answers Core::NotImplemented, as
// the reference server does for games without settings.
func (s *server) GetIntegerSettings(_ context.Context, _ *rpc.Call, req *utility.GetIntegerSettingsRequest) (*utility.GetIntegerSettingsResponse, error) {
	m, ok := s.settings.ints[req.Index]
	if !ok {
		return nil, rpc.Fail(rmc.ResultCoreNotImplemented)
	}
	return &utility.GetIntegerSettingsResponse{Settings: m}, nil
}

// GetStringSettings returns the configured string settings of an index.
func (s *server) GetStringSettings(_ context.Context, _ *rpc.Call, req *utility.GetStringSettingsRequest) (*utility.GetStringSettingsResponse, error) {
	m, ok := s.settings.strings[req.Index]
	if !ok {
		return nil, rpc.Fail(rmc.ResultCoreNotImplemented)
	}
	return &utility.GetStringSettingsResponse{Settings: m}, nil
}
