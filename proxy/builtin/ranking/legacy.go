package ranking

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking/legacy"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// legacyServer serves the NEX 2 method table of protocol 112 (services.md
// §5.7) on the same store as the current layout. An entry's two u32
// scores map onto one store entry: the first score is the ranked score;
// the second is kept in the high half of param, the request's unknown2 in
// its low half and unknown1 as the only group, so that reads give back what
// was uploaded. Ranks follow the first score only (score_index 1 is not
// supported). Modes follow the current layout's. NEX 1 titles (other
// method ids, list<u16> categories) are not served: Install registers
// nothing for them rather than misread their calls.
type legacyServer struct{ s *Server }

// installLegacy serves the legacy method table.
func (s *Server) installLegacy(m *rpc.Mux) error {
	return legacy.Register(m, Name, &legacyServer{s: s})
}

func legacyScore(game string, cat uint32, pid uint64, uid uint32, scores []uint32, u1 uint8, u2 uint32) (store.RankingScore, error) {
	if len(scores) == 0 || len(scores) > 2 {
		return store.RankingScore{}, rpc.Fail(rmc.ResultRankingInvalidArgument)
	}
	var second uint32
	if len(scores) == 2 {
		second = scores[1]
	}
	return store.RankingScore{Game: game, Category: cat, PID: pid, UniqueID: uint64(uid), Score: scores[0],
		Groups: []byte{u1}, Param: uint64(second)<<32 | uint64(u2)}, nil
}

func legacyData(e store.RankedScore, cd []byte) legacy.LegacyRankingData {
	var u1 uint8
	if len(e.Groups) > 0 {
		u1 = e.Groups[0]
	}
	return legacy.LegacyRankingData{PID: e.PID, UniqueID: uint32(e.UniqueID), Order: e.Rank, Category: e.Category,
		Scores: []uint32{e.Score, uint32(e.Param >> 32)}, Unknown1: u1, Unknown2: uint32(e.Param), CommonData: cd}
}

// maxLearnedOrders bounds the categories whose order the legacy layout
// learns from reads (a category is any u32 a console sends).
const maxLearnedOrders = 4096

// warnUnordered warns at start of the categories of a legacy game without
// a configured order: legacy uploads carry no order byte (services.md
// §5.7), so their order comes from the game's reads.
func (s *Server) warnUnordered() {
	var ids []uint32
	for _, c := range s.cfg.Categories {
		if s.configuredOrder(c.ID) == OrderUpload {
			ids = append(ids, c.ID)
		}
	}
	const why = "ranking: legacy uploads carry no order: categories without a configured order (asc or desc) take the order_by of their first read; until then an upload replaces the stored score"
	switch {
	case s.cfg.Order == "" || s.cfg.Order == OrderUpload:
		s.log.Warn(why, zap.String("order", s.cfg.Order), zap.Uint32s("categories", ids), zap.String("fix", "set [games.ranking] order or each category's order"))
	case len(ids) > 0:
		s.log.Warn(why, zap.Uint32s("categories", ids), zap.String("fix", "set the order of these [[games.ranking.categories]]"))
	}
}

// learnOrder records the order a legacy read asks for (order_by 1 is
// descending) as the category's order, when none is configured or
// learned yet: the first read wins, as the first upload does in the
// current layout. Learned orders are kept in memory only.
func (s *Server) learnOrder(cat uint32, desc bool) {
	if s.configuredOrder(cat) != OrderUpload {
		return
	}
	s.learnMu.Lock()
	defer s.learnMu.Unlock()
	if _, ok := s.learned[cat]; !ok && len(s.learned) < maxLearnedOrders {
		s.learned[cat] = desc
	}
}

// legacyUploadOrder is the order a legacy upload is judged by: the
// configured one, else the one learned from reads; known is false when
// neither tells.
func (s *Server) legacyUploadOrder(cat uint32) (desc, known bool) {
	switch s.configuredOrder(cat) {
	case OrderAsc:
		return false, true
	case OrderDesc:
		return true, true
	}
	s.learnMu.Lock()
	defer s.learnMu.Unlock()
	desc, known = s.learned[cat]
	return desc, known
}

// upload stores one legacy score: the better one is kept under the
// category's order, as update_mode 0 does (services.md §5.1). While the
// order is unknown the new score replaces the stored one, which is never
// worse than locking the category to a guessed order.
func (l *legacyServer) upload(ctx context.Context, c *rpc.Call, s store.RankingScore) error {
	if cat, ok := l.s.cfg.category(s.Category); ok && (s.Score < cat.ScoreMin || cat.ScoreMax != 0 && s.Score > cat.ScoreMax) {
		return rpc.Fail(rmc.ResultRankingInvalidScore)
	}
	desc, known := l.s.legacyUploadOrder(s.Category)
	if !known {
		l.s.logFor(c).Debug("ranking: legacy upload to a category of unknown order: replacing", zap.Uint32("category", s.Category))
	}
	if _, err := l.s.store.Upload(ctx, s, known, desc); err != nil {
		return l.s.fail(c, "legacy upload score", err)
	}
	return nil
}

// UploadScore stores the caller's scores in a category.
func (l *legacyServer) UploadScore(ctx context.Context, c *rpc.Call, req *legacy.UploadScoreRequest) (*legacy.UploadScoreResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	s, err := legacyScore(l.s.game, req.Category, c.Session.PID(), req.UniqueID, req.Scores, req.Unknown1, req.Unknown2)
	if err != nil {
		return nil, err
	}
	if err := l.upload(ctx, c, s); err != nil {
		return nil, err
	}
	return &legacy.UploadScoreResponse{Code: 50}, nil
}

// UploadScores stores several categories' scores.
func (l *legacyServer) UploadScores(ctx context.Context, c *rpc.Call, req *legacy.UploadScoresRequest) (*legacy.UploadScoresResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if len(req.Scores) > maxCachedCategories {
		return nil, rpc.Fail(rmc.ResultRankingInvalidArgument)
	}
	for _, sc := range req.Scores {
		s, err := legacyScore(l.s.game, sc.Category, c.Session.PID(), req.UniqueID, sc.Scores, sc.Unknown1, sc.Unknown2)
		if err != nil {
			return nil, err
		}
		if err := l.upload(ctx, c, s); err != nil {
			return nil, err
		}
	}
	return &legacy.UploadScoresResponse{Code: 50}, nil
}

// UploadScoreWithLimit is UploadScore; what the limit does is unknown.
func (l *legacyServer) UploadScoreWithLimit(ctx context.Context, c *rpc.Call, req *legacy.UploadScoreWithLimitRequest) (*legacy.UploadScoreWithLimitResponse, error) {
	if _, err := l.UploadScore(ctx, c, &legacy.UploadScoreRequest{UniqueID: req.UniqueID, Category: req.Category,
		Scores: req.Scores, Unknown1: req.Unknown1, Unknown2: req.Unknown2}); err != nil {
		return nil, err
	}
	return &legacy.UploadScoreWithLimitResponse{Code: 50}, nil
}

// UploadScoresWithLimit is UploadScores; what the limits do is unknown.
func (l *legacyServer) UploadScoresWithLimit(ctx context.Context, c *rpc.Call, req *legacy.UploadScoresWithLimitRequest) (*legacy.UploadScoresWithLimitResponse, error) {
	scores := make([]legacy.LegacyRankingScore, 0, len(req.Scores))
	for _, sc := range req.Scores {
		scores = append(scores, legacy.LegacyRankingScore{Category: sc.Category, Scores: sc.Scores, Unknown1: sc.Unknown1, Unknown2: sc.Unknown2})
	}
	if _, err := l.UploadScores(ctx, c, &legacy.UploadScoresRequest{UniqueID: req.UniqueID, Scores: scores}); err != nil {
		return nil, err
	}
	return &legacy.UploadScoresWithLimitResponse{Code: 50}, nil
}

// DeleteScore removes the caller's entry of a category.
func (l *legacyServer) DeleteScore(ctx context.Context, c *rpc.Call, req *legacy.DeleteScoreRequest) (*legacy.DeleteScoreResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	err := l.s.store.Delete(ctx, l.s.game, req.Category, c.Session.PID(), uint64(req.UniqueID))
	if errors.Is(err, store.ErrNotFound) {
		return nil, rpc.Fail(rmc.ResultRankingNotFound)
	}
	if err != nil {
		return nil, l.s.fail(c, "legacy delete score", err)
	}
	return &legacy.DeleteScoreResponse{Code: 50}, nil
}

// DeleteAllScore removes the caller's entries of every category.
func (l *legacyServer) DeleteAllScore(ctx context.Context, c *rpc.Call, req *legacy.DeleteAllScoreRequest) (*legacy.DeleteAllScoreResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if _, err := l.s.store.DeleteAll(ctx, l.s.game, c.Session.PID(), uint64(req.UniqueID)); err != nil {
		return nil, l.s.fail(c, "legacy delete all scores", err)
	}
	return &legacy.DeleteAllScoreResponse{Code: 100}, nil
}

// UploadCommonData stores the caller's blob.
func (l *legacyServer) UploadCommonData(ctx context.Context, c *rpc.Call, req *legacy.UploadCommonDataRequest) (*legacy.UploadCommonDataResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if len(req.CommonData) > l.s.cfg.CommonDataMax {
		return nil, rpc.Fail(rmc.ResultRankingInvalidDataSize)
	}
	if err := l.s.store.PutCommonData(ctx, l.s.game, c.Session.PID(), uint64(req.UniqueID), req.CommonData); err != nil {
		return nil, l.s.fail(c, "legacy upload common data", err)
	}
	return &legacy.UploadCommonDataResponse{Code: 50}, nil
}

// DeleteCommonData removes the caller's blob.
func (l *legacyServer) DeleteCommonData(ctx context.Context, c *rpc.Call, req *legacy.DeleteCommonDataRequest) (*legacy.DeleteCommonDataResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	err := l.s.store.DeleteCommonData(ctx, l.s.game, c.Session.PID(), uint64(req.UniqueID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, l.s.fail(c, "legacy delete common data", err)
	}
	return &legacy.DeleteCommonDataResponse{Code: 50}, nil
}

// GetCommonData returns the caller's blob; none is an empty buffer (the
// legacy servers answered so, services.md §5.7).
func (l *legacyServer) GetCommonData(ctx context.Context, c *rpc.Call, req *legacy.GetCommonDataRequest) (*legacy.GetCommonDataResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	d, err := l.s.store.CommonData(ctx, l.s.game, c.Session.PID(), uint64(req.UniqueID))
	if errors.Is(err, store.ErrNotFound) {
		d, err = []byte{}, nil
	}
	if err != nil {
		return nil, l.s.fail(c, "legacy get common data", err)
	}
	return &legacy.GetCommonDataResponse{Code: 20, CommonData: d}, nil
}

// entry returns the caller's entry of (category, unique id).
func (l *legacyServer) entry(ctx context.Context, c *rpc.Call, cat uint32, uid uint32, o store.RankingOrder) (*store.RankedScore, error) {
	es, err := l.s.store.Entries(ctx, l.s.game, cat, o, c.Session.PID())
	if err != nil {
		return nil, l.s.fail(c, "legacy entry", err)
	}
	for i := range es {
		if es[i].UniqueID == uint64(uid) {
			return &es[i], nil
		}
	}
	return nil, rpc.Fail(rmc.ResultRankingNotFound)
}

// Unknown7 checks that the caller has an entry in the category (the one
// behaviour known of it).
func (l *legacyServer) Unknown7(ctx context.Context, c *rpc.Call, req *legacy.Unknown7Request) (*legacy.Unknown7Response, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if _, err := l.entry(ctx, c, req.Category, req.UniqueID, allOf(false)); err != nil {
		return nil, err
	}
	return &legacy.Unknown7Response{Code: 50}, nil
}

// GetTopScore returns the scores of the caller's entry in the category.
func (l *legacyServer) GetTopScore(ctx context.Context, c *rpc.Call, req *legacy.GetTopScoreRequest) (*legacy.GetTopScoreResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	e, err := l.entry(ctx, c, req.Category, req.UniqueID, allOf(false))
	if err != nil {
		return nil, err
	}
	return &legacy.GetTopScoreResponse{Code: 20, Scores: []uint32{e.Score, uint32(e.Param >> 32)}}, nil
}

// legacyOrder is the store order of a legacy order param: the category's
// configured order wins over the request's order_by.
func (l *legacyServer) legacyOrder(cat uint32, p legacy.LegacyRankingOrderParam) store.RankingOrder {
	desc := p.OrderBy == 1
	if c, ok := l.s.cfg.category(cat); ok && c.Order != "" && c.Order != OrderUpload {
		desc = c.Order == OrderDesc
	}
	o := allOf(desc)
	o.Ordinal = p.OrderCalc == orderCalcOrdinal
	return o
}

func (l *legacyServer) data(ctx context.Context, c *rpc.Call, es []store.RankedScore) ([]legacy.LegacyRankingData, error) {
	out := make([]legacy.LegacyRankingData, 0, len(es))
	for _, e := range es {
		cd, err := l.s.store.CommonData(ctx, l.s.game, e.PID, e.UniqueID)
		if errors.Is(err, store.ErrNotFound) {
			cd, err = []byte{}, nil
		}
		if err != nil {
			return nil, l.s.fail(c, "legacy ranking", err)
		}
		out = append(out, legacyData(e, cd))
	}
	return out, nil
}

// GetScore lists a category (mode 0 from offset, 1 around the caller, 4
// the caller's entries; 2 and 3 as 0 and 1 over the caller and its
// friends, ranked among themselves).
func (l *legacyServer) GetScore(ctx context.Context, c *rpc.Call, req *legacy.GetScoreRequest) (*legacy.GetScoreResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	l.s.learnOrder(req.Category, req.Order.OrderBy == 1)
	o := l.legacyOrder(req.Category, req.Order)
	var es []store.RankedScore
	var err error
	pid := c.Session.PID()
	switch req.Mode {
	case ModeGlobal:
		if n := l.s.topCount(req.Offset, int(req.Length)); n > 0 {
			es, err = l.s.store.Page(ctx, l.s.game, req.Category, o, req.Offset, n)
		}
	case ModeGlobalAround:
		var mine []store.RankedScore
		if mine, err = l.s.store.Entries(ctx, l.s.game, req.Category, o, pid); err == nil && len(mine) > 0 {
			es, err = l.s.store.Around(ctx, l.s.game, req.Category, o, pid, mine[0].UniqueID, int(req.Length))
		}
	case ModeFriends, ModeFriendsAround:
		es, err = l.friendScores(ctx, req, o, pid)
	case ModeSelf:
		es, err = l.s.store.Entries(ctx, l.s.game, req.Category, o, pid)
	default:
		return nil, rpc.Fail(rmc.ResultRankingInvalidArgument)
	}
	if err != nil {
		return nil, l.s.fail(c, "legacy get score", err)
	}
	d, err := l.data(ctx, c, es)
	if err != nil {
		return nil, err
	}
	return &legacy.GetScoreResponse{Code: 30, Data: d}, nil
}

// friendScores answers GetScore's friend modes: like modes 0 and 1 over
// pid and its friends ranked among themselves, or pid's own entries when
// it has no friends.
func (l *legacyServer) friendScores(ctx context.Context, req *legacy.GetScoreRequest, o store.RankingOrder, pid uint64) ([]store.RankedScore, error) {
	circle, err := l.s.circle(ctx, pid)
	if err != nil {
		return nil, fmt.Errorf("friends: %w", err)
	}
	if circle == nil {
		return l.s.store.Entries(ctx, l.s.game, req.Category, o, pid)
	}
	all, err := l.s.usersRanked(ctx, req.Category, o, circle, nil)
	if err != nil {
		return nil, err
	}
	return l.s.window(all, req.Mode, ranking.RankingOrderParam{Offset: req.Offset, Count: req.Length}, pid, 0), nil
}

// GetSelfScore lists the window of length entries around the caller's
// entry of unique id.
func (l *legacyServer) GetSelfScore(ctx context.Context, c *rpc.Call, req *legacy.GetSelfScoreRequest) (*legacy.GetSelfScoreResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	l.s.learnOrder(req.Category, req.Order.OrderBy == 1)
	o := l.legacyOrder(req.Category, req.Order)
	es, err := l.s.store.Around(ctx, l.s.game, req.Category, o, c.Session.PID(), uint64(req.UniqueID), int(req.Length))
	if errors.Is(err, store.ErrNotFound) {
		return nil, rpc.Fail(rmc.ResultRankingNotFound)
	}
	if err != nil {
		return nil, l.s.fail(c, "legacy get self score", err)
	}
	d, err := l.data(ctx, c, es)
	if err != nil {
		return nil, err
	}
	return &legacy.GetSelfScoreResponse{Code: 30, Data: d}, nil
}

// GetTotal counts the entries of a category.
func (l *legacyServer) GetTotal(ctx context.Context, c *rpc.Call, req *legacy.GetTotalRequest) (*legacy.GetTotalResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	st, err := l.s.store.Stats(ctx, l.s.game, req.Category, store.RankingFilter{GroupIndex: store.NoGroupFilter})
	if err != nil {
		return nil, l.s.fail(c, "legacy get total", err)
	}
	return &legacy.GetTotalResponse{Code: 30, Total: uint32(st.Count)}, nil
}
