package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/viper"

	"github.com/nexproxy/nexproxy/internal/store"
)

// DefaultScriptTimeout is how long one hook may run when scripts.timeout is
// not set: long enough for any sane hook, short enough that a runaway loop
// costs one late RMC answer rather than a console timeout.
const DefaultScriptTimeout = 50 * time.Millisecond

// EnvPrefix prefixes every environment override: NEXPROXY_LOG_LEVEL
// overrides log.level.
const EnvPrefix = "NEXPROXY"

// Load builds the typed configuration from v (config.toml already read,
// with NEXPROXY_* overrides) in one pass: every game starts from its
// platform preset and applies the overrides of [games.prudp],
// [games.kerberos] and [games.rmc]. It reports every problem at once as
// Errors, each naming its key; unknown keys are problems too. NEXPROXY_*
// environment variables override keys at any depth (see env.go); one that
// names no key is a problem like a misspelt key in the file.
func Load(v *viper.Viper) (*Config, error) {
	base := ""
	if f := v.ConfigFileUsed(); f != "" {
		base = filepath.Dir(f)
	}
	m := v.AllSettings()
	envErrs, origins := applyEnv(m, environ())
	cfg, err := decode(m, base)
	var errs Errors
	if err != nil {
		var ok bool
		if errs, ok = err.(Errors); !ok {
			return nil, err
		}
	}
	// A key that came from the environment is reported by its variable.
	for _, fe := range errs {
		if name, ok := origins[fe.Key]; ok {
			fe.Msg += " (set by " + name + ")"
		}
	}
	errs = append(envErrs, errs...)
	if len(errs) > 0 {
		return nil, errs
	}
	return cfg, nil
}

// LoadFile reads a TOML file the way `nexproxy` does (NEXPROXY_* overrides
// included) and loads it.
func LoadFile(path string) (*Config, error) {
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("toml")
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	return Load(v)
}

// LoadTOML loads configuration text without any environment override; it
// serves tests and tools that build configurations in memory.
func LoadTOML(text string) (*Config, error) {
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(strings.NewReader(text)); err != nil {
		return nil, fmt.Errorf("config: parse: %w", err)
	}
	return decode(v.AllSettings(), "")
}

// decode walks the settings tree once, filling a Config and collecting
// every problem. Relative paths in the file are taken relative to base,
// the configuration file's folder ("" = the working directory), so that
// `nexproxy -c /etc/nexproxy/config.toml` finds its hooks wherever it is
// started from.
func decode(m map[string]any, base string) (*Config, error) {
	errs := &errList{}
	root := newTable("", m, errs)
	cfg := &Config{
		Log:     Log{Level: "info", Format: "auto"},
		Scripts: Scripts{Timeout: DefaultScriptTimeout},
	}
	root.str("advertise", &cfg.Advertise)
	if msg := checkAdvertise(cfg.Advertise); msg != "" {
		root.bad("advertise", "%s", msg)
	}
	root.str("local_secure_password", &cfg.LocalSecurePassword)
	if root.str("metrics", &cfg.Metrics) && cfg.Metrics != "" {
		if msg := checkListen(cfg.Metrics); msg != "" {
			root.bad("metrics", "%s", msg)
		}
	}
	if t := root.sub("log"); t != nil {
		decodeLog(t, &cfg.Log)
	}
	cfg.Log.Sessions = resolve(base, cfg.Log.Sessions)
	if t := root.sub("scripts"); t != nil {
		decodeScripts(t, &cfg.Scripts)
	}
	cfg.Scripts.Dir = resolve(base, cfg.Scripts.Dir)
	var gamePaths []string
	for _, t := range root.list("games") {
		cfg.Games = append(cfg.Games, decodeGame(t, base))
		gamePaths = append(gamePaths, t.path)
	}
	var accountPaths []string
	for _, t := range root.list("accounts") {
		cfg.Accounts = append(cfg.Accounts, decodeAccount(t))
		accountPaths = append(accountPaths, t.path)
	}
	cfg.Store = decodeStore(root, base)
	cfg.Sections = decodeSections(root, sections.top, base)
	if g, present := m["games"]; !present || isEmptyList(g) {
		// A games key of the wrong shape was reported by list already.
		errs.add("games", "at least one [[games]] entry is required")
	}
	root.finish()

	validateListeners(cfg, gamePaths, errs)
	validateGameNames(cfg, gamePaths, errs)
	validateAccounts(cfg, accountPaths, errs)
	if len(errs.errs) > 0 {
		nameGames(errs.errs, cfg.Games, gamePaths)
		return nil, errs.errs
	}
	nameGames(errs.warnings, cfg.Games, gamePaths)
	cfg.Warnings = errs.warnings
	addBuiltinAccounts(cfg)
	return cfg, nil
}

func decodeLog(t *table, l *Log) {
	if t.str("level", &l.Level) {
		switch l.Level {
		case "debug", "info", "warn", "error":
		default:
			t.bad("level", "%q is not a level (want debug, info, warn or error)", l.Level)
		}
	}
	if t.str("format", &l.Format) {
		switch l.Format {
		case "auto", "console", "json":
		default:
			t.bad("format", "%q is not a format (want auto, console or json)", l.Format)
		}
	}
	t.str("sessions", &l.Sessions)
	t.boolean("secrets", &l.Secrets)
	t.boolean("pcapng", &l.PCAPNG)
	if l.PCAPNG && l.Sessions == "" {
		t.bad("pcapng", "needs log.sessions: capture files are written beside the session logs")
	}
	t.finish()
}

func decodeScripts(t *table, s *Scripts) {
	t.str("dir", &s.Dir)
	if t.duration("timeout", &s.Timeout) && s.Timeout <= 0 {
		t.bad("timeout", "must be positive, not %s", s.Timeout)
	}
	t.boolean("watch", &s.Watch)
	if s.Watch && s.Dir == "" {
		t.bad("watch", "needs scripts.dir")
	}
	t.finish()
}

// addBuiltinAccounts appends the accounts every NEX server knows unless the
// configuration already defines them for every game.
func addBuiltinAccounts(cfg *Config) {
	for _, a := range cfg.Accounts {
		if a.Game == "" && (a.PID == Guest.PID || a.Username == Guest.Username) {
			return
		}
	}
	cfg.Accounts = append(cfg.Accounts, Guest)
}

func isEmptyList(v any) bool {
	switch l := v.(type) {
	case nil:
		return true
	case []any:
		return len(l) == 0
	case []map[string]any:
		return len(l) == 0
	}
	return false
}

// resolve makes a relative path relative to base; "" stays "" (off).
func resolve(base, path string) string {
	if path == "" || base == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(base, path)
}

// nameGames rewrites the keys of problems inside a game from its position
// to its name ("games[1].access_key" → "games[wiiu].access_key"): a user
// finds a game in a long file by name. A game without a valid, unique name
// keeps its position.
func nameGames(errs Errors, games []Game, paths []string) {
	count := map[string]int{}
	for _, g := range games {
		count[g.Name]++
	}
	for i, g := range games {
		if g.Name == "" || count[g.Name] > 1 || !validName(g.Name) || i >= len(paths) {
			continue
		}
		named := "games[" + g.Name + "]"
		for _, fe := range errs {
			// A path ends with its bracket, so "games[1]" never matches
			// inside "games[10]".
			fe.Key = strings.ReplaceAll(fe.Key, paths[i], named)
			fe.Msg = strings.ReplaceAll(fe.Msg, paths[i], named)
		}
	}
}

// decodeStore reads [store] over the store's defaults and checks it.
func decodeStore(root *table, base string) store.Config {
	sc := store.DefaultConfig()
	if raw, present := root.get("store"); present {
		m, isMap := raw.(map[string]any)
		if !isMap {
			root.bad("store", "must be a table ([store]), not %s", describe(raw))
		} else {
			decodeInto("store", m, &sc, root.errs)
		}
	}
	sc.DataDir = resolve(base, sc.DataDir)
	if sc.SQLite.Path != "" {
		sc.SQLite.Path = resolve(base, sc.SQLite.Path)
	}
	for _, err := range sc.Validate() {
		// The store names each problem "store.key: message".
		key, msg, ok := strings.Cut(err.Error(), ": ")
		if !ok {
			key, msg = "store", err.Error()
		}
		root.errs.add(key, "%s", msg)
	}
	return sc
}
