package ranking_test

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"go.uber.org/zap"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	rk "github.com/nexproxy/nexproxy/proxy/builtin/ranking"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking/legacy"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// TestLegacy: a NEX 2 game is served the legacy method table (layout
// auto): uploads keep the better score, GetTopScore, GetScore modes,
// GetSelfScore, GetTotal, common data, deletes.
func TestLegacy(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		srv := servicetest.Start(t, servicetest.Game{Platform: "3ds", NEX: 20000, TOML: "[games.ranking]\n"}, b.host(t))
		var cls []*legacy.Client
		for i, u := range []string{"1001:pw1", "1002:pw2", "1003:pw3"} {
			c := srv.Login(t, u)
			cls = append(cls, legacy.NewClient(c.Secure, c.Settings))
			if i == 0 {
				// The NEX 3 layout is not served to this game.
				if _, err := ranking.NewClient(c.Secure, c.Settings).GetRanking(ctxT(t), &ranking.GetRankingRequest{Category: 1, Order: order(0, 0, 5)}); err == nil {
					t.Fatal("a NEX 2 game answered the NEX 3 GetRanking")
				}
			}
		}
		ctx := ctxT(t)
		for i, sc := range []uint32{300, 100, 200} {
			r, err := cls[i].UploadScore(ctx, &legacy.UploadScoreRequest{UniqueID: 7, Category: 3, Scores: []uint32{sc, 9}, Unknown1: 1, Unknown2: 2})
			if err != nil || r.Code != 50 {
				t.Fatalf("UploadScore: %v %v", r, err)
			}
		}
		// Worse under the order the game reads the category with
		// (ascending, the order param's default): kept.
		if _, err := cls[0].GetScore(ctx, &legacy.GetScoreRequest{Category: 3, Order: legacy.LegacyRankingOrderParam{OrderBy: 0}, Length: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := cls[0].UploadScore(ctx, &legacy.UploadScoreRequest{UniqueID: 7, Category: 3, Scores: []uint32{400, 1}}); err != nil {
			t.Fatal(err)
		}
		top, err := cls[0].GetTopScore(ctx, &legacy.GetTopScoreRequest{UniqueID: 7, Category: 3})
		if err != nil || !slices.Equal(top.Scores, []uint32{300, 9}) || top.Code != 20 {
			t.Fatalf("GetTopScore = %+v, %v", top, err)
		}
		asc := legacy.LegacyRankingOrderParam{OrderBy: 0}
		gs, err := cls[0].GetScore(ctx, &legacy.GetScoreRequest{Mode: 0, Category: 3, Order: asc, Offset: 0, Length: 10})
		if err != nil || len(gs.Data) != 3 || gs.Code != 30 {
			t.Fatalf("GetScore = %+v, %v", gs, err)
		}
		var pids []uint64
		for i, d := range gs.Data {
			pids = append(pids, d.PID)
			if d.Order != uint32(i+1) || d.UniqueID != 7 || d.Unknown1 != 1 || d.Unknown2 != 2 || !slices.Equal(d.Scores, []uint32{d.Scores[0], 9}) {
				t.Errorf("row %d = %+v", i, d)
			}
		}
		if !slices.Equal(pids, []uint64{1002, 1003, 1001}) {
			t.Errorf("ascending order %v", pids)
		}
		desc := legacy.LegacyRankingOrderParam{OrderBy: 1}
		self, err := cls[1].GetSelfScore(ctx, &legacy.GetSelfScoreRequest{UniqueID: 7, Category: 3, Order: desc, Length: 1})
		if err != nil || len(self.Data) != 1 || self.Data[0].PID != 1002 || self.Data[0].Order != 3 {
			t.Fatalf("GetSelfScore = %+v, %v", self, err)
		}
		tot, err := cls[0].GetTotal(ctx, &legacy.GetTotalRequest{Category: 3})
		if err != nil || tot.Total != 3 {
			t.Fatalf("GetTotal = %+v, %v", tot, err)
		}
		cd, err := cls[0].GetCommonData(ctx, &legacy.GetCommonDataRequest{UniqueID: 7})
		if err != nil || len(cd.CommonData) != 0 {
			t.Fatalf("empty GetCommonData = %+v, %v", cd, err)
		}
		name := []byte("M\x00K\x007\x00")
		if _, err := cls[0].UploadCommonData(ctx, &legacy.UploadCommonDataRequest{UniqueID: 7, CommonData: name}); err != nil {
			t.Fatal(err)
		}
		if cd, err := cls[0].GetCommonData(ctx, &legacy.GetCommonDataRequest{UniqueID: 7}); err != nil || !bytes.Equal(cd.CommonData, name) {
			t.Fatalf("GetCommonData = %+v, %v", cd, err)
		}
		gs, _ = cls[1].GetScore(ctx, &legacy.GetScoreRequest{Mode: 4, Category: 3, Order: asc, Length: 10})
		if len(gs.Data) != 1 || gs.Data[0].PID != 1002 {
			t.Errorf("mode 4 = %+v", gs.Data)
		}
		if _, err := cls[0].DeleteScore(ctx, &legacy.DeleteScoreRequest{UniqueID: 7, Category: 3}); err != nil {
			t.Fatal(err)
		}
		_, err = cls[0].GetTopScore(ctx, &legacy.GetTopScoreRequest{UniqueID: 7, Category: 3})
		wantResult(t, err, rmc.ResultRankingNotFound)
		_, err = cls[0].Unknown7(ctx, &legacy.Unknown7Request{UniqueID: 7, Category: 3})
		wantResult(t, err, rmc.ResultRankingNotFound)
		if r, err := cls[1].DeleteAllScore(ctx, &legacy.DeleteAllScoreRequest{UniqueID: 7}); err != nil || r.Code != 100 {
			t.Fatalf("DeleteAllScore: %v %v", r, err)
		}
		if tot, _ := cls[0].GetTotal(ctx, &legacy.GetTotalRequest{Category: 3}); tot.Total != 1 {
			t.Errorf("total after deletes %d", tot.Total)
		}
	})
}

// TestLegacyFriendModes: GetScore modes 2 and 3 rank the caller among its
// friends only; without friends they list the caller's own entries.
func TestLegacyFriendModes(t *testing.T) {
	host := servicetest.Host(t)
	host.Friends = fakeFriends{1001: {1003}}
	srv := servicetest.Start(t, servicetest.Game{Platform: "3ds", NEX: 20000, TOML: "[games.ranking]\n"}, host)
	var cls []*legacy.Client
	for _, u := range []string{"1001:pw1", "1002:pw2", "1003:pw3"} {
		c := srv.Login(t, u)
		cls = append(cls, legacy.NewClient(c.Secure, c.Settings))
	}
	ctx := ctxT(t)
	for i, sc := range []uint32{300, 100, 200} {
		if _, err := cls[i].UploadScore(ctx, &legacy.UploadScoreRequest{UniqueID: 7, Category: 3, Scores: []uint32{sc, 0}}); err != nil {
			t.Fatal(err)
		}
	}
	rows := func(cl *legacy.Client, mode uint8, length uint8) (pids []uint64, ranks []uint32) {
		t.Helper()
		gs, err := cl.GetScore(ctx, &legacy.GetScoreRequest{Mode: mode, Category: 3, Length: length})
		if err != nil {
			t.Fatalf("GetScore mode %d: %v", mode, err)
		}
		for _, d := range gs.Data {
			pids, ranks = append(pids, d.PID), append(ranks, d.Order)
		}
		return pids, ranks
	}
	if pids, ranks := rows(cls[0], 2, 10); !slices.Equal(pids, []uint64{1003, 1001}) || !slices.Equal(ranks, []uint32{1, 2}) {
		t.Errorf("friend range: %v %v", pids, ranks)
	}
	if pids, _ := rows(cls[0], 3, 3); !slices.Equal(pids, []uint64{1003, 1001}) {
		t.Errorf("friend near: %v", pids)
	}
	for _, mode := range []uint8{2, 3} {
		if pids, ranks := rows(cls[1], mode, 10); !slices.Equal(pids, []uint64{1002}) || !slices.Equal(ranks, []uint32{1}) {
			t.Errorf("mode %d without friends: %v %v", mode, pids, ranks)
		}
	}
}

// TestLegacyNotServedToNEX1: a NEX 1 title numbers the legacy methods
// otherwise (its 2 is DeleteScore, the NEX 2 table's UploadScores), so
// nothing is served to it: an upload answers Core::NotImplemented instead
// of being read as another method.
func TestLegacyNotServedToNEX1(t *testing.T) {
	srv := servicetest.Start(t, servicetest.Game{Platform: "3ds", NEX: 10100, TOML: "[games.ranking]\n"}, nil)
	c := srv.Login(t, "1001:pw1")
	_, err := legacy.NewClient(c.Secure, c.Settings).UploadScore(ctxT(t), &legacy.UploadScoreRequest{UniqueID: 7, Category: 3, Scores: []uint32{300, 9}})
	var re *rpc.ResultError
	if !errors.As(err, &re) || re.Result != rmc.ResultCoreNotImplemented {
		t.Fatalf("UploadScore on a NEX 1 game: %v, want Core::NotImplemented", err)
	}
}

// TestLegacyOrder: legacy uploads carry no order byte, so the better score
// is judged by the configured order, else the order_by of the category's
// first read; never by a default ascending order.
func TestLegacyOrder(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		srv := servicetest.Start(t, servicetest.Game{Platform: "3ds", NEX: 20000,
			TOML: "[games.ranking]\n[[games.ranking.categories]]\nid = 5\norder = \"desc\"\n"}, b.host(t))
		c := srv.Login(t, "1001:pw1")
		cl := legacy.NewClient(c.Secure, c.Settings)
		ctx := ctxT(t)
		up := func(cat, score uint32) {
			t.Helper()
			if _, err := cl.UploadScore(ctx, &legacy.UploadScoreRequest{UniqueID: 1, Category: cat, Scores: []uint32{score, 0}}); err != nil {
				t.Fatal(err)
			}
		}
		top := func(cat uint32) uint32 {
			t.Helper()
			r, err := cl.GetTopScore(ctx, &legacy.GetTopScoreRequest{UniqueID: 1, Category: cat})
			if err != nil {
				t.Fatal(err)
			}
			return r.Scores[0]
		}
		// Configured descending: the higher score is better.
		up(5, 100)
		up(5, 200)
		up(5, 150)
		if got := top(5); got != 200 {
			t.Errorf("configured desc: top %d, want 200", got)
		}
		// Not configured, read descending first: learned.
		if _, err := cl.GetScore(ctx, &legacy.GetScoreRequest{Category: 6, Order: legacy.LegacyRankingOrderParam{OrderBy: 1}, Length: 5}); err != nil {
			t.Fatal(err)
		}
		up(6, 100)
		up(6, 200)
		up(6, 150)
		if got := top(6); got != 200 {
			t.Errorf("desc learned from GetScore: top %d, want 200", got)
		}
		// A later read with another order does not change a learned one.
		if _, err := cl.GetSelfScore(ctx, &legacy.GetSelfScoreRequest{UniqueID: 1, Category: 6, Order: legacy.LegacyRankingOrderParam{OrderBy: 0}, Length: 1}); err != nil {
			t.Fatal(err)
		}
		up(6, 120)
		if got := top(6); got != 200 {
			t.Errorf("after an ascending read: top %d, want 200", got)
		}
		// Order unknown: a higher score is not dropped as if ascending.
		up(7, 100)
		up(7, 200)
		if got := top(7); got != 200 {
			t.Errorf("unknown order: top %d, want the new 200", got)
		}
	})
}

// TestLegacyUnorderedWarning: a legacy game with categories without a
// configured order is warned about at start; a fully configured one is not.
func TestLegacyUnorderedWarning(t *testing.T) {
	for _, tc := range []struct {
		order string
		cats  []rk.Category
		warn  bool
	}{
		{"", nil, true},
		{rk.OrderUpload, []rk.Category{{ID: 1, Order: rk.OrderAsc}}, true},
		{rk.OrderDesc, []rk.Category{{ID: 1, Order: rk.OrderAsc}, {ID: 2, Order: rk.OrderUpload}}, true},
		{rk.OrderDesc, []rk.Category{{ID: 1, Order: rk.OrderAsc}}, false},
	} {
		core, logged := zapobserver.New(zap.WarnLevel)
		cfg := rk.DefaultConfig()
		cfg.Order, cfg.Categories = tc.order, tc.cats
		env := &builtin.Env{Env: &proxy.Env{Game: &config.Game{Name: "g", RMC: rmc.Settings{NEXVersion: 20000}}, Log: zap.New(core)},
			Settings: cfg, Host: servicetest.Host(t)}
		if _, err := rk.New(env); err != nil {
			t.Fatal(err)
		}
		if got := logged.FilterMessageSnippet("no order").Len() > 0; got != tc.warn {
			t.Errorf("order %q categories %+v: warned %v, want %v", tc.order, tc.cats, got, tc.warn)
		}
	}
}
