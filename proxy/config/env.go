package config

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Environment overrides. Every key of config.toml can be set from the
// environment as NEXPROXY_ plus its path in capitals, dots and array
// positions as underscores: NEXPROXY_LOG_LEVEL is log.level,
// NEXPROXY_GAMES_0_ACCESS_KEY is games[0].access_key, and a game may be
// named instead of numbered (NEXPROXY_GAMES_WIIU_PRUDP_RESEND_LIMIT). A
// key's own underscores are ambiguous with the separators, so the path is
// resolved against the tables the configuration has (log, scripts, games,
// prudp, the registered sections, ...): the words that name no table are
// the key. A variable that names no key is reported like a misspelt key
// in the file, with the variable's name.

// nonConfigEnv are NEXPROXY_* variables that are not configuration keys:
// test switches (see the README).
var nonConfigEnv = []string{"NEXPROXY_VECTORS", "NEXPROXY_INTEROP", "NEXPROXY_TEST_"}

// tablesAt lists the tables that may sit at a path (path without indexes).
func tablesAt(path string) map[string]bool {
	out := map[string]bool{}
	switch path {
	case "":
		for _, k := range []string{"log", "scripts", "games", "accounts", "store"} {
			out[k] = true
		}
		for _, s := range sectionList(sections.top) {
			out[s.Name] = true
		}
	case "store":
		for _, k := range []string{"backends", "sqlite", "postgres", "redis", "s3"} {
			out[k] = true
		}
	case "games":
		for _, k := range []string{"prudp", "kerberos", "rmc", "protocols"} {
			out[k] = true
		}
		for _, s := range sectionList(sections.game) {
			out[s.Name] = true
		}
	}
	return out
}

// applyEnv writes every NEXPROXY_* variable of environ into the settings
// tree m and returns the problems (variables that name nothing) and the
// variable behind each key it set, by key ("games[0].access_key" and
// "games[wiiu].access_key" alike), so that a misspelt variable is reported
// by its name.
func applyEnv(m map[string]any, environ []string) (Errors, map[string]string) {
	var errs Errors
	origins := map[string]string{}
	sort.Strings(environ)
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix+"_") || isNonConfigEnv(name) {
			continue
		}
		words := strings.Split(strings.ToLower(strings.TrimPrefix(name, EnvPrefix+"_")), "_")
		keys, err := setEnv(m, "", []string{""}, words, value)
		if err != "" {
			errs = append(errs, &FieldError{Key: name, Msg: err})
		}
		for _, k := range keys {
			origins[k] = name
		}
	}
	return errs, origins
}

func isNonConfigEnv(name string) bool {
	for _, p := range nonConfigEnv {
		if name == p || strings.HasSuffix(p, "_") && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// setEnv resolves words below the table m (at schema path path, and at the
// key paths keys, one per spelling) and sets the value; it returns the
// keys set, or a problem.
func setEnv(m map[string]any, path string, keys, words []string, value string) ([]string, string) {
	if len(words) == 0 || words[0] == "" {
		return nil, "names no key"
	}
	tables := tablesAt(path)
	// The longest run of words that names a table of this level wins
	// ("games" before "g"), then the rest resolves inside it.
	for n := len(words) - 1; n >= 1; n-- {
		k := strings.Join(words[:n], "_")
		if !tables[k] {
			continue
		}
		if k == "games" || k == "accounts" {
			return setInArray(m, k, words[n:], value)
		}
		sub, ok := m[k].(map[string]any)
		if !ok {
			if m[k] != nil {
				return nil, fmt.Sprintf("%s is not a table in the file", joinKey(path, k))
			}
			sub = map[string]any{}
			m[k] = sub
		}
		return setEnv(sub, joinKey(path, k), joinKeys(keys, k), words[n:], value)
	}
	// No table: the words are the key. Whether it exists is the decoder's
	// to say (it knows every key); Load names the variable in its report.
	leaf := strings.Join(words, "_")
	m[leaf] = value
	return joinKeys(keys, leaf), ""
}

func joinKeys(keys []string, k string) []string {
	out := make([]string, len(keys))
	for i, p := range keys {
		out[i] = joinKey(p, k)
	}
	return out
}

// setInArray resolves the entry of [[k]] named by the first words (a
// position, or for games a name) and sets the rest inside it.
func setInArray(m map[string]any, k string, words []string, value string) ([]string, string) {
	items, _ := m[k].([]any)
	if ms, ok := m[k].([]map[string]any); ok {
		for _, x := range ms {
			items = append(items, x)
		}
		m[k] = items
	}
	if len(words) < 2 {
		return nil, fmt.Sprintf("names [[%s]] but no entry and key", k)
	}
	// keysOf spells entry i of the array both ways errors may name it.
	keysOf := func(i int, entry map[string]any) []string {
		keys := []string{fmt.Sprintf("%s[%d]", k, i)}
		if name, _ := entry["name"].(string); name != "" {
			keys = append(keys, k+"["+name+"]")
		}
		return keys
	}
	if i, err := strconv.Atoi(words[0]); err == nil {
		if i < 0 || i >= len(items) {
			return nil, fmt.Sprintf("%s[%d] does not exist (the file has %d)", k, i, len(items))
		}
		entry, ok := items[i].(map[string]any)
		if !ok {
			return nil, fmt.Sprintf("%s[%d] is not a table", k, i)
		}
		return setEnv(entry, k, keysOf(i, entry), words[1:], value)
	}
	if k != "games" {
		return nil, fmt.Sprintf("%s entries are named by position (%s_0_...)", k, strings.ToUpper(EnvPrefix+"_"+k))
	}
	// A game by name: the longest run of words that spells a game's name
	// (its non-alphanumerics read as underscores).
	for n := len(words) - 1; n >= 1; n-- {
		want := strings.Join(words[:n], "_")
		for i, it := range items {
			entry, ok := it.(map[string]any)
			if !ok {
				continue
			}
			if envWord(gameName(entry)) == want {
				return setEnv(entry, k, keysOf(i, entry), words[n:], value)
			}
		}
	}
	return nil, fmt.Sprintf("no game is named %q (name games by position or by name)", words[0])
}

// envWord is how a name is spelt in a variable name, lower-cased.
func envWord(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// environ is os.Environ, replaced by tests.
var environ = os.Environ

// EnvName returns the environment variable that overrides a key without
// array positions ("log.level" → "NEXPROXY_LOG_LEVEL").
func EnvName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
}
