// Package config turns config.toml (read through viper, with NEXPROXY_*
// environment overrides) into the typed, validated configuration that
// `nexproxy serve` runs and `nexproxy check` reports on.
package config

import (
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/kerberos"
	"github.com/nexproxy/nexproxy/prudp"
	"github.com/nexproxy/nexproxy/rmc"
)

// Config is the whole validated configuration.
type Config struct {
	// Advertise is the host that station URLs handed to consoles name: the
	// address at which consoles reach nexproxy.
	Advertise string
	Log       Log
	Scripts   Scripts
	// LocalSecurePassword derives nexproxy's own secure-server key (the key
	// of the internal tickets it issues, PID 2 "Quazal Rendez-Vous"). Empty
	// means a random key per process.
	LocalSecurePassword string
	Games               []Game
	Accounts            []Account
	// Metrics is the listen address of the Prometheus endpoint; "" = off.
	Metrics string
	// Store selects where the built-in services keep their state ([store]):
	// SQLite and files in a data folder by default, PostgreSQL, Redis and
	// S3 when configured. Its data_dir is resolved against the file's
	// folder.
	Store store.Config
	// Sections holds the decoded top-level tables of the registered
	// sections ([store]), by name; read one with SectionOf.
	Sections map[string]any
	// Warnings are settings that are valid but unusual enough to be a
	// likely mistake (an access key of an odd shape); check prints them
	// and serve logs them.
	Warnings Errors
}

// Log configures the process log and the per-session logs. Relative paths
// here and in Scripts and Game are resolved against the configuration
// file's folder by Load.
type Log struct {
	Level    string // debug, info, warn, error
	Format   string // auto, console, json
	Sessions string // directory for session logs; "" disables them
	Secrets  bool   // write passwords, keys and tickets into session logs
	PCAPNG   bool   // also write decrypted PRUDP traffic as pcapng
}

// Scripts configures the Lua hooks.
type Scripts struct {
	Dir     string        // folder of *.lua hooks; "" disables hooks
	Timeout time.Duration // per hook run
	Watch   bool          // reload on file change
}

// Game is one game served: its profile, listeners and upstream.
type Game struct {
	Name string
	// Title is the short name of the known title (internal/titles) the
	// game's title key named, "" when it named none.
	Title    string
	Platform string // preset the profile started from: friends, 3ds, wiiu, switch
	// AuthListen and SecureListen are host:port listen addresses. They may
	// be equal (Switch: one WebSocket server, auth on PRUDP port 1 and
	// secure on port 2). Several games may share an auth listener.
	AuthListen   string
	SecureListen string
	// Transport is TransportUDP or TransportWebSocket (Lite); TLSCert and
	// TLSKey make the WebSocket listener wss.
	Transport       string
	TLSCert, TLSKey string
	// Upstream is the upstream authentication server "host:port" (resolved
	// by nexproxy), or "local" to serve the game with the built-in handlers.
	Upstream string
	// UpstreamTLSInsecure skips certificate checks towards a wss upstream.
	UpstreamTLSInsecure bool

	PRUDP    prudp.Settings
	Kerberos kerberos.Settings
	RMC      rmc.Settings
	// StructHeaderAuto is set when struct_header was left to its default:
	// each connection then carries structure headers as StructHeaderRule
	// says for its negotiated minor version and the title's NEX version,
	// and RMC.StructHeader holds the value for the offered minor version.
	// Switch titles always use headers.
	StructHeaderAuto bool
	// ServerName is the build name the built-in authentication returns.
	ServerName string
	// Variants are the game-specific method sets the title uses (Mario
	// Kart 8's "mk8"): the schema's variants of its protocols replace the
	// base methods they redefine, for decoding, logs, hooks and services.
	Variants []string
	// Sections holds the decoded [games.<name>] tables of the registered
	// sections (the built-in services' settings), by name; read one with
	// SectionOf.
	Sections map[string]any

	// localServices are the choosable services a proxied game serves
	// itself ([games.protocols] name = "local").
	localServices map[string]bool
}

// ServesLocally reports whether nexproxy answers the named service's
// protocols for this game itself: always for a local game, and for a
// proxied game the services its [games.protocols] table sets to "local".
func (g *Game) ServesLocally(service string) bool {
	return g.Local() || g.localServices[service]
}

// SetServesLocally makes a proxied game serve a choosable service itself
// (what [games.protocols] name = "local" does); for tests and tools that
// build a Game without a file.
func (g *Game) SetServesLocally(service string) {
	if g.localServices == nil {
		g.localServices = map[string]bool{}
	}
	g.localServices[service] = true
}

// Local reports whether the game is served without an upstream.
func (g *Game) Local() bool { return g.Upstream == "local" }

// Account is a user known to nexproxy: for local logins, and to decrypt
// upstream tickets (full interception) when proxying.
type Account struct {
	PID      uint64
	Username string // defaults to the PID in decimal
	Password string // the NEX password
	Game     string // limit to one game; "" = every game
	// Builtin marks accounts that nexproxy knows without configuration
	// (the guest account); Load appends them after the configured ones.
	Builtin bool
}

// Transports a game can listen on.
const (
	TransportUDP       = "udp"
	TransportWebSocket = "websocket"
)

// Guest is the built-in guest account every NEX title knows (kerberos.md
// §1); a configured account with PID 100 for every game replaces it.
var Guest = Account{PID: 100, Username: "guest", Password: "MMQea3n!fsik", Builtin: true}

// Game returns the game named name.
func (c *Config) Game(name string) (*Game, bool) {
	for i := range c.Games {
		if c.Games[i].Name == name {
			return &c.Games[i], true
		}
	}
	return nil, false
}

// Account returns the account with PID pid that applies to game: an
// account limited to that game wins over one for every game.
func (c *Config) Account(game string, pid uint64) (Account, bool) {
	return c.findAccount(game, func(a *Account) bool { return a.PID == pid })
}

// AccountByName returns the account that logs in with username on game,
// with the same precedence as Account.
func (c *Config) AccountByName(game, username string) (Account, bool) {
	return c.findAccount(game, func(a *Account) bool { return a.Username == username })
}

func (c *Config) findAccount(game string, match func(*Account) bool) (Account, bool) {
	var any *Account
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if !match(a) {
			continue
		}
		if a.Game == game && game != "" {
			return *a, true
		}
		if a.Game == "" && any == nil {
			any = a
		}
	}
	if any != nil {
		return *any, true
	}
	return Account{}, false
}
