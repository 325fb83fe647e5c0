package schema

import (
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
)

// benchSession builds a typical NEX 3.8 CreateMatchmakeSession request:
// a MatchmakeSession with headers, six attributes, a small application
// buffer and a one-entry MatchmakeParam.
func benchSession(b *testing.B) (*Method, []byte) {
	m := Default().MethodByName("MatchmakeExtension", "CreateMatchmakeSession")
	s := nex38
	sess, err := Default().New("MatchmakeSession", s)
	if err != nil {
		b.Fatal(err)
	}
	req := m.NewRequest(s)
	g, _ := req.Get("gathering")
	g.Class, g.Items = "MatchmakeSession", []*Value{sess}
	for path, x := range map[string]any{
		"gathering.owner": 1234567, "gathering.host": 1234567, "gathering.max_participants": 8,
		"gathering.description": "Room of player 1234567", "gathering.game_mode": 3,
		"gathering.attribs[0]": 11, "gathering.attribs[3]": 4, "gathering.application_data": make([]byte, 32),
		"gathering.session_key": make([]byte, 32), "gathering.user_password": "",
		"description": "", "num_participants": 1,
	} {
		if err := req.Set(path, x); err != nil {
			b.Fatal(err)
		}
	}
	p, _ := req.Get("gathering.param.params")
	p.Items = []*Value{{Kind: KindString, Type: "string", Str: "region"}, {Kind: KindVariant, Type: "variant", VariantType: 6, Items: []*Value{{Kind: KindU64, Type: "u64", Uint: 2}}}}
	body, err := m.EncodeRequest(req, s)
	if err != nil {
		b.Fatal(err)
	}
	return m, body
}

// benchRanking builds a GetRanking response with 100 entries.
func benchRanking(b *testing.B) (*Method, []byte, rmc.Settings) {
	s := wiiu
	m := Default().MethodByName("Ranking", "GetRanking")
	resp := m.NewResponse(s)
	data, _ := resp.Get("result.data")
	for i := 0; i < 100; i++ {
		e, _ := Default().New("RankingRankData", s)
		_ = e.Set("pid", 1000+i)
		_ = e.Set("rank", i+1)
		_ = e.Set("score", 100000-i)
		_ = e.Set("groups", nil)
		g, _ := e.Get("groups")
		g.Items = []*Value{{Kind: KindU8, Type: "u8", Uint: 1}, {Kind: KindU8, Type: "u8", Uint: 2}}
		_ = e.Set("common_data", make([]byte, 16))
		data.Items = append(data.Items, e)
	}
	_ = resp.Set("result.total", 100)
	body, err := m.EncodeResponse(resp, s)
	if err != nil {
		b.Fatal(err)
	}
	return m, body, s
}

func BenchmarkMatchmakeSessionRoundTrip(b *testing.B) {
	m, body := benchSession(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := m.DecodeRequest(body, nex38)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.EncodeRequest(v, nex38); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRanking100RoundTrip(b *testing.B) {
	m, body, s := benchRanking(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := m.DecodeResponse(body, s)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.EncodeResponse(v, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatchmakeSessionJSON(b *testing.B) {
	m, body := benchSession(b)
	v, err := m.DecodeRequest(body, nex38)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	buf := make([]byte, 0, 4096)
	for b.Loop() {
		buf = v.AppendJSON(buf[:0])
	}
}
