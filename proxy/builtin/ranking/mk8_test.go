package ranking_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking/mk8"
)

func compUpload(t *testing.T, cl *mk8.Client, id, season, score uint32, team uint8, meta string) {
	t.Helper()
	r, err := cl.UploadCompetitionRankingScore(ctxT(t), &mk8.UploadCompetitionRankingScoreRequest{Param: mk8.CompetitionRankingUploadScoreParam{
		ID: id, SeasonID: season, Score: score, TeamID: team, TeamScore: 1, IsFirstUpload: true, Metadata: []byte(meta)}})
	if err != nil || !r.Result {
		t.Fatalf("UploadCompetitionRankingScore(%d, %d, %d): %v %v", id, season, score, r, err)
	}
}

// TestMK8Competitions: with variants = ["mk8"] methods 14-16 are MK8's
// competition methods on the service's store: uploads per (competition,
// season, PID) with metadata, the seasons' rankings in a range, the
// competitions with scores; the standard methods stay served.
func TestMK8Competitions(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		ps := startTOML(t, b, "variants = [\"mk8\"]\n"+baseTOML)
		var cls []*mk8.Client
		for _, p := range ps {
			cls = append(cls, mk8.NewClient(p.raw, p.set))
		}
		ctx := ctxT(t)
		compUpload(t, cls[0], 77, 2, 500, 0, "old-season")
		compUpload(t, cls[0], 77, 3, 90, 0, "a")
		compUpload(t, cls[1], 77, 3, 120, 1, "bb")
		compUpload(t, cls[2], 77, 3, 150, 1, "ccc")
		compUpload(t, cls[2], 77, 3, 100, 1, "c2") // the season's running total: replaced
		compUpload(t, cls[1], 78, 1, 10, 255, "")

		r, err := cls[0].GetCompetitionRankingScore(ctx, &mk8.GetCompetitionRankingScoreRequest{Param: mk8.CompetitionRankingGetScoreParam{
			ID: 77, Range: common.ResultRange{Offset: 0, Size: 10}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Infos) != 2 || r.Infos[0].SeasonID != 3 || r.Infos[1].SeasonID != 2 {
			t.Fatalf("seasons %+v", r.Infos)
		}
		cur := r.Infos[0]
		var pids []uint64
		var metas []string
		for i, d := range cur.Scores {
			pids = append(pids, d.PID)
			metas = append(metas, string(d.Metadata))
			if d.Rank != uint32(i+1) {
				t.Errorf("row %d rank %d", i, d.Rank)
			}
		}
		if !slices.Equal(pids, []uint64{1002, 1003, 1001}) || !slices.Equal(metas, []string{"bb", "c2", "a"}) ||
			cur.Scores[1].Score != 100 || cur.Scores[0].TeamID != 1 || cur.NumParticipants != 3 {
			t.Fatalf("season 3: %v %v %+v", pids, metas, cur)
		}
		if !slices.Equal(cur.TeamScores, []uint32{90, 220, 1, 2}) {
			t.Errorf("team scores %v", cur.TeamScores)
		}
		if old := r.Infos[1]; len(old.Scores) != 1 || old.Scores[0].Score != 500 || string(old.Scores[0].Metadata) != "old-season" {
			t.Errorf("season 2: %+v", old)
		}
		page, err := cls[0].GetCompetitionRankingScore(ctx, &mk8.GetCompetitionRankingScoreRequest{Param: mk8.CompetitionRankingGetScoreParam{
			ID: 77, Range: common.ResultRange{Offset: 1, Size: 1}}})
		if err != nil || len(page.Infos[0].Scores) != 1 || page.Infos[0].Scores[0].PID != 1003 || page.Infos[0].Scores[0].Rank != 2 {
			t.Fatalf("range 1+1: %+v %v", page, err)
		}
		none, err := cls[0].GetCompetitionRankingScore(ctx, &mk8.GetCompetitionRankingScoreRequest{Param: mk8.CompetitionRankingGetScoreParam{ID: 5}})
		if err != nil || len(none.Infos) != 0 {
			t.Fatalf("competition without scores: %+v %v", none, err)
		}

		info, err := cls[2].GetCompetitionInfo(ctx, &mk8.GetCompetitionInfoRequest{Param: mk8.CompetitionRankingInfoGetParam{
			Range: common.ResultRange{Offset: 0, Size: 10}}})
		if err != nil || len(info.Infos) != 2 {
			t.Fatalf("GetCompetitionInfo: %+v %v", info, err)
		}
		if i := info.Infos[0]; i.ID != 77 || i.NumParticipants != 4 || !slices.Equal(i.TeamScores, []uint32{590, 220, 2, 2}) {
			t.Errorf("first competition %+v", i)
		}
		if i := info.Infos[1]; i.ID != 78 || i.NumParticipants != 1 || !slices.Equal(i.TeamScores, []uint32{0, 0, 0, 0}) {
			t.Errorf("second competition %+v", i)
		}

		_, err = cls[0].UploadCompetitionRankingScore(ctx, &mk8.UploadCompetitionRankingScoreRequest{Param: mk8.CompetitionRankingUploadScoreParam{
			ID: 77, Metadata: bytes.Repeat([]byte{1}, 0x101)}})
		wantResult(t, err, rmc.ResultCoreInvalidArgument)
		_, err = cls[0].UploadCompetitionRankingScore(ctx, &mk8.UploadCompetitionRankingScoreRequest{Param: mk8.CompetitionRankingUploadScoreParam{ID: 0x7FFF_FFFF}})
		wantResult(t, err, rmc.ResultRankingInvalidArgument)

		// The competitions stay out of the game's own categories.
		if r, err := getRanking(t, ps[0], 0, 9999, order(0, 0, 3), 0, 0); err != nil || len(r.Data) != 3 {
			t.Fatalf("standard GetRanking next to the competitions: %v", err)
		}
	})
}

// TestMK8CompetitionWire: method 14's answer has NintendoClients' layout
// (a qbuffer of metadata per score, a list of team values per season).
func TestMK8CompetitionWire(t *testing.T) {
	ps := startTOML(t, backends()[0], "variants = [\"mk8\"]\n"+baseTOML)
	set := ps[0].set
	compUpload(t, mk8.NewClient(ps[0].raw, set), 9, 1, 42, 0, "xyz")
	body, err := (&mk8.GetCompetitionRankingScoreRequest{Param: mk8.CompetitionRankingGetScoreParam{ID: 9, Range: common.ResultRange{Size: 5}}}).Encode(set)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ps[0].raw.Call(ctxT(t), ranking.ProtocolID, mk8.MethodGetCompetitionRankingScore, body)
	if err != nil || !m.Success {
		t.Fatalf("method 14: %v %+v", err, m)
	}
	r := rmc.NewReader(m.Body, set)
	if r.ListLen() != 1 {
		t.Fatal("one season expected")
	}
	r.StructBegin()
	season := r.U32()
	if r.ListLen() != 1 {
		t.Fatal("one score expected")
	}
	r.StructBegin()
	rank, pid, score := r.U32(), r.PID(), r.U32()
	r.DateTime()
	team, meta := r.U8(), r.QBuffer()
	r.StructEnd()
	participants := r.U32()
	teams := make([]uint32, r.ListLen())
	for i := range teams {
		teams[i] = r.U32()
	}
	r.StructEnd()
	if r.Err() != nil || r.Remaining() != 0 {
		t.Fatalf("answer %x does not parse: %v, %d bytes left", m.Body, r.Err(), r.Remaining())
	}
	if season != 1 || rank != 1 || pid != ps[0].pid || score != 42 || team != 0 || string(meta) != "xyz" || participants != 1 ||
		!slices.Equal(teams, []uint32{42, 0, 1, 0}) {
		t.Fatalf("answer: season %d rank %d pid %d score %d team %d meta %q participants %d teams %v",
			season, rank, pid, score, team, meta, participants, teams)
	}
}

// TestMK8VariantOnlyForMK8: without the variant, 14 is GetCachedTopXRanking;
// with [games.ranking] variant = "mk8" alone it is MK8's method.
func TestMK8VariantOnlyForMK8(t *testing.T) {
	ps := start(t, backends()[0], "")
	r, err := ps[0].cl.GetCachedTopXRanking(ctxT(t), &ranking.GetCachedTopXRankingRequest{Category: 9999, Order: order(0, 0, 3)})
	if err != nil || len(r.Result.Data) != 3 {
		t.Fatalf("GetCachedTopXRanking at 14 of a standard game: %+v %v", r, err)
	}
	ps = startTOML(t, backends()[0], strings.Replace(baseTOML, "[games.ranking]\n", "[games.ranking]\nvariant = \"mk8\"\ntop_limit = 1\n", 1))
	if _, err := ps[0].cl.GetCachedTopXRanking(ctxT(t), &ranking.GetCachedTopXRankingRequest{Category: 9999, Order: order(0, 0, 3)}); err == nil {
		t.Fatal("the mk8 variant answered GetCachedTopXRanking")
	}
	cl := mk8.NewClient(ps[0].raw, ps[0].set)
	if _, err := cl.GetCompetitionInfo(ctxT(t), &mk8.GetCompetitionInfoRequest{}); err != nil {
		t.Fatalf("GetCompetitionInfo with variant = \"mk8\": %v", err)
	}
	// Competition scores are cut at top_limit too.
	compUpload(t, cl, 3, 1, 10, 0, "")
	compUpload(t, mk8.NewClient(ps[1].raw, ps[1].set), 3, 1, 20, 0, "")
	cr, err := cl.GetCompetitionRankingScore(ctxT(t), &mk8.GetCompetitionRankingScoreRequest{Param: mk8.CompetitionRankingGetScoreParam{
		ID: 3, Range: common.ResultRange{Size: 10}}})
	if err != nil || len(cr.Infos) != 1 || len(cr.Infos[0].Scores) != 1 || cr.Infos[0].NumParticipants != 2 {
		t.Fatalf("competition scores with top_limit 1: %+v %v", cr, err)
	}
	for method := uint32(14); method <= 16; method++ {
		for _, body := range [][]byte{nil, {1}, bytes.Repeat([]byte{0xFF}, 64)} {
			if m, err := ps[0].raw.Call(ctxT(t), ranking.ProtocolID, method, body); err != nil || m.Success {
				t.Errorf("method %d with %x: %v %+v", method, body, err, m)
			}
		}
	}
}

// TestMK8VariantConfig: a bad variant is reported by key.
func TestMK8VariantConfig(t *testing.T) {
	_, err := config.LoadTOML(servicetest.Game{TOML: "[games.ranking]\nvariant = \"mk7\"\n"}.TOMLText(t))
	if err == nil || !strings.Contains(err.Error(), "ranking.variant") {
		t.Fatalf("variant mk7: %v", err)
	}
}
