package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
	goredis "github.com/redis/go-redis/v9"
)

// Stations implements store.Stations. Each entry is a hash
// "<prefix>st:{game}:pid:<pid>" (rvcid, inst, urls) plus an index key
// "<prefix>st:{game}:rvcid:<rvcid>" holding the PID, both with the lease as
// their TTL, so Redis itself removes the entries of a dead instance. The
// {game} hash tag keeps one game's keys in one cluster slot, which the
// scripts below need.
type Stations struct{ c *Client }

// Stations returns the presence store of c.
func (c *Client) Stations() *Stations { return &Stations{c: c} }

var _ store.Stations = (*Stations)(nil)

func (s *Stations) pidKey(game string, pid uint64) string {
	return s.c.prefix + "st:{" + game + "}:pid:" + strconv.FormatUint(pid, 10)
}

func (s *Stations) rvcidPrefix(game string) string {
	return s.c.prefix + "st:{" + game + "}:rvcid:"
}

// KEYS: pid key, new rvcid key. ARGV: rvcid, instance, urls, ttl ms,
// rvcid key prefix, pid. The old connection's index key goes unless it was
// already taken over.
var putScript = goredis.NewScript(`
local old = redis.call('HGET', KEYS[1], 'rvcid')
if old and old ~= ARGV[1] then
  local oldk = ARGV[5] .. old
  if redis.call('GET', oldk) == ARGV[6] then redis.call('DEL', oldk) end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'rvcid', ARGV[1], 'inst', ARGV[2], 'urls', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[6], 'PX', ARGV[4])
return 1`)

// KEYS: pid key. Returns {rvcid, inst, urls, pttl} or nil.
var getScript = goredis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'rvcid', 'inst', 'urls')
if not v[1] then return nil end
return {v[1], v[2], v[3], redis.call('PTTL', KEYS[1])}`)

// KEYS: rvcid key. ARGV: pid key prefix, rvcid. Returns {pid, rvcid, inst,
// urls, pttl} or nil; an index key whose entry moved on is ignored.
var getByRVCIDScript = goredis.NewScript(`
local pid = redis.call('GET', KEYS[1])
if not pid then return nil end
local k = ARGV[1] .. pid
local v = redis.call('HMGET', k, 'rvcid', 'inst', 'urls')
if not v[1] or v[1] ~= ARGV[2] then return nil end
return {pid, v[1], v[2], v[3], redis.call('PTTL', k)}`)

// KEYS: pid key, rvcid key. ARGV: rvcid, instance, pid, ttl ms (touch
// only). Acts only when the owner matches.
var deleteScript = goredis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'rvcid', 'inst')
if v[1] ~= ARGV[1] or v[2] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1`)

var touchScript = goredis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'rvcid', 'inst')
if v[1] ~= ARGV[1] or v[2] ~= ARGV[2] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
return 1`)

func ttlMillis(ttl time.Duration) int64 {
	return max(1, ttl.Milliseconds())
}

// Put implements store.Stations.
func (s *Stations) Put(ctx context.Context, st store.Station, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("store/redis: put station of %d: ttl %v: %w", st.PID, ttl, store.ErrInvalid)
	}
	urls := st.URLs
	if urls == nil {
		urls = []string{}
	}
	js, err := json.Marshal(urls)
	if err != nil {
		return fmt.Errorf("store/redis: put station of %d: %w", st.PID, err)
	}
	rv := strconv.FormatUint(uint64(st.Owner.RVCID), 10)
	err = putScript.Run(ctx, s.c.rdb, []string{s.pidKey(st.Game, st.PID), s.rvcidPrefix(st.Game) + rv},
		rv, st.Owner.Instance, string(js), ttlMillis(ttl), s.rvcidPrefix(st.Game), strconv.FormatUint(st.PID, 10)).Err()
	if err != nil {
		return fmt.Errorf("store/redis: put station of %d in %q: %w", st.PID, st.Game, err)
	}
	return nil
}

func decodeStation(game string, pid uint64, rvcid, inst, urls string, pttl int64) (store.Station, error) {
	rv, err := strconv.ParseUint(rvcid, 10, 32)
	if err != nil {
		return store.Station{}, fmt.Errorf("decode rvcid %q: %w", rvcid, err)
	}
	st := store.Station{Game: game, PID: pid, Owner: store.Owner{Instance: inst, RVCID: uint32(rv)}}
	if err := json.Unmarshal([]byte(urls), &st.URLs); err != nil {
		return store.Station{}, fmt.Errorf("decode urls: %w", err)
	}
	st.Expires = time.Now().Add(time.Duration(pttl) * time.Millisecond)
	return st, nil
}

// strs converts a script's array reply.
func strs(v any, n int) ([]string, error) {
	arr, ok := v.([]any)
	if !ok || len(arr) != n {
		return nil, fmt.Errorf("unexpected script reply %T", v)
	}
	out := make([]string, n)
	for i, x := range arr {
		switch x := x.(type) {
		case string:
			out[i] = x
		case int64:
			out[i] = strconv.FormatInt(x, 10)
		default:
			return nil, fmt.Errorf("unexpected script reply element %T", x)
		}
	}
	return out, nil
}

// Get implements store.Stations.
func (s *Stations) Get(ctx context.Context, game string, pid uint64) (store.Station, error) {
	v, err := getScript.Run(ctx, s.c.rdb, []string{s.pidKey(game, pid)}).Result()
	if errors.Is(err, goredis.Nil) {
		return store.Station{}, fmt.Errorf("store/redis: get station of %d in %q: %w", pid, game, store.ErrNotFound)
	}
	if err != nil {
		return store.Station{}, fmt.Errorf("store/redis: get station of %d in %q: %w", pid, game, err)
	}
	f, err := strs(v, 4)
	if err != nil {
		return store.Station{}, fmt.Errorf("store/redis: get station of %d: %w", pid, err)
	}
	pttl, _ := strconv.ParseInt(f[3], 10, 64)
	st, err := decodeStation(game, pid, f[0], f[1], f[2], pttl)
	if err != nil {
		return store.Station{}, fmt.Errorf("store/redis: get station of %d: %w", pid, err)
	}
	return st, nil
}

// GetByRVCID implements store.Stations.
func (s *Stations) GetByRVCID(ctx context.Context, game string, rvcid uint32) (store.Station, error) {
	rv := strconv.FormatUint(uint64(rvcid), 10)
	v, err := getByRVCIDScript.Run(ctx, s.c.rdb, []string{s.rvcidPrefix(game) + rv},
		s.c.prefix+"st:{"+game+"}:pid:", rv).Result()
	if errors.Is(err, goredis.Nil) {
		return store.Station{}, fmt.Errorf("store/redis: get station of rvcid %d in %q: %w", rvcid, game, store.ErrNotFound)
	}
	if err != nil {
		return store.Station{}, fmt.Errorf("store/redis: get station of rvcid %d in %q: %w", rvcid, game, err)
	}
	f, err := strs(v, 5)
	if err != nil {
		return store.Station{}, fmt.Errorf("store/redis: get station of rvcid %d: %w", rvcid, err)
	}
	pid, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return store.Station{}, fmt.Errorf("store/redis: get station of rvcid %d: decode pid: %w", rvcid, err)
	}
	pttl, _ := strconv.ParseInt(f[4], 10, 64)
	st, err := decodeStation(game, pid, f[1], f[2], f[3], pttl)
	if err != nil {
		return store.Station{}, fmt.Errorf("store/redis: get station of rvcid %d: %w", rvcid, err)
	}
	return st, nil
}

func (s *Stations) ownerArgs(game string, pid uint64, owner store.Owner) ([]string, []any) {
	rv := strconv.FormatUint(uint64(owner.RVCID), 10)
	return []string{s.pidKey(game, pid), s.rvcidPrefix(game) + rv},
		[]any{rv, owner.Instance, strconv.FormatUint(pid, 10)}
}

// Delete implements store.Stations.
func (s *Stations) Delete(ctx context.Context, game string, pid uint64, owner store.Owner) (bool, error) {
	keys, args := s.ownerArgs(game, pid, owner)
	n, err := deleteScript.Run(ctx, s.c.rdb, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("store/redis: delete station of %d in %q: %w", pid, game, err)
	}
	return n == 1, nil
}

// Touch implements store.Stations.
func (s *Stations) Touch(ctx context.Context, game string, pid uint64, owner store.Owner, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("store/redis: touch station of %d: ttl %v: %w", pid, ttl, store.ErrInvalid)
	}
	keys, args := s.ownerArgs(game, pid, owner)
	n, err := touchScript.Run(ctx, s.c.rdb, keys, append(args, ttlMillis(ttl))...).Int()
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store/redis: touch station of %d in %q: %w", pid, game, err)
	}
	return nil
}

// AllocateRVCID implements store.Stations with INCR, atomic across
// instances.
func (s *Stations) AllocateRVCID(ctx context.Context, game string) (uint32, error) {
	n, err := s.c.rdb.Incr(ctx, s.c.prefix+"st:{"+game+"}:rvcid-seq").Uint64()
	if err != nil {
		return 0, fmt.Errorf("store/redis: allocate rvcid in %q: %w", game, err)
	}
	return store.RVCIDFromCounter(n), nil
}
