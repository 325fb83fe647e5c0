package config

import (
	"fmt"
	"strconv"
)

// validateGameNames reports a game name used twice: accounts, session logs
// and metrics all refer to games by name.
func validateGameNames(cfg *Config, paths []string, errs *errList) {
	first := map[string]int{}
	for i, g := range cfg.Games {
		if g.Name == "" {
			continue
		}
		if j, dup := first[g.Name]; dup {
			errs.add(paths[i]+".name", "%q is already the name of %s", g.Name, paths[j])
			continue
		}
		first[g.Name] = i
	}
}

// listener is one address a game listens on, for clash detection.
type listener struct {
	game  int
	key   string // "games[1].auth_listen"
	addr  string
	at    listenKey
	trans string
	cert  string
}

// validateListeners checks listen addresses across games. Games may share
// a listener (the first SYN's signature tells which access key a console
// uses), but only when they agree on what that listener is: the same
// address spelling, the same transport, the same certificate, and
// different access keys.
func validateListeners(cfg *Config, paths []string, errs *errList) {
	var ls []listener
	for i, g := range cfg.Games {
		for _, l := range []struct{ key, addr string }{{"auth_listen", g.AuthListen}, {"secure_listen", g.SecureListen}} {
			if l.key == "secure_listen" && g.SecureListen == g.AuthListen {
				continue
			}
			at, ok := parseListenKey(l.addr)
			if !ok || checkListen(l.addr) != "" {
				continue // already reported on the game
			}
			ls = append(ls, listener{game: i, key: paths[i] + "." + l.key, addr: l.addr, at: at, trans: g.Transport, cert: g.TLSCert})
		}
	}
	for j := range ls {
		b := &ls[j]
		for i := 0; i < j; i++ {
			a := &ls[i]
			if !a.at.overlaps(b.at) {
				continue
			}
			if a.at != b.at {
				errs.add(b.key, "%q overlaps %s %q: listeners that share a port must use the same address", b.addr, a.key, a.addr)
				break
			}
			if a.trans != b.trans {
				errs.add(b.key, "%q is also %s with transport %q: one address serves one transport", b.addr, a.key, a.trans)
				break
			}
			if a.cert != b.cert {
				errs.add(b.key, "%q is also %s with another tls_cert: a shared listener has one certificate", b.addr, a.key)
				break
			}
			ga, gb := &cfg.Games[a.game], &cfg.Games[b.game]
			if a.game != b.game && ga.PRUDP.AccessKey == gb.PRUDP.AccessKey {
				errs.add(paths[b.game]+".access_key", "%q is also the access key of %s, which shares listener %q: the listener could not tell the games apart", gb.PRUDP.AccessKey, paths[a.game], b.addr)
				break
			}
		}
	}
}

// decodeAccount reads one [[accounts]] entry.
func decodeAccount(t *table) Account {
	var a Account
	if t.uint64Into("pid", &a.PID) {
		if a.PID == 0 {
			t.bad("pid", "must not be 0 (PID 0 means nobody)")
		}
	} else if _, present := t.m["pid"]; !present {
		t.bad("pid", "required")
	}
	if !t.str("username", &a.Username) || a.Username == "" {
		// Normal users log in with their PID written in decimal.
		a.Username = strconv.FormatUint(a.PID, 10)
	}
	if !t.str("password", &a.Password) {
		if _, present := t.m["password"]; !present {
			t.bad("password", "required (the account's NEX password)")
		}
	} else if a.Password == "" {
		t.bad("password", "must not be empty")
	}
	t.str("game", &a.Game)
	t.finish()
	return a
}

// validateAccounts checks accounts against the games and each other. The
// same PID may appear once for every game and once per single game (the
// single-game entry wins there), never twice in one scope.
func validateAccounts(cfg *Config, paths []string, errs *errList) {
	type scoped struct{ game, id string }
	byPID := map[scoped]int{}
	byName := map[scoped]int{}
	for i, a := range cfg.Accounts {
		if a.Game != "" {
			g, ok := cfg.Game(a.Game)
			if !ok {
				errs.add(paths[i]+".game", "no game is named %q", a.Game)
			} else if g.Kerberos.PIDSize == 4 && a.PID > 1<<32-1 {
				errs.add(paths[i]+".pid", "%d does not fit the 4-byte PIDs of game %q", a.PID, a.Game)
			}
		}
		if a.PID != 0 {
			k := scoped{a.Game, strconv.FormatUint(a.PID, 10)}
			if j, dup := byPID[k]; dup {
				errs.add(paths[i]+".pid", "%d is already %s%s", a.PID, paths[j], scopeText(a.Game))
			} else {
				byPID[k] = i
			}
		}
		k := scoped{a.Game, a.Username}
		if j, dup := byName[k]; dup && a.PID != 0 {
			errs.add(paths[i]+".username", "%q is already %s%s", a.Username, paths[j], scopeText(a.Game))
		} else if !dup {
			byName[k] = i
		}
	}
}

func scopeText(game string) string {
	if game == "" {
		return " (both for every game)"
	}
	return fmt.Sprintf(" (both for game %q)", game)
}
