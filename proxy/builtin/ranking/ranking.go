// Package ranking is nexproxy's built-in Ranking service (protocol 112,
// services.md §5): scores per game and category in the store's Rankings
// domain (SQLite, PostgreSQL or Redis), common data per owner, every
// method of the NEX >= 3.0 layout, configured by [games.ranking]; for
// Mario Kart 8 (variant mk8) its competition methods at 14-16 (mk8.go).
//
// Decisions where the reference servers disagree (services.md §9):
//   - Common data is keyed by owner = (PID, unique id): every entry shows
//     its owner's blob, and save slots (unique ids) of one PID keep apart.
//   - A category's order is the configured one, else the order byte of the
//     category's first upload (later uploads cannot change it). Legacy
//     uploads carry no order byte: there the order_by of the category's
//     first read stands in (in memory), and until one is known an upload
//     replaces the stored score; start-up warns of such categories.
//   - update_mode 0 keeps the better of the old and new score (one entry
//     per PID and unique id), 1 always replaces.
//   - time_scope 0 and 1 (game-defined periods nobody documents) are
//     served as 2, all time.
//   - A GetRanking with no entry answers Ranking::NotFound (Pretendo),
//     or an empty list with empty_result = "empty".
//   - since_time is 2000-01-01 00:00:00, Pretendo's value said to match the
//     real server.
//   - Friend modes (2, 3) rank the caller and its friends among
//     themselves; the friends come from the host's friend source (none by
//     default: then both answer like 4, the user's own entries).
//     GetRankingByPIDList and ByUniqueIdList rank the listed users among
//     themselves too.
package ranking

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/ranking"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Name is the service's name in the registry, in [games.protocols] and
// its table [games.ranking].
const Name = "ranking"

func init() {
	builtin.Register(builtin.Service{
		Name:      Name,
		Protocols: []uint16{ranking.ProtocolID},
		Config:    func() any { return DefaultConfig() },
		New:       New,
	})
}

// Ranking modes of GetRanking (RankingOrderParam, services.md §5.3).
const (
	ModeGlobal          = 0
	ModeGlobalAround    = 1
	ModeFriends         = 2
	ModeFriendsAround   = 3
	ModeSelf            = 4
	statCount           = 0x01
	statSum             = 0x02
	statMin             = 0x04
	statMax             = 0x08
	statAvg             = 0x10
	orderCalcOrdinal    = 1
	maxListedUsers      = 1000 // PIDs / unique ids one ByList call may name
	maxCachedSnapshots  = 4096
	maxCachedCategories = 64 // categories one GetCachedTopXRankings may name
)

// sinceTime is what RankingResult.since_time says (services.md §5.3).
var sinceTime = rmc.NewDateTime(2000, 1, 1, 0, 0, 0)

// Server serves protocol 112 for one game.
type Server struct {
	game    string
	cfg     *Config
	store   store.Rankings
	friends builtin.Friends
	log     *zap.Logger
	now     func() time.Time
	legacy  bool // the NEX 1/2 methods instead of NEX 3's
	nex1    bool // a NEX 1 title on the legacy layout: nothing served
	mk8     bool // Mario Kart 8's competition methods at 14-16

	cacheMu sync.Mutex
	cache   map[cacheKey]*snapshot

	learnMu sync.Mutex
	learned map[uint32]bool // legacy layout: category -> descending, from reads
}

type cacheKey struct {
	category                                 uint32
	calc, groupIndex, groupNum, scope, count uint8
	offset                                   uint32
}

type snapshot struct {
	result  ranking.RankingCachedResult
	expires time.Time
}

// New makes the service of env's game and seeds the configured entries.
func New(env *builtin.Env) (builtin.Instance, error) {
	if env.Env == nil || env.Game == nil || env.Host == nil || env.Host.Stores == nil || env.Host.Stores.Rankings == nil {
		return nil, errors.New("ranking: incomplete environment (no rankings store)")
	}
	cfg, _ := env.Settings.(*Config)
	if cfg == nil {
		cfg = DefaultConfig()
	}
	log := env.Log
	if log == nil {
		log = zap.NewNop()
	}
	s := &Server{
		game: env.Game.Name, cfg: cfg, store: env.Host.Stores.Rankings, friends: env.Host,
		log: log.With(zap.String("service", Name)), now: time.Now, cache: map[cacheKey]*snapshot{}, learned: map[uint32]bool{},
	}
	v := env.Game.RMC.NEXVersion
	switch cfg.Layout {
	case LayoutLegacy:
		s.legacy = true
	case LayoutAuto:
		s.legacy = v != 0 && v < 30000
	}
	// NEX 1 titles number the legacy methods otherwise and send their
	// categories as lists (services.md §5.7): the NEX 2 table would read
	// their calls as other methods, so none is served.
	s.nex1 = s.legacy && v != 0 && v < 20000
	s.mk8 = cfg.Variant == VariantMK8 || cfg.Variant == "" && slices.Contains(env.Game.Variants, VariantMK8)
	if s.legacy && !s.nex1 {
		s.warnUnordered()
	}
	if err := s.seed(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// Install puts the Ranking methods of the game's layout on the mux.
func (s *Server) Install(m *rpc.Mux) error {
	if s.nex1 {
		s.log.Warn("ranking: the NEX 1 method table is not served; the game's ranking calls answer Core::NotImplemented")
		return nil
	}
	if s.legacy {
		return s.installLegacy(m)
	}
	if s.mk8 {
		return s.installMK8(m)
	}
	return ranking.Register(m, Name, s)
}

// seed writes the configured synthetic entries (replacing them).
func (s *Server) seed(ctx context.Context) error {
	for i, sd := range s.cfg.Seed {
		desc := s.configuredDesc(sd.Category)
		var wg sync.WaitGroup
		errs := make([]error, sd.Count)
		for j := 0; j < sd.Count; j++ {
			wg.Add(1)
			go func(j int) {
				defer wg.Done()
				pid, uid := sd.PID+uint64(j), sd.UniqueID+uint64(j)
				_, err := s.store.Upload(ctx, store.RankingScore{Game: s.game, Category: sd.Category, PID: pid, UniqueID: uid,
					Score: sd.Score + uint32(j)*sd.ScoreStep, Groups: []byte{byte(j % 4), 1}, Param: uint64(j)}, false, desc)
				if err == nil && sd.CommonDataSize > 0 {
					blob := make([]byte, sd.CommonDataSize)
					for k := range blob {
						blob[k] = byte(j*7 + k)
					}
					err = s.store.PutCommonData(ctx, s.game, pid, uid, blob)
				}
				errs[j] = err
			}(j)
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("ranking: seed[%d]: %w", i, err)
		}
	}
	return nil
}

// configuredDesc is the configured order of a category ("upload" and
// unset read as ascending: only used where no upload tells).
func (s *Server) configuredDesc(cat uint32) bool {
	o := s.cfg.Order
	if c, ok := s.cfg.category(cat); ok && c.Order != "" {
		o = c.Order
	}
	return o == OrderDesc
}

// configuredOrder is the order configured for a category: asc, desc or
// upload (also for an unset one).
func (s *Server) configuredOrder(cat uint32) string {
	o := s.cfg.Order
	if c, ok := s.cfg.category(cat); ok && c.Order != "" {
		o = c.Order
	}
	if o == "" {
		return OrderUpload
	}
	return o
}

// orderOf returns the order of a category: configured, else recorded by
// the first upload, else upload (the order byte of the upload at hand,
// ascending for reads of a category never uploaded to).
func (s *Server) orderOf(ctx context.Context, cat uint32, upload *bool) (bool, error) {
	o := s.cfg.Order
	if c, ok := s.cfg.category(cat); ok && c.Order != "" {
		o = c.Order
	}
	switch o {
	case OrderAsc:
		return false, nil
	case OrderDesc:
		return true, nil
	}
	desc, known, err := s.store.CategoryOrder(ctx, s.game, cat)
	if err != nil {
		return false, err
	}
	if known {
		return desc, nil
	}
	if upload != nil {
		return *upload, nil
	}
	return false, nil
}

func (s *Server) logFor(c *rpc.Call) *zap.Logger {
	return s.log.With(zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()), zap.Uint32("call_id", c.CallID))
}

// fail logs a store failure and answers Ranking::Unknown.
func (s *Server) fail(c *rpc.Call, what string, err error) error {
	s.logFor(c).Warn("ranking: store failure", zap.String("op", what), zap.Error(err))
	return rpc.Failf(rmc.ResultRankingUnknown, fmt.Errorf("ranking: %s: %w", what, err))
}

// onSecure passes calls that arrive on the authentication connection on.
func onSecure(c *rpc.Call) error {
	if c.Session == nil || c.Session.Leg != rpc.LegSecure || c.Session.PID() == 0 {
		return rpc.ErrPass
	}
	return nil
}

var _ ranking.Server = (*Server)(nil)

// UploadScore stores the caller's score (update_mode 0 keeps the better
// one, 1 replaces).
func (s *Server) UploadScore(ctx context.Context, c *rpc.Call, req *ranking.UploadScoreRequest) (*ranking.UploadScoreResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	sd := req.ScoreData
	if cat, ok := s.cfg.category(sd.Category); ok && (sd.Score < cat.ScoreMin || cat.ScoreMax != 0 && sd.Score > cat.ScoreMax) {
		return nil, rpc.Fail(rmc.ResultRankingInvalidScore)
	}
	if sd.UpdateMode > 1 {
		return nil, rpc.Fail(rmc.ResultRankingInvalidArgument)
	}
	upload := sd.Order == 1
	desc, err := s.orderOf(ctx, sd.Category, &upload)
	if err != nil {
		return nil, s.fail(c, "upload score", err)
	}
	_, err = s.store.Upload(ctx, store.RankingScore{Game: s.game, Category: sd.Category, PID: c.Session.PID(), UniqueID: req.UniqueID,
		Score: sd.Score, Groups: sd.Groups, Param: sd.Param}, sd.UpdateMode == 0, desc)
	if err != nil {
		return nil, s.fail(c, "upload score", err)
	}
	return &ranking.UploadScoreResponse{}, nil
}

// DeleteScore removes the caller's entry of a category.
func (s *Server) DeleteScore(ctx context.Context, c *rpc.Call, req *ranking.DeleteScoreRequest) (*ranking.DeleteScoreResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	err := s.store.Delete(ctx, s.game, req.Category, c.Session.PID(), req.UniqueID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, rpc.Fail(rmc.ResultRankingNotFound)
	}
	if err != nil {
		return nil, s.fail(c, "delete score", err)
	}
	return &ranking.DeleteScoreResponse{}, nil
}

// DeleteAllScores removes the caller's entries of every category.
func (s *Server) DeleteAllScores(ctx context.Context, c *rpc.Call, req *ranking.DeleteAllScoresRequest) (*ranking.DeleteAllScoresResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if _, err := s.store.DeleteAll(ctx, s.game, c.Session.PID(), req.UniqueID); err != nil {
		return nil, s.fail(c, "delete all scores", err)
	}
	return &ranking.DeleteAllScoresResponse{}, nil
}

// UploadCommonData stores the caller's blob.
func (s *Server) UploadCommonData(ctx context.Context, c *rpc.Call, req *ranking.UploadCommonDataRequest) (*ranking.UploadCommonDataResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if len(req.CommonData) > s.cfg.CommonDataMax {
		return nil, rpc.Fail(rmc.ResultRankingInvalidDataSize)
	}
	if err := s.store.PutCommonData(ctx, s.game, c.Session.PID(), req.UniqueID, req.CommonData); err != nil {
		return nil, s.fail(c, "upload common data", err)
	}
	return &ranking.UploadCommonDataResponse{}, nil
}

// DeleteCommonData removes the caller's blob.
func (s *Server) DeleteCommonData(ctx context.Context, c *rpc.Call, req *ranking.DeleteCommonDataRequest) (*ranking.DeleteCommonDataResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	err := s.store.DeleteCommonData(ctx, s.game, c.Session.PID(), req.UniqueID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, rpc.Fail(rmc.ResultRankingNotFound)
	}
	if err != nil {
		return nil, s.fail(c, "delete common data", err)
	}
	return &ranking.DeleteCommonDataResponse{}, nil
}

// GetCommonData returns the caller's blob, Ranking::NotFound when none.
func (s *Server) GetCommonData(ctx context.Context, c *rpc.Call, req *ranking.GetCommonDataRequest) (*ranking.GetCommonDataResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	d, err := s.store.CommonData(ctx, s.game, c.Session.PID(), req.UniqueID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, rpc.Fail(rmc.ResultRankingNotFound)
	}
	if err != nil {
		return nil, s.fail(c, "get common data", err)
	}
	return &ranking.GetCommonDataResponse{Data: d}, nil
}

func change(p ranking.RankingChangeAttributesParam) store.RankingChange {
	return store.RankingChange{Flags: p.Flags, Groups: p.Groups, Param: p.Param}
}

// ChangeAttributes changes the groups and/or param of the caller's entry
// (flags: 0x1-0x8 groups 0-3, 0x10 param); Ranking::NotFound without one.
func (s *Server) ChangeAttributes(ctx context.Context, c *rpc.Call, req *ranking.ChangeAttributesRequest) (*ranking.ChangeAttributesResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	pid := c.Session.PID()
	if e, err := s.store.Entries(ctx, s.game, req.Category, allOf(false), pid); err != nil {
		return nil, s.fail(c, "change attributes", err)
	} else if !slices.ContainsFunc(e, func(r store.RankedScore) bool { return r.UniqueID == req.UniqueID }) {
		return nil, rpc.Fail(rmc.ResultRankingNotFound)
	}
	if _, err := s.store.ChangeAttributes(ctx, s.game, req.Category, false, pid, req.UniqueID, change(req.Param)); err != nil {
		return nil, s.fail(c, "change attributes", err)
	}
	return &ranking.ChangeAttributesResponse{}, nil
}

// ChangeAllAttributes applies ChangeAttributes to every category.
func (s *Server) ChangeAllAttributes(ctx context.Context, c *rpc.Call, req *ranking.ChangeAllAttributesRequest) (*ranking.ChangeAllAttributesResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if _, err := s.store.ChangeAttributes(ctx, s.game, 0, true, c.Session.PID(), req.UniqueID, change(req.Param)); err != nil {
		return nil, s.fail(c, "change all attributes", err)
	}
	return &ranking.ChangeAllAttributesResponse{}, nil
}

func allOf(desc bool) store.RankingOrder {
	return store.RankingOrder{Descending: desc, Filter: store.RankingFilter{GroupIndex: store.NoGroupFilter}}
}

// order turns a RankingOrderParam into the store's order for category.
func (s *Server) order(ctx context.Context, cat uint32, p ranking.RankingOrderParam) (store.RankingOrder, error) {
	desc, err := s.orderOf(ctx, cat, nil)
	if err != nil {
		return store.RankingOrder{}, err
	}
	return store.RankingOrder{
		Descending: desc, Ordinal: p.OrderCalc == orderCalcOrdinal,
		Filter: store.RankingFilter{GroupIndex: p.GroupIndex, GroupNum: p.GroupNum}.Normal(),
	}, nil
}

// rows turns entries into RankRankData with their owners' common data.
func (s *Server) rows(ctx context.Context, entries []store.RankedScore) ([]ranking.RankingRankData, error) {
	out := make([]ranking.RankingRankData, 0, len(entries))
	for _, e := range entries {
		cd, err := s.store.CommonData(ctx, s.game, e.PID, e.UniqueID)
		if errors.Is(err, store.ErrNotFound) {
			cd, err = []byte{}, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ranking.RankingRankData{
			PID: e.PID, UniqueID: e.UniqueID, Rank: e.Rank, Category: e.Category, Score: e.Score,
			Groups: e.Groups, Param: e.Param, CommonData: cd, UpdateTime: rmc.DateTimeFromTime(e.Updated),
		})
	}
	return out, nil
}

// subset ranks entries among themselves under o (they are sorted).
func subset(entries []store.RankedScore, o store.RankingOrder) []store.RankedScore {
	slices.SortFunc(entries, func(a, b store.RankedScore) int {
		if store.RankingLess(&a.RankingScore, &b.RankingScore, o.Descending) {
			return -1
		}
		if store.RankingLess(&b.RankingScore, &a.RankingScore, o.Descending) {
			return 1
		}
		return 0
	})
	for i := range entries {
		switch {
		case o.Ordinal || i == 0:
			entries[i].Rank = uint32(i + 1)
		case entries[i].Score == entries[i-1].Score:
			entries[i].Rank = entries[i-1].Rank
		default:
			entries[i].Rank = uint32(i + 1)
		}
	}
	return entries
}

// topCount is how many of count entries a page from offset may hold: only
// the top TopLimit entries are served (services.md §5.3).
func (s *Server) topCount(offset uint32, count int) int {
	if offset >= s.cfg.TopLimit {
		return 0
	}
	return min(count, int(s.cfg.TopLimit-offset))
}

// window picks a mode's entries from a ranked subset: a page from offset
// within the top limit (modes 0, 2), the window around the entry of (pid,
// uid) or pid's best (1, 3), or pid's entries (4).
func (s *Server) window(all []store.RankedScore, mode uint8, p ranking.RankingOrderParam, pid, uid uint64) []store.RankedScore {
	n := int(p.Count)
	switch mode {
	case ModeGlobalAround, ModeFriendsAround:
		at := slices.IndexFunc(all, func(e store.RankedScore) bool { return e.PID == pid && e.UniqueID == uid })
		if at < 0 {
			at = slices.IndexFunc(all, func(e store.RankedScore) bool { return e.PID == pid })
		}
		if at < 0 {
			return nil
		}
		start := int(store.AroundStart(uint64(at), n))
		return all[min(start, len(all)):min(start+n, len(all))]
	case ModeSelf:
		var out []store.RankedScore
		for _, e := range all {
			if e.PID == pid {
				out = append(out, e)
			}
		}
		return out
	}
	off := min(int(p.Offset), len(all))
	return all[off:min(off+s.topCount(p.Offset, n), len(all))]
}

// rank answers one GetRanking-shaped request over the whole category or,
// in the friend modes, over pid's circle ranked among themselves.
func (s *Server) rank(ctx context.Context, c *rpc.Call, mode uint8, cat uint32, p ranking.RankingOrderParam, uid, pid uint64) (*ranking.RankingResult, error) {
	if pid == 0 {
		pid = c.Session.PID()
	}
	if mode > ModeSelf {
		return nil, rpc.Fail(rmc.ResultRankingInvalidArgument)
	}
	o, err := s.order(ctx, cat, p)
	if err != nil {
		return nil, s.fail(c, "get ranking", err)
	}
	if mode == ModeFriends || mode == ModeFriendsAround {
		circle, err := s.circle(ctx, pid)
		if err != nil {
			return nil, s.fail(c, "friends", err)
		}
		if circle == nil {
			mode = ModeSelf
		} else {
			// As legacy.go's friendScores: the order and mode are
			// checked above, and the ByList bound (maxListedUsers) is
			// no limit on a player's friends.
			all, err := s.usersRanked(ctx, cat, o, circle, nil)
			if err != nil {
				return nil, s.fail(c, "get ranking", err)
			}
			return s.result(ctx, c, s.window(all, mode, p, pid, uid), uint32(len(all)))
		}
	}
	var entries []store.RankedScore
	switch mode {
	case ModeGlobal:
		if n := s.topCount(p.Offset, int(p.Count)); n > 0 {
			entries, err = s.store.Page(ctx, s.game, cat, o, p.Offset, n)
		}
	case ModeGlobalAround:
		entries, err = s.store.Around(ctx, s.game, cat, o, pid, uid, int(p.Count))
		if errors.Is(err, store.ErrNotFound) {
			// No entry for that unique id: centre on the user's best.
			var mine []store.RankedScore
			if mine, err = s.store.Entries(ctx, s.game, cat, o, pid); err == nil && len(mine) > 0 {
				entries, err = s.store.Around(ctx, s.game, cat, o, pid, mine[0].UniqueID, int(p.Count))
			}
		}
	case ModeSelf:
		entries, err = s.store.Entries(ctx, s.game, cat, o, pid)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, s.fail(c, "get ranking", err)
	}
	st, err := s.store.Stats(ctx, s.game, cat, o.Filter)
	if err != nil {
		return nil, s.fail(c, "get ranking", err)
	}
	return s.result(ctx, c, entries, uint32(st.Count))
}

func (s *Server) result(ctx context.Context, c *rpc.Call, entries []store.RankedScore, total uint32) (*ranking.RankingResult, error) {
	if len(entries) == 0 && s.cfg.EmptyResult == EmptyNotFound {
		return nil, rpc.Fail(rmc.ResultRankingNotFound)
	}
	rows, err := s.rows(ctx, entries)
	if err != nil {
		return nil, s.fail(c, "get ranking", err)
	}
	return &ranking.RankingResult{Data: rows, Total: total, SinceTime: sinceTime}, nil
}

// circle returns pid and its friends, the users the friend modes (2, 3)
// rank, or nil when pid has no friends: then only pid's own entries are
// listed, as mode 4 does (services.md §5.3), never strangers.
func (s *Server) circle(ctx context.Context, pid uint64) ([]uint64, error) {
	friends, err := s.friends.FriendsOf(ctx, s.game, pid)
	if err != nil || len(friends) == 0 {
		return nil, err
	}
	return append([]uint64{pid}, friends...), nil
}

// usersRanked returns the entries of the listed PIDs and unique ids under
// o, ranked among themselves.
func (s *Server) usersRanked(ctx context.Context, cat uint32, o store.RankingOrder, pids, ids []uint64) ([]store.RankedScore, error) {
	var all []store.RankedScore
	if ids != nil {
		var err error
		if all, err = s.store.ByUniqueIDs(ctx, s.game, cat, o, ids); err != nil {
			return nil, err
		}
	}
	seen := map[uint64]bool{}
	for _, u := range pids {
		if seen[u] {
			continue
		}
		seen[u] = true
		e, err := s.store.Entries(ctx, s.game, cat, o, u)
		if err != nil {
			return nil, err
		}
		all = append(all, e...)
	}
	return subset(all, o), nil
}

// rankUsers answers over the entries of the listed PIDs or unique ids,
// ranked among themselves.
func (s *Server) rankUsers(ctx context.Context, c *rpc.Call, pids, ids []uint64, mode uint8, cat uint32, p ranking.RankingOrderParam, uid, pid uint64) (*ranking.RankingResult, error) {
	if len(pids) > maxListedUsers || len(ids) > maxListedUsers || mode > ModeSelf {
		return nil, rpc.Fail(rmc.ResultRankingInvalidArgument)
	}
	o, err := s.order(ctx, cat, p)
	if err != nil {
		return nil, s.fail(c, "get ranking", err)
	}
	all, err := s.usersRanked(ctx, cat, o, pids, ids)
	if err != nil {
		return nil, s.fail(c, "get ranking", err)
	}
	return s.result(ctx, c, s.window(all, mode, p, pid, uid), uint32(len(all)))
}

// GetRanking answers modes 0-4 (services.md §5.3).
func (s *Server) GetRanking(ctx context.Context, c *rpc.Call, req *ranking.GetRankingRequest) (*ranking.GetRankingResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	r, err := s.rank(ctx, c, req.Mode, req.Category, req.Order, req.UniqueID, req.PID)
	if err != nil {
		return nil, err
	}
	return &ranking.GetRankingResponse{Result: *r}, nil
}

// GetApproxOrder returns the standard rank the score would get.
func (s *Server) GetApproxOrder(ctx context.Context, c *rpc.Call, req *ranking.GetApproxOrderRequest) (*ranking.GetApproxOrderResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	o, err := s.order(ctx, req.Category, req.Order)
	if err != nil {
		return nil, s.fail(c, "get approx order", err)
	}
	r, err := s.store.ScoreRank(ctx, s.game, req.Category, o, req.Score)
	if err != nil {
		return nil, s.fail(c, "get approx order", err)
	}
	return &ranking.GetApproxOrderResponse{Order: r}, nil
}

// GetStats returns count, sum, min, max and average: always five doubles,
// the unrequested ones 0.
func (s *Server) GetStats(ctx context.Context, c *rpc.Call, req *ranking.GetStatsRequest) (*ranking.GetStatsResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	f := store.RankingFilter{GroupIndex: req.Order.GroupIndex, GroupNum: req.Order.GroupNum}.Normal()
	st, err := s.store.Stats(ctx, s.game, req.Category, f)
	if err != nil {
		return nil, s.fail(c, "get stats", err)
	}
	vals := make([]float64, 5)
	if req.Flags&statCount != 0 {
		vals[0] = float64(st.Count)
	}
	if req.Flags&statSum != 0 {
		vals[1] = st.Sum
	}
	if req.Flags&statMin != 0 {
		vals[2] = float64(st.Min)
	}
	if req.Flags&statMax != 0 {
		vals[3] = float64(st.Max)
	}
	if req.Flags&statAvg != 0 && st.Count > 0 {
		vals[4] = st.Sum / float64(st.Count)
	}
	return &ranking.GetStatsResponse{Stats: ranking.RankingStats{Stats: vals}}, nil
}

// GetRankingByPIDList ranks the listed users among themselves.
func (s *Server) GetRankingByPIDList(ctx context.Context, c *rpc.Call, req *ranking.GetRankingByPIDListRequest) (*ranking.GetRankingByPIDListResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	pids := req.PIDs
	if pids == nil {
		pids = []uint64{}
	}
	r, err := s.rankUsers(ctx, c, pids, nil, req.Mode, req.Category, req.Order, req.UniqueID, c.Session.PID())
	if err != nil {
		return nil, err
	}
	return &ranking.GetRankingByPIDListResponse{Result: *r}, nil
}

// GetRankingByUniqueIdList ranks the listed unique ids' entries among
// themselves.
func (s *Server) GetRankingByUniqueIdList(ctx context.Context, c *rpc.Call, req *ranking.GetRankingByUniqueIdListRequest) (*ranking.GetRankingByUniqueIdListResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	ids := req.IDs
	if ids == nil {
		ids = []uint64{}
	}
	r, err := s.rankUsers(ctx, c, nil, ids, req.Mode, req.Category, req.Order, req.UniqueID, c.Session.PID())
	if err != nil {
		return nil, err
	}
	return &ranking.GetRankingByUniqueIdListResponse{Result: *r}, nil
}

// cached returns the snapshot of a mode-0 ranking, made on first use and
// kept until it expires.
func (s *Server) cached(ctx context.Context, c *rpc.Call, cat uint32, p ranking.RankingOrderParam) (ranking.RankingCachedResult, error) {
	k := cacheKey{category: cat, calc: p.OrderCalc, groupIndex: p.GroupIndex, groupNum: p.GroupNum, scope: p.TimeScope,
		count: p.Count, offset: p.Offset}
	now := s.now()
	s.cacheMu.Lock()
	if snap := s.cache[k]; snap != nil && now.Before(snap.expires) {
		s.cacheMu.Unlock()
		return snap.result, nil
	}
	s.cacheMu.Unlock()
	o, err := s.order(ctx, cat, p)
	if err != nil {
		return ranking.RankingCachedResult{}, s.fail(c, "cached ranking", err)
	}
	var entries []store.RankedScore
	if n := s.topCount(p.Offset, int(p.Count)); n > 0 {
		if entries, err = s.store.Page(ctx, s.game, cat, o, p.Offset, n); err != nil {
			return ranking.RankingCachedResult{}, s.fail(c, "cached ranking", err)
		}
	}
	st, err := s.store.Stats(ctx, s.game, cat, o.Filter)
	if err != nil {
		return ranking.RankingCachedResult{}, s.fail(c, "cached ranking", err)
	}
	rows, err := s.rows(ctx, entries)
	if err != nil {
		return ranking.RankingCachedResult{}, s.fail(c, "cached ranking", err)
	}
	life := s.cfg.CacheLifetime
	if cc, ok := s.cfg.category(cat); ok && cc.CacheLifetime > 0 {
		life = cc.CacheLifetime
	}
	// NEX datetimes have whole seconds: round so that the expiry the
	// console sees is never before the one the server applies.
	created := now.Truncate(time.Second)
	expires := created.Add(life)
	res := ranking.RankingCachedResult{
		RankingResult: ranking.RankingResult{Data: rows, Total: uint32(st.Count), SinceTime: sinceTime},
		CreatedTime:   rmc.DateTimeFromTime(created), ExpiredTime: rmc.DateTimeFromTime(expires), MaxLength: p.Count,
	}
	s.cacheMu.Lock()
	if len(s.cache) >= maxCachedSnapshots {
		for k, v := range s.cache {
			if !now.Before(v.expires) || len(s.cache) >= maxCachedSnapshots {
				delete(s.cache, k)
			}
		}
	}
	s.cache[k] = &snapshot{result: res, expires: expires}
	s.cacheMu.Unlock()
	return res, nil
}

// GetCachedTopXRanking answers a mode-0 ranking from a snapshot that stays
// the same until its expiry.
func (s *Server) GetCachedTopXRanking(ctx context.Context, c *rpc.Call, req *ranking.GetCachedTopXRankingRequest) (*ranking.GetCachedTopXRankingResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	r, err := s.cached(ctx, c, req.Category, req.Order)
	if err != nil {
		return nil, err
	}
	return &ranking.GetCachedTopXRankingResponse{Result: r}, nil
}

// GetCachedTopXRankings is GetCachedTopXRanking for several categories,
// each with its own order parameters.
func (s *Server) GetCachedTopXRankings(ctx context.Context, c *rpc.Call, req *ranking.GetCachedTopXRankingsRequest) (*ranking.GetCachedTopXRankingsResponse, error) {
	if err := onSecure(c); err != nil {
		return nil, err
	}
	if len(req.Categories) != len(req.Order) || len(req.Categories) > maxCachedCategories {
		return nil, rpc.Fail(rmc.ResultRankingInvalidArgument)
	}
	out := make([]ranking.RankingCachedResult, 0, len(req.Categories))
	for i, cat := range req.Categories {
		r, err := s.cached(ctx, c, cat, req.Order[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return &ranking.GetCachedTopXRankingsResponse{Results: out}, nil
}
