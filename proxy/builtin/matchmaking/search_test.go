package matchmaking

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	mm "github.com/nexproxy/nexproxy/rmc/protocols/matchmaking"
	"github.com/nexproxy/nexproxy/rmc/typed"
)

func TestParseSpan(t *testing.T) {
	for in, want := range map[string]span{
		"": {any: true}, " 5 ": {min: 5, max: 5}, "2,9": {min: 2, max: 9}, "4294967295": {min: 4294967295, max: 4294967295},
	} {
		if got, ok := parseSpan(in); !ok || got != want {
			t.Errorf("parseSpan(%q) = %+v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"x", "9,2", "1,", ",1", "-1", "4294967296", "1,2,3"} {
		if _, ok := parseSpan(in); ok {
			t.Errorf("parseSpan(%q) accepted", in)
		}
	}
}

// TestCriterionMatch: ranges, equality, index 1 never filtering and an
// unparsable field rejecting the criterion.
func TestCriterionMatch(t *testing.T) {
	c := mm.MatchmakeSessionSearchCriteria{}
	c.SetDefaults()
	c.Attribs = []string{"3,5", "99", "", "7"}
	c.GameMode, c.MaxParticipants = "2", "4,8"
	cr, err := parseCriterion(&c, false)
	if err != nil {
		t.Fatal(err)
	}
	g := store.Gathering{GameMode: 2, MaxParticipants: 4, Attributes: []uint32{4, 1, 0, 7}}
	if !cr.match(&g) {
		t.Error("no match")
	}
	for _, change := range []func(*store.Gathering){
		func(g *store.Gathering) { g.GameMode = 3 },
		func(g *store.Gathering) { g.MaxParticipants = 9 },
		func(g *store.Gathering) { g.Attributes[0] = 6 },
		func(g *store.Gathering) { g.Attributes = g.Attributes[:3] },
	} {
		h := g
		h.Attributes = append([]uint32(nil), g.Attributes...)
		change(&h)
		if cr.match(&h) {
			t.Errorf("matched %+v", h)
		}
	}
	c.MinParticipants = "nope"
	if _, err := parseCriterion(&c, false); err == nil || !strings.Contains(err.Error(), `min_participants "nope"`) {
		t.Errorf("bad field: %v", err)
	}
}

// FuzzCriterion: criteria strings come from the console; parsing and
// matching must never panic.
func FuzzCriterion(f *testing.F) {
	for _, s := range []string{"", "1", "1,2", "9,2", "x", ",", "4294967295,4294967295", " 3 , 4 "} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, mode string) {
		c := mm.MatchmakeSessionSearchCriteria{}
		c.SetDefaults()
		c.Attribs = []string{a, a, a}
		c.GameMode = mode
		c.MinParticipants, c.MaxParticipants, c.MatchmakeSystem = a, mode, a
		cr, err := parseCriterion(&c, true)
		if err != nil {
			return
		}
		g := store.Gathering{Attributes: []uint32{1, 2}}
		_ = cr.match(&g)
	})
}

// TestOrder: the selection methods' places (services.md §3.2).
func TestOrder(t *testing.T) {
	near := uint64(30)
	g := func(attr1 uint32, score uint8) *store.Gathering {
		return &store.Gathering{Attributes: []uint32{0, attr1}, ProgressScore: score}
	}
	for _, tc := range []struct {
		method   uint32
		progress int
		a, b     *store.Gathering // a must rank strictly before b
	}{
		{selectNearest, -1, g(28, 0), g(40, 0)},
		{selectBroadenRange, -1, g(33, 0), g(20, 0)},
		{selectProgressScore, -1, g(0, 90), g(0, 10)}, // browse: highest first
		{selectProgressScore, 25, g(0, 20), g(0, 90)}, // auto: nearest the searcher's
		{selectBroadenProgress, 25, g(30, 25), g(31, 26)},
	} {
		cr := &criterion{method: tc.method, near: &near}
		if cr.order(tc.a, tc.progress) >= cr.order(tc.b, tc.progress) {
			t.Errorf("method %d: %+v does not rank before %+v", tc.method, tc.a, tc.b)
		}
	}
	// The first criterion matched ranks before any place of a later one.
	crs := []*criterion{{mode: span{min: 2, max: 2}, method: selectNearest, near: &near}, {mode: span{any: true}}}
	first := &store.Gathering{GameMode: 2, Attributes: []uint32{0, 4000000000}}
	second := &store.Gathering{GameMode: 1, Attributes: []uint32{0, 30}}
	for _, cr := range crs {
		cr.minP, cr.maxP, cr.system = span{any: true}, span{any: true}, span{any: true}
	}
	if r := rankBy(crs, -1, nil); r(first) >= r(second) {
		t.Errorf("first criterion's match ranks %d, second's %d", r(first), r(second))
	}
}

// FuzzLikePattern: FindByDescriptionLike's pattern comes from the
// console; it must compile or be refused, never panic, and a pattern
// without wildcards matches exactly itself.
func FuzzLikePattern(f *testing.F) {
	for _, s := range []string{"", "%", "_", "a%b_c", "(", "[a-", "\\", "lobby one", "%%%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		re, err := likePattern(p)
		if err != nil {
			return
		}
		if !strings.ContainsAny(p, "%_") && utf8.ValidString(p) && !re.MatchString(p) {
			t.Errorf("%q does not match itself", p)
		}
	})
}

// TestAutoPool: an auto-matchmake runs in its session's game mode and
// system only when every criterion pins both to them.
func TestAutoPool(t *testing.T) {
	ms := &mm.MatchmakeSession{}
	ms.GameMode, ms.MatchmakeSystem = 3, 1
	crit := func(mode, system string) *criterion {
		cr, err := parseCriterion(&mm.MatchmakeSessionSearchCriteria{GameMode: mode, MatchmakeSystem: system}, false)
		if err != nil {
			t.Fatalf("criterion %q %q does not parse", mode, system)
		}
		return cr
	}
	const pinned = "mode=3 system=1"
	for _, tc := range []struct {
		crits []*criterion
		want  string
	}{
		{nil, pinned},
		{[]*criterion{crit("3", "1")}, pinned},
		{[]*criterion{crit("3", "1"), crit("3", "1")}, pinned},
		{[]*criterion{crit("", "1")}, ""},
		{[]*criterion{crit("3", "")}, ""},
		{[]*criterion{crit("2,3", "1")}, ""},
		{[]*criterion{crit("3", "1"), crit("4", "1")}, ""},
	} {
		if got := autoPool(ms, tc.crits); got != tc.want {
			t.Errorf("%d criteria: pool %q, want %q", len(tc.crits), got, tc.want)
		}
	}
}

// FuzzStoredSession: a stored session's Extra holds the MatchmakeSession
// a console sent (its MatchmakeParam included), re-encoded. Whatever it
// holds, reading it back never panics, the server's own entries never
// reach the console's copy, and a session that decodes re-encodes to
// bytes that decode to the same session.
func FuzzStoredSession(f *testing.F) {
	for _, flags := range []uint8{0, 3, 7} {
		set := storedSettings(flags)
		ms := &mm.MatchmakeSession{}
		ms.SetDefaults()
		ms.GameMode, ms.MinParticipants, ms.MaxParticipants, ms.Attribs = 2, 2, 8, []uint32{1, 2, 3, 4, 5, 6}
		ms.Description, ms.ApplicationData = "lobby", []byte{1, 2, 3}
		ms.Param.Params.Set("@SR", rmc.Variant{Type: rmc.VariantBool, Value: true})
		ms.Param.Params.Set("@GIR", rmc.VariantOfInt(geoIPUnused))
		extra := toStore(ms, set).Extra
		f.Add(flags, extra)
		f.Add(flags, extra[:len(extra)/2])
		ms.Param.Params.Set(systemPasswordKey, rmc.Variant{Type: rmc.VariantString, Value: "secret"})
		extra = toStore(ms, set).Extra
		f.Add(flags, extra)
		f.Add(flags, extra[:len(extra)-1])
		pg := mm.NewPersistentGathering()
		pg.Password = "pw"
		e := typed.NewEncoder(set)
		pg.EncodeTo(e)
		if b, err := e.Close(nil, "PersistentGathering"); err == nil {
			f.Add(flags, b)
		}
	}
	f.Add(uint8(0), []byte{})
	f.Fuzz(func(t *testing.T, flags uint8, extra []byte) {
		set := storedSettings(flags)
		g := store.Gathering{Extra: extra, MaxParticipants: 8}
		ms := fromStore(&g, set)
		if _, ok := ms.Param.Params.Get(systemPasswordKey); ok {
			t.Fatal("the system password reached the console's copy")
		}
		pw := storedSystemPassword(&g, set)
		_ = decodePersistent(&store.Gathering{Kind: store.KindPersistent, Extra: extra}, set)
		raw, ok := rawSession(&g, set)
		if !ok {
			return
		}
		u := toStore(raw, set)
		if len(u.Extra) == 0 {
			t.Fatalf("decoded session does not re-encode: %x", extra)
		}
		raw2, ok := rawSession(&u, set)
		if !ok {
			t.Fatalf("re-encoded session does not decode: %x", u.Extra)
		}
		if again := toStore(raw2, set).Extra; !bytes.Equal(again, u.Extra) {
			t.Fatalf("re-encoding unstable:\n%x\n%x", u.Extra, again)
		}
		if storedSystemPassword(&u, set) != pw {
			t.Fatal("the system password changed by re-encoding")
		}
	})
}

// storedSettings maps one byte onto the settings stored sessions are
// encoded with: bit 0 structure headers, bit 1 the PID size, bit 2 NEX 4.
func storedSettings(flags uint8) rmc.Settings {
	s := rmc.Settings{PIDSize: 4, StructHeader: flags&1 != 0, NEXVersion: 30500}
	if flags&2 != 0 {
		s.PIDSize = 8
	}
	if flags&4 != 0 {
		s.NEXVersion = 40600
	}
	return s
}

// TestSetColumns: the column filters the store evaluates keep every
// session a criterion matches (one criterion, or the union of several),
// whatever the criteria: empty fields, ranges, the ends of the 32-bit and
// 16-bit ranges, unparsable ones (left out, as criterion does). They are
// set whenever every criterion restricts the column, participant counts
// within 16 bits.
func TestSetColumns(t *testing.T) {
	vals := []string{"", "0", "2", "1,3", " 3 , 3 ", "65535", "65536,70000", "4294967295", "0,4294967295", "x"}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return vals[rng.IntN(len(vals))] }
	var gs []store.Gathering
	for _, mode := range []uint32{0, 1, 2, 3, 65535, 4294967295} {
		for _, system := range []uint32{0, 2, 3, 4294967295} {
			for _, minP := range []uint16{0, 2, 3, 65535} {
				for _, maxP := range []uint16{0, 1, 3, 65535} {
					for _, host := range []uint64{0, 7} {
						gs = append(gs, store.Gathering{GameMode: mode, MatchmakeSystem: system, MinParticipants: minP, MaxParticipants: maxP, Host: host})
					}
				}
			}
		}
	}
	for range 300 {
		var crits []*criterion
		for range 1 + rng.IntN(3) {
			c := mm.MatchmakeSessionSearchCriteria{GameMode: pick(), MatchmakeSystem: pick(), MinParticipants: pick(),
				MaxParticipants: pick(), ExcludeNonHostPID: rng.IntN(2) == 0}
			if cr, err := parseCriterion(&c, false); err == nil {
				crits = append(crits, cr)
			}
		}
		var q store.GatheringQuery
		setColumns(&q, crits)
		for i := range gs {
			g := &gs[i]
			if slices.ContainsFunc(crits, func(cr *criterion) bool { return cr.match(g) }) && !q.ColumnsMatch(g) {
				t.Fatalf("%+v: drops %+v, which a criterion matches", q, g)
			}
		}
	}

	crit := func(mode, system string, host bool) *criterion {
		cr, err := parseCriterion(&mm.MatchmakeSessionSearchCriteria{GameMode: mode, MatchmakeSystem: system, MaxParticipants: "4", ExcludeNonHostPID: host}, false)
		if err != nil {
			t.Fatal(err)
		}
		return cr
	}
	var q store.GatheringQuery
	setColumns(&q, []*criterion{crit("1", "", true), crit("3,5", "2", true)})
	if q.GameMode == nil || *q.GameMode != (store.Span{Min: 1, Max: 5}) || q.MatchmakeSystem != nil || q.MinParticipants != nil ||
		q.MaxParticipants == nil || *q.MaxParticipants != (store.Span{Min: 4, Max: 4}) || !q.HostOnly {
		t.Errorf("two criteria: %+v", q)
	}
	q = store.GatheringQuery{}
	setColumns(&q, []*criterion{crit("1", "2", true), crit("1", "2", false)})
	if q.HostOnly || q.GameMode == nil || *q.GameMode != (store.Span{Min: 1, Max: 1}) {
		t.Errorf("one criterion without host: %+v", q)
	}
}
