package schema

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
)

// sampleTree is an AutoMatchmakeWithSearchCriteria_Postpone request with two
// search criteria and a MatchmakeSession in the holder.
var nex38 = rmc.Settings{PIDSize: 4, StructHeader: true, NEXVersion: 30810}

func sampleTree(t *testing.T) *Value {
	t.Helper()
	m := method(t, "MatchmakeExtension", "AutoMatchmakeWithSearchCriteria_Postpone")
	v := m.NewRequest(nex38)
	crit, err := Default().New("MatchmakeSessionSearchCriteria", nex38)
	if err != nil {
		t.Fatal(err)
	}
	sc := mustGet(t, v, "search_criteria")
	sc.Items = append(sc.Items, crit, crit.Clone())
	sess, _ := Default().New("MatchmakeSession", nex38)
	g := mustGet(t, v, "gathering")
	g.Class, g.Items = "MatchmakeSession", []*Value{sess}
	return v
}

func TestGet(t *testing.T) {
	v := sampleTree(t)
	for _, tc := range []struct {
		path string
		kind Kind
	}{
		{"", KindStruct},
		{"message", KindString},
		{"gathering", KindAnyData},
		{"gathering.max_participants", KindU16},
		{"gathering.attribs", KindList},
		{"gathering.attribs[5]", KindU32},
		{"search_criteria[1].attribs[0]", KindString},
		{"search_criteria[0].vacant_participants", KindU16},
	} {
		x, err := v.Get(tc.path)
		if err != nil {
			t.Errorf("%q: %v", tc.path, err)
			continue
		}
		if x.Kind != tc.kind {
			t.Errorf("%q: kind %s, want %s", tc.path, x.Kind, tc.kind)
		}
	}
	for _, tc := range []struct {
		path string
		want error
	}{
		{"gathering..id", ErrBadPath},
		{".gathering", ErrBadPath},
		{"gathering.", ErrBadPath},
		{"attribs[", ErrBadPath},
		{"attribs[]", ErrBadPath},
		{"attribs[-1]", ErrBadPath},
		{"attribs[x]", ErrBadPath},
		{"search_criteria[0]x", ErrBadPath},
		{"a]b", ErrBadPath},
		{"nothing", ErrNotFound},
		{"gathering.nothing", ErrNotFound},
		{"search_criteria[2]", ErrIndex},
		{"gathering.attribs[6]", ErrIndex},
		{"message[0]", ErrType},
		{"message.x", ErrType},
		{"gathering[0]", ErrType},
	} {
		if _, err := v.Get(tc.path); !errors.Is(err, tc.want) {
			t.Errorf("%q: err %v, want %v", tc.path, err, tc.want)
		}
	}
}

func TestSet(t *testing.T) {
	v := sampleTree(t)
	ok := []struct {
		path string
		x    any
		get  func(*Value) any
		want any
	}{
		{"gathering.max_participants", 8, func(v *Value) any { return v.Uint }, uint64(8)},
		{"gathering.max_participants", float64(12), func(v *Value) any { return v.Uint }, uint64(12)},
		{"gathering.owner", "18446744073709551615", func(v *Value) any { return v.Uint }, uint64(math.MaxUint64)},
		{"gathering.owner", "4294967295", func(v *Value) any { return v.Uint }, uint64(math.MaxUint32)},
		{"gathering.open_participation", false, func(v *Value) any { return v.Bool }, false},
		{"gathering.description", "hello", func(v *Value) any { return v.Str }, "hello"},
		{"gathering.application_data", []byte{1, 2}, func(v *Value) any { return string(v.Bytes) }, "\x01\x02"},
		{"gathering.started_time", rmc.DateTime(0x1F40420000), func(v *Value) any { return v.Uint }, uint64(0x1F40420000)},
		{"message", []byte("m"), func(v *Value) any { return v.Str }, "m"},
		{"search_criteria[0].attribs[2]", "7", func(v *Value) any { return v.Str }, "7"},
	}
	for _, tc := range ok {
		if err := v.Set(tc.path, tc.x); err != nil {
			t.Errorf("set %q: %v", tc.path, err)
			continue
		}
		if got := tc.get(mustGet(t, v, tc.path)); got != tc.want {
			t.Errorf("%q = %v, want %v", tc.path, got, tc.want)
		}
	}
	bad := []struct {
		path string
		x    any
		want error
	}{
		{"gathering.max_participants", 70000, ErrOverflow},
		{"gathering.max_participants", -1, ErrOverflow},
		{"gathering.max_participants", 1.5, ErrType},
		{"gathering.max_participants", "x", ErrType},
		{"gathering.max_participants", true, ErrType},
		{"gathering.open_participation", 1, ErrType},
		{"gathering.description", 5, ErrType},
		{"gathering.description", strings.Repeat("x", 70000), ErrOverflow},
		{"gathering.attribs", 1, ErrType},
		{"gathering.nothing", 1, ErrNotFound},
		{"search_criteria[9]", 1, ErrIndex},
		{"gathering..x", 1, ErrBadPath},
		{"gathering", nil, ErrType},
	}
	for _, tc := range bad {
		if err := v.Set(tc.path, tc.x); !errors.Is(err, tc.want) {
			t.Errorf("set %q = %v: err %v, want %v", tc.path, tc.x, err, tc.want)
		}
	}
	// the tree still encodes after all edits
	m := method(t, "MatchmakeExtension", "AutoMatchmakeWithSearchCriteria_Postpone")
	b, err := m.EncodeRequest(v, nex38)
	if err != nil {
		t.Fatal(err)
	}
	d := roundTrip(t, m, true, b, nex38)
	if mustGet(t, d, "gathering.max_participants").Uint != 12 || mustGet(t, d, "gathering.description").Str != "hello" {
		t.Error("edits lost")
	}
}

func TestSetNumericRanges(t *testing.T) {
	mk := func(k Kind) *Value { return &Value{Kind: k, Type: k.String()} }
	for _, tc := range []struct {
		k    Kind
		x    any
		fail bool
	}{
		{KindS8, -128, false},
		{KindS8, -129, true},
		{KindS8, 127, false},
		{KindS8, 128, true},
		{KindS16, int16(math.MinInt16), false},
		{KindS32, int64(math.MaxInt32) + 1, true},
		{KindS64, int64(math.MinInt64), false},
		{KindS64, uint64(math.MaxInt64) + 1, true},
		{KindS64, "-9223372036854775808", false},
		{KindU8, uint8(255), false},
		{KindU32, uint64(math.MaxUint32) + 1, true},
		{KindU64, uint64(math.MaxUint64), false},
		{KindU64, 1e20, true},
		{KindFloat, 1e39, true},
		{KindFloat, float32(1.5), false},
		{KindDouble, 3, false},
		{KindQUUID, make([]byte, 15), true},
		{KindQUUID, make([]byte, 16), false},
		{KindQBuffer, make([]byte, 70000), true},
		{KindResult, rmc.Result(0x80030064), false},
	} {
		err := mk(tc.k).Set("", tc.x)
		if (err != nil) != tc.fail {
			t.Errorf("%s = %v: err %v", tc.k, tc.x, err)
		}
	}
	// variants choose their type from the Go value
	v := &Value{Kind: KindVariant, Type: "variant"}
	for _, tc := range []struct {
		x    any
		typ  uint8
		kind Kind
	}{
		{-5, 1, KindS64}, {5, 6, KindU64}, {2.5, 2, KindDouble}, {float64(4), 6, KindU64},
		{true, 3, KindBool}, {"s", 4, KindString},
	} {
		if err := v.Set("", tc.x); err != nil {
			t.Fatal(err)
		}
		if v.VariantType != tc.typ || v.Items[0].Kind != tc.kind {
			t.Errorf("variant %v: type %d kind %s", tc.x, v.VariantType, v.Items[0].Kind)
		}
	}
	if err := v.Set("", nil); err != nil || v.VariantType != 0 || len(v.Items) != 0 {
		t.Errorf("variant none: %v", err)
	}
	// station URLs accept rmc.StationURL and parse back
	u := &Value{Kind: KindStationURL, Type: "stationurl", Str: "prudps:/address=1.2.3.4;port=5"}
	su, err := u.StationURL()
	if err != nil {
		t.Fatal(err)
	}
	su.SetPort(6)
	if err := u.Set("", su); err != nil || u.Str != "prudps:/address=1.2.3.4;port=6" {
		t.Errorf("station url set: %v %q", err, u.Str)
	}
	if _, err := (&Value{Kind: KindU8}).StationURL(); !errors.Is(err, ErrType) {
		t.Error(err)
	}
}

func TestWalk(t *testing.T) {
	v := sampleTree(t)
	var paths []string
	err := v.Walk(func(p string, n *Value) error {
		paths = append(paths, p)
		if p != "" {
			if x, err := v.Get(p); err != nil || x != n {
				t.Errorf("walk path %q does not resolve to its node: %v", p, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(paths, " ")
	for _, p := range []string{"search_criteria[1].attribs[5]", "gathering.max_participants", "gathering.attribs[0]", "gathering.param.params", "message"} {
		if !strings.Contains(" "+joined+" ", " "+p+" ") {
			t.Errorf("walk missed %q in %s", p, joined)
		}
	}
	stop := errors.New("stop")
	n := 0
	if err := v.Walk(func(p string, _ *Value) error {
		n++
		if p == "gathering" {
			return stop
		}
		return nil
	}); !errors.Is(err, stop) || n >= len(paths) {
		t.Errorf("walk did not stop: %v after %d of %d", err, n, len(paths))
	}
	// map keys become path segments
	mp := &Value{Kind: KindMap, Items: []*Value{
		{Kind: KindU16, Uint: 5}, {Kind: KindS32, Int: -1},
		{Kind: KindString, Str: "k"}, {Kind: KindString, Str: "v"},
	}}
	var mpaths []string
	_ = mp.Walk(func(p string, _ *Value) error { mpaths = append(mpaths, p); return nil })
	if strings.Join(mpaths, ",") != ",[5],k" {
		t.Errorf("map paths %q", mpaths)
	}
	if mustGet(t, mp, "[5]").Int != -1 || mustGet(t, mp, "k").Str != "v" {
		t.Error("map lookup")
	}
	if _, err := mp.Get("[6]"); !errors.Is(err, ErrNotFound) {
		t.Error(err)
	}
}

func TestCloneIsDeep(t *testing.T) {
	v := sampleTree(t)
	mustGet(t, v, "gathering").Items[0].Tail = []byte{1}
	c := v.Clone()
	if err := c.Set("gathering.max_participants", 3); err != nil {
		t.Fatal(err)
	}
	mustGet(t, c, "gathering").Items[0].Tail[0] = 9
	if mustGet(t, v, "gathering.max_participants").Uint == 3 || mustGet(t, v, "gathering").Items[0].Tail[0] != 1 {
		t.Error("clone shares nodes")
	}
	if (*Value)(nil).Clone() != nil {
		t.Error("nil clone")
	}
}

func TestJSON(t *testing.T) {
	v := sampleTree(t)
	_ = v.Set("gathering.description", "q\"\n\xff")
	_ = v.Set("gathering.application_data", []byte{0xAB})
	j := mustJSON(v)
	for _, want := range []string{
		`"gathering":{"$class":"MatchmakeSession","id":0,`,
		`"description":"q\"\u000a\ufffd"`,
		`"application_data":"ab"`,
		`"attribs":[0,0,0,0,0,0]`,
		`"started_time":"never"`,
		`"params":{}`,
	} {
		if !strings.Contains(j, want) {
			t.Errorf("json lacks %s:\n%s", want, j)
		}
	}
	res := &Value{Kind: KindResult, Uint: 0x80030064}
	if got := mustJSON(res); got != `"0x80030064 RendezVous::InvalidUsername"` {
		t.Errorf("result %s", got)
	}
	dt := &Value{Kind: KindDateTime, Uint: 0x1F996B032B}
	if got := mustJSON(dt); got != `"2022-05-21 16:12:43"` {
		t.Errorf("datetime %s", got)
	}
	nan := &Value{Kind: KindDouble, Float: math.NaN()}
	if got := mustJSON(nan); got != `"NaN"` {
		t.Errorf("nan %s", got)
	}
	raw := &Value{Kind: KindAnyData, Class: "X", Items: []*Value{{Kind: KindRaw, Bytes: []byte{1}}}}
	if got := mustJSON(raw); got != `{"$class":"X","$raw":"01"}` {
		t.Errorf("raw holder %s", got)
	}
	tail := &Value{Kind: KindStruct, Tail: []byte{2}, Items: []*Value{{Name: "a", Kind: KindPID, Uint: 7}}}
	if got := mustJSON(tail); got != `{"a":7,"$tail":"02"}` {
		t.Errorf("tail %s", got)
	}
}
