package proxy

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/proxy/record"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc/rpc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// Options are the parts of a Server that do not come from the
// configuration file.
type Options struct {
	// Logger receives the process log; nil means no logging.
	Logger *zap.Logger
	// Builtins make the built-in handlers of games served locally
	// (auth.New, secure.New, ...).
	Builtins []Builtin
	// Hooks is the first link of every chain (the Lua hooks, named
	// record.HandlerHook); the zero LinkSpec = none. Its Wants lets the
	// calls no hook acts on be forwarded without walking the chain on a
	// goroutine; without it every call walks the chain.
	Hooks LinkSpec
	// Events observes connections and logins (the Lua on_connect, on_login,
	// on_disconnect hooks); nil = none.
	Events Events
	// PasswordFor supplies passwords the configuration does not list (the
	// Lua password_for hook); nil = none.
	PasswordFor func(pid uint64, game string) (string, bool)
	// Accounts, when set, is where users are looked up at every login
	// (NewStoreAccounts): the configuration's accounts only reach it
	// through SeedAccounts. nil = the configured accounts only.
	Accounts store.Accounts
	// Recorder receives every connection, login and call for session logs
	// and packet captures; nil = none.
	Recorder record.Recorder
	// Registry describes the protocols; nil means schema.Default().
	Registry *schema.Registry
	// Resolver looks up the host names of upstream game servers; nil =
	// the system's. With the DNS responder running it is the responder's
	// upstream resolver (dnsd.Resolver), so nexproxy never asks itself.
	Resolver *net.Resolver
}

// Events observes session life cycles.
type Events interface {
	OnConnect(s *rpc.Session)
	OnLogin(s *rpc.Session, pid uint64)
	OnDisconnect(s *rpc.Session)
}

// ScriptLogger is Events that also logs lines on behalf of sessions (the
// Lua hooks' nex.log and print): New tells it where they go, so that they
// land in the session logs (record.ScriptRecorder).
type ScriptLogger interface {
	Events
	SetScriptLog(fn func(s *rpc.Session, script, level, text string))
}

// Server runs the listeners of one configuration.
type Server struct {
	cfg       *config.Config
	opts      Options
	log       *zap.Logger
	reg       *schema.Registry
	rec       *recorder
	secureKey []byte
	keys      *kerberos.KeyCache
	games     []*game
	listeners []*listener
	addrs     *AddrMap
	logins    *loginTable
	keyless   *keylessTable
	relays    *relays

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	connID atomic.Uint64
	// connects numbers the secure CONNECTs in the order they were
	// accepted (accepted.seq).
	connects atomic.Uint64

	mu      sync.Mutex
	closed  bool
	running map[*liveConn]struct{}
	retired prudp.Stats // totals of the connections that ended
	// passed are the upstream connections of relayed CONNECTs whose
	// console connection has not started its session yet.
	passed map[*accepted]struct{}
}

// liveConn is a console connection with its upstream, closed together.
type liveConn struct {
	closeFn     func()
	console, up *prudp.Conn // for Stats
}

// New checks cfg and prepares a server; Start opens the listeners.
func New(cfg *config.Config, opts Options) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("proxy: nil configuration")
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Registry == nil {
		opts.Registry = schema.Default()
	}
	s := &Server{
		cfg:     cfg,
		opts:    opts,
		log:     opts.Logger,
		reg:     opts.Registry,
		keys:    kerberos.NewKeyCache(0),
		addrs:   NewAddrMap(),
		logins:  newLoginTable(),
		keyless: newKeylessTable(),
		passed:  map[*accepted]struct{}{},
		running: make(map[*liveConn]struct{}),
	}
	s.rec = newRecorder(opts.Recorder, s.reg, opts.Events)
	if sl, ok := opts.Events.(ScriptLogger); ok {
		// The hooks' log lines go into the session logs.
		sl.SetScriptLog(s.rec.script)
	}
	s.relays = newRelays(s)
	if cfg.LocalSecurePassword != "" {
		k, err := kerberos.DeriveKey(kerberos.DerivationOld, SecureServerPID, cfg.LocalSecurePassword)
		if err != nil {
			return nil, fmt.Errorf("proxy: secure key: %w", err)
		}
		s.secureKey = k
	} else {
		s.secureKey = make([]byte, 16)
		if _, err := rand.Read(s.secureKey); err != nil {
			return nil, fmt.Errorf("proxy: secure key: %w", err)
		}
	}
	for i := range cfg.Games {
		g, err := newGame(s, &cfg.Games[i])
		if err != nil {
			return nil, err
		}
		s.games = append(s.games, g)
		if g.reg != s.reg {
			s.rec.games[g.cfg.Name] = g.reg
		}
	}
	return s, nil
}

// Start opens every listener and begins accepting consoles. The server
// runs until Close (or until ctx ends).
func (s *Server) Start(ctx context.Context) error {
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if err := s.openListeners(ctx); err != nil {
		s.Close()
		return err
	}
	for _, l := range s.listeners {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.acceptLoop(l)
		}()
	}
	if ctx.Done() != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			select {
			case <-ctx.Done():
				go s.Close()
			case <-s.ctx.Done():
			}
		}()
	}
	return nil
}

// Close stops accepting, disconnects every console and upstream
// connection (with DISCONNECT), and waits for every goroutine.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	conns := make([]*liveConn, 0, len(s.running))
	for c := range s.running {
		conns = append(conns, c)
	}
	passed := s.passed
	s.passed = map[*accepted]struct{}{}
	s.mu.Unlock()
	for a := range passed {
		a.dropPassed()
	}
	for _, l := range s.listeners {
		_ = l.l.Close()
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.closeFn()
		}()
	}
	wg.Wait()
	s.relays.closeAll()
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	return nil
}

// track registers a connection pair for shutdown; it returns false when
// the server is already closing.
func (s *Server) track(c *liveConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.running[c] = struct{}{}
	return true
}

// Conns reports how many console connections are open.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.running)
}

// AuthAddr returns the bound address of a game's authentication listener
// (useful when the configuration asks for port 0).
func (s *Server) AuthAddr(game string) net.Addr {
	for _, g := range s.games {
		if g.cfg.Name == game && g.authL != nil {
			return g.authL.l.Addr()
		}
	}
	return nil
}

// SecureAddr returns the bound address of a game's secure listener.
func (s *Server) SecureAddr(game string) net.Addr {
	for _, g := range s.games {
		if g.cfg.Name == game && g.secureL != nil {
			return g.secureL.l.Addr()
		}
	}
	return nil
}

// advertiseHost is the host consoles reach nexproxy at.
func (s *Server) advertiseHost() string {
	if s.cfg.Advertise != "" {
		return s.cfg.Advertise
	}
	return "127.0.0.1"
}

func (s *Server) nextConnID() string {
	return strconv.FormatUint(s.connID.Add(1), 10)
}

// portOf returns the port of a bound address.
func portOf(a net.Addr) uint16 {
	if a == nil {
		return 0
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return 0
	}
	return ap.Port()
}

func errf(format string, args ...any) error { return fmt.Errorf("proxy: "+format, args...) }

// ConsoleSession returns the current secure session of pid in the named
// game on this instance, nil when the console is not connected here.
func (s *Server) ConsoleSession(game string, pid uint64) *rpc.Session {
	for _, g := range s.games {
		if g.cfg.Name == game {
			return g.consoles.session(pid)
		}
	}
	return nil
}
