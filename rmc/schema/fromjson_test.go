package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/internal/vectors"
	"github.com/nexproxy/nexproxy/rmc"
)

// lossyText reports whether a tree holds something MarshalJSON does not
// spell out exactly (see FromJSON): then only the text must survive the
// trip, not every byte.
func lossyText(v *Value) bool {
	lossy := false
	_ = v.Walk(func(_ string, n *Value) error {
		switch {
		case n.Kind == KindVariant, n.StrForm != StrNormal:
			lossy = true
		case n.Kind == KindStruct && n.Version != 0:
			lossy = true // checked by the re-encoded text instead
		}
		return nil
	})
	return lossy
}

// TestFromJSONVectors rebuilds every message of the golden sessions from
// its session-log text and encodes it again: the bytes must be the
// captured ones (the text when the tree holds what the text cannot spell).
func TestFromJSONVectors(t *testing.T) {
	reg := Default()
	for _, name := range vectors.SessionFiles {
		t.Run(name, func(t *testing.T) {
			f := vectors.LoadSession(t, name)
			methods := map[string]uint32{}
			exact, total := 0, 0
			for i, m := range f.Messages {
				key := fmt.Sprint(m.Conn, "/", m.CallID)
				if m.Kind == "request" {
					methods[key] = *m.MethodID
				}
				if m.Success != nil && !*m.Success {
					continue
				}
				s := settingsFor(f, m.Conn)
				meth := reg.Method(m.ProtocolID, methods[key])
				request := m.Kind == "request"
				body := vectors.Hex(t, m.Body)
				v, err := meth.Decode(request, body, s)
				if err != nil {
					t.Fatalf("message %d: decode: %v", i, err)
				}
				text := v.AppendJSON(nil)
				back, err := meth.FromJSON(request, text, s)
				if err != nil {
					t.Fatalf("message %d (%d.%s): from text: %v\n%s", i, m.ProtocolID, meth.Name, err, text)
				}
				out, err := meth.Encode(request, back, s)
				if err != nil {
					t.Fatalf("message %d (%s): encode the rebuilt tree: %v\n%s", i, meth.Name, err, text)
				}
				total++
				if bytes.Equal(out, body) {
					exact++
					continue
				}
				if !lossyText(v) {
					t.Fatalf("message %d (%s %s): rebuilt\n%x\nwant\n%x\ntext %s", i, meth.Name, m.Kind, out, body, text)
				}
				again, err := meth.Decode(request, out, s)
				if err != nil {
					t.Fatalf("message %d: decode the rebuilt body: %v", i, err)
				}
				if got := again.AppendJSON(nil); !bytes.Equal(got, text) {
					t.Fatalf("message %d (%s): text changed\n%s\nwant\n%s", i, meth.Name, got, text)
				}
			}
			if exact == 0 {
				t.Fatal("no message rebuilt byte for byte")
			}
			t.Logf("%d of %d messages rebuilt byte for byte, the others to the same text", exact, total)
		})
	}
}

// TestFromJSONShapes covers what the vectors do not: every scalar kind,
// maps, anydata, variants, revisions, redacted secrets and refusals.
func TestFromJSONShapes(t *testing.T) {
	reg := Default()
	s := rmc.Settings{PIDSize: 4, NEXVersion: 30504, StructHeader: true}
	cases := []struct {
		proto  uint16
		method string
		req    bool
		text   string
		err    bool
		want   string // the text after the trip, when not text
	}{
		{112, "UploadScore", true, `{"score_data":{"category":1,"score":99999,"order":0,"update_mode":0,"groups":[0,0],"param":0},"unique_id":0}`, false, ""},
		{112, "UploadScore", true, `{"score_data":{"category":1,"score":99999,"order":0,"update_mode":0,"groups":[0,0],"param":0},"unique_id":0,"x":1}`, true, ""},
		{112, "UploadScore", true, `{"score_data":{"category":-1,"score":99999,"order":0,"update_mode":0,"groups":[0,0],"param":0},"unique_id":0}`, true, ""},
		{112, "UploadScore", true, `{"unique_id":0}`, true, ""},
		{112, "UploadScore", true, `[`, true, ""},
		{112, "UploadScore", true, strings.Repeat("[", 1000), true, ""},
		{110, "GetIntegerSettings", false, `{"settings":{"0":5,"2":-1}}`, false, ""},
		{110, "GetStringSettings", false, `{"settings":{"0":"a","1":"b"}}`, false, ""},
		{110, "GetAssociatedNexUniqueIdWithMyPrincipalId", false, `{"info":{"unique_id":5,"password":"<redacted 8 bytes>"}}`, false, `{"info":{"unique_id":5,"password":0}}`},
		{112, "GetCommonData", false, `{"data":"<redacted 3 bytes>"}`, false, `{"data":"000000"}`},
		{112, "GetCommonData", false, `{"data":"<redacted 9999999 bytes>"}`, true, ""},
		{112, "GetCommonData", false, `{"data":"<redacted -1 bytes>"}`, true, ""},
		{110, "GetAssociatedNexUniqueIdWithMyPrincipalId", false, `{"info":{"unique_id":5,"password":"<redacted x bytes>"}}`, true, ""},
		{112, "GetCommonData", false, `{"data":"abc"}`, true, ""},
	}
	for i, c := range cases {
		var m *Method
		for _, mm := range reg.Protocol(c.proto).Methods() {
			if mm.Name == c.method {
				m = mm
			}
		}
		if m == nil {
			t.Fatalf("case %d: no method %s", i, c.method)
		}
		v, err := m.FromJSON(c.req, []byte(c.text), s)
		if c.err {
			if err == nil || !errors.Is(err, ErrJSON) && !errors.Is(err, ErrOverflow) && !errors.Is(err, ErrType) {
				t.Errorf("case %d: %s: error %v, want a refusal", i, c.text, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		body, err := m.Encode(c.req, v, s)
		if err != nil {
			t.Fatalf("case %d: encode: %v", i, err)
		}
		back, err := m.Decode(c.req, body, s)
		if err != nil {
			t.Fatalf("case %d: decode: %v", i, err)
		}
		want := c.text
		if c.want != "" {
			want = c.want
		}
		if got := string(back.AppendJSON(nil)); got != want {
			t.Errorf("case %d: round trip\n%s\nwant\n%s", i, got, want)
		}
	}
}

// TestFromJSONEveryMethod rebuilds the default request and response of
// every described method, for each title context the fuzz targets use,
// from their text: every field plan must survive the trip byte for byte.
func TestFromJSONEveryMethod(t *testing.T) {
	reg := Default()
	n := 0
	for flags := uint8(0); flags < 32; flags += 2 {
		_, s := fuzzSettings(flags)
		for _, p := range reg.Protocols() {
			for _, m := range p.Methods() {
				for _, request := range []bool{true, false} {
					if !request && p.NoResponse {
						continue
					}
					v := m.NewRequest(s)
					if !request {
						v = m.NewResponse(s)
					}
					body, err := m.Encode(request, v, s)
					if err != nil {
						continue // a default the description cannot encode (an empty quuid list is fine, a missing held class is not)
					}
					text := v.AppendJSON(nil)
					back, err := m.FromJSON(request, text, s)
					if err != nil {
						t.Fatalf("%s.%s (%v): %v\n%s", p.Name, m.Name, s, err, text)
					}
					out, err := m.Encode(request, back, s)
					if err != nil || !bytes.Equal(out, body) {
						t.Fatalf("%s.%s (%v): rebuilt %x (%v), want %x\n%s", p.Name, m.Name, s, out, err, body, text)
					}
					n++
				}
			}
		}
	}
	t.Logf("%d default trees rebuilt", n)
}

// TestFromJSONMatchmakeSession covers a derived structure held by an
// AnyDataHolder, revision-gated fields, a datetime, a map of variants
// and a structure's unknown tail.
func TestFromJSONMatchmakeSession(t *testing.T) {
	reg := Default()
	s := rmc.Settings{PIDSize: 8, StructHeader: true, NEXVersion: 40605}
	m := reg.MethodByName("MatchmakeExtension", "AutoMatchmake_Postpone")
	if m == nil {
		t.Fatal("AutoMatchmake_Postpone is not described")
	}
	held, err := reg.New("MatchmakeSession", s)
	if err != nil {
		t.Fatal(err)
	}
	for path, x := range map[string]any{
		"max_participants": 8, "owner": uint64(1) << 40, "description": "héllo",
		"application_data": []byte{1, 2, 3}, "started_time": rmc.NewDateTime(2024, 5, 1, 12, 0, 7),
	} {
		if err := held.Set(path, x); err != nil {
			t.Fatalf("set %s: %v", path, err)
		}
	}
	if f := held.Field("param"); f != nil {
		p := f.Field("params")
		p.Items = append(p.Items,
			&Value{Kind: KindString, Type: "string", Str: "neg"}, &Value{Kind: KindVariant, Type: "variant", VariantType: rmc.VariantInt64, Items: []*Value{{Kind: KindS64, Type: "s64", Int: -3}}},
			&Value{Kind: KindString, Type: "string", Str: "str"}, &Value{Kind: KindVariant, Type: "variant", VariantType: rmc.VariantString, Items: []*Value{{Kind: KindString, Type: "string", Str: "x"}}})
	}
	held.Tail = []byte{0xaa, 0xbb}
	req := m.NewRequest(s)
	g := req.Field("gathering")
	g.Class, g.Items = "MatchmakeSession", []*Value{held}
	if err := req.Set("message", "hi"); err != nil {
		t.Fatal(err)
	}
	body, err := m.EncodeRequest(req, s)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := m.DecodeRequest(body, s)
	if err != nil {
		t.Fatal(err)
	}
	text := dec.AppendJSON(nil)
	back, err := m.FromJSON(true, text, s)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	out, err := m.EncodeRequest(back, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, body) {
		t.Fatalf("rebuilt\n%x\nwant\n%x\n%s", out, body, text)
	}
	for _, want := range []string{`"$class":"MatchmakeSession"`, `"started_time":"2024-05-01 12:00:07"`, `"neg":-3`, `"$tail":"aabb"`} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("text lacks %s: %s", want, text)
		}
	}
}

// FuzzFromJSON feeds arbitrary text to every described method: FromJSON
// must never panic, and what it accepts must encode and decode again.
func FuzzFromJSON(f *testing.F) {
	f.Add(uint16(112), uint32(1), uint8(1), []byte(`{"score_data":{"category":1,"score":9,"order":0,"update_mode":0,"groups":[0,0],"param":0},"unique_id":0}`))
	f.Add(uint16(110), uint32(7), uint8(0), []byte(`{"settings":{"0":5,"2":-1}}`))
	f.Add(uint16(109), uint32(3), uint8(27), []byte(`{"gathering":{"$class":"MatchmakeSession","id":1,"$tail":"00"},"message":""}`))
	f.Add(uint16(10), uint32(1), uint8(0), []byte(`{"result":"0x00010001 success","pid":5,"ticket":"<redacted 16 bytes>","connection_data":{"station":"prudps:/","special_protocols":[],"special_station":"","time":"2024-05-01 12:00:00"},"server_name":"x"}`))
	f.Fuzz(func(t *testing.T, proto uint16, method uint32, flags uint8, text []byte) {
		reg := Default()
		m := reg.Method(proto, method)
		if m == nil {
			ps := reg.Protocols()
			p := ps[int(proto)%len(ps)]
			ms := p.Methods()
			m = ms[int(method%uint32(len(ms)))]
		}
		request, s := fuzzSettings(flags)
		if !request && m.Protocol.NoResponse {
			request = true
		}
		// The scanner accepts exactly what encoding/json accepts (up to
		// its own depth limit).
		if _, err := parseJSON(text); (err == nil) != json.Valid(text) && !strings.Contains(fmt.Sprint(err), "nested deeper") {
			t.Fatalf("scanner says %v, encoding/json valid=%v: %q", err, json.Valid(text), text)
		}
		v, err := m.FromJSON(request, text, s)
		if err != nil {
			return
		}
		body, err := m.Encode(request, v, s)
		if err != nil {
			if errors.Is(err, ErrOverflow) {
				return // a length beyond what the wire can say (a qbuffer over 64 KiB)
			}
			t.Fatalf("%s.%s: rebuilt from text but does not encode: %v\n%s", m.Protocol.Name, m.Name, err, text)
		}
		if _, err := m.Decode(request, body, s); err != nil {
			t.Fatalf("%s.%s: rebuilt body does not decode: %v\n%s", m.Protocol.Name, m.Name, err, text)
		}
	})
}

// TestParseJSONAgreesWithEncodingJSON checks the scanner on the corners
// of JSON's grammar that session logs can hold.
func TestParseJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, text := range []string{
		`{}`, `[]`, ` { "a" : [ 1 , -0.5e+3 , true , false , null ] } `, `"\u00e9\ud83d\ude00\n\"\/"`, `"héllo"`,
		`{"a":1,}`, `[1 2]`, `01`, `-`, `1.`, `1e`, `"\x"`, "\"\x01\"", `"abc`, `{"a"}`, `{"a":}`, `tru`, `nul`, `{"a":1}x`, "\"\xff\"", ``,
	} {
		n, err := parseJSON([]byte(text))
		if (err == nil) != json.Valid([]byte(text)) {
			t.Errorf("%q: scanner %v, encoding/json valid %v", text, err, json.Valid([]byte(text)))
		}
		if err == nil && n.kind == jString {
			var want string
			_ = json.Unmarshal([]byte(text), &want)
			if n.str != want {
				t.Errorf("%q: string %q, want %q", text, n.str, want)
			}
		}
	}
}
