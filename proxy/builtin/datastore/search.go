package datastore

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// countLimit bounds the total a search counts: more matches answer
// total_count_type 1 ("at least").
const countLimit = 1000

// owner_type values (DataStoreSearchParam): which owners owner_ids names.
// Pretendo's DataStore applies the same three (services.md §7.11): anybody
// (owner_ids, when given, lists the owners), the caller's friends, and
// anybody except the owners listed.
const (
	ownerAnybody       = 0
	ownerFriends       = 1
	ownerAnybodyExcept = 2
)

// restrictOwners narrows an owner filter: nil means "anybody", so the
// result is allowed itself; otherwise the owners in both. An empty result
// becomes {0}, an owner no object has, because an empty list means "no
// filter" to the store.
func restrictOwners(current, allowed []uint64) []uint64 {
	if current == nil {
		if len(allowed) == 0 {
			return []uint64{0}
		}
		return allowed
	}
	var both []uint64
	for _, o := range current {
		for _, w := range allowed {
			if o == w {
				both = append(both, o)
				break
			}
		}
	}
	return append(both, 0)
}

// query turns a SearchParam of pid's into a store query (services.md
// §7.11); friends returns pid's friends.
func (s *server) query(pid uint64, p *ds.DataStoreSearchParam, friends func() []uint64) (store.DataQuery, error) {
	q := store.DataQuery{Game: s.game, Now: s.now()}
	others := []uint8{0} // others' objects under review stay hidden
	switch p.SearchTarget {
	case 1:
		q.Permissions, q.NEXStatuses = []uint8{0}, others
	case 2, 3, 4, 5:
		q.Owners = []uint64{pid}
		q.Permissions = map[uint8][]uint8{2: {1}, 3: {2}, 4: {4}, 5: {1, 2, 4}}[p.SearchTarget]
	case 6:
		q.Owners, q.Permissions, q.NEXStatuses = friends(), []uint8{1}, others
		if len(q.Owners) == 0 {
			q.Owners = []uint64{0} // nobody
		}
	case 7:
		q.Recipient, q.Permissions, q.NEXStatuses = pid, []uint8{2, 4}, others
	case 8: // 6 ∪ 7
		q.SharedWith, q.NEXStatuses = &store.SharedWith{PID: pid, Friends: friends()}, others
	case 9:
		q.Owners, q.Permissions = []uint64{pid}, []uint8{3}
	case 10:
		q.Owners, q.NEXStatuses = []uint64{pid}, []uint8{0}
	case 11:
		q.Permissions, q.NEXStatuses = []uint8{0}, others
		q.ExcludeOwners = append([]uint64{pid}, friends()...)
	case 12:
		q.Owners, q.NEXStatuses = []uint64{pid}, []uint8{2}
	case 13:
		q.Owners, q.NEXStatuses = []uint64{pid}, []uint8{5}
	case 14:
		q.Owners = []uint64{pid}
	default:
		return q, fail(rmc.ResultDataStoreInvalidArgument)
	}
	if len(p.OwnerIDs) > 100 || len(p.Tags) > maxTags || len(p.DataTypes) > 10 {
		return q, fail(rmc.ResultDataStoreInvalidArgument)
	}
	switch p.OwnerType {
	case ownerFriends:
		// The caller's friends, within what the target and owner_ids allow.
		q.Owners = restrictOwners(q.Owners, friends())
		if len(p.OwnerIDs) > 0 {
			q.Owners = restrictOwners(q.Owners, p.OwnerIDs)
		}
	case ownerAnybodyExcept:
		q.ExcludeOwners = append(q.ExcludeOwners, p.OwnerIDs...)
	default: // ownerAnybody, and values no source describes
		if len(p.OwnerIDs) > 0 {
			q.Owners = restrictOwners(q.Owners, p.OwnerIDs)
		}
	}
	if p.HasDataTypes && len(p.DataTypes) > 0 {
		q.DataTypes = p.DataTypes
	} else if p.DataType != 65535 {
		q.DataTypes = []uint16{p.DataType}
	}
	q.CreatedAfter, q.CreatedBefore = fromDT(p.CreatedAfter), fromDT(p.CreatedBefore)
	q.UpdatedAfter, q.UpdatedBefore = fromDT(p.UpdatedAfter), fromDT(p.UpdatedBefore)
	q.ReferDataID, q.Tags = p.ReferDataID, p.Tags
	switch col := p.ResultOrderColumn; {
	case col <= 6:
		q.Order = store.DataOrder(col)
	case col >= 64 && col < 80:
		q.Order, q.RatingSlot = store.OrderRatingTotal, col-64
	case col >= 96 && col < 112:
		q.Order, q.RatingSlot = store.OrderRatingAverage, col-96
	default:
		return q, fail(rmc.ResultDataStoreInvalidArgument)
	}
	q.Desc = p.ResultOrder == 1
	offset, size := p.ResultRange.Offset, p.ResultRange.Size
	if offset == 0xFFFFFFFF {
		offset = 0
	}
	if size == 0 {
		size = 20
	}
	if size > 100 || offset > 1<<20 {
		return q, fail(rmc.ResultDataStoreInvalidArgument)
	}
	q.Offset, q.Limit = int(offset), int(size)
	// minimal_rating_frequency: with a rating order, objects rated fewer
	// times than this in the sorted slot are left out (services.md §7.11
	// names no implementation; this is the field's plain meaning).
	q.MinRatingCount = p.MinimalRatingFrequency
	q.CountLimit = countLimit
	// use_cache allows an answer from a cache; every answer here is
	// fresh, which that allows too.
	if p.HasTotalCountEnabled && !p.TotalCountEnabled {
		q.CountLimit = 0
	}
	return q, nil
}

func (s *server) search(ctx context.Context, c *rpc.Call, p *ds.DataStoreSearchParam) (ds.DataStoreSearchResult, error) {
	// The caller's friends, looked up (which may run a hook) once per
	// search and only when needed.
	pid := c.Session.PID()
	var friendList []uint64
	looked := false
	friends := func() []uint64 {
		if !looked {
			friendList, looked = s.friendsOf(ctx, pid), true
		}
		return friendList
	}
	q, err := s.query(pid, p, friends)
	if err != nil {
		return ds.DataStoreSearchResult{}, err
	}
	objs, total, err := s.meta.Search(ctx, q)
	if err != nil {
		return ds.DataStoreSearchResult{}, storeErr(err)
	}
	res := ds.DataStoreSearchResult{Result: []ds.DataStoreMetaInfo{}, TotalCount: uint32(total)}
	switch {
	case q.CountLimit == 0:
		res.TotalCountType = 3
	case total >= countLimit:
		res.TotalCountType = 1
	}
	// The query finds objects for friend recipients (permission 4) by
	// their recipients alone; those whose owner is not the caller's friend
	// leave the page, which the caller could not read (GetMeta), and, as in
	// Pretendo's DataStore, the total stays as counted.
	for i := range objs {
		o := &objs[i]
		if o.Permission.Permission == 4 && o.Owner != pid && !slices.Contains(friends(), o.Owner) {
			continue
		}
		res.Result = append(res.Result, metaInfo(o, p.ResultOption))
	}
	return res, nil
}

// SearchObject searches published objects.
func (s *server) SearchObject(ctx context.Context, c *rpc.Call, req *ds.SearchObjectRequest) (*ds.SearchObjectResponse, error) {
	r, err := s.search(ctx, c, &req.Param)
	if err != nil {
		return nil, err
	}
	return &ds.SearchObjectResponse{Result: r}, nil
}

// SearchObjectLight is SearchObject (the same result).
func (s *server) SearchObjectLight(ctx context.Context, c *rpc.Call, req *ds.SearchObjectLightRequest) (*ds.SearchObjectLightResponse, error) {
	r, err := s.search(ctx, c, &req.Param)
	if err != nil {
		return nil, err
	}
	return &ds.SearchObjectLightResponse{Result: r}, nil
}

// ---- ratings ----

// Rating flags (services.md §7.7).
const (
	rateModifiable    = 0x4
	rateClampNegative = 0x8
	rateNotOwner      = 0x10
	rateCheckMin      = 0x2
	rateCheckMax      = 0x4
)

// lockUntil is when a rating given at now unlocks (zero: no lock).
func lockUntil(r *store.DataRating, now time.Time) time.Time {
	switch r.LockType {
	case 1:
		return now.Add(time.Duration(r.PeriodDuration) * time.Second)
	case 2:
		h := int(r.PeriodHour)
		day := time.Date(now.Year(), now.Month(), now.Day(), h, 0, 0, 0, time.UTC)
		if r.PeriodDuration == -17 {
			return time.Date(now.Year(), now.Month()+1, 1, h, 0, 0, 0, time.UTC)
		}
		// -1 Monday ... -7 Sunday of the following week.
		want := time.Weekday((-int(r.PeriodDuration)) % 7)
		d := (int(want) - int(now.Weekday()) + 7) % 7
		if d == 0 {
			d = 7
		}
		return day.AddDate(0, 0, d)
	case 3:
		return forever
	}
	return time.Time{}
}

func (s *server) rate(ctx context.Context, c *rpc.Call, t ds.DataStoreRatingTarget, p ds.DataStoreRateObjectParam, fetch bool) (ds.DataStoreRatingInfo, error) {
	o, err := s.load(ctx, t.DataID)
	if err != nil {
		return ds.DataStoreRatingInfo{}, err
	}
	if err := s.canRead(ctx, c, &o, p.AccessPassword); err != nil {
		return ds.DataStoreRatingInfo{}, err
	}
	if t.Slot < 0 {
		return ds.DataStoreRatingInfo{}, fail(rmc.ResultDataStoreInvalidArgument)
	}
	r, ok := o.Rating(uint8(t.Slot))
	if !ok {
		return ds.DataStoreRatingInfo{}, fail(rmc.ResultDataStoreInvalidArgument)
	}
	pid := c.Session.PID()
	if r.Flag&rateNotOwner != 0 && pid == o.Owner {
		return ds.DataStoreRatingInfo{}, fail(rmc.ResultDataStoreOperationNotAllowed)
	}
	v := p.RatingValue
	if r.InternalFlag&rateCheckMin != 0 && v < r.RangeMin || r.InternalFlag&rateCheckMax != 0 && v > r.RangeMax {
		return ds.DataStoreRatingInfo{}, fail(rmc.ResultDataStoreInvalidArgument)
	}
	if r.Flag&rateClampNegative != 0 && v < 0 {
		v = 0
	}
	now := s.now().UTC()
	got, err := s.meta.Rate(ctx, s.game, o.DataID, r.Slot, pid, v, r.Flag&rateModifiable != 0, now, lockUntil(r, now))
	if err != nil {
		return ds.DataStoreRatingInfo{}, storeErr(err)
	}
	if !fetch {
		return ds.DataStoreRatingInfo{}, nil
	}
	return ratingInfo(got), nil
}

// RateObject rates one slot of an object.
func (s *server) RateObject(ctx context.Context, c *rpc.Call, req *ds.RateObjectRequest) (*ds.RateObjectResponse, error) {
	info, err := s.rate(ctx, c, req.Target, req.Param, req.FetchRatings)
	if err != nil {
		return nil, err
	}
	return &ds.RateObjectResponse{Info: info}, nil
}

// RateObjects rates several objects, a result each.
func (s *server) RateObjects(ctx context.Context, c *rpc.Call, req *ds.RateObjectsRequest) (*ds.RateObjectsResponse, error) {
	if len(req.Targets) != len(req.Param) || len(req.Targets) > maxBatch {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	infos := make([]ds.DataStoreRatingInfo, len(req.Targets))
	results, err := s.batch(ctx, c, req.Transactional, len(req.Targets), func(ctx context.Context, s *server, i int) error {
		var err error
		infos[i], err = s.rate(ctx, c, req.Targets[i], req.Param[i], req.FetchRatings)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ds.RateObjectsResponse{Infos: infos, Results: results}, nil
}

// rateWithPosting posts a meta-only object under the target's id when it
// does not exist yet, then rates it.
func (s *server) rateWithPosting(ctx context.Context, c *rpc.Call, t ds.DataStoreRatingTarget, r ds.DataStoreRateObjectParam, post *ds.DataStorePreparePostParam, fetch bool) (ds.DataStoreRatingInfo, error) {
	if _, err := s.meta.Get(ctx, s.game, t.DataID); errors.Is(err, store.ErrNotFound) && t.DataID != 0 {
		if _, err := s.postMeta(ctx, c, t.DataID, post); err != nil && rpc.ResultOf(err) != rmc.ResultDataStoreOperationNotAllowed|rmc.ResultErrorBit {
			return ds.DataStoreRatingInfo{}, err
		}
	}
	return s.rate(ctx, c, t, r, fetch)
}

// RateObjectWithPosting rates an object, creating it first if needed.
func (s *server) RateObjectWithPosting(ctx context.Context, c *rpc.Call, req *ds.RateObjectWithPostingRequest) (*ds.RateObjectWithPostingResponse, error) {
	info, err := s.rateWithPosting(ctx, c, req.Target, req.RateParam, &req.PostParam, req.FetchRatings)
	if err != nil {
		return nil, err
	}
	return &ds.RateObjectWithPostingResponse{Info: info}, nil
}

// RateObjectsWithPosting is RateObjectWithPosting per item.
func (s *server) RateObjectsWithPosting(ctx context.Context, c *rpc.Call, req *ds.RateObjectsWithPostingRequest) (*ds.RateObjectsWithPostingResponse, error) {
	n := len(req.Targets)
	if n != len(req.RateParam) || n != len(req.PostParam) || n > maxBatch {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	infos := make([]ds.DataStoreRatingInfo, n)
	results, err := s.batch(ctx, c, req.Transactional, n, func(ctx context.Context, s *server, i int) error {
		var err error
		infos[i], err = s.rateWithPosting(ctx, c, req.Targets[i], req.RateParam[i], &req.PostParam[i], req.FetchRatings)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ds.RateObjectsWithPostingResponse{Ratings: infos, Results: results}, nil
}

func (s *server) rating(ctx context.Context, c *rpc.Call, t ds.DataStoreRatingTarget, password uint64) (store.DataObject, *store.DataRating, error) {
	o, err := s.load(ctx, t.DataID)
	if err != nil {
		return o, nil, err
	}
	if err := s.canRead(ctx, c, &o, password); err != nil {
		return o, nil, err
	}
	if t.Slot < 0 {
		return o, nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	r, ok := o.Rating(uint8(t.Slot))
	if !ok {
		return o, nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	return o, r, nil
}

// GetRating returns one slot's rating.
func (s *server) GetRating(ctx context.Context, c *rpc.Call, req *ds.GetRatingRequest) (*ds.GetRatingResponse, error) {
	_, r, err := s.rating(ctx, c, req.Target, req.AccessPassword)
	if err != nil {
		return nil, err
	}
	return &ds.GetRatingResponse{Rating: ratingInfo(*r)}, nil
}

// GetRatingWithLog returns one slot's rating and the caller's last rating.
func (s *server) GetRatingWithLog(ctx context.Context, c *rpc.Call, req *ds.GetRatingWithLogRequest) (*ds.GetRatingWithLogResponse, error) {
	o, r, err := s.rating(ctx, c, req.Target, req.AccessPassword)
	if err != nil {
		return nil, err
	}
	out := &ds.GetRatingWithLogResponse{Rating: ratingInfo(*r)}
	lg, err := s.meta.RatingLog(ctx, s.game, o.DataID, r.Slot, c.Session.PID())
	switch {
	case err == nil:
		out.Log = ds.DataStoreRatingLog{IsRated: true, PID: lg.PID, RatingValue: lg.Value, LockExpirationTime: dt(lg.LockExpires)}
	case !errors.Is(err, store.ErrNotFound):
		return nil, storeErr(err)
	}
	return out, nil
}

// GetRatings returns every slot of several objects, a result each.
func (s *server) GetRatings(ctx context.Context, c *rpc.Call, req *ds.GetRatingsRequest) (*ds.GetRatingsResponse, error) {
	if err := tooMany(len(req.DataIDs)); err != nil {
		return nil, err
	}
	out := &ds.GetRatingsResponse{}
	for _, id := range req.DataIDs {
		list := []ds.DataStoreRatingInfoWithSlot{}
		o, err := s.load(ctx, id)
		if err == nil {
			err = s.canRead(ctx, c, &o, req.AccessPassword)
		}
		if err == nil {
			for _, r := range o.Ratings {
				list = append(list, ds.DataStoreRatingInfoWithSlot{Slot: r.Slot, Info: ratingInfo(r)})
			}
		}
		out.Ratings = append(out.Ratings, list)
		out.Results = append(out.Results, resultOf(err))
	}
	return out, nil
}

func (s *server) resetRatings(ctx context.Context, c *rpc.Call, id uint64, slot int, password uint64) error {
	o, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	if err := s.canChange(ctx, c, &o, password); err != nil {
		return err
	}
	if slot >= 0 {
		if _, ok := o.Rating(uint8(slot)); !ok {
			return fail(rmc.ResultDataStoreInvalidArgument)
		}
	}
	_, err = s.meta.Update(ctx, s.game, id, func(x *store.DataObject) error {
		for i := range x.Ratings {
			if slot < 0 || int(x.Ratings[i].Slot) == slot {
				x.Ratings[i].TotalValue, x.Ratings[i].Count = x.Ratings[i].InitialValue, 0
			}
		}
		return nil
	})
	if err != nil {
		return storeErr(err)
	}
	return nil
}

// ResetRating resets one slot to its initial value.
func (s *server) ResetRating(ctx context.Context, c *rpc.Call, req *ds.ResetRatingRequest) (*ds.ResetRatingResponse, error) {
	if req.Target.Slot < 0 {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	return &ds.ResetRatingResponse{}, s.resetRatings(ctx, c, req.Target.DataID, int(req.Target.Slot), req.UpdatePassword)
}

// ResetRatings resets every slot of several objects, a result each.
func (s *server) ResetRatings(ctx context.Context, c *rpc.Call, req *ds.ResetRatingsRequest) (*ds.ResetRatingsResponse, error) {
	if err := tooMany(len(req.DataIDs)); err != nil {
		return nil, err
	}
	results, err := s.batch(ctx, c, req.Transactional, len(req.DataIDs), func(ctx context.Context, s *server, i int) error {
		return s.resetRatings(ctx, c, req.DataIDs[i], -1, 0)
	})
	if err != nil {
		return nil, err
	}
	return &ds.ResetRatingsResponse{Results: results}, nil
}

// ---- persistence ----

func (s *server) persistenceInfo(ctx context.Context, owner uint64, slot uint16) (ds.DataStorePersistenceInfo, error) {
	if slot >= s.slots() {
		return ds.DataStorePersistenceInfo{}, fail(rmc.ResultDataStoreInvalidArgument)
	}
	o, err := s.meta.GetBySlot(ctx, s.game, owner, slot)
	if err != nil {
		return ds.DataStorePersistenceInfo{}, storeErr(err)
	}
	return ds.DataStorePersistenceInfo{OwnerID: owner, SlotID: slot, DataID: o.DataID}, nil
}

// GetPersistenceInfo returns the object in an owner's slot.
func (s *server) GetPersistenceInfo(ctx context.Context, c *rpc.Call, req *ds.GetPersistenceInfoRequest) (*ds.GetPersistenceInfoResponse, error) {
	info, err := s.persistenceInfo(ctx, req.OwnerID, req.SlotID)
	if err != nil {
		return nil, err
	}
	return &ds.GetPersistenceInfoResponse{Info: info}, nil
}

// GetPersistenceInfos is GetPersistenceInfo per slot, a result each.
func (s *server) GetPersistenceInfos(ctx context.Context, c *rpc.Call, req *ds.GetPersistenceInfosRequest) (*ds.GetPersistenceInfosResponse, error) {
	if len(req.SlotIDs) > int(s.slots()) || len(req.SlotIDs) > maxBatch {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	out := &ds.GetPersistenceInfosResponse{}
	for _, slot := range req.SlotIDs {
		info, err := s.persistenceInfo(ctx, req.OwnerID, slot)
		out.Infos = append(out.Infos, info)
		out.Results = append(out.Results, resultOf(err))
	}
	return out, nil
}

// PerpetuateObject puts one of the caller's objects in a slot (it then
// never expires).
func (s *server) PerpetuateObject(ctx context.Context, c *rpc.Call, req *ds.PerpetuateObjectRequest) (*ds.PerpetuateObjectResponse, error) {
	if req.PersistenceSlotID >= s.slots() {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	o, err := s.load(ctx, req.DataID)
	if err != nil {
		return nil, err
	}
	if o.Owner != c.Session.PID() {
		return nil, fail(rmc.ResultDataStorePermissionDenied)
	}
	prev, err := s.meta.Perpetuate(ctx, s.game, o.Owner, req.PersistenceSlotID, o.DataID, req.DeleteLastObject, s.now())
	if err != nil {
		return nil, storeErr(err)
	}
	if _, err := s.meta.Update(ctx, s.game, o.DataID, func(x *store.DataObject) error { x.Expires = forever; return nil }); err != nil {
		return nil, storeErr(err)
	}
	s.vacated(ctx, prev)
	return &ds.PerpetuateObjectResponse{}, nil
}

// UnperpetuateObject empties one of the caller's slots; the object left
// there expires after its period from now (or is deleted).
func (s *server) UnperpetuateObject(ctx context.Context, c *rpc.Call, req *ds.UnperpetuateObjectRequest) (*ds.UnperpetuateObjectResponse, error) {
	if req.PersistenceSlotID >= s.slots() {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	pid := c.Session.PID()
	prev, err := s.meta.Perpetuate(ctx, s.game, pid, req.PersistenceSlotID, 0, req.DeleteLastObject, s.now())
	if err != nil {
		return nil, storeErr(err)
	}
	if prev.DataID == 0 {
		return nil, fail(rmc.ResultDataStoreNotFound)
	}
	s.vacated(ctx, prev)
	return &ds.UnperpetuateObjectResponse{}, nil
}
