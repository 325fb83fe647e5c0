package config

import (
	"maps"

	"github.com/nexproxy/nexproxy/internal/titles"
)

// applyTitle fills in what a game's title key names: a known title (by
// short name or game server id) supplies name, platform, access_key,
// variants, rmc.nex_version and the [games.prudp] keys where the title
// departs from its platform preset. The game's own keys win, key by key,
// inside nested tables too, so any of them stays overridable; everything
// is then decoded and checked as if the game had spelt it out. It
// reports false when the title key is there but names no known title.
func applyTitle(t *table, g *Game) bool {
	raw, ok := t.get("title")
	if !ok {
		return true
	}
	name, isStr := raw.(string)
	if !isStr {
		t.bad("title", "must be a string (a short name such as \"mk8\" or a game server id such as \"0x1010EB00\"), not %s", describe(raw))
		return false
	}
	ti, found := titles.Lookup(name)
	if !found {
		t.bad("title", "%q is not a known title: name one by its short name or game server id (`nexproxy games` lists them)", name)
		return false
	}
	g.Title = ti.Short
	t.m = mergeOver(titleSettings(ti), t.m)
	return true
}

// titleSettings is a known title written as the keys of a [[games]] table.
func titleSettings(ti titles.Title) map[string]any {
	m := map[string]any{
		"name":       ti.Short,
		"platform":   ti.Platform,
		"access_key": ti.AccessKey,
		"rmc":        map[string]any{"nex_version": int64(ti.NEXVersion())},
	}
	if len(ti.Variants) > 0 {
		vs := make([]any, len(ti.Variants))
		for i, v := range ti.Variants {
			vs[i] = v
		}
		m["variants"] = vs
	}
	p := map[string]any{}
	if ti.PRUDP.Variant != "" {
		p["variant"] = ti.PRUDP.Variant
	}
	if ti.PRUDP.MinorVersion != 0 {
		p["minor_version"] = int64(ti.PRUDP.MinorVersion)
	}
	if len(p) > 0 {
		m["prudp"] = p
	}
	return m
}

// mergeOver returns base with over's keys laid on top: a key both hold as
// tables is merged the same way, any other key of over replaces base's.
// Neither argument is modified.
func mergeOver(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	for k, ov := range over {
		bm, baseIsMap := out[k].(map[string]any)
		om, overIsMap := ov.(map[string]any)
		if baseIsMap && overIsMap {
			out[k] = mergeOver(bm, om)
			continue
		}
		out[k] = ov
	}
	return out
}

// gameName is the name of a [[games]] table before decoding: its name
// key, or the short name of the known title it names.
func gameName(entry map[string]any) string {
	if name, ok := entry["name"].(string); ok {
		return name
	}
	if s, ok := entry["title"].(string); ok {
		if ti, found := titles.Lookup(s); found {
			return ti.Short
		}
	}
	return ""
}
