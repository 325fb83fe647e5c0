package schema

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
)

func rankingOrder(w *rmc.Writer, version uint8) {
	w.StructBegin(version)
	w.U8(0)
	w.U8(255)
	w.U8(0)
	w.U8(2)
	w.U32(0)
	w.U8(10)
	w.StructEnd(nil)
}

func TestStructureHeaders(t *testing.T) {
	m := method(t, "Ranking", "GetStats")
	for _, tc := range []struct {
		name string
		s    rmc.Settings
		want int // body length
	}{
		{"with headers", wiiu, 4 + 5 + 9 + 4},
		{"without headers", ds3, 4 + 9 + 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := build(tc.s, func(w *rmc.Writer) {
				w.U32(7)
				rankingOrder(w, 0)
				w.U32(0x1F)
			})
			if len(body) != tc.want {
				t.Fatalf("body %d bytes, want %d", len(body), tc.want)
			}
			v := roundTrip(t, m, true, body, tc.s)
			if got := mustGet(t, v, "order.group_index").Uint; got != 255 {
				t.Errorf("group_index %d", got)
			}
			if got := mustGet(t, v, "flags").Uint; got != 0x1F {
				t.Errorf("flags %d", got)
			}
		})
	}
}

// rvConnectionData writes the structure with an optional server_time and
// extra trailing bytes inside its header.
func loginResponse(s rmc.Settings, version uint8, withTime bool, extra []byte) []byte {
	return build(s, func(w *rmc.Writer) {
		w.Result(0x10001)
		w.PID(1234567)
		w.Buffer([]byte{1, 2, 3})
		w.StructBegin(version)
		w.String("prudps:/address=1.2.3.4;port=1")
		w.ListLen(0)
		w.String("prudp:/")
		if withTime {
			w.U64(0x1F996B032B)
		}
		w.StructEnd(extra)
		w.String("branch:test")
	})
}

func TestVersionedFields(t *testing.T) {
	login := method(t, "Authentication", "Login")
	t.Run("revision 1 at NEX 3.5", func(t *testing.T) {
		v := roundTrip(t, login, false, loginResponse(wiiu, 1, true, nil), wiiu)
		if mustGet(t, v, "connection_data.server_time").Uint != 0x1F996B032B {
			t.Error("server_time")
		}
		if mustGet(t, v, "connection_data").Version != 1 {
			t.Error("version")
		}
	})
	t.Run("revision 0 has no server_time", func(t *testing.T) {
		v := roundTrip(t, login, false, loginResponse(wiiu, 0, false, nil), wiiu)
		if _, err := v.Get("connection_data.server_time"); !errors.Is(err, ErrNotFound) {
			t.Errorf("server_time present: %v", err)
		}
	})
	t.Run("NEX 3.4 ignores revision", func(t *testing.T) {
		s := wiiu
		s.NEXVersion = 30400
		v := roundTrip(t, login, false, loginResponse(s, 1, false, []byte{9, 9, 9, 9, 9, 9, 9, 9}), s)
		cd := mustGet(t, v, "connection_data")
		if !bytes.Equal(cd.Tail, []byte{9, 9, 9, 9, 9, 9, 9, 9}) {
			t.Errorf("tail %x", cd.Tail)
		}
	})
	t.Run("no headers", func(t *testing.T) {
		v := roundTrip(t, login, false, loginResponse(noHead, 0, false, nil), noHead)
		if _, err := v.Get("connection_data.server_time"); err == nil {
			t.Error("server_time present without headers")
		}
	})
	t.Run("NEX 4 names and extra values", func(t *testing.T) {
		m := Default().Method(10, 3)
		body := build(nx, func(w *rmc.Writer) {
			w.Result(0x10001)
			w.Buffer([]byte{1})
			w.String("abcd")
		})
		v := roundTrip(t, m, false, body, nx)
		if v.Name != "RequestTicket" || mustGet(t, v, "source_key").Str != "abcd" {
			t.Errorf("got %s %v", v.Name, v.Items)
		}
		if _, err := m.DecodeResponse(body, wiiu); !errors.Is(err, ErrTrailing) {
			t.Errorf("NEX 3 layout accepted a source_key: %v", err)
		}
		if p, n := Default().NamesFor(10, 1, 40605); p != "Authentication" || n != "ValidateAndRequestTicket" {
			t.Errorf("names %s.%s", p, n)
		}
		if _, n := Default().Names(10, 1); n != "Login" {
			t.Errorf("default name %s", n)
		}
		if Default().MethodByName("Authentication", "ValidateAndRequestTicketWithParam") != Default().Method(10, 6) {
			t.Error("MethodByName by NEX 4 name")
		}
	})
	t.Run("NotificationEvent param3 and map", func(t *testing.T) {
		m := method(t, "Notification", "ProcessNotificationEvent")
		ev := func(s rmc.Settings, version uint8, p3, mp bool) []byte {
			return build(s, func(w *rmc.Writer) {
				w.StructBegin(version)
				w.PID(5)
				w.U32(3001)
				w.PID(1)
				w.PID(2)
				w.String("hi")
				if p3 {
					w.PID(3)
				}
				if mp {
					w.ListLen(1)
					w.String("k")
					w.Variant(rmc.Variant{Type: 6, Value: uint64(9)})
				}
				w.StructEnd(nil)
			})
		}
		roundTrip(t, m, true, ev(ds3, 0, false, false), ds3)
		v := roundTrip(t, m, true, ev(wiiu, 0, true, false), wiiu)
		if mustGet(t, v, "event.param3").Uint != 3 {
			t.Error("param3")
		}
		v = roundTrip(t, m, true, ev(nx, 1, true, true), nx)
		if k := mustGet(t, v, "event.map_param.k"); k.Kind != KindVariant || k.Items[0].Uint != 9 {
			t.Error("map_param.k")
		}
		if _, err := m.DecodeResponse(nil, nx); !errors.Is(err, ErrNoResponse) {
			t.Errorf("response of a one-way protocol: %v", err)
		}
		if !m.Protocol.NoResponse {
			t.Error("NoResponse not set")
		}
	})
}

func TestRevisionComputation(t *testing.T) {
	r := Default()
	for _, tc := range []struct {
		st   string
		nex  int
		want uint8
	}{
		{"RVConnectionData", 30400, 0},
		{"RVConnectionData", 30504, 1},
		{"MatchmakeSession", 30500, 0},
		{"MatchmakeSession", 30600, 1},
		{"MatchmakeSession", 30700, 2},
		{"MatchmakeSession", 30810, 3},
		{"MatchmakeSession", 40000, 0},
		{"NotificationEvent", 30500, 0},
		{"NotificationEvent", 40000, 1},
		{"Gathering", 40000, 0},
	} {
		if got := r.Struct(tc.st).Revision(tc.nex); got != tc.want {
			t.Errorf("%s at %d: revision %d, want %d", tc.st, tc.nex, got, tc.want)
		}
	}
}

func TestAnyData(t *testing.T) {
	loginEx := method(t, "Authentication", "LoginEx")
	body := func(s rmc.Settings, class string, inner func(w *rmc.Writer)) []byte {
		return build(s, func(w *rmc.Writer) {
			w.String("1234567")
			w.AnyDataBegin(class)
			inner(w)
			w.AnyDataEnd()
		})
	}
	authInfo := func(w *rmc.Writer) {
		w.StructBegin(0) // Data level
		w.StructEnd(nil)
		w.StructBegin(0)
		w.String("token")
		w.U32(3)
		w.U8(1)
		w.U32(0)
		w.StructEnd(nil)
	}
	for _, s := range []rmc.Settings{wiiu, ds3} {
		v := roundTrip(t, loginEx, true, body(s, "AuthenticationInfo", authInfo), s)
		ex := mustGet(t, v, "extra_data")
		if ex.Kind != KindAnyData || ex.Class != "AuthenticationInfo" || ex.Items[0].Kind != KindStruct {
			t.Fatalf("extra_data %+v", ex)
		}
		if mustGet(t, v, "extra_data.token").Str != "token" || mustGet(t, v, "extra_data.ngs_version").Uint != 3 {
			t.Error("fields through holder and parent level")
		}
	}
	t.Run("unknown class", func(t *testing.T) {
		v := roundTrip(t, loginEx, true, body(wiiu, "SomeGameData", func(w *rmc.Writer) { w.Raw([]byte{1, 2, 3}) }), wiiu)
		h := mustGet(t, v, "extra_data").Items[0]
		if h.Kind != KindRaw || !bytes.Equal(h.Bytes, []byte{1, 2, 3}) {
			t.Errorf("held %+v", h)
		}
	})
	t.Run("known class, foreign layout", func(t *testing.T) {
		v := roundTrip(t, loginEx, true, body(ds3, "AuthenticationInfo", func(w *rmc.Writer) { w.Raw([]byte{0xFF, 0xFF}) }), ds3)
		if mustGet(t, v, "extra_data").Items[0].Kind != KindRaw {
			t.Error("foreign layout not kept raw")
		}
	})
	t.Run("short AuthenticationInfo of NEX 2", func(t *testing.T) {
		v := roundTrip(t, loginEx, true, body(ds3, "AuthenticationInfo", func(w *rmc.Writer) {
			w.String("t")
			w.U32(2)
		}), ds3)
		if _, err := v.Get("extra_data.token_type"); err == nil {
			t.Error("token_type invented")
		}
	})
	t.Run("nested holder in MatchmakeSession", func(t *testing.T) {
		s := wiiu
		sess, err := Default().New("MatchmakeSession", s)
		if err != nil {
			t.Fatal(err)
		}
		m := method(t, "MatchmakeExtension", "AutoMatchmake_Postpone")
		req := m.NewRequest(s)
		if err := req.Set("gathering", &Value{Kind: KindAnyData, Type: "anydata<Gathering>", Class: "MatchmakeSession", Items: []*Value{sess}}); err != nil {
			t.Fatal(err)
		}
		if err := req.Set("gathering.max_participants", 8); err != nil {
			t.Fatal(err)
		}
		b, err := m.EncodeRequest(req, s)
		if err != nil {
			t.Fatal(err)
		}
		v := roundTrip(t, m, true, b, s)
		if mustGet(t, v, "gathering.max_participants").Uint != 8 || mustGet(t, v, "gathering.attribs[5]").Uint != 0 {
			t.Error("fields")
		}
	})
}

func TestDecodeErrors(t *testing.T) {
	getName := method(t, "Authentication", "GetName")
	for _, tc := range []struct {
		name string
		m    *Method
		body []byte
		want error
	}{
		{"trailing bytes", getName, []byte{1, 0, 0, 0, 0xAA}, ErrTrailing},
		{"short", getName, []byte{1, 0}, rmc.ErrShort},
		{"string beyond input", method(t, "Authentication", "GetPID"), []byte{9, 0, 'a'}, rmc.ErrShort},
		{"list count beyond input", method(t, "SecureConnection", "Register"), []byte{0xFF, 0xFF, 0, 0, 1}, rmc.ErrInvalid},
		{"bad struct length", method(t, "Utility", "AssociateNexUniqueIdWithMyPrincipalId"), []byte{0, 0xFF, 0, 0, 0}, rmc.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.m.DecodeRequest(tc.body, wiiu)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("bad variant type", func(t *testing.T) {
		r, err := Parse(map[string]string{"x.nexdl": "protocol 1 X { method 1 V (variant v) }"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Method(1, 1).DecodeRequest([]byte{7}, wiiu); !errors.Is(err, rmc.ErrInvalid) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("DecodeOrRaw", func(t *testing.T) {
		v, err := Default().DecodeOrRaw(10, 5, true, []byte{1, 0, 0, 0, 0xAA}, wiiu)
		if !errors.Is(err, ErrTrailing) || v.Kind != KindRaw || len(v.Bytes) != 5 {
			t.Fatalf("%v %+v", err, v)
		}
		v, err = Default().DecodeOrRaw(0x999, 5, true, []byte{1}, wiiu)
		if err != nil || v.Kind != KindRaw {
			t.Fatalf("%v %+v", err, v)
		}
		b, err := Default().Encode(0x999, 5, true, v, wiiu)
		if err != nil || !bytes.Equal(b, []byte{1}) {
			t.Fatalf("%v %x", err, b)
		}
		if p, m := Default().Names(0x999, 5); p != "Protocol(0x999)" || m != "Method(5)" {
			t.Errorf("names %s %s", p, m)
		}
		if _, m := Default().Names(10, 77); m != "Method(77)" {
			t.Errorf("method name %s", m)
		}
	})
	t.Run("node budget", func(t *testing.T) {
		r, err := Parse(map[string]string{"x.nexdl": "struct E {}\nprotocol 1 X { method 1 L (list<list<E>> l) }"})
		if err != nil {
			t.Fatal(err)
		}
		w := rmc.NewWriter(noHead)
		w.ListLen(1000)
		for i := 0; i < 1000; i++ {
			w.ListLen(3996 - 4*i)
		}
		_, err = r.Method(1, 1).DecodeRequest(w.Bytes(), noHead)
		if !errors.Is(err, ErrNodeBudget) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestExactForms(t *testing.T) {
	m := method(t, "Authentication", "GetPID")
	for _, body := range [][]byte{
		{0, 0},            // null string
		{1, 0, 0},         // empty string
		{2, 0, 'a', 'b'},  // unterminated
		{3, 0, 'a', 0, 0}, // extra NUL kept
		{2, 0, 0xFF, 0},   // invalid UTF-8
	} {
		roundTrip(t, m, true, body, wiiu)
	}
	v := roundTrip(t, m, true, []byte{0, 0}, wiiu)
	if err := v.Set("username", "x"); err != nil {
		t.Fatal(err)
	}
	if b, _ := m.EncodeRequest(v, wiiu); !bytes.Equal(b, []byte{2, 0, 'x', 0}) {
		t.Errorf("edited null string %x", b)
	}
	// bool bytes other than 0/1 and NaN payloads survive.
	r, err := Parse(map[string]string{"x.nexdl": "protocol 1 X { method 1 M (bool b, float f, double d) }"})
	if err != nil {
		t.Fatal(err)
	}
	body := build(wiiu, func(w *rmc.Writer) {
		w.U8(2)
		w.U32(0x7FA00001)
		w.U64(0x7FF4000000000001)
	})
	v = roundTrip(t, r.Method(1, 1), true, body, wiiu)
	if !mustGet(t, v, "b").Bool || !math.IsNaN(mustGet(t, v, "f").Float) {
		t.Error("values")
	}
	if err := v.Set("f", 1.5); err != nil {
		t.Fatal(err)
	}
	b, _ := r.Method(1, 1).EncodeRequest(v, wiiu)
	if !bytes.Equal(b[1:5], []byte{0, 0, 0xC0, 0x3F}) {
		t.Errorf("edited float %x", b[1:5])
	}
}

func TestEncodeMismatch(t *testing.T) {
	m := method(t, "Ranking", "GetStats")
	body := build(wiiu, func(w *rmc.Writer) {
		w.U32(7)
		rankingOrder(w, 0)
		w.U32(1)
	})
	good, err := m.DecodeRequest(body, wiiu)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(v *Value)
		want error
	}{
		{"missing field", func(v *Value) { v.Items = v.Items[:2] }, ErrMismatch},
		{"extra field", func(v *Value) { v.Items = append(v.Items, &Value{Name: "x", Kind: KindU8}) }, ErrMismatch},
		{"renamed field", func(v *Value) { v.Items[0].Name = "cat" }, ErrMismatch},
		{"wrong kind", func(v *Value) { v.Items[0].Kind = KindString }, ErrMismatch},
		{"overflow", func(v *Value) { v.Items[1].Items[0].Uint = 300 }, ErrOverflow},
		{"wrong structure", func(v *Value) { v.Items[1].Type = "ResultRange" }, ErrMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := good.Clone()
			tc.edit(v)
			if _, err := m.EncodeRequest(v, wiiu); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("pid too wide for 4 bytes", func(t *testing.T) {
		gn := method(t, "Authentication", "GetName")
		v := gn.NewRequest(wiiu)
		if err := v.Set("pid", uint64(1)<<40); err != nil {
			t.Fatal(err)
		}
		if _, err := gn.EncodeRequest(v, wiiu); !errors.Is(err, ErrOverflow) {
			t.Fatalf("err %v", err)
		}
		if _, err := gn.EncodeRequest(v, nx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("tail without headers", func(t *testing.T) {
		v := good.Clone()
		v.Items[1].Tail = []byte{1}
		if _, err := m.EncodeRequest(v, ds3); !errors.Is(err, ErrMismatch) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestNewValues(t *testing.T) {
	for _, s := range []rmc.Settings{wiiu, ds3, nx, {PIDSize: 4, StructHeader: true, NEXVersion: 30810}} {
		for _, p := range Default().Protocols() {
			for _, m := range p.Methods() {
				for _, req := range []bool{true, false} {
					if !req && p.NoResponse {
						continue
					}
					var v *Value
					var b []byte
					var err error
					if req {
						v = m.NewRequest(s)
						b, err = m.EncodeRequest(v, s)
					} else {
						v = m.NewResponse(s)
						b, err = m.EncodeResponse(v, s)
					}
					if err != nil {
						t.Fatalf("%s.%s: encode new value: %v", p.Name, m.Name, err)
					}
					var d *Value
					if req {
						d, err = m.DecodeRequest(b, s)
					} else {
						d, err = m.DecodeResponse(b, s)
					}
					if err != nil {
						t.Fatalf("%s.%s %v: decode new value: %v (%x)", p.Name, m.Name, s, err, b)
					}
					j1, _ := v.MarshalJSON()
					j2, _ := d.MarshalJSON()
					if !bytes.Equal(j1, j2) {
						t.Fatalf("%s.%s: %s != %s", p.Name, m.Name, j1, j2)
					}
				}
			}
		}
	}
	v, err := Default().New("MatchmakeSession", rmc.Settings{PIDSize: 4, StructHeader: true, NEXVersion: 30810})
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != 3 || mustGet(t, v, "flags").Uint != 0x200 || mustGet(t, v, "progress_score").Uint != 100 || len(mustGet(t, v, "attribs").Items) != 6 {
		t.Errorf("defaults: %s", mustJSON(v))
	}
	if _, err := Default().New("Nope", wiiu); !errors.Is(err, ErrNotFound) {
		t.Error(err)
	}
}

func mustJSON(v *Value) string {
	b, _ := v.MarshalJSON()
	return string(b)
}

func TestCoverage(t *testing.T) {
	r := Default()
	want := map[uint16]int{10: 6, 11: 8, 3: 7, 14: 1, 18: 4, 21: 44, 50: 6, 109: 53, 110: 8, 112: 15, 115: 46}
	for id, n := range want {
		p := r.Protocol(id)
		if p == nil {
			t.Errorf("protocol %d missing", id)
			continue
		}
		if len(p.Methods()) != n {
			t.Errorf("protocol %d (%s): %d methods, want %d", id, p.Name, len(p.Methods()), n)
		}
		for i := 1; i <= n; i++ {
			if p.Method(uint32(i)) == nil {
				t.Errorf("%s: method %d missing", p.Name, i)
			}
		}
	}
	for _, c := range []string{"AuthenticationInfo", "NullData", "NintendoLoginData", "Gathering", "MatchmakeSession", "PersistentGathering", "RankingCachedResult", "AccountExtraInfo"} {
		if r.Struct(c) == nil {
			t.Errorf("class %s missing", c)
		}
	}
	if !r.Struct("MatchmakeSession").IsA("Gathering") || r.Struct("Gathering").IsA("Data") {
		t.Error("inheritance")
	}
}

func TestParseErrors(t *testing.T) {
	for _, src := range []string{
		"struct A { u32 }",
		"struct A { x y }",
		"struct A : B {}",
		"struct A {} struct A {}",
		"protocol 1 P { method 1 M (u32 a }",
		"protocol 70000 P {}",
		"protocol 1 P { method 1 M (revision >= 1 { u32 a }) }",
		"struct A { nex >> 1 { u32 a } }",
		"struct A { list<u32 a }",
		"struct A { A a }",
		"struct A { string s = \"x }",
		"struct A { u32 a = zz }",
		"struct A : A {}",
		"bogus",
		"struct A { u32 a $ }",
	} {
		if _, err := Parse(map[string]string{"t.nexdl": src}); err == nil {
			t.Errorf("%q parsed", src)
		} else if !strings.HasPrefix(err.Error(), "schema: ") {
			t.Errorf("%q: error %v", src, err)
		}
	}
}

func TestOptionalTrailingValues(t *testing.T) {
	m := method(t, "NATTraversal", "ReportNATTraversalResult")
	short := build(wiiu, func(w *rmc.Writer) { w.U32(5); w.Bool(true) })
	long := build(wiiu, func(w *rmc.Writer) { w.U32(5); w.Bool(true); w.U32(40) })
	v := roundTrip(t, m, true, short, wiiu)
	if len(v.Items) != 2 {
		t.Errorf("short form has %d values", len(v.Items))
	}
	v = roundTrip(t, m, true, long, wiiu)
	if mustGet(t, v, "rtt").Uint != 40 {
		t.Error("rtt")
	}
	if _, err := m.DecodeRequest(append(long[:len(long):len(long)], 1), wiiu); !errors.Is(err, ErrTrailing) {
		t.Errorf("extra byte after rtt: %v", err)
	}
	if _, err := m.DecodeRequest(long[:len(long)-1], wiiu); !errors.Is(err, rmc.ErrShort) {
		t.Errorf("partial rtt: %v", err)
	}
}

// TestDecodedItemsAppend checks that growing one node's Items (as a hook
// editing a tree may) leaves every other node of the decoded tree intact,
// although the decoder cuts all Items slices from one backing array.
func TestDecodedItemsAppend(t *testing.T) {
	m := method(t, "DataStore", "ResetRatings")
	body := build(wiiu, func(w *rmc.Writer) {
		w.ListLen(2)
		w.U64(7)
		w.U64(8)
		w.Bool(true)
	})
	v := roundTrip(t, m, true, body, wiiu)
	v.Items = append(v.Items, &Value{Name: "extra", Kind: KindU8, Type: "u8"})
	if ids := mustGet(t, v, "data_ids"); len(ids.Items) != 2 || ids.Items[0].Uint != 7 || ids.Items[1].Uint != 8 {
		t.Fatalf("data_ids after appending to the parameters: %s", ids.AppendJSON(nil))
	}
}

// TestVariantKinds checks that each Variant type id decodes to the kind and
// value it stands for: the type ids of equal width (s64, double, datetime,
// u64) would re-encode the same bytes even if mixed up.
func TestVariantKinds(t *testing.T) {
	r, err := Parse(map[string]string{"x.nexdl": "protocol 1 X { method 1 V (variant v) }"})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Method(1, 1)
	for _, tc := range []struct {
		in   rmc.Variant
		kind Kind
		want func(*Value) bool
	}{
		{rmc.Variant{Type: rmc.VariantInt64, Value: int64(-5)}, KindS64, func(v *Value) bool { return v.Int == -5 }},
		{rmc.Variant{Type: rmc.VariantDouble, Value: 2.5}, KindDouble, func(v *Value) bool { return v.Float == 2.5 }},
		{rmc.Variant{Type: rmc.VariantBool, Value: true}, KindBool, func(v *Value) bool { return v.Bool }},
		{rmc.Variant{Type: rmc.VariantString, Value: "hi"}, KindString, func(v *Value) bool { return v.Str == "hi" }},
		{rmc.Variant{Type: rmc.VariantDateTime, Value: rmc.DateTime(0x1F)}, KindDateTime, func(v *Value) bool { return v.Uint == 0x1F }},
		{rmc.Variant{Type: rmc.VariantUInt64, Value: uint64(7)}, KindU64, func(v *Value) bool { return v.Uint == 7 }},
	} {
		body := build(wiiu, func(w *rmc.Writer) { w.Variant(tc.in) })
		v := mustGet(t, roundTrip(t, m, true, body, wiiu), "v")
		if v.VariantType != tc.in.Type || len(v.Items) != 1 || v.Items[0].Kind != tc.kind || !tc.want(v.Items[0]) {
			t.Errorf("variant %d: decoded %s of %d values, want %s", tc.in.Type, v.AppendJSON(nil), len(v.Items), tc.kind)
		}
	}
	v := mustGet(t, roundTrip(t, m, true, []byte{0}, wiiu), "v")
	if v.VariantType != rmc.VariantNone || len(v.Items) != 0 {
		t.Errorf("variant 0: decoded %s", v.AppendJSON(nil))
	}
}

// TestDirectScalarEdits checks that a Float or Bool assigned directly (not
// through Set, which also updates the raw bits in Uint) is what the encoder
// writes: the raw bits are kept only while they still denote the value.
func TestDirectScalarEdits(t *testing.T) {
	r, err := Parse(map[string]string{"x.nexdl": "protocol 1 X { method 1 M (bool b, float f, double d) }"})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Method(1, 1)
	body := build(wiiu, func(w *rmc.Writer) {
		w.U8(2)
		w.U32(0x7FA00001)
		w.U64(0x7FF4000000000001)
	})
	v := roundTrip(t, m, true, body, wiiu)
	mustGet(t, v, "b").Bool = false
	mustGet(t, v, "f").Float = 1.5
	mustGet(t, v, "d").Float = -2
	got, err := m.EncodeRequest(v, wiiu)
	want := build(wiiu, func(w *rmc.Writer) {
		w.Bool(false)
		w.Float(1.5)
		w.Double(-2)
	})
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("edited fields encode as %x, %v; want %x", got, err, want)
	}
}
