// Package builtin is the registry of nexproxy's built-in services: the
// authentication and secure servers, and the game services (utility,
// ranking, matchmaking, NAT traversal, datastore) that make local mode a
// complete game server.
//
// A service registers itself from its package's init function, the way a
// CoreDNS plugin does: its name, the protocols it serves, its own typed
// configuration table ([games.<name>], decoded and validated by the
// configuration loader, so that `nexproxy check` reports its errors by
// key), and a constructor. The binary links the services it ships with
// blank imports; Build then makes, for one game, the single rpc.Mux that
// puts every service the game serves locally into the call chain.
package builtin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Service is a built-in service as it registers itself.
type Service struct {
	// Name names the service in logs, its configuration table
	// [games.<Name>] and its key in [games.protocols].
	Name string
	// Protocols are the RMC protocols the service serves; a protocol has
	// one owner.
	Protocols []uint16
	// Core marks the services that are the server itself (authentication,
	// secure connection): a game serves them exactly when it has no
	// upstream. Every other service is a game service that a proxied game
	// may also serve locally ([games.protocols] <Name> = "local").
	Core bool
	// Config returns a pointer to the service's settings holding their
	// defaults; nil for a service without settings. It may implement
	// config.Validator.
	Config func() any
	// Stores are the store domains the service keeps its state in; a game
	// served without one of them fails to start, naming it.
	Stores []Store
	// New makes the service of one game. It may keep state shared by
	// every connection of the game; per-connection state belongs in the
	// call's rpc.Session.
	New func(env *Env) (Instance, error)
}

// Store names a domain of the store ([store.backends]).
type Store string

// The store domains services declare.
const (
	StoreAccounts  Store = "accounts"
	StoreUniqueIDs Store = "unique_ids"
	StoreStations  Store = "stations"
	StoreObjects   Store = "objects"
	StoreBus       Store = "bus"
)

// has reports whether the host's stores include d.
func (h *Host) has(d Store) bool {
	if h == nil || h.Stores == nil {
		return false
	}
	st := h.Stores
	switch d {
	case StoreAccounts:
		return st.Accounts != nil
	case StoreUniqueIDs:
		return st.UniqueIDs != nil && st.IDs != nil
	case StoreStations:
		return st.Stations != nil
	case StoreObjects:
		return st.Objects != nil
	case StoreBus:
		return st.Bus != nil
	}
	return false
}

// Instance is a service made for one game.
type Instance interface {
	// Install puts the methods the instance serves on the game's mux
	// (the generated protocol packages' Register functions do the work).
	Install(m *rpc.Mux) error
}

// Env is what a service of one game gets from the server: the game's
// environment (configuration, accounts, ticket issuer, station URL, log),
// its own decoded settings, and the host's stores.
type Env struct {
	*proxy.Env
	// Settings is the value Service.Config returned, filled from the
	// game's [games.<name>] table; nil for a service without settings.
	Settings any
	// Host holds the stores and this instance's identity.
	Host *Host
}

// Host is what a running nexproxy gives every built-in service: the
// stores ([store] in config.toml) and its identity among the instances
// that share them. Services never open stores themselves.
type Host struct {
	// Stores are the backends of every domain.
	Stores *store.Stores
	// Instance names this process among the instances sharing the
	// stores (it owns the presence entries of its connections).
	Instance string
	// Friends tells the services who a player's friends are (ranking's
	// friend modes, DataStore's friends permission, friends-only
	// matchmaking); nil: nobody has friends. serve sets it to the Lua
	// hooks' nex.friends_of.
	Friends Friends
	// Search lets a game's scripts add or change matchmake search
	// criteria (nex.matchmake_criteria); nil: criteria stay as sent.
	Search SearchHook

	mu      sync.Mutex
	sets    []*Set  // built through Builtin and Named, closed by Close
	courier courier // SendToConsole's; guarded by mu
}

// Friends is a source of friend lists.
type Friends interface {
	// FriendsOf returns the PIDs of pid's friends in game (none: an empty
	// list).
	FriendsOf(ctx context.Context, game string, pid uint64) ([]uint64, error)
}

// SearchCriterion is a MatchmakeSessionSearchCriteria as a search hook
// sees and changes it.
type SearchCriterion struct {
	Attribs                                      []string
	GameMode, MinParticipants, MaxParticipants   string
	MatchmakeSystem                              string
	VacantOnly, ExcludeLocked, ExcludeNonHostPID bool
	SelectionMethod                              uint32
	VacantParticipants                           uint16
	ExcludeUserPassword, ExcludeSystemPassword   bool
	ReferGID                                     uint32
	Codeword                                     string
}

// SearchHook changes the criteria of a player's matchmake search.
type SearchHook interface {
	// MatchmakeCriteria returns the criteria pid's search in game uses
	// instead of crits (crits itself when nothing changes).
	MatchmakeCriteria(ctx context.Context, game string, pid uint64, crits []SearchCriterion) ([]SearchCriterion, error)
}

// FriendsOf asks the host's friend source; without one, nobody has
// friends.
func (h *Host) FriendsOf(ctx context.Context, game string, pid uint64) ([]uint64, error) {
	if h == nil || h.Friends == nil {
		return nil, nil
	}
	return h.Friends.FriendsOf(ctx, game, pid)
}

// Close closes the services of every game built through Builtin or Named
// (call it once the server has stopped); the stores stay open.
func (h *Host) Close() error {
	h.mu.Lock()
	sets := h.sets
	h.sets = nil
	h.mu.Unlock()
	h.closeCourier()
	var errs []error
	for _, s := range sets {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

func (h *Host) keep(s *Set) {
	h.mu.Lock()
	h.sets = append(h.sets, s)
	h.mu.Unlock()
}

// NewInstanceID names a process uniquely among instances: host name,
// process id and start time.
func NewInstanceID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "nexproxy"
	}
	return fmt.Sprintf("%s/%d/%d", host, os.Getpid(), time.Now().UnixNano())
}

var registry struct {
	mu       sync.Mutex
	byName   map[string]Service
	byProto  map[uint16]string
	finished bool
}

// Register adds a service to the registry. It is called from init
// functions; a malformed or duplicate registration panics, because it is
// a programming error that must stop the binary at start.
func Register(s Service) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if s.Name == "" || s.New == nil || len(s.Protocols) == 0 {
		panic("builtin: service registration needs a name, protocols and New")
	}
	if registry.byName == nil {
		registry.byName, registry.byProto = map[string]Service{}, map[uint16]string{}
	}
	if _, dup := registry.byName[s.Name]; dup {
		panic("builtin: service " + s.Name + " registered twice")
	}
	for _, p := range s.Protocols {
		if owner, taken := registry.byProto[p]; taken {
			panic(fmt.Sprintf("builtin: protocol %d is served by %s and %s", p, owner, s.Name))
		}
	}
	for _, p := range s.Protocols {
		registry.byProto[p] = s.Name
	}
	registry.byName[s.Name] = s
	config.RegisterGameSection(config.Section{Name: s.Name, New: s.Config, Choosable: !s.Core})
}

// Services lists the registered services by name.
func Services() []Service {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	out := make([]Service, 0, len(registry.byName))
	for _, s := range registry.byName {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Set is the built-in services one game serves locally, on one mux.
type Set struct {
	// Mux serves every method of the game's local services.
	Mux *rpc.Mux
	// Names lists the services in the set.
	Names   []string
	closers []io.Closer
}

// Build makes the services env's game serves locally (all of them for a
// local game, the ones [games.protocols] names for a proxied game) and
// registers their methods on one mux.
func (h *Host) Build(env *proxy.Env) (*Set, error) { return h.build(env, nil) }

// build is Build limited to the named services (nil: every one).
func (h *Host) build(env *proxy.Env, only map[string]bool) (*Set, error) {
	set := &Set{Mux: rpc.NewMux()}
	if err := h.addGame(env); err != nil {
		return nil, err
	}
	for _, s := range Services() {
		if only != nil && !only[s.Name] {
			continue
		}
		if s.Core && !env.Game.Local() || !s.Core && !env.Game.ServesLocally(s.Name) {
			continue
		}
		for _, d := range s.Stores {
			if !h.has(d) {
				return nil, errors.Join(fmt.Errorf("builtin: %s needs the %s store, which this server has not opened", s.Name, d), set.Close())
			}
		}
		inst, err := s.New(&Env{Env: env, Settings: env.Game.Sections[s.Name], Host: h})
		if err != nil {
			return nil, errors.Join(fmt.Errorf("builtin: %s: %w", s.Name, err), set.Close())
		}
		if c, ok := inst.(io.Closer); ok {
			set.closers = append(set.closers, c)
		}
		if err := inst.Install(set.Mux); err != nil {
			return nil, errors.Join(fmt.Errorf("builtin: %s: register: %w", s.Name, err), set.Close())
		}
		set.Names = append(set.Names, s.Name)
	}
	return set, nil
}

// Close closes every service of the set that holds resources.
func (s *Set) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i].Close())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// Builtin is the proxy.Builtin of the registered services: the link of
// one game's local services (nil when it serves none).
func (h *Host) Builtin(env *proxy.Env) (proxy.LinkSpec, error) {
	set, err := h.Build(env)
	if err != nil {
		return proxy.LinkSpec{}, err
	}
	h.keep(set)
	return set.Spec(), nil
}

// Named is the proxy.Builtin of the named registered services only (for
// tests and tools that want part of the server); a name that is not
// registered is an error when the link is made.
func (h *Host) Named(names ...string) proxy.Builtin {
	only := map[string]bool{}
	for _, n := range names {
		only[n] = true
	}
	return func(env *proxy.Env) (proxy.LinkSpec, error) {
		for n := range only {
			if _, ok := lookup(n); !ok {
				return proxy.LinkSpec{}, fmt.Errorf("builtin: no service %q is registered (is its package imported?)", n)
			}
		}
		set, err := h.build(env, only)
		if err != nil {
			return proxy.LinkSpec{}, err
		}
		h.keep(set)
		return set.Spec(), nil
	}
}

// Spec describes the set as a link of the chain: it answers the console's
// calls of the methods its services serve, and wants no other call, so a
// proxied game's other calls stay on the fast path. An empty set is no
// link.
func (s *Set) Spec() proxy.LinkSpec {
	if s.Mux.Len() == 0 {
		return proxy.LinkSpec{}
	}
	mux := s.Mux
	return proxy.LinkSpec{
		Name:  record.HandlerBuiltin,
		Wants: func(c *rpc.Call) bool { return c.Direction == rpc.ToServer && mux.Serves(c.Protocol, c.Method) },
		Link:  mux.Link(),
	}
}

func lookup(name string) (Service, bool) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	s, ok := registry.byName[name]
	return s, ok
}
