package scripts

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/schema"
)

// BenchmarkNoopHook is the added cost per call of one hook that does
// nothing (target: a few µs).
func BenchmarkNoopHook(b *testing.B) {
	e, _ := newEngine(b, map[string]string{"a.lua": `nex.on_request("Ranking", "UploadScore", function(call) end)`})
	c := uploadScore(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.OnRequest(bg, c)
	}
}

// matchmakeCall is a CreateMatchmakeSession request carrying a full
// MatchmakeSession (NEX 3.8 layout, structure headers).
func matchmakeCall(b *testing.B) *Call {
	reg := schema.Default()
	s := rmc.Settings{PIDSize: 4, StructHeader: true, NEXVersion: 30810}
	m := reg.MethodByName("MatchmakeExtension", "CreateMatchmakeSession")
	req := m.NewRequest(s)
	ms, err := reg.New("MatchmakeSession", s)
	if err != nil {
		b.Fatal(err)
	}
	g := field(b, req, "gathering")
	g.Class, g.Items = "MatchmakeSession", []*schema.Value{ms}
	must2(b, req.Set("gathering.max_participants", 8))
	must2(b, req.Set("gathering.description", "bench"))
	body, err := m.EncodeRequest(req, s)
	if err != nil {
		b.Fatal(err)
	}
	return &Call{Protocol: m.Protocol.ID, Method: m.ID, Settings: s, Body: body}
}

func must2(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkModifyMatchmakeSession reads and changes one field of a decoded
// MatchmakeSession: decode, Lua tables, apply, encode.
func BenchmarkModifyMatchmakeSession(b *testing.B) {
	e, _ := newEngine(b, map[string]string{"a.lua": `
nex.on_request("MatchmakeExtension", "CreateMatchmakeSession", function(call)
  local g = call.params.gathering
  g.max_participants = g.max_participants + 1
end)`})
	c := matchmakeCall(b)
	if v := e.OnRequest(bg, c); v.Body == nil {
		b.Fatalf("hook did not change the call: %+v", e.Stats())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.OnRequest(bg, c)
	}
}

// BenchmarkCallsPerSecond runs parallel calls with 0, 1 and 10 hooks
// loaded (the 10 hooks all match the call).
func BenchmarkCallsPerSecond(b *testing.B) {
	for _, n := range []int{0, 1, 10} {
		b.Run(fmt.Sprintf("hooks=%d", n), func(b *testing.B) {
			var src strings.Builder
			for i := 0; i < n; i++ {
				src.WriteString(`nex.on_request("Ranking", "UploadScore", function(call) local x = call.call_id end)` + "\n")
			}
			e, _ := newEngine(b, map[string]string{"a.lua": src.String()}, func(c *Config) { c.PoolSize = 0 })
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				c := uploadScore(b)
				c.Session = NewSession(nil)
				for pb.Next() {
					e.OnRequest(bg, c)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}
