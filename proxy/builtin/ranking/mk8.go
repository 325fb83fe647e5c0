package ranking

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking/mk8"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Mario Kart 8's competitions (tournaments, services.md §5.5, §7.13) live
// in the game's ranking scores, without a table of their own:
//   - the scores of competition id are category competitionBase | id, one
//     entry per (PID, season) with unique id competitionUID(id, season),
//     groups [team_id] and param team_score<<32 | unk_3; the upload's
//     metadata is the common data of that (PID, unique id);
//   - category competitionIndex holds one entry per competition that has
//     scores (PID = the competition id, score = its number of entries),
//     which GetCompetitionInfo lists.
//
// Competition ids above maxCompetitionID are refused, so the derived
// categories never meet the index or the game's own (track) categories.
const (
	competitionBase       = 0x8000_0000
	competitionIndex      = 0xFFFF_FFFF
	maxCompetitionID      = competitionIndex - competitionBase - 1
	competitionMarker     = uint64(1) << 63
	maxCompetitionMeta    = 0x100 // the bound a reference server applies
	maxCompetitionScan    = 10000 // entries of a competition one Get reads
	maxCompetitionSeasons = 6     // newest seasons one Get answers
	maxCompetitionInfos   = 100   // competitions one GetCompetitionInfo lists
	maxCompetitionScores  = 255   // scores per season one Get answers
	competitionTeams      = 2     // team ids 0 and 1
)

// competitionUID is the unique id of a competition entry: apart from the
// NEX unique ids of the game's own entries and common data.
func competitionUID(id, season uint32) uint64 {
	return competitionMarker | uint64(id)<<32 | uint64(season)
}

// mk8Server is the service with Mario Kart 8's method set: its no-argument
// methods shadow the standard GetCachedTopXRanking(s) (14, 15), so the
// standard Register leaves those ids to the mk8 package's methods.
type mk8Server struct{ *Server }

var _ mk8.Server = mk8Server{}

// GetCachedTopXRanking hides the standard method 14 (MK8's
// GetCompetitionRankingScore).
func (mk8Server) GetCachedTopXRanking() {}

// GetCachedTopXRankings hides the standard method 15 (MK8's
// UploadCompetitionRankingScore).
func (mk8Server) GetCachedTopXRankings() {}

// installMK8 serves the standard methods 1-13 and MK8's 14-16.
func (s *Server) installMK8(m *rpc.Mux) error {
	v := mk8Server{s}
	if err := ranking.Register(m, Name, v); err != nil {
		return err
	}
	return mk8.Register(m, Name, v)
}

// competitionRange turns a ResultRange into an offset and a count of at
// most max (offset 0xFFFFFFFF is read as 0, as in search criteria).
func competitionRange(r common.ResultRange, max uint32) (uint32, int) {
	off := r.Offset
	if off == math.MaxUint32 {
		off = 0
	}
	return off, int(min(r.Size, max))
}

// UploadCompetitionRankingScore stores the caller's score in a season of
// a competition, replacing its earlier one there (the score is the
// running total of the season).
func (v mk8Server) UploadCompetitionRankingScore(ctx context.Context, c *rpc.Call, req *mk8.UploadCompetitionRankingScoreRequest) (*mk8.UploadCompetitionRankingScoreResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	p := req.Param
	if p.ID > maxCompetitionID {
		return nil, rpc.Fail(rmc.ResultRankingInvalidArgument)
	}
	if len(p.Metadata) > maxCompetitionMeta {
		return nil, rpc.Fail(rmc.ResultCoreInvalidArgument)
	}
	pid, uid, cat := c.Session.PID(), competitionUID(p.ID, p.SeasonID), competitionBase|p.ID
	// Metadata first: an entry is never listed without its own.
	if err := v.store.PutCommonData(ctx, v.game, pid, uid, p.Metadata); err != nil {
		return nil, v.fail(c, "upload competition score", err)
	}
	_, err := v.store.Upload(ctx, store.RankingScore{Game: v.game, Category: cat, PID: pid, UniqueID: uid, Score: p.Score,
		Groups: []byte{p.TeamID}, Param: uint64(p.TeamScore)<<32 | uint64(p.Unk3)}, false, true)
	if err != nil {
		return nil, v.fail(c, "upload competition score", err)
	}
	st, err := v.store.Stats(ctx, v.game, cat, store.RankingFilter{GroupIndex: store.NoGroupFilter})
	if err != nil {
		return nil, v.fail(c, "upload competition score", err)
	}
	_, err = v.store.Upload(ctx, store.RankingScore{Game: v.game, Category: competitionIndex, PID: uint64(p.ID),
		UniqueID: competitionMarker, Score: uint32(min(st.Count, math.MaxUint32))}, false, true)
	if err != nil {
		return nil, v.fail(c, "upload competition score", err)
	}
	return &mk8.UploadCompetitionRankingScoreResponse{Result: true}, nil
}

// teamScores is what a score info says of teams 0 and 1: their score sums,
// then their numbers of entries (inferred from a reference server, which
// reports zeros for competitions without teams).
func teamScores(sum [competitionTeams]float64, count [competitionTeams]uint64) []uint32 {
	out := make([]uint32, 0, 2*competitionTeams)
	for _, x := range sum {
		out = append(out, uint32(min(x, math.MaxUint32)))
	}
	for _, n := range count {
		out = append(out, uint32(min(n, math.MaxUint32)))
	}
	return out
}

// GetCompetitionRankingScore answers a competition's newest seasons, newest
// first, each ranked by score (higher is better, ordinal ranks) with the
// requested range of its scores.
func (v mk8Server) GetCompetitionRankingScore(ctx context.Context, c *rpc.Call, req *mk8.GetCompetitionRankingScoreRequest) (*mk8.GetCompetitionRankingScoreResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	p := req.Param
	if p.ID > maxCompetitionID {
		return nil, rpc.Fail(rmc.ResultRankingInvalidArgument)
	}
	o := store.RankingOrder{Descending: true, Ordinal: true, Filter: store.RankingFilter{GroupIndex: store.NoGroupFilter}}
	all, err := v.store.Page(ctx, v.game, competitionBase|p.ID, o, 0, maxCompetitionScan)
	if err != nil {
		return nil, v.fail(c, "get competition scores", err)
	}
	bySeason := map[uint32][]store.RankedScore{}
	for _, e := range all {
		season := uint32(e.UniqueID)
		bySeason[season] = append(bySeason[season], e)
	}
	seasons := make([]uint32, 0, len(bySeason))
	for season := range bySeason {
		seasons = append(seasons, season)
	}
	slices.SortFunc(seasons, func(a, b uint32) int { return cmp.Compare(b, a) })
	off, n := competitionRange(p.Range, maxCompetitionScores)
	n = v.topCount(off, n)
	infos := make([]mk8.CompetitionRankingScoreInfo, 0, min(len(seasons), maxCompetitionSeasons))
	for _, season := range seasons[:min(len(seasons), maxCompetitionSeasons)] {
		entries := subset(bySeason[season], o)
		var sum [competitionTeams]float64
		var count [competitionTeams]uint64
		for _, e := range entries {
			if len(e.Groups) > 0 && e.Groups[0] < competitionTeams {
				sum[e.Groups[0]] += float64(e.Score)
				count[e.Groups[0]]++
			}
		}
		page := entries[min(int(off), len(entries)):min(int(off)+n, len(entries))]
		scores := make([]mk8.CompetitionRankingScoreData, 0, len(page))
		for _, e := range page {
			meta, err := v.store.CommonData(ctx, v.game, e.PID, e.UniqueID)
			if errors.Is(err, store.ErrNotFound) {
				meta, err = []byte{}, nil
			}
			if err != nil {
				return nil, v.fail(c, "get competition scores", err)
			}
			team := uint8(math.MaxUint8)
			if len(e.Groups) > 0 {
				team = e.Groups[0]
			}
			scores = append(scores, mk8.CompetitionRankingScoreData{Rank: e.Rank, PID: e.PID, Score: e.Score,
				LastUpdate: rmc.DateTimeFromTime(e.Updated), TeamID: team, Metadata: meta})
		}
		infos = append(infos, mk8.CompetitionRankingScoreInfo{SeasonID: season, Scores: scores,
			NumParticipants: uint32(len(entries)), TeamScores: teamScores(sum, count)})
	}
	return &mk8.GetCompetitionRankingScoreResponse{Infos: infos}, nil
}

// GetCompetitionInfo lists the competitions that have scores, those with
// the most entries first (as a reference server orders them), in the
// requested range. rank_order is not known and ignored.
func (v mk8Server) GetCompetitionInfo(ctx context.Context, c *rpc.Call, req *mk8.GetCompetitionInfoRequest) (*mk8.GetCompetitionInfoResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	off, n := competitionRange(req.Param.Range, maxCompetitionInfos)
	index, err := v.store.Page(ctx, v.game, competitionIndex, allOf(true), off, n)
	if err != nil {
		return nil, v.fail(c, "get competition info", err)
	}
	infos := make([]mk8.CompetitionRankingInfo, 0, len(index))
	for _, e := range index {
		cat := competitionBase | uint32(e.PID)
		st, err := v.store.Stats(ctx, v.game, cat, store.RankingFilter{GroupIndex: store.NoGroupFilter})
		if err != nil {
			return nil, v.fail(c, "get competition info", err)
		}
		var sum [competitionTeams]float64
		var count [competitionTeams]uint64
		for team := range competitionTeams {
			ts, err := v.store.Stats(ctx, v.game, cat, store.RankingFilter{GroupIndex: 0, GroupNum: uint8(team)})
			if err != nil {
				return nil, v.fail(c, "get competition info", err)
			}
			sum[team], count[team] = ts.Sum, ts.Count
		}
		infos = append(infos, mk8.CompetitionRankingInfo{ID: uint32(e.PID), NumParticipants: uint32(min(st.Count, math.MaxUint32)),
			TeamScores: teamScores(sum, count)})
	}
	return &mk8.GetCompetitionInfoResponse{Infos: infos}, nil
}
