package redis

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/nexproxy/nexproxy/internal/store"
)

// Rankings implements store.Rankings on Redis, shared by every instance:
// a category is a sorted set per filter ("all", and one per group index
// 0-3 and group number an entry has) whose score is the entry's score and
// whose member is the 24-byte big-endian (update ms, PID, unique id), so
// Redis' tie order (members compared as bytes) is exactly the ordinal tie
// order; ranks, counts and pages are ZRANK, ZCOUNT and ZRANGE, O(log n).
// Descending orders use the same sets (better = higher, ties still
// ascending), see ordinalPos and page. Rows (score, param, groups) are in
// a hash per category, common data in plain keys, and every write is one
// Lua script, so concurrent instances stay consistent. Keys are built
// inside the scripts, so the backend needs a single Redis node (no
// cluster).
//
// Key layout under the prefix, base = "rk:<len(game)>:<game>:<category>":
//
//	base:z          sorted set of every entry; base:f:<i>:<n> the entries
//	                with groups[i] = n; <set>:sum the sum of its scores
//	base:h          hash owner (16 bytes: PID, unique id) -> row
//	base:p:<pid>    set of the unique ids PID has in the category
//	rk:...:order    hash category -> "1" descending / "0" ascending
//	rk:...:own:<pid>:<uid>  set of the owner's categories
//	rk:...:cd:<pid>:<uid>   common data
type Rankings struct{ c *Client }

// Rankings returns the ranking store of c.
func (c *Client) Rankings() *Rankings { return &Rankings{c: c} }

var _ store.Rankings = (*Rankings)(nil)

func (r *Rankings) gameBase(game string) string {
	return fmt.Sprintf("%srk:%d:%s", r.c.prefix, len(game), game)
}

func (r *Rankings) base(game string, cat uint32) string {
	return r.gameBase(game) + ":" + strconv.FormatUint(uint64(cat), 10)
}

func member(ms int64, pid, uid uint64) string {
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], uint64(ms))
	binary.BigEndian.PutUint64(b[8:], pid)
	binary.BigEndian.PutUint64(b[16:], uid)
	return string(b[:])
}

func ownerField(pid, uid uint64) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:], pid)
	binary.BigEndian.PutUint64(b[8:], uid)
	return string(b[:])
}

// row is member (24 bytes) + "score;param;groupshex".
func encodeRow(s store.RankingScore) string {
	return member(s.Updated.UnixMilli(), s.PID, s.UniqueID) + strconv.FormatUint(uint64(s.Score), 10) + ";" +
		strconv.FormatUint(s.Param, 10) + ";" + hex.EncodeToString(s.Groups)
}

func decodeRow(game string, cat uint32, v string) (store.RankingScore, error) {
	if len(v) < 24 {
		return store.RankingScore{}, fmt.Errorf("short ranking row")
	}
	m := []byte(v[:24])
	parts := strings.Split(v[24:], ";")
	if len(parts) != 3 {
		return store.RankingScore{}, fmt.Errorf("malformed ranking row")
	}
	score, err1 := strconv.ParseUint(parts[0], 10, 32)
	param, err2 := strconv.ParseUint(parts[1], 10, 64)
	groups, err3 := hex.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return store.RankingScore{}, fmt.Errorf("malformed ranking row: %w", err)
	}
	return store.RankingScore{
		Game: game, Category: cat, PID: binary.BigEndian.Uint64(m[8:]), UniqueID: binary.BigEndian.Uint64(m[16:]),
		Score: uint32(score), Param: param, Groups: groups,
		Updated: time.UnixMilli(int64(binary.BigEndian.Uint64(m[0:]))).UTC(),
	}, nil
}

// rankLua holds the helpers the write scripts share: unindex removes a row
// from its sets, index adds it.
const rankLua = `
local function parse(row)
  local score, param, g = string.match(string.sub(row, 25), '^(%d+);(%d+);(%x*)$')
  local groups = {}
  for i = 1, math.min(4, #g / 2) do groups[i] = tonumber(string.sub(g, 2*i-1, 2*i), 16) end
  return tonumber(score), groups
end
local function sets(base, groups)
  local s = {base .. ':z'}
  for i = 1, #groups do s[#s+1] = base .. ':f:' .. (i-1) .. ':' .. groups[i] end
  return s
end
local function unindex(base, row)
  local score, groups = parse(row)
  local m = string.sub(row, 1, 24)
  for _, k in ipairs(sets(base, groups)) do
    if redis.call('ZREM', k, m) == 1 then redis.call('DECRBY', k .. ':sum', score) end
  end
end
local function index(base, row)
  local score, groups = parse(row)
  local m = string.sub(row, 1, 24)
  for _, k in ipairs(sets(base, groups)) do
    redis.call('ZADD', k, score, m)
    redis.call('INCRBY', k .. ':sum', score)
  end
end
`

// put: KEYS none (single node). ARGV: base, owner field, new row,
// keepBetter, desc, expected old row or "", order key, category, owner
// set key, pid set key, uid. Returns 1 stored, 0 kept, -1 CAS mismatch.
var rankPutScript = goredis.NewScript(rankLua + `
local base, field, row = ARGV[1], ARGV[2], ARGV[3]
if ARGV[5] ~= '' then redis.call('HSETNX', ARGV[7], ARGV[8], ARGV[5]) end
local old = redis.call('HGET', base .. ':h', field)
if ARGV[6] ~= '' and old ~= ARGV[6] then return -1 end
if old then
  if ARGV[4] == '1' then
    local os = parse(old)
    local ns = parse(row)
    local desc = redis.call('HGET', ARGV[7], ARGV[8]) == '1'
    if ARGV[5] ~= '' then desc = ARGV[5] == '1' end
    local better = (desc and ns > os) or ((not desc) and ns < os)
    if not better then return 0 end
  end
  unindex(base, old)
end
index(base, row)
redis.call('HSET', base .. ':h', field, row)
redis.call('SADD', ARGV[9], ARGV[8])
redis.call('SADD', ARGV[10], ARGV[11])
return 1
`)

// del: ARGV: base, owner field, owner set key, category, pid set key, uid.
var rankDelScript = goredis.NewScript(rankLua + `
local base, field = ARGV[1], ARGV[2]
local old = redis.call('HGET', base .. ':h', field)
if not old then return 0 end
unindex(base, old)
redis.call('HDEL', base .. ':h', field)
redis.call('SREM', ARGV[3], ARGV[4])
redis.call('SREM', ARGV[5], ARGV[6])
return 1
`)

func (r *Rankings) orderKey(game string) string { return r.gameBase(game) + ":order" }
func (r *Rankings) ownKey(game string, pid, uid uint64) string {
	return fmt.Sprintf("%s:own:%d:%d", r.gameBase(game), pid, uid)
}
func (r *Rankings) pidKey(game string, cat uint32, pid uint64) string {
	return fmt.Sprintf("%s:p:%d", r.base(game, cat), pid)
}
func (r *Rankings) cdKey(game string, pid, uid uint64) string {
	return fmt.Sprintf("%s:cd:%d:%d", r.gameBase(game), pid, uid)
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func wrap(op string, err error) error { return fmt.Errorf("store/redis: rankings: %s: %w", op, err) }

func (r *Rankings) put(ctx context.Context, s store.RankingScore, keepBetter bool, desc, expected string) (int64, error) {
	return rankPutScript.Run(ctx, r.c.rdb, nil, r.base(s.Game, s.Category), ownerField(s.PID, s.UniqueID), encodeRow(s),
		boolArg(keepBetter), desc, expected, r.orderKey(s.Game), strconv.FormatUint(uint64(s.Category), 10),
		r.ownKey(s.Game, s.PID, s.UniqueID), r.pidKey(s.Game, s.Category, s.PID), strconv.FormatUint(s.UniqueID, 10)).Int64()
}

// Upload implements store.Rankings.
func (r *Rankings) Upload(ctx context.Context, s store.RankingScore, keepBetter, desc bool) (bool, error) {
	s.Updated = time.Now().UTC().Truncate(time.Millisecond)
	n, err := r.put(ctx, s, keepBetter, boolArg(desc), "")
	if err != nil {
		return false, wrap("upload", err)
	}
	return n == 1, nil
}

// CategoryOrder implements store.Rankings.
func (r *Rankings) CategoryOrder(ctx context.Context, game string, cat uint32) (bool, bool, error) {
	v, err := r.c.rdb.HGet(ctx, r.orderKey(game), strconv.FormatUint(uint64(cat), 10)).Result()
	if errors.Is(err, goredis.Nil) {
		return false, false, nil
	}
	if err != nil {
		return false, false, wrap("category order", err)
	}
	return v == "1", true, nil
}

// Delete implements store.Rankings.
func (r *Rankings) Delete(ctx context.Context, game string, cat uint32, pid, uid uint64) error {
	n, err := rankDelScript.Run(ctx, r.c.rdb, nil, r.base(game, cat), ownerField(pid, uid), r.ownKey(game, pid, uid),
		strconv.FormatUint(uint64(cat), 10), r.pidKey(game, cat, pid), strconv.FormatUint(uid, 10)).Int64()
	if err != nil {
		return wrap("delete", err)
	}
	if n == 0 {
		return wrap("delete", fmt.Errorf("entry of %d/%d in %d: %w", pid, uid, cat, store.ErrNotFound))
	}
	return nil
}

func (r *Rankings) categoriesOf(ctx context.Context, game string, pid, uid uint64) ([]uint32, error) {
	vs, err := r.c.rdb.SMembers(ctx, r.ownKey(game, pid, uid)).Result()
	if err != nil {
		return nil, err
	}
	var out []uint32
	for _, v := range vs {
		if c, err := strconv.ParseUint(v, 10, 32); err == nil {
			out = append(out, uint32(c))
		}
	}
	slices.Sort(out)
	return out, nil
}

// DeleteAll implements store.Rankings.
func (r *Rankings) DeleteAll(ctx context.Context, game string, pid, uid uint64) (int, error) {
	cats, err := r.categoriesOf(ctx, game, pid, uid)
	if err != nil {
		return 0, wrap("delete all", err)
	}
	return store.DeleteEach(cats, func(cat uint32) error { return r.Delete(ctx, game, cat, pid, uid) })
}

// ChangeAttributes implements store.Rankings.
func (r *Rankings) ChangeAttributes(ctx context.Context, game string, cat uint32, all bool, pid, uid uint64, ch store.RankingChange) (int, error) {
	cats := []uint32{cat}
	if all {
		var err error
		if cats, err = r.categoriesOf(ctx, game, pid, uid); err != nil {
			return 0, wrap("change attributes", err)
		}
	}
	n := 0
	for _, cat := range cats {
		for attempt := 0; ; attempt++ {
			old, err := r.c.rdb.HGet(ctx, r.base(game, cat)+":h", ownerField(pid, uid)).Result()
			if errors.Is(err, goredis.Nil) {
				break
			}
			if err != nil {
				return n, wrap("change attributes", err)
			}
			s, err := decodeRow(game, cat, old)
			if err != nil {
				return n, wrap("change attributes", err)
			}
			s, changed := ch.Apply(s)
			if !changed {
				break
			}
			res, err := r.put(ctx, s, false, "", old)
			if err != nil {
				return n, wrap("change attributes", err)
			}
			if res == 1 {
				n++
				break
			}
			if attempt == 10 {
				return n, wrap("change attributes", errors.New("entry keeps changing"))
			}
		}
	}
	return n, nil
}

func (r *Rankings) setKey(game string, cat uint32, f store.RankingFilter) string {
	if !f.Active() {
		return r.base(game, cat) + ":z"
	}
	return fmt.Sprintf("%s:f:%d:%d", r.base(game, cat), f.GroupIndex, f.GroupNum)
}

func fscore(s uint32) string { return strconv.FormatUint(uint64(s), 10) }

// rows reads the rows of owners (pid, uid) in category, in order.
func (r *Rankings) rows(ctx context.Context, game string, cat uint32, owners [][2]uint64) ([]store.RankingScore, error) {
	if len(owners) == 0 {
		return nil, nil
	}
	fields := make([]string, len(owners))
	for i, o := range owners {
		fields[i] = ownerField(o[0], o[1])
	}
	vs, err := r.c.rdb.HMGet(ctx, r.base(game, cat)+":h", fields...).Result()
	if err != nil {
		return nil, err
	}
	out := make([]store.RankingScore, 0, len(vs))
	for _, v := range vs {
		str, ok := v.(string)
		if !ok {
			continue // deleted between the two reads
		}
		s, err := decodeRow(game, cat, str)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// standardRanks returns 1 + the number of entries of key strictly better
// than each distinct score.
func (r *Rankings) standardRanks(ctx context.Context, key string, desc bool, scores []uint32) (map[uint32]uint32, error) {
	pipe := r.c.rdb.Pipeline()
	cmds := map[uint32]*goredis.IntCmd{}
	for _, s := range scores {
		if _, ok := cmds[s]; ok {
			continue
		}
		if desc {
			cmds[s] = pipe.ZCount(ctx, key, "("+fscore(s), "+inf")
		} else {
			cmds[s] = pipe.ZCount(ctx, key, "-inf", "("+fscore(s))
		}
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	out := make(map[uint32]uint32, len(cmds))
	for s, c := range cmds {
		out[s] = uint32(c.Val()) + 1
	}
	return out, nil
}

func ownerOf(m string) [2]uint64 {
	b := []byte(m)
	return [2]uint64{binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[16:])}
}

// page returns the entries at ordinal positions [offset, offset+limit).
// Descending: ZREVRANGE gives the right score at every position but ties
// reversed, so each tie group of the page is read again ascending from
// its position inside the group.
func (r *Rankings) page(ctx context.Context, game string, cat uint32, o store.RankingOrder, offset, limit int64) ([]store.RankedScore, error) {
	key := r.setKey(game, cat, o.Filter)
	out := []store.RankedScore{}
	if limit <= 0 {
		return out, nil
	}
	var members []string
	var scores []uint32
	if !o.Descending {
		zs, err := r.c.rdb.ZRangeWithScores(ctx, key, offset, offset+limit-1).Result()
		if err != nil {
			return nil, err
		}
		for _, z := range zs {
			members = append(members, z.Member.(string))
			scores = append(scores, uint32(z.Score))
		}
	} else {
		zs, err := r.c.rdb.ZRevRangeWithScores(ctx, key, offset, offset+limit-1).Result()
		if err != nil {
			return nil, err
		}
		// Group consecutive positions by score.
		type group struct {
			score      uint32
			first, cnt int64
		}
		var groups []group
		for i, z := range zs {
			s := uint32(z.Score)
			if len(groups) > 0 && groups[len(groups)-1].score == s {
				groups[len(groups)-1].cnt++
				continue
			}
			groups = append(groups, group{score: s, first: offset + int64(i), cnt: 1})
		}
		pipe := r.c.rdb.Pipeline()
		starts := make([]*goredis.IntCmd, len(groups))
		for i, g := range groups {
			starts[i] = pipe.ZCount(ctx, key, "("+fscore(g.score), "+inf")
		}
		if len(groups) > 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return nil, err
			}
		}
		pipe = r.c.rdb.Pipeline()
		reads := make([]*goredis.StringSliceCmd, len(groups))
		for i, g := range groups {
			within := g.first - starts[i].Val()
			reads[i] = pipe.ZRangeByScore(ctx, key, &goredis.ZRangeBy{Min: fscore(g.score), Max: fscore(g.score), Offset: within, Count: g.cnt})
		}
		if len(groups) > 0 {
			if _, err := pipe.Exec(ctx); err != nil {
				return nil, err
			}
		}
		for i, g := range groups {
			for _, m := range reads[i].Val() {
				members = append(members, m)
				scores = append(scores, g.score)
			}
		}
	}
	owners := make([][2]uint64, len(members))
	for i, m := range members {
		owners[i] = ownerOf(m)
	}
	rows, err := r.rows(ctx, game, cat, owners)
	if err != nil {
		return nil, err
	}
	var std map[uint32]uint32
	if !o.Ordinal {
		if std, err = r.standardRanks(ctx, key, o.Descending, scores); err != nil {
			return nil, err
		}
	}
	for i, s := range rows {
		rank := uint32(offset) + uint32(i) + 1
		if !o.Ordinal {
			rank = std[s.Score]
		}
		out = append(out, store.RankedScore{RankingScore: s, Rank: rank})
	}
	return out, nil
}

// ordinalPos returns the 0-based ordinal position of s in key.
func (r *Rankings) ordinalPos(ctx context.Context, key string, s store.RankingScore, desc bool) (int64, error) {
	m := member(s.Updated.UnixMilli(), s.PID, s.UniqueID)
	pipe := r.c.rdb.Pipeline()
	rank := pipe.ZRank(ctx, key, m)
	lt := pipe.ZCount(ctx, key, "-inf", "("+fscore(s.Score))
	gt := pipe.ZCount(ctx, key, "("+fscore(s.Score), "+inf")
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, err
	}
	if !desc {
		return rank.Val(), nil
	}
	return gt.Val() + (rank.Val() - lt.Val()), nil
}

// ranked ranks entries read from the hash under o (all in key).
func (r *Rankings) ranked(ctx context.Context, key string, o store.RankingOrder, ss []store.RankingScore) ([]store.RankedScore, error) {
	out := []store.RankedScore{}
	var scores []uint32
	for _, s := range ss {
		if o.Filter.Match(s.Groups) {
			scores = append(scores, s.Score)
		}
	}
	std, err := r.standardRanks(ctx, key, o.Descending, scores)
	if err != nil {
		return nil, err
	}
	for _, s := range ss {
		if !o.Filter.Match(s.Groups) {
			continue
		}
		rank := std[s.Score]
		if o.Ordinal {
			p, err := r.ordinalPos(ctx, key, s, o.Descending)
			if err != nil {
				return nil, err
			}
			rank = uint32(p) + 1
		}
		out = append(out, store.RankedScore{RankingScore: s, Rank: rank})
	}
	slices.SortFunc(out, func(a, b store.RankedScore) int {
		if store.RankingLess(&a.RankingScore, &b.RankingScore, o.Descending) {
			return -1
		}
		if store.RankingLess(&b.RankingScore, &a.RankingScore, o.Descending) {
			return 1
		}
		return 0
	})
	return out, nil
}

// Entries implements store.Rankings.
func (r *Rankings) Entries(ctx context.Context, game string, cat uint32, o store.RankingOrder, pid uint64) ([]store.RankedScore, error) {
	uids, err := r.c.rdb.SMembers(ctx, r.pidKey(game, cat, pid)).Result()
	if err != nil {
		return nil, wrap("entries", err)
	}
	var owners [][2]uint64
	for _, u := range uids {
		if id, err := strconv.ParseUint(u, 10, 64); err == nil {
			owners = append(owners, [2]uint64{pid, id})
		}
	}
	ss, err := r.rows(ctx, game, cat, owners)
	if err != nil {
		return nil, wrap("entries", err)
	}
	out, err := r.ranked(ctx, r.setKey(game, cat, o.Filter), o, ss)
	if err != nil {
		return nil, wrap("entries", err)
	}
	return out, nil
}

// ByUniqueIDs implements store.Rankings. It scans the category's hash.
func (r *Rankings) ByUniqueIDs(ctx context.Context, game string, cat uint32, o store.RankingOrder, ids []uint64) ([]store.RankedScore, error) {
	want := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	var ss []store.RankingScore
	iter := r.c.rdb.HScan(ctx, r.base(game, cat)+":h", 0, "", 1000).Iterator()
	for field := true; iter.Next(ctx); field = !field {
		if field {
			continue // HSCAN yields field, value, field, value...
		}
		s, err := decodeRow(game, cat, iter.Val())
		if err != nil {
			return nil, wrap("by unique ids", err)
		}
		if want[s.UniqueID] {
			ss = append(ss, s)
		}
	}
	if err := iter.Err(); err != nil {
		return nil, wrap("by unique ids", err)
	}
	out, err := r.ranked(ctx, r.setKey(game, cat, o.Filter), o, ss)
	if err != nil {
		return nil, wrap("by unique ids", err)
	}
	return out, nil
}

// Page implements store.Rankings.
func (r *Rankings) Page(ctx context.Context, game string, cat uint32, o store.RankingOrder, offset uint32, limit int) ([]store.RankedScore, error) {
	out, err := r.page(ctx, game, cat, o, int64(offset), int64(limit))
	if err != nil {
		return nil, wrap("page", err)
	}
	return out, nil
}

// Around implements store.Rankings.
func (r *Rankings) Around(ctx context.Context, game string, cat uint32, o store.RankingOrder, pid, uid uint64, limit int) ([]store.RankedScore, error) {
	ss, err := r.rows(ctx, game, cat, [][2]uint64{{pid, uid}})
	if err != nil {
		return nil, wrap("around", err)
	}
	if len(ss) == 0 || !o.Filter.Match(ss[0].Groups) {
		return nil, wrap("around", fmt.Errorf("entry of %d/%d in %d: %w", pid, uid, cat, store.ErrNotFound))
	}
	pos, err := r.ordinalPos(ctx, r.setKey(game, cat, o.Filter), ss[0], o.Descending)
	if err != nil {
		return nil, wrap("around", err)
	}
	out, err := r.page(ctx, game, cat, o, int64(store.AroundStart(uint64(pos), limit)), int64(limit))
	if err != nil {
		return nil, wrap("around", err)
	}
	return out, nil
}

// ScoreRank implements store.Rankings.
func (r *Rankings) ScoreRank(ctx context.Context, game string, cat uint32, o store.RankingOrder, score uint32) (uint32, error) {
	m, err := r.standardRanks(ctx, r.setKey(game, cat, o.Filter), o.Descending, []uint32{score})
	if err != nil {
		return 0, wrap("score rank", err)
	}
	return m[score], nil
}

// Stats implements store.Rankings.
func (r *Rankings) Stats(ctx context.Context, game string, cat uint32, f store.RankingFilter) (store.RankingStats, error) {
	key := r.setKey(game, cat, f)
	pipe := r.c.rdb.Pipeline()
	n := pipe.ZCard(ctx, key)
	sum := pipe.Get(ctx, key+":sum")
	lo := pipe.ZRangeWithScores(ctx, key, 0, 0)
	hi := pipe.ZRangeWithScores(ctx, key, -1, -1)
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return store.RankingStats{}, wrap("stats", err)
	}
	if n.Val() == 0 || len(lo.Val()) == 0 || len(hi.Val()) == 0 {
		return store.RankingStats{}, nil
	}
	total, _ := strconv.ParseUint(sum.Val(), 10, 64)
	return store.RankingStats{Count: uint64(n.Val()), Sum: float64(total), Min: uint32(lo.Val()[0].Score), Max: uint32(hi.Val()[0].Score)}, nil
}

// PutCommonData implements store.Rankings.
func (r *Rankings) PutCommonData(ctx context.Context, game string, pid, uid uint64, data []byte) error {
	if err := r.c.rdb.Set(ctx, r.cdKey(game, pid, uid), data, 0).Err(); err != nil {
		return wrap("put common data", err)
	}
	return nil
}

// CommonData implements store.Rankings.
func (r *Rankings) CommonData(ctx context.Context, game string, pid, uid uint64) ([]byte, error) {
	d, err := r.c.rdb.Get(ctx, r.cdKey(game, pid, uid)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, wrap("common data", store.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("common data", err)
	}
	if d == nil {
		d = []byte{}
	}
	return d, nil
}

// DeleteCommonData implements store.Rankings.
func (r *Rankings) DeleteCommonData(ctx context.Context, game string, pid, uid uint64) error {
	n, err := r.c.rdb.Del(ctx, r.cdKey(game, pid, uid)).Result()
	if err != nil {
		return wrap("delete common data", err)
	}
	if n == 0 {
		return wrap("delete common data", store.ErrNotFound)
	}
	return nil
}
