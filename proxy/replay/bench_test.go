package replay

import (
	"testing"

	"github.com/nexproxy/nexproxy/rmc/schema"
)

// BenchmarkAnswer measures one replayed GetRanking of 80 rows with 48
// bytes of common data each (an 8 KB answer): decoding and matching the
// request, rebuilding the recorded response from its text and encoding it.
func BenchmarkAnswer(b *testing.B) {
	reg := schema.Default()
	m := reg.Method(112, 9)
	resp := m.NewResponse(testSettings)
	data := resp.Field("result").Field("data")
	for i := 0; i < 80; i++ {
		row, err := reg.New("RankingRankData", testSettings)
		if err != nil {
			b.Fatal(err)
		}
		_ = row.Set("pid", 1000+i)
		_ = row.Set("rank", i+1)
		_ = row.Set("score", 10000+37*i)
		_ = row.Set("common_data", make([]byte, 48))
		data.Items = append(data.Items, row)
	}
	ix := load(b, Options{}, logText(b, "g", true, call("Ranking", 112, "GetRanking", 9, getRanking, string(resp.AppendJSON(nil)))))
	c := request(b, 112, 9, getRanking)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := ix.Answer("g", reg, 0, c)
		if err != nil || !r.Success() || len(r.Body) < 80*48 {
			b.Fatalf("answer %v %v", r, err)
		}
	}
}
