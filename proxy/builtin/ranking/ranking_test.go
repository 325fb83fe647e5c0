package ranking_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/storetest"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	rk "github.com/nexproxy/nexproxy/proxy/builtin/ranking"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking/legacy"
	"github.com/nexproxy/nexproxy/rmc/protocols/secureconnection"
	"github.com/nexproxy/nexproxy/rmc/rpc"

	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// backend opens a Host whose rankings live on one backend.
type backend struct {
	name string
	host func(t *testing.T) *builtin.Host
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T) *builtin.Host { return servicetest.Host(t) }},
		{"postgres", func(t *testing.T) *builtin.Host {
			url := storetest.Env(t, "NEXPROXY_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
			schema := storetest.RandomName("nexproxy_ranking_")
			ctx := context.Background()
			admin, err := pgx.Connect(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
				_ = admin.Close(context.Background())
			})
			cfg := store.DefaultConfig()
			cfg.DataDir = t.TempDir()
			cfg.Backends.Rankings = store.BackendPostgres
			sep := "?"
			if strings.Contains(url, "?") {
				sep = "&"
			}
			cfg.Postgres.URL = url + sep + "search_path=" + schema
			return servicetest.HostWith(t, cfg)
		}},
		{"redis", func(t *testing.T) *builtin.Host {
			url := storetest.Env(t, "NEXPROXY_TEST_REDIS", "redis://127.0.0.1:6379/0")
			cfg := store.DefaultConfig()
			cfg.DataDir = t.TempDir()
			cfg.Backends.Rankings = store.BackendRedis
			cfg.Redis.URL = url
			cfg.Redis.KeyPrefix = storetest.RandomName("nexproxy-ranking-") + ":"
			return servicetest.HostWith(t, cfg)
		}},
	}
}

// each runs f on every backend.
func each(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

const baseTOML = `
[games.ranking]
common_data_max = 8192
cache_lifetime = "1h"
[[games.ranking.categories]]
id = 9999
order = "asc"
[[games.ranking.categories]]
id = 50
order = "desc"
score_max = 100000
[[games.ranking.seed]]
category = 9999
count = 80
pid = 1000
unique_id = 0
score = 10000
score_step = 37
common_data_size = 48
`

type player struct {
	pid uint64
	cl  *ranking.Client
	raw rpc.Caller
	set rmc.Settings
}

func start(t *testing.T, b backend, extra string) []player {
	return startTOML(t, b, baseTOML+extra)
}

// startTOML starts a wiiu game with the game table's text toml and logs
// three players in.
func startTOML(t *testing.T, b backend, toml string) []player {
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu", TOML: toml}, b.host(t))
	var out []player
	for i := 1; i <= 3; i++ {
		c := srv.Login(t, fmt.Sprintf("%d:pw%d", 1000+i, i))
		out = append(out, player{pid: uint64(1000 + i), cl: ranking.NewClient(c.Secure, c.Settings), raw: c.Secure, set: c.Settings})
	}
	return out
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func order(calc uint8, offset uint32, count uint8) ranking.RankingOrderParam {
	return ranking.RankingOrderParam{OrderCalc: calc, GroupIndex: 255, TimeScope: 2, Offset: offset, Count: count}
}

func upload(t *testing.T, p player, cat, score uint32, ord, mode uint8, groups []byte, uid uint64) {
	t.Helper()
	_, err := p.cl.UploadScore(ctxT(t), &ranking.UploadScoreRequest{ScoreData: ranking.RankingScoreData{
		Category: cat, Score: score, Order: ord, UpdateMode: mode, Groups: groups, Param: uint64(score)}, UniqueID: uid})
	if err != nil {
		t.Fatalf("UploadScore %d by %d: %v", score, p.pid, err)
	}
}

func getRanking(t *testing.T, p player, mode uint8, cat uint32, o ranking.RankingOrderParam, uid, pid uint64) (*ranking.RankingResult, error) {
	t.Helper()
	r, err := p.cl.GetRanking(ctxT(t), &ranking.GetRankingRequest{Mode: mode, Category: cat, Order: o, UniqueID: uid, PID: pid})
	if err != nil {
		return nil, err
	}
	return &r.Result, nil
}

func pidsRanks(r *ranking.RankingResult) (pids []uint64, ranks []uint32) {
	for _, d := range r.Data {
		pids = append(pids, d.PID)
		ranks = append(ranks, d.Rank)
	}
	return
}

func wantResult(t *testing.T, err error, want rmc.Result) {
	t.Helper()
	if got := rpc.ResultOf(err); err == nil || got != want {
		t.Fatalf("error %v (%v), want %v", err, got, want)
	}
}

// TestUploadAndModes: update modes, the order from the first upload,
// standard and ordinal ranks, modes 0, 1, 4, pid 0 and another PID, the
// real total, the empty answer.
func TestUploadAndModes(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		ps := start(t, b, "")
		a, bb, c := ps[0], ps[1], ps[2]
		// Category 27, order from the first upload: ascending.
		upload(t, a, 27, 500, 0, 0, []byte{1, 2}, 0)
		upload(t, a, 27, 600, 0, 0, []byte{1, 2}, 0)  // worse (ascending): kept 500
		upload(t, bb, 27, 500, 1, 0, []byte{2, 2}, 0) // order byte ignored now
		upload(t, c, 27, 400, 0, 0, []byte{1, 3}, 0)
		r, err := getRanking(t, a, rk.ModeGlobal, 27, order(0, 0, 10), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		pids, ranks := pidsRanks(r)
		if !slices.Equal(pids, []uint64{1003, 1001, 1002}) || !slices.Equal(ranks, []uint32{1, 2, 2}) || r.Total != 3 {
			t.Fatalf("standard: pids %v ranks %v total %d", pids, ranks, r.Total)
		}
		if r.Data[1].Score != 500 || !bytes.Equal(r.Data[1].Groups, []byte{1, 2}) || r.Data[1].Param != 500 || r.SinceTime != rmc.NewDateTime(2000, 1, 1, 0, 0, 0) {
			t.Errorf("row %+v since %v", r.Data[1], r.SinceTime)
		}
		r, _ = getRanking(t, a, rk.ModeGlobal, 27, order(1, 1, 10), 0, 0)
		if pids, ranks := pidsRanks(r); !slices.Equal(pids, []uint64{1001, 1002}) || !slices.Equal(ranks, []uint32{2, 3}) || r.Total != 3 {
			t.Fatalf("ordinal from 1: %v %v", pids, ranks)
		}
		// update_mode 1 replaces with a worse score.
		upload(t, c, 27, 900, 0, 1, []byte{1, 3}, 0)
		r, _ = getRanking(t, a, rk.ModeGlobal, 27, order(1, 0, 10), 0, 0)
		if pids, _ := pidsRanks(r); !slices.Equal(pids, []uint64{1001, 1002, 1003}) {
			t.Fatalf("after replace: %v", pids)
		}
		// Group filter: groups[0] == 1 → 1001 and 1003; total follows.
		f := order(0, 0, 10)
		f.GroupIndex, f.GroupNum = 0, 1
		r, _ = getRanking(t, a, rk.ModeGlobal, 27, f, 0, 0)
		if pids, ranks := pidsRanks(r); !slices.Equal(pids, []uint64{1001, 1003}) || !slices.Equal(ranks, []uint32{1, 2}) || r.Total != 2 {
			t.Fatalf("filtered: %v %v total %d", pids, ranks, r.Total)
		}
		// Mode 4, pid 0 = caller; another PID.
		r, _ = getRanking(t, bb, rk.ModeSelf, 27, order(1, 0, 10), 0, 0)
		if pids, ranks := pidsRanks(r); !slices.Equal(pids, []uint64{1002}) || !slices.Equal(ranks, []uint32{2}) || r.Total != 3 {
			t.Fatalf("self: %v %v", pids, ranks)
		}
		r, _ = getRanking(t, bb, rk.ModeSelf, 27, order(1, 0, 10), 0, 1003)
		if pids, _ := pidsRanks(r); !slices.Equal(pids, []uint64{1003}) {
			t.Fatalf("self of 1003: %v", pids)
		}
		// Mode 1 on the big seeded category: 11 around PID 1040 (rank 41).
		r, _ = getRanking(t, a, rk.ModeGlobalAround, 9999, order(1, 0, 11), 40, 1040)
		if pids, ranks := pidsRanks(r); len(pids) != 11 || pids[5] != 1040 || ranks[0] != 36 || ranks[10] != 46 || r.Total != 80 {
			t.Fatalf("around: %v %v", pids, ranks)
		}
		r, _ = getRanking(t, a, rk.ModeGlobalAround, 9999, order(1, 0, 10), 40, 1040)
		if pids, _ := pidsRanks(r); len(pids) != 10 || pids[4] != 1040 {
			t.Fatalf("around 10: %v", pids)
		}
		r, _ = getRanking(t, a, rk.ModeGlobalAround, 9999, order(1, 0, 11), 0, 1000)
		if pids, _ := pidsRanks(r); len(pids) != 11 || pids[0] != 1000 {
			t.Fatalf("around the top: %v", pids)
		}
		// Unknown unique id: centred on the user's best entry.
		r, _ = getRanking(t, a, rk.ModeGlobalAround, 9999, order(1, 0, 3), 12345, 1079)
		if pids, _ := pidsRanks(r); !slices.Equal(pids, []uint64{1078, 1079}) /* shorter at the bottom */ {
			t.Fatalf("around the bottom: %v", pids)
		}
		// Nothing: Ranking::NotFound.
		_, err = getRanking(t, a, rk.ModeGlobal, 28, order(0, 0, 10), 0, 0)
		wantResult(t, err, rmc.ResultRankingNotFound)
		_, err = getRanking(t, a, rk.ModeGlobalAround, 28, order(0, 0, 10), 0, 0)
		wantResult(t, err, rmc.ResultRankingNotFound)
		_, err = getRanking(t, a, 9, 27, order(0, 0, 10), 0, 0)
		wantResult(t, err, rmc.ResultRankingInvalidArgument)
		// Configured descending category with a score bound.
		upload(t, a, 50, 10, 0, 0, nil, 0)
		upload(t, bb, 50, 20, 0, 0, nil, 0)
		r, _ = getRanking(t, a, rk.ModeGlobal, 50, order(0, 0, 10), 0, 0)
		if pids, _ := pidsRanks(r); !slices.Equal(pids, []uint64{1002, 1001}) {
			t.Fatalf("descending category: %v", pids)
		}
		_, err = a.cl.UploadScore(ctxT(t), &ranking.UploadScoreRequest{ScoreData: ranking.RankingScoreData{Category: 50, Score: 100001}})
		wantResult(t, err, rmc.ResultRankingInvalidScore)
	})
}

// TestEmptyList: empty_result = "empty" answers an empty list.
func TestEmptyList(t *testing.T) {
	srvTOML := strings.Replace(baseTOML, "[games.ranking]\n", "[games.ranking]\nempty_result = \"empty\"\n", 1)
	srv := servicetest.Start(t, servicetest.Game{Platform: "3ds", TOML: srvTOML}, nil)
	c := srv.Login(t, "1001:pw1")
	r, err := ranking.NewClient(c.Secure, c.Settings).GetRanking(ctxT(t), &ranking.GetRankingRequest{Mode: 0, Category: 77, Order: order(0, 0, 10)})
	if err != nil || len(r.Result.Data) != 0 || r.Result.Total != 0 {
		t.Fatalf("empty: %+v, %v", r, err)
	}
}

// TestCommonData: 6000 bytes both ways (fragmented), the size limit,
// NotFound, delete; rows carry their owner's blob.
func TestCommonData(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		ps := start(t, b, "")
		a := ps[0]
		ctx := ctxT(t)
		blob := make([]byte, 6000)
		for i := range blob {
			blob[i] = byte(i * 13)
		}
		if _, err := a.cl.UploadCommonData(ctx, &ranking.UploadCommonDataRequest{CommonData: blob, UniqueID: 0}); err != nil {
			t.Fatal(err)
		}
		got, err := a.cl.GetCommonData(ctx, &ranking.GetCommonDataRequest{UniqueID: 0})
		if err != nil || !bytes.Equal(got.Data, blob) {
			t.Fatalf("GetCommonData: %d bytes, %v", len(got.Data), err)
		}
		_, err = a.cl.GetCommonData(ctx, &ranking.GetCommonDataRequest{UniqueID: 999})
		wantResult(t, err, rmc.ResultRankingNotFound)
		_, err = ps[1].cl.GetCommonData(ctx, &ranking.GetCommonDataRequest{UniqueID: 0})
		wantResult(t, err, rmc.ResultRankingNotFound)
		_, err = a.cl.UploadCommonData(ctx, &ranking.UploadCommonDataRequest{CommonData: make([]byte, 8193)})
		wantResult(t, err, rmc.ResultRankingInvalidDataSize)
		upload(t, a, 27, 5, 0, 0, nil, 0)
		r, _ := getRanking(t, a, rk.ModeSelf, 27, order(0, 0, 10), 0, 0)
		if len(r.Data) != 1 || !bytes.Equal(r.Data[0].CommonData, blob) {
			t.Fatalf("row without its owner's common data")
		}
		if _, err := a.cl.DeleteCommonData(ctx, &ranking.DeleteCommonDataRequest{}); err != nil {
			t.Fatal(err)
		}
		_, err = a.cl.DeleteCommonData(ctx, &ranking.DeleteCommonDataRequest{})
		wantResult(t, err, rmc.ResultRankingNotFound)
		r, _ = getRanking(t, a, rk.ModeSelf, 27, order(0, 0, 10), 0, 0)
		if len(r.Data) != 1 || len(r.Data[0].CommonData) != 0 {
			t.Fatalf("row keeps deleted common data")
		}
	})
}

// TestBigRankingStatsApprox: the 80-row answer (fragmented), stats with
// every flag, GetApproxOrder, as NintendoClients' client checks them.
func TestBigRankingStatsApprox(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		ps := start(t, b, "")
		a := ps[0]
		ctx := ctxT(t)
		r, err := getRanking(t, a, rk.ModeGlobal, 9999, order(1, 0, 80), 0, 0)
		if err != nil || len(r.Data) != 80 || r.Total != 80 {
			t.Fatalf("80 rows: %v", err)
		}
		for i, d := range r.Data {
			cd := make([]byte, 48)
			for j := range cd {
				cd[j] = byte(i*7 + j)
			}
			if d.Rank != uint32(i+1) || d.PID != uint64(1000+i) || d.Score != uint32(10000+37*i) || !bytes.Equal(d.CommonData, cd) || d.UniqueID != uint64(i) {
				t.Fatalf("row %d: %+v", i, d)
			}
		}
		sum := 0.0
		for i := 0; i < 80; i++ {
			sum += float64(10000 + 37*i)
		}
		for flags, want := range map[uint32][]float64{
			0x1F: {80, sum, 10000, 10000 + 37*79, sum / 80},
			0x01: {80, 0, 0, 0, 0},
			0x0C: {0, 0, 10000, 10000 + 37*79, 0},
			0x00: {0, 0, 0, 0, 0},
		} {
			st, err := a.cl.GetStats(ctx, &ranking.GetStatsRequest{Category: 9999, Order: order(0, 0, 10), Flags: flags})
			if err != nil || !slices.Equal(st.Stats.Stats, want) {
				t.Errorf("stats %#x = %v, %v; want %v", flags, st.Stats.Stats, err, want)
			}
		}
		f := order(0, 0, 10)
		f.GroupIndex, f.GroupNum = 0, 3 // i % 4 == 3: 20 entries
		st, _ := a.cl.GetStats(ctx, &ranking.GetStatsRequest{Category: 9999, Order: f, Flags: 0x01})
		if st.Stats.Stats[0] != 20 {
			t.Errorf("filtered count %v", st.Stats.Stats)
		}
		st, _ = a.cl.GetStats(ctx, &ranking.GetStatsRequest{Category: 4242, Order: f, Flags: 0x1F})
		if !slices.Equal(st.Stats.Stats, []float64{0, 0, 0, 0, 0}) {
			t.Errorf("empty stats %v", st.Stats.Stats)
		}
		for score, want := range map[uint32]uint32{10100: 4, 10000: 1, 9000: 1, 10037: 2, 99999: 81} {
			o, err := a.cl.GetApproxOrder(ctx, &ranking.GetApproxOrderRequest{Category: 9999, Order: order(0, 0, 10), Score: score})
			if err != nil || o.Order != want {
				t.Errorf("approx order of %d = %d, %v; want %d", score, o.Order, err, want)
			}
		}
	})
}

// TestDeleteAndAttributes: DeleteScore, DeleteAllScores, ChangeAttributes,
// ChangeAllAttributes.
func TestDeleteAndAttributes(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		ps := start(t, b, "")
		a := ps[0]
		ctx := ctxT(t)
		for cat := uint32(1); cat <= 3; cat++ {
			upload(t, a, cat, 10*cat, 0, 0, []byte{1, 1}, 5)
			upload(t, a, cat, 10*cat, 0, 0, []byte{1, 1}, 6)
		}
		_, err := a.cl.ChangeAttributes(ctx, &ranking.ChangeAttributesRequest{Category: 1, UniqueID: 5,
			Param: ranking.RankingChangeAttributesParam{Flags: 0x02 | 0x10, Groups: []byte{7, 8}, Param: 99}})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := getRanking(t, a, rk.ModeSelf, 1, order(0, 0, 10), 5, 0)
		for _, d := range r.Data {
			if d.UniqueID == 5 && (!bytes.Equal(d.Groups, []byte{1, 8}) || d.Param != 99) {
				t.Errorf("changed row %+v", d)
			}
			if d.UniqueID == 6 && (!bytes.Equal(d.Groups, []byte{1, 1}) || d.Param != 10) {
				t.Errorf("untouched row %+v", d)
			}
		}
		_, err = a.cl.ChangeAttributes(ctx, &ranking.ChangeAttributesRequest{Category: 9, UniqueID: 5, Param: ranking.RankingChangeAttributesParam{Flags: 1}})
		wantResult(t, err, rmc.ResultRankingNotFound)
		if _, err := a.cl.ChangeAllAttributes(ctx, &ranking.ChangeAllAttributesRequest{UniqueID: 6,
			Param: ranking.RankingChangeAttributesParam{Flags: 0x01, Groups: []byte{4}}}); err != nil {
			t.Fatal(err)
		}
		f := order(0, 0, 10)
		f.GroupIndex, f.GroupNum = 0, 4
		for cat := uint32(1); cat <= 3; cat++ {
			r, err := getRanking(t, a, rk.ModeGlobal, cat, f, 0, 0)
			if err != nil || len(r.Data) != 1 || r.Data[0].UniqueID != 6 {
				t.Errorf("category %d after ChangeAll: %v", cat, err)
			}
		}
		if _, err := a.cl.DeleteScore(ctx, &ranking.DeleteScoreRequest{Category: 1, UniqueID: 5}); err != nil {
			t.Fatal(err)
		}
		_, err = a.cl.DeleteScore(ctx, &ranking.DeleteScoreRequest{Category: 1, UniqueID: 5})
		wantResult(t, err, rmc.ResultRankingNotFound)
		if _, err := a.cl.DeleteAllScores(ctx, &ranking.DeleteAllScoresRequest{UniqueID: 6}); err != nil {
			t.Fatal(err)
		}
		for cat := uint32(1); cat <= 3; cat++ {
			r, _ := getRanking(t, a, rk.ModeGlobal, cat, order(0, 0, 10), 0, 0)
			want := 1
			if cat == 1 {
				want = 0
			}
			if r == nil && want == 0 {
				continue
			}
			if r == nil || len(r.Data) != want || r.Data[0].UniqueID != 5 {
				t.Errorf("category %d after deletes: %+v", cat, r)
			}
		}
	})
}

// TestLists: GetRankingByPIDList and ByUniqueIdList rank the listed users
// among themselves.
func TestLists(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		ps := start(t, b, "")
		a := ps[0]
		ctx := ctxT(t)
		r, err := a.cl.GetRankingByPIDList(ctx, &ranking.GetRankingByPIDListRequest{PIDs: []uint64{1010, 1005, 1005, 5555}, Mode: 0, Category: 9999, Order: order(0, 0, 10)})
		if err != nil {
			t.Fatal(err)
		}
		if pids, ranks := pidsRanks(&r.Result); !slices.Equal(pids, []uint64{1005, 1010}) || !slices.Equal(ranks, []uint32{1, 2}) || r.Result.Total != 2 {
			t.Fatalf("by PIDs: %v %v", pids, ranks)
		}
		u, err := a.cl.GetRankingByUniqueIdList(ctx, &ranking.GetRankingByUniqueIdListRequest{IDs: []uint64{70, 3}, Mode: 0, Category: 9999, Order: order(1, 0, 10)})
		if err != nil {
			t.Fatal(err)
		}
		if pids, _ := pidsRanks(&u.Result); !slices.Equal(pids, []uint64{1003, 1070}) {
			t.Fatalf("by unique ids: %v", pids)
		}
		_, err = a.cl.GetRankingByPIDList(ctx, &ranking.GetRankingByPIDListRequest{PIDs: []uint64{42}, Category: 9999, Order: order(0, 0, 10)})
		wantResult(t, err, rmc.ResultRankingNotFound)
	})
}

// TestCachedTopX: the same snapshot until it expires, honest times,
// several categories.
func TestCachedTopX(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		ps := start(t, b, "[[games.ranking.categories]]\nid = 61\ncache_lifetime = \"1s\"\n")
		a := ps[0]
		ctx := ctxT(t)
		upload(t, a, 60, 100, 1, 0, nil, 0)
		upload(t, a, 61, 100, 1, 0, nil, 0)
		first, err := a.cl.GetCachedTopXRanking(ctx, &ranking.GetCachedTopXRankingRequest{Category: 60, Order: order(0, 0, 10)})
		if err != nil {
			t.Fatal(err)
		}
		res := first.Result
		if len(res.Data) != 1 || res.MaxLength != 10 || res.ExpiredTime.Time().Sub(res.CreatedTime.Time()) != time.Hour {
			t.Fatalf("snapshot %+v", res)
		}
		if d := time.Since(res.CreatedTime.Time()); d < -2*time.Second || d > time.Minute {
			t.Errorf("created %v is not now", res.CreatedTime)
		}
		upload(t, ps[1], 60, 200, 1, 0, nil, 0)
		again, _ := a.cl.GetCachedTopXRanking(ctx, &ranking.GetCachedTopXRankingRequest{Category: 60, Order: order(0, 0, 10)})
		if len(again.Result.Data) != 1 || again.Result.CreatedTime != res.CreatedTime {
			t.Errorf("snapshot changed before expiry: %d rows", len(again.Result.Data))
		}
		// Category 61 expires after a second: a new upload shows later.
		s1, _ := a.cl.GetCachedTopXRankings(ctx, &ranking.GetCachedTopXRankingsRequest{Categories: []uint32{61, 60}, Order: []ranking.RankingOrderParam{order(0, 0, 5), order(0, 0, 10)}})
		if len(s1.Results) != 2 || len(s1.Results[0].Data) != 1 || s1.Results[0].MaxLength != 5 {
			t.Fatalf("rankings: %+v", s1)
		}
		upload(t, ps[1], 61, 300, 1, 0, nil, 0)
		time.Sleep(2100 * time.Millisecond)
		s2, _ := a.cl.GetCachedTopXRankings(ctx, &ranking.GetCachedTopXRankingsRequest{Categories: []uint32{61}, Order: []ranking.RankingOrderParam{order(0, 0, 5)}})
		if len(s2.Results) != 1 || len(s2.Results[0].Data) != 2 || s2.Results[0].Data[0].PID != 1002 {
			t.Errorf("expired snapshot not renewed: %+v", s2)
		}
		_, err = a.cl.GetCachedTopXRankings(ctx, &ranking.GetCachedTopXRankingsRequest{Categories: []uint32{61, 60}, Order: []ranking.RankingOrderParam{order(0, 0, 5)}})
		wantResult(t, err, rmc.ResultRankingInvalidArgument)
	})
}

type fakeFriends map[uint64][]uint64

func (f fakeFriends) FriendsOf(_ context.Context, _ string, pid uint64) ([]uint64, error) {
	return f[pid], nil
}

// TestFriendModes: modes 2 and 3 over the caller and its friends; with
// no friend source both answer like 4 (never with strangers).
func TestFriendModes(t *testing.T) {
	ps := start(t, backends()[0], "")
	a := ps[0]
	for _, mode := range []uint8{rk.ModeFriends, rk.ModeFriendsAround} {
		r, err := getRanking(t, a, mode, 9999, order(1, 0, 10), 0, 1040)
		if err != nil {
			t.Fatal(err)
		}
		if pids, ranks := pidsRanks(r); !slices.Equal(pids, []uint64{1040}) || !slices.Equal(ranks, []uint32{41}) || r.Total != 80 {
			t.Fatalf("no friends, mode %d: %v %v total %d", mode, pids, ranks, r.Total)
		}
	}
	host := servicetest.Host(t)
	host.Friends = fakeFriends{1040: {1070, 1002, 1010}}
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu", TOML: baseTOML}, host)
	c := srv.Login(t, "1001:pw1")
	p := player{pid: 1001, cl: ranking.NewClient(c.Secure, c.Settings)}
	r, err := getRanking(t, p, rk.ModeFriends, 9999, order(1, 0, 10), 0, 1040)
	if err != nil {
		t.Fatal(err)
	}
	if pids, ranks := pidsRanks(r); !slices.Equal(pids, []uint64{1002, 1010, 1040, 1070}) || !slices.Equal(ranks, []uint32{1, 2, 3, 4}) || r.Total != 4 {
		t.Fatalf("friends: %v %v", pids, ranks)
	}
	r, _ = getRanking(t, p, rk.ModeFriendsAround, 9999, order(1, 0, 1), 0, 1040)
	if pids, _ := pidsRanks(r); !slices.Equal(pids, []uint64{1040}) {
		t.Fatalf("friends around: %v", pids)
	}
}

// TestFriendModesManyFriends: a caller with more friends than one
// ByList call may name (its circle over maxListedUsers) still gets its
// friend ranking, not InvalidArgument.
func TestFriendModesManyFriends(t *testing.T) {
	friends := []uint64{1070, 1002, 1010}
	for pid := uint64(5001); len(friends) < 1000; pid++ {
		friends = append(friends, pid) // no entry in the category
	}
	host := servicetest.Host(t)
	host.Friends = fakeFriends{1040: friends}
	srv := servicetest.Start(t, servicetest.Game{Platform: "wiiu", TOML: baseTOML}, host)
	c := srv.Login(t, "1001:pw1")
	p := player{pid: 1001, cl: ranking.NewClient(c.Secure, c.Settings)}
	for _, mode := range []uint8{rk.ModeFriends, rk.ModeFriendsAround} {
		r, err := getRanking(t, p, mode, 9999, order(1, 0, 10), 0, 1040)
		if err != nil {
			t.Fatalf("mode %d with %d friends: %v", mode, len(friends), err)
		}
		if pids, ranks := pidsRanks(r); !slices.Equal(pids, []uint64{1002, 1010, 1040, 1070}) || !slices.Equal(ranks, []uint32{1, 2, 3, 4}) || r.Total != 4 {
			t.Fatalf("mode %d with %d friends: %v %v total %d", mode, len(friends), pids, ranks, r.Total)
		}
	}
}

// TestMalformed: truncated and garbage bodies answer an error, never
// crash, and the connection keeps working.
func TestMalformed(t *testing.T) {
	ps := start(t, backends()[0], "")
	a := ps[0]
	ctx := ctxT(t)
	for method := uint32(1); method <= 15; method++ {
		for _, body := range [][]byte{nil, {1}, bytes.Repeat([]byte{0xFF}, 64)} {
			m, err := a.raw.Call(ctx, ranking.ProtocolID, method, body)
			if err != nil {
				t.Fatalf("method %d: %v", method, err)
			}
			if m.Success {
				t.Errorf("method %d accepted %x", method, body)
			}
		}
	}
	if _, err := getRanking(t, a, rk.ModeGlobal, 9999, order(0, 0, 1), 0, 0); err != nil {
		t.Fatal(err)
	}
}

// TestProxiedGameLocalRanking: a proxied game with ranking = "local"
// answers Ranking itself while other calls go upstream.
func TestProxiedGameLocalRanking(t *testing.T) {
	up := servicetest.Start(t, servicetest.Game{Platform: "wiiu"}, nil)
	front := servicetest.Start(t, servicetest.Game{Platform: "wiiu", Upstream: up.AuthAddr("g").String(),
		TOML: baseTOML + "[games.protocols]\nranking = \"local\"\n"}, nil)
	c := front.Login(t, "1001:pw1")
	cl := ranking.NewClient(c.Secure, c.Settings)
	r, err := cl.GetRanking(ctxT(t), &ranking.GetRankingRequest{Mode: 0, Category: 9999, Order: order(0, 0, 5)})
	if err != nil || len(r.Result.Data) != 5 {
		t.Fatalf("local ranking through the proxy: %v", err)
	}
	// The upstream has no ranking service: only the front's answers it.
	u := up.Login(t, "1002:pw2")
	_, err = ranking.NewClient(u.Secure, u.Settings).GetRanking(ctxT(t), &ranking.GetRankingRequest{Mode: 0, Category: 9999, Order: order(0, 0, 5)})
	if err == nil {
		t.Fatal("the upstream answered from a seed it does not have")
	}
	// Secure connection calls still go upstream and work.
	if m, err := c.Secure.Call(ctxT(t), secureconnection.ProtocolID, secureconnection.MethodTestConnectivity, nil); err != nil || !m.Success {
		t.Fatalf("TestConnectivity upstream: %v", err)
	}
}

// TestConfigProblems: every bad [games.ranking] key is reported by name.
func TestConfigProblems(t *testing.T) {
	g := servicetest.Game{TOML: `
[games.ranking]
layout = "old"
order = "sideways"
common_data_max = -1
empty_result = "maybe"
[[games.ranking.categories]]
id = 4
order = "up"
score_min = 10
score_max = 5
[[games.ranking.categories]]
id = 4
[[games.ranking.seed]]
category = 1
count = -1
pid = 0
`}
	_, err := config.LoadTOML(g.TOMLText(t))
	if err == nil {
		t.Fatal("bad [games.ranking] accepted")
	}
	for _, key := range []string{"ranking.layout", "ranking.order", "ranking.common_data_max", "ranking.empty_result",
		"ranking.categories[0].order", "ranking.categories[0].score_max", "ranking.categories[1].id", "ranking.seed[0].count", "ranking.seed[0].pid"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("no problem reported for %s in:\n%v", key, err)
		}
	}
}

// TestTopLimit: only the top top_limit entries are served: a page from
// an offset is cut at the limit in mode 0, by-list pages, cached top
// lists and the legacy GetScore.
func TestTopLimit(t *testing.T) {
	toml := strings.Replace(baseTOML, "[games.ranking]\n", "[games.ranking]\ntop_limit = 50\nempty_result = \"empty\"\n", 1)
	ps := startTOML(t, backends()[0], toml)
	a := ps[0]
	ctx := ctxT(t)
	r, err := getRanking(t, a, rk.ModeGlobal, 9999, order(1, 45, 10), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ranks := pidsRanks(r); !slices.Equal(ranks, []uint32{46, 47, 48, 49, 50}) || r.Total != 80 {
		t.Fatalf("mode 0 from 45: ranks %v total %d", ranks, r.Total)
	}
	if r, err := getRanking(t, a, rk.ModeGlobal, 9999, order(1, 50, 10), 0, 0); err != nil || len(r.Data) != 0 {
		t.Fatalf("mode 0 from the limit: %+v %v", r, err)
	}
	var pids []uint64
	for pid := uint64(1000); pid < 1080; pid++ {
		pids = append(pids, pid)
	}
	byList, err := a.cl.GetRankingByPIDList(ctx, &ranking.GetRankingByPIDListRequest{PIDs: pids, Mode: rk.ModeGlobal, Category: 9999, Order: order(1, 45, 10)})
	if err != nil || len(byList.Result.Data) != 5 {
		t.Fatalf("by PID list from 45: %+v %v", byList, err)
	}
	cached, err := a.cl.GetCachedTopXRanking(ctx, &ranking.GetCachedTopXRankingRequest{Category: 9999, Order: order(1, 45, 10)})
	if err != nil || len(cached.Result.Data) != 5 || cached.Result.Data[4].Rank != 50 {
		t.Fatalf("cached top from 45: %+v %v", cached, err)
	}
	if cached, err := a.cl.GetCachedTopXRanking(ctx, &ranking.GetCachedTopXRankingRequest{Category: 9999, Order: order(1, 60, 10)}); err != nil || len(cached.Result.Data) != 0 {
		t.Fatalf("cached top beyond the limit: %+v %v", cached, err)
	}

	if _, err := config.LoadTOML(servicetest.Game{TOML: "[games.ranking]\ntop_limit = 0\n"}.TOMLText(t)); err == nil || !strings.Contains(err.Error(), "ranking.top_limit") {
		t.Errorf("top_limit 0: %v", err)
	}

	srv := servicetest.Start(t, servicetest.Game{Platform: "3ds", NEX: 20000, TOML: toml}, servicetest.Host(t))
	c := srv.Login(t, "1001:pw1")
	gs, err := legacy.NewClient(c.Secure, c.Settings).GetScore(ctx, &legacy.GetScoreRequest{Mode: rk.ModeGlobal, Category: 9999,
		Order: legacy.LegacyRankingOrderParam{OrderCalc: 1}, Offset: 45, Length: 10})
	if err != nil || len(gs.Data) != 5 || gs.Data[4].Order != 50 {
		t.Fatalf("legacy GetScore from 45: %+v %v", gs, err)
	}
}
