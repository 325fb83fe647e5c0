package datastore

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

var _ ds.Server = (*server)(nil)

func tooMany(n int) error {
	if n > maxBatch {
		return fail(rmc.ResultDataStoreInvalidArgument)
	}
	return nil
}

// ---- posting ----

func (s *server) preparePost(ctx context.Context, c *rpc.Call, p *ds.DataStorePreparePostParam) (ds.DataStoreReqPostInfo, error) {
	o, err := s.newObject(c, p, true)
	if err != nil {
		return ds.DataStoreReqPostInfo{}, err
	}
	if o.DataID, err = s.meta.AllocateDataID(ctx, s.game, s.cfg.FirstDataID); err != nil {
		return ds.DataStoreReqPostInfo{}, storeErr(err)
	}
	if err := s.meta.Create(ctx, o); err != nil {
		return ds.DataStoreReqPostInfo{}, storeErr(err)
	}
	u, form, err := s.uploadForm(ctx, objectKey(s.game, o.DataID, 1), int64(o.Size))
	if err != nil {
		return ds.DataStoreReqPostInfo{}, err
	}
	s.logCall(c, "datastore: prepared post", zap.Uint64("data_id", o.DataID), zap.Uint32("size", o.Size))
	return ds.DataStoreReqPostInfo{DataID: o.DataID, URL: u, Form: form, Headers: []ds.DataStoreKeyValue{}}, nil
}

// PreparePostObject creates a pending object and returns its upload form.
func (s *server) PreparePostObject(ctx context.Context, c *rpc.Call, req *ds.PreparePostObjectRequest) (*ds.PreparePostObjectResponse, error) {
	info, err := s.preparePost(ctx, c, &req.Param)
	if err != nil {
		return nil, err
	}
	return &ds.PreparePostObjectResponse{Info: info}, nil
}

// PreparePostObjectV1 is PreparePostObject with 32-bit data ids.
func (s *server) PreparePostObjectV1(ctx context.Context, c *rpc.Call, req *ds.PreparePostObjectV1Request) (*ds.PreparePostObjectV1Response, error) {
	p := req.Param
	info, err := s.preparePost(ctx, c, &ds.DataStorePreparePostParam{Size: p.Size, Name: p.Name, DataType: p.DataType,
		MetaBinary: p.MetaBinary, Permission: p.Permission, DeletePermission: p.DeletePermission, Flag: p.Flag,
		Period: p.Period, ReferDataID: p.ReferDataID, Tags: p.Tags, RatingInitParam: p.RatingInitParam,
		PersistenceInitParam: ds.DataStorePersistenceInitParam{PersistenceID: noSlot}})
	if err != nil {
		return nil, err
	}
	if info.DataID > 0xFFFFFFFF {
		return nil, fail(rmc.ResultDataStoreOverCapacity)
	}
	return &ds.PreparePostObjectV1Response{Info: ds.DataStoreReqPostInfoV1{DataID: uint32(info.DataID), URL: info.URL,
		Headers: info.Headers, Form: info.Form, RootCACert: info.RootCACert}}, nil
}

// complete ends an upload begun less than pending_timeout ago: on success
// the content must really be there (with the declared size) and the object
// is published; on failure the object is removed.
func (s *server) complete(ctx context.Context, c *rpc.Call, id uint64, success bool) error {
	o, err := s.meta.Get(ctx, s.game, id)
	if err != nil {
		return storeErr(err)
	}
	// An upload left pending past pending_timeout is gone, whether or not
	// the sweep has removed it yet (its deadline is the sweep's).
	late := o.Status == store.DataPending && o.Created.Before(s.now().Add(-s.cfg.PendingTimeout))
	if o.Status == store.DataDeleted || late {
		return fail(rmc.ResultDataStoreNotFound)
	}
	if o.Owner != c.Session.PID() || o.Status != store.DataPending {
		return fail(rmc.ResultDataStorePermissionDenied)
	}
	key := objectKey(s.game, id, o.Version)
	if !success {
		return s.remove(ctx, &o)
	}
	info, err := s.objects.Head(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return fail(rmc.ResultDataStoreNotFound)
	}
	if err != nil {
		return rpc.Failf(rmc.ResultDataStoreSystemFileError, err)
	}
	if info.Size != int64(o.Size) {
		return rpc.Failf(rmc.ResultDataStoreUnknown, errors.New("uploaded size differs from the declared one"))
	}
	if err := s.publish(ctx, &o); err != nil {
		return err
	}
	s.logCall(c, "datastore: published", zap.Uint64("data_id", id))
	return nil
}

// vacated finishes what the store began when it took prev (DataID 0:
// none) out of its persistence slot: the content of a prev it deleted
// goes (a detached prev already expires again, set by the store).
func (s *server) vacated(ctx context.Context, prev store.DataObject) {
	if prev.DataID != 0 && prev.Status == store.DataDeleted {
		s.removeContent(ctx, prev.DataID, prev.Version)
	}
}

// remove deletes an object and its content.
func (s *server) remove(ctx context.Context, o *store.DataObject) error {
	if _, err := s.meta.Update(ctx, s.game, o.DataID, func(x *store.DataObject) error {
		x.Status = store.DataDeleted
		return nil
	}); err != nil {
		return storeErr(err)
	}
	s.removeContent(ctx, o.DataID, o.Version)
	return nil
}

// removeContent removes the content of a deleted object, after the commit
// of the transactional batch that is running (a rolled-back batch must
// keep its blobs). A failure only leaves the blob behind, so it is logged.
func (s *server) removeContent(ctx context.Context, id uint64, version uint32) {
	key := objectKey(s.game, id, version)
	s.afterCommit(func() {
		if err := s.objects.Delete(context.WithoutCancel(ctx), key); err != nil {
			s.log.Warn("datastore: remove content", zap.Uint64("data_id", id), zap.Error(err))
		}
	})
}

// afterCommit runs fn now, or after the commit of the transactional batch
// that is running (a rolled-back batch must keep its blobs).
func (s *server) afterCommit(fn func()) {
	if s.after != nil {
		*s.after = append(*s.after, fn)
		return
	}
	fn()
}

// batch runs item for each of n items. Not transactional: each item on
// its own, a result each. Transactional: every item runs in one store
// transaction on a copy of s whose meta is that transaction; the first
// failure undoes them all and fails the call with its result, so either
// every item succeeds or nothing changes.
func (s *server) batch(ctx context.Context, c *rpc.Call, transactional bool, n int, item func(ctx context.Context, s *server, i int) error) ([]rmc.Result, error) {
	results := make([]rmc.Result, n)
	if !transactional {
		for i := range n {
			results[i] = resultOf(item(ctx, s, i))
		}
		return results, nil
	}
	var after []func()
	failed := -1
	err := s.meta.Atomic(ctx, func(ctx context.Context, tx store.DataStore) error {
		after, failed = after[:0], -1 // a retried transaction starts over
		t := *s
		t.meta, t.after = tx, &after
		for i := range n {
			if err := item(ctx, &t, i); err != nil {
				failed = i
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.logCall(c, "datastore: transactional batch undone", zap.Int("item", failed), zap.Int("items", n), zap.Error(err))
		var re *rpc.ResultError
		if errors.As(err, &re) {
			return nil, err
		}
		return nil, storeErr(err)
	}
	for _, fn := range after {
		fn()
	}
	for i := range results {
		results[i] = rmc.ResultSuccess
	}
	return results, nil
}

// publish publishes a pending object and, with flag 0x8, records a
// new-arrival notification for each of its recipients, in one
// transaction. The object's persistence slot, if any, is vacated for it
// (the content of a previous object deleted there goes).
func (s *server) publish(ctx context.Context, o *store.DataObject) error {
	var to []uint64
	if o.Flag&flagNotifyOnPost != 0 {
		to = s.recipients(ctx, o)
	}
	var prev store.DataObject
	err := s.meta.Atomic(ctx, func(ctx context.Context, tx store.DataStore) (err error) {
		if prev, err = tx.Publish(ctx, s.game, o.DataID, s.now()); err != nil {
			return err
		}
		return tx.Notify(ctx, s.game, o.DataID, to)
	})
	if err != nil {
		return storeErr(err)
	}
	s.vacated(ctx, prev)
	if len(to) > 0 {
		s.afterCommit(func() { s.touchNotifiers(context.WithoutCancel(ctx), to) })
	}
	return nil
}

// recipients are the users an object's notify flags (0x8 on post, 0x10
// on update) tell about it: the owner's friends (permission 1), the
// listed recipients (2) or the listed recipients who are friends (4);
// public and private objects notify nobody (services.md §7.6).
func (s *server) recipients(ctx context.Context, o *store.DataObject) []uint64 {
	var to []uint64
	switch o.Permission.Permission {
	case 1:
		to = s.friendsOf(ctx, o.Owner)
	case 2:
		to = o.Permission.Recipients
	case 4:
		friends := s.friendsOf(ctx, o.Owner) // once, not once per recipient
		for _, p := range o.Permission.Recipients {
			if slices.Contains(friends, p) {
				to = append(to, p)
			}
		}
	}
	var out []uint64
	for _, p := range to {
		if p != o.Owner && len(out) < maxRecipients {
			out = append(out, p)
		}
	}
	return out
}

// CompletePostObject publishes (or drops) an uploaded object.
func (s *server) CompletePostObject(ctx context.Context, c *rpc.Call, req *ds.CompletePostObjectRequest) (*ds.CompletePostObjectResponse, error) {
	return &ds.CompletePostObjectResponse{}, s.complete(ctx, c, req.Param.DataID, req.Param.Success)
}

// CompletePostObjectV1 is CompletePostObject with a 32-bit data id.
func (s *server) CompletePostObjectV1(ctx context.Context, c *rpc.Call, req *ds.CompletePostObjectV1Request) (*ds.CompletePostObjectV1Response, error) {
	return &ds.CompletePostObjectV1Response{}, s.complete(ctx, c, uint64(req.Param.DataID), req.Param.Success)
}

// CompletePostObjects completes several uploads, stopping at the first
// error.
func (s *server) CompletePostObjects(ctx context.Context, c *rpc.Call, req *ds.CompletePostObjectsRequest) (*ds.CompletePostObjectsResponse, error) {
	if err := tooMany(len(req.DataIDs)); err != nil {
		return nil, err
	}
	for _, id := range req.DataIDs {
		if err := s.complete(ctx, c, id, true); err != nil {
			return nil, err
		}
	}
	return &ds.CompletePostObjectsResponse{}, nil
}

// postMeta stores a published object without content.
func (s *server) postMeta(ctx context.Context, c *rpc.Call, id uint64, p *ds.DataStorePreparePostParam) (uint64, error) {
	o, err := s.newObject(c, p, false)
	if err != nil {
		return 0, err
	}
	o.Size = 0
	if id == 0 {
		if id, err = s.meta.AllocateDataID(ctx, s.game, s.cfg.FirstDataID); err != nil {
			return 0, storeErr(err)
		}
	}
	o.DataID = id
	if err := s.meta.Create(ctx, o); err != nil {
		return 0, storeErr(err)
	}
	if err := s.publish(ctx, &o); err != nil {
		return 0, err
	}
	return id, nil
}

// PostMetaBinary stores a meta-only object.
func (s *server) PostMetaBinary(ctx context.Context, c *rpc.Call, req *ds.PostMetaBinaryRequest) (*ds.PostMetaBinaryResponse, error) {
	id, err := s.postMeta(ctx, c, 0, &req.Param)
	if err != nil {
		return nil, err
	}
	return &ds.PostMetaBinaryResponse{DataID: id}, nil
}

// PostMetaBinaryWithDataId stores a meta-only object under a chosen id
// (taken: DataStore::OperationNotAllowed).
func (s *server) PostMetaBinaryWithDataId(ctx context.Context, c *rpc.Call, req *ds.PostMetaBinaryWithDataIdRequest) (*ds.PostMetaBinaryWithDataIdResponse, error) {
	if req.DataID == 0 {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	_, err := s.postMeta(ctx, c, req.DataID, &req.Param)
	return &ds.PostMetaBinaryWithDataIdResponse{}, err
}

// PostMetaBinariesWithDataId is PostMetaBinaryWithDataId per item
// (transactional: all or nothing, see batch).
func (s *server) PostMetaBinariesWithDataId(ctx context.Context, c *rpc.Call, req *ds.PostMetaBinariesWithDataIdRequest) (*ds.PostMetaBinariesWithDataIdResponse, error) {
	if len(req.DataIDs) != len(req.Param) {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	if err := tooMany(len(req.DataIDs)); err != nil {
		return nil, err
	}
	results, err := s.batch(ctx, c, req.Transactional, len(req.DataIDs), func(ctx context.Context, s *server, i int) error {
		if req.DataIDs[i] == 0 {
			return fail(rmc.ResultDataStoreInvalidArgument)
		}
		_, err := s.postMeta(ctx, c, req.DataIDs[i], &req.Param[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ds.PostMetaBinariesWithDataIdResponse{Results: results}, nil
}

// ---- getting ----

func (s *server) getInfo(ctx context.Context, c *rpc.Call, o *store.DataObject) (ds.DataStoreReqGetInfo, error) {
	info := ds.DataStoreReqGetInfo{Headers: []ds.DataStoreKeyValue{}, Size: o.Size, DataID: o.DataID}
	if o.Flag&flagNoFile != 0 {
		return info, nil
	}
	u, err := s.downloadURL(ctx, objectKey(s.game, o.DataID, o.Version))
	info.URL = u
	s.touch(ctx, o)
	return info, err
}

// touch records a reference and, for flag 0x2, extends the expiry.
func (s *server) touch(ctx context.Context, o *store.DataObject) {
	now := s.now().UTC()
	_, err := s.meta.Update(ctx, s.game, o.DataID, func(x *store.DataObject) error {
		x.ReferredCount++
		x.ReferredTime = now
		if x.Flag&flagPeriodFromLast != 0 && x.Expires.Before(forever) {
			x.Expires = now.Add(time.Duration(x.Period) * 24 * time.Hour)
		}
		return nil
	})
	if err != nil {
		s.log.Warn("datastore: touch", zap.Uint64("data_id", o.DataID), zap.Error(err))
	}
}

func (s *server) prepareGet(ctx context.Context, c *rpc.Call, p *ds.DataStorePrepareGetParam) (store.DataObject, ds.DataStoreReqGetInfo, error) {
	o, err := s.resolve(ctx, c, p.DataID, p.PersistenceTarget)
	if err != nil {
		return o, ds.DataStoreReqGetInfo{}, err
	}
	if err := s.canRead(ctx, c, &o, p.AccessPassword); err != nil {
		return o, ds.DataStoreReqGetInfo{}, err
	}
	info, err := s.getInfo(ctx, c, &o)
	return o, info, err
}

// PrepareGetObject returns the download URL of an object.
func (s *server) PrepareGetObject(ctx context.Context, c *rpc.Call, req *ds.PrepareGetObjectRequest) (*ds.PrepareGetObjectResponse, error) {
	o, info, err := s.prepareGet(ctx, c, &req.Param)
	if err != nil {
		return nil, err
	}
	if o.Flag&flagNoFile != 0 {
		return nil, fail(rmc.ResultDataStoreNotFound)
	}
	return &ds.PrepareGetObjectResponse{Info: info}, nil
}

// PrepareGetObjectV1 is PrepareGetObject with a 32-bit data id.
func (s *server) PrepareGetObjectV1(ctx context.Context, c *rpc.Call, req *ds.PrepareGetObjectV1Request) (*ds.PrepareGetObjectV1Response, error) {
	o, info, err := s.prepareGet(ctx, c, &ds.DataStorePrepareGetParam{DataID: uint64(req.Param.DataID),
		PersistenceTarget: ds.DataStorePersistenceTarget{PersistenceID: noSlot}})
	if err != nil {
		return nil, err
	}
	if o.Flag&flagNoFile != 0 {
		return nil, fail(rmc.ResultDataStoreNotFound)
	}
	return &ds.PrepareGetObjectV1Response{Info: ds.DataStoreReqGetInfoV1{URL: info.URL, Headers: info.Headers, Size: info.Size, RootCACert: info.RootCACert}}, nil
}

// PrepareGetObjectOrMetaBinary returns the download URL (objects with
// content) and the meta binary.
func (s *server) PrepareGetObjectOrMetaBinary(ctx context.Context, c *rpc.Call, req *ds.PrepareGetObjectOrMetaBinaryRequest) (*ds.PrepareGetObjectOrMetaBinaryResponse, error) {
	o, info, err := s.prepareGet(ctx, c, &req.Param)
	if err != nil {
		return nil, err
	}
	return &ds.PrepareGetObjectOrMetaBinaryResponse{GetInfo: info, AdditionalMeta: ds.DataStoreReqGetAdditionalMeta{
		OwnerID: o.Owner, DataType: o.DataType, Version: uint16(o.Version), MetaBinary: o.MetaBinary}}, nil
}

// GetObjectInfos returns the download info of several objects, with a
// result each.
func (s *server) GetObjectInfos(ctx context.Context, c *rpc.Call, req *ds.GetObjectInfosRequest) (*ds.GetObjectInfosResponse, error) {
	if err := tooMany(len(req.DataIDs)); err != nil {
		return nil, err
	}
	out := &ds.GetObjectInfosResponse{}
	for _, id := range req.DataIDs {
		// By data id only: 0 is no object, not the caller's slot 0.
		_, info, err := s.prepareGet(ctx, c, &ds.DataStorePrepareGetParam{DataID: id,
			PersistenceTarget: ds.DataStorePersistenceTarget{PersistenceID: noSlot}})
		if err != nil {
			info = ds.DataStoreReqGetInfo{}
		}
		out.Infos = append(out.Infos, info)
		out.Results = append(out.Results, resultOf(err))
	}
	return out, nil
}

// TouchObject records a reference (and extends flag-0x2 expiries).
func (s *server) TouchObject(ctx context.Context, c *rpc.Call, req *ds.TouchObjectRequest) (*ds.TouchObjectResponse, error) {
	o, err := s.load(ctx, req.Param.DataID)
	if err != nil {
		return nil, err
	}
	if err := s.canRead(ctx, c, &o, req.Param.AccessPassword); err != nil {
		return nil, err
	}
	s.touch(ctx, &o)
	return &ds.TouchObjectResponse{}, nil
}

// ---- metadata ----

func (s *server) getMeta(ctx context.Context, c *rpc.Call, p *ds.DataStoreGetMetaParam) (ds.DataStoreMetaInfo, error) {
	o, err := s.resolve(ctx, c, p.DataID, p.PersistenceTarget)
	if err != nil {
		return ds.DataStoreMetaInfo{}, err
	}
	if err := s.canRead(ctx, c, &o, p.AccessPassword); err != nil {
		return ds.DataStoreMetaInfo{}, err
	}
	return metaInfo(&o, p.ResultOption), nil
}

// GetMeta returns an object's metadata filtered by result_option.
func (s *server) GetMeta(ctx context.Context, c *rpc.Call, req *ds.GetMetaRequest) (*ds.GetMetaResponse, error) {
	info, err := s.getMeta(ctx, c, &req.Param)
	if err != nil {
		return nil, err
	}
	return &ds.GetMetaResponse{Info: info}, nil
}

// GetMetas is GetMeta for several ids with one param, a result each.
func (s *server) GetMetas(ctx context.Context, c *rpc.Call, req *ds.GetMetasRequest) (*ds.GetMetasResponse, error) {
	if err := tooMany(len(req.DataIDs)); err != nil {
		return nil, err
	}
	out := &ds.GetMetasResponse{}
	for _, id := range req.DataIDs {
		p := req.Param
		p.DataID = id
		info, err := s.getMeta(ctx, c, &p)
		out.Info = append(out.Info, info)
		out.Results = append(out.Results, resultOf(err))
	}
	return out, nil
}

// GetMetasMultipleParam is GetMeta per param, a result each: a missing
// object is a NotFound result, never a failed call.
func (s *server) GetMetasMultipleParam(ctx context.Context, c *rpc.Call, req *ds.GetMetasMultipleParamRequest) (*ds.GetMetasMultipleParamResponse, error) {
	if err := tooMany(len(req.Params)); err != nil {
		return nil, err
	}
	out := &ds.GetMetasMultipleParamResponse{}
	for i := range req.Params {
		info, err := s.getMeta(ctx, c, &req.Params[i])
		out.Infos = append(out.Infos, info)
		out.Results = append(out.Results, resultOf(err))
	}
	return out, nil
}

// GetSpecificMeta returns short metadata of the readable objects among ids.
func (s *server) GetSpecificMeta(ctx context.Context, c *rpc.Call, req *ds.GetSpecificMetaRequest) (*ds.GetSpecificMetaResponse, error) {
	if err := tooMany(len(req.Param.DataIDs)); err != nil {
		return nil, err
	}
	out := &ds.GetSpecificMetaResponse{Infos: []ds.DataStoreSpecificMetaInfo{}}
	for _, id := range req.Param.DataIDs {
		o, err := s.load(ctx, id)
		if err != nil || s.canRead(ctx, c, &o, 0) != nil {
			continue
		}
		out.Infos = append(out.Infos, ds.DataStoreSpecificMetaInfo{DataID: o.DataID, OwnerID: o.Owner, Size: o.Size, DataType: o.DataType, Version: o.Version})
	}
	return out, nil
}

// GetSpecificMetaV1 is GetSpecificMeta with 32-bit ids and versions.
func (s *server) GetSpecificMetaV1(ctx context.Context, c *rpc.Call, req *ds.GetSpecificMetaV1Request) (*ds.GetSpecificMetaV1Response, error) {
	ids := make([]uint64, len(req.Param.DataIDs))
	for i, id := range req.Param.DataIDs {
		ids[i] = uint64(id)
	}
	r, err := s.GetSpecificMeta(ctx, c, &ds.GetSpecificMetaRequest{Param: ds.DataStoreGetSpecificMetaParam{DataIDs: ids}})
	if err != nil {
		return nil, err
	}
	out := &ds.GetSpecificMetaV1Response{Infos: []ds.DataStoreSpecificMetaInfoV1{}}
	for _, m := range r.Infos {
		out.Infos = append(out.Infos, ds.DataStoreSpecificMetaInfoV1{DataID: uint32(m.DataID), OwnerID: m.OwnerID, Size: m.Size, DataType: m.DataType, Version: uint16(m.Version)})
	}
	return out, nil
}

// changeMeta applies a ChangeMeta param (modifies_flag bits 0x1-0x80,
// services.md §7.10). compare_param makes it conditional: each field its
// comparison_flag selects (same bits as modifies_flag, 0xFFFF all) must
// equal the stored value, checked in the same store transaction as the
// change, else DataStore::ValueNotEqual and nothing changes.
func (s *server) changeMeta(ctx context.Context, c *rpc.Call, p *ds.DataStoreChangeMetaParam, v1 bool) error {
	var o store.DataObject
	var err error
	if p.DataID == 0 && !v1 {
		o, err = s.resolve(ctx, c, 0, p.PersistenceTarget)
	} else {
		o, err = s.load(ctx, p.DataID)
	}
	if err != nil {
		return err
	}
	if err := s.canChange(ctx, c, &o, p.UpdatePassword); err != nil {
		return err
	}
	f := p.ModifiesFlag
	if f&0x1 != 0 && len([]rune(p.Name)) > maxName || f&0x10 != 0 && len(p.MetaBinary) > maxMeta {
		return fail(rmc.ResultDataStoreInvalidArgument)
	}
	if f&0x20 != 0 {
		if err := checkTags(p.Tags); err != nil {
			return err
		}
	}
	perm, err := permission(p.Permission)
	if f&0x2 != 0 && err != nil {
		return err
	}
	dperm, err := permission(p.DeletePermission)
	if f&0x4 != 0 && err != nil {
		return err
	}
	period := o.Period
	if f&0x8 != 0 {
		if period, err = checkPeriod(p.Period); err != nil {
			return err
		}
	}
	if f&0x80 != 0 && p.DataType == 65535 {
		return fail(rmc.ResultDataStoreInvalidArgument)
	}
	now := s.now().UTC()
	_, err = s.meta.Update(ctx, s.game, o.DataID, func(x *store.DataObject) error {
		if !matches(x, &p.CompareParam) {
			return fail(rmc.ResultDataStoreValueNotEqual)
		}
		if f&0x1 != 0 {
			x.Name = p.Name
		}
		if f&0x2 != 0 {
			x.Permission = perm
		}
		if f&0x4 != 0 {
			x.DeletePermission = dperm
		}
		if f&0x8 != 0 {
			x.Period = period
		}
		if f&0x10 != 0 {
			x.MetaBinary = append([]byte(nil), p.MetaBinary...)
		}
		if f&0x20 != 0 {
			x.Tags = append([]string(nil), p.Tags...)
		}
		// 0x40 restarts the period from now; a new period alone counts
		// from the last update, which it leaves as it is.
		if f&0x40 != 0 {
			x.Updated = now
		}
		if f&(0x40|0x8) != 0 && x.Expires.Before(forever) {
			x.Expires = x.Updated.Add(time.Duration(x.Period) * 24 * time.Hour)
		}
		if f&0x80 != 0 {
			x.DataType = p.DataType
		}
		// 0x100 (referred count) and 0x200 (status) are ignored, as both
		// reference servers do: a caller would otherwise approve their own
		// object under review or inflate its count (services.md §7.10).
		return nil
	})
	if err != nil {
		var re *rpc.ResultError
		if errors.As(err, &re) {
			return err
		}
		return storeErr(err)
	}
	return nil
}

// matches reports whether o has the values that cmp's comparison_flag
// selects (0: no condition).
func matches(o *store.DataObject, cmp *ds.DataStoreChangeMetaCompareParam) bool {
	f := cmp.ComparisonFlag
	samePerm := func(a store.DataPermission, b ds.DataStorePermission) bool {
		return a.Permission == b.Permission && slices.Equal(a.Recipients, nilIfEmpty(b.Recipients))
	}
	switch {
	case f&0x1 != 0 && o.Name != cmp.Name,
		f&0x2 != 0 && !samePerm(o.Permission, cmp.Permission),
		f&0x4 != 0 && !samePerm(o.DeletePermission, cmp.DeletePermission),
		f&0x8 != 0 && o.Period != cmp.Period,
		f&0x10 != 0 && !bytes.Equal(o.MetaBinary, cmp.MetaBinary),
		f&0x20 != 0 && !slices.Equal(o.Tags, nilIfEmpty(cmp.Tags)),
		f&0x80 != 0 && o.DataType != cmp.DataType,
		f&0x100 != 0 && o.ReferredCount != cmp.ReferredCount,
		f&0x200 != 0 && o.NEXStatus != cmp.Status:
		return false
	}
	return true
}

func nilIfEmpty[T any](v []T) []T {
	if len(v) == 0 {
		return nil
	}
	return v
}

func fromV1(id uint64, p *ds.DataStoreChangeMetaParamV1) ds.DataStoreChangeMetaParam {
	if id == 0 {
		id = p.DataID
	}
	// The first revision has the fields of bits 0x1-0x20; 0x40 (refresh)
	// needs none.
	return ds.DataStoreChangeMetaParam{DataID: id, ModifiesFlag: p.ModifiesFlag & 0x7F, Name: p.Name, Permission: p.Permission,
		DeletePermission: p.DeletePermission, Period: p.Period, MetaBinary: p.MetaBinary, Tags: p.Tags, UpdatePassword: p.UpdatePassword}
}

// ChangeMeta changes an object's metadata.
func (s *server) ChangeMeta(ctx context.Context, c *rpc.Call, req *ds.ChangeMetaRequest) (*ds.ChangeMetaResponse, error) {
	return &ds.ChangeMetaResponse{}, s.changeMeta(ctx, c, &req.Param, false)
}

// ChangeMetaV1 is ChangeMeta with the first revision's param.
func (s *server) ChangeMetaV1(ctx context.Context, c *rpc.Call, req *ds.ChangeMetaV1Request) (*ds.ChangeMetaV1Response, error) {
	p := fromV1(0, &req.Param)
	return &ds.ChangeMetaV1Response{}, s.changeMeta(ctx, c, &p, true)
}

// ChangeMetas applies one param per id, a result each (transactional:
// all or nothing, see batch).
func (s *server) ChangeMetas(ctx context.Context, c *rpc.Call, req *ds.ChangeMetasRequest) (*ds.ChangeMetasResponse, error) {
	if len(req.DataIDs) != len(req.Param) || len(req.DataIDs) > maxBatch {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	results, err := s.batch(ctx, c, req.Transactional, len(req.DataIDs), func(ctx context.Context, s *server, i int) error {
		p := req.Param[i]
		p.DataID = req.DataIDs[i]
		return s.changeMeta(ctx, c, &p, false)
	})
	if err != nil {
		return nil, err
	}
	return &ds.ChangeMetasResponse{Results: results}, nil
}

// ChangeMetasV1 is ChangeMetas with the first revision's params.
func (s *server) ChangeMetasV1(ctx context.Context, c *rpc.Call, req *ds.ChangeMetasV1Request) (*ds.ChangeMetasV1Response, error) {
	if len(req.DataIDs) != len(req.Param) || len(req.DataIDs) > maxBatch {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	results, err := s.batch(ctx, c, req.Transactional, len(req.DataIDs), func(ctx context.Context, s *server, i int) error {
		p := fromV1(req.DataIDs[i], &req.Param[i])
		return s.changeMeta(ctx, c, &p, true)
	})
	if err != nil {
		return nil, err
	}
	return &ds.ChangeMetasV1Response{Results: results}, nil
}

// ---- deleting and updating ----

func (s *server) deleteObject(ctx context.Context, c *rpc.Call, p *ds.DataStoreDeleteParam) error {
	o, err := s.load(ctx, p.DataID)
	if err != nil {
		return err
	}
	if err := s.canChange(ctx, c, &o, p.UpdatePassword); err != nil {
		return err
	}
	return s.remove(ctx, &o)
}

// DeleteObject deletes an object and its content.
func (s *server) DeleteObject(ctx context.Context, c *rpc.Call, req *ds.DeleteObjectRequest) (*ds.DeleteObjectResponse, error) {
	return &ds.DeleteObjectResponse{}, s.deleteObject(ctx, c, &req.Param)
}

// DeleteObjects deletes several objects, a result each (transactional:
// all or nothing, see batch).
func (s *server) DeleteObjects(ctx context.Context, c *rpc.Call, req *ds.DeleteObjectsRequest) (*ds.DeleteObjectsResponse, error) {
	if err := tooMany(len(req.Param)); err != nil {
		return nil, err
	}
	results, err := s.batch(ctx, c, req.Transactional, len(req.Param), func(ctx context.Context, s *server, i int) error {
		return s.deleteObject(ctx, c, &req.Param[i])
	})
	if err != nil {
		return nil, err
	}
	return &ds.DeleteObjectsResponse{Results: results}, nil
}

// PrepareUpdateObject returns the upload form of the object's next
// version; the current version stays visible until CompleteUpdateObject.
func (s *server) PrepareUpdateObject(ctx context.Context, c *rpc.Call, req *ds.PrepareUpdateObjectRequest) (*ds.PrepareUpdateObjectResponse, error) {
	o, err := s.load(ctx, req.Param.DataID)
	if err != nil {
		return nil, err
	}
	if err := s.canChange(ctx, c, &o, req.Param.UpdatePassword); err != nil {
		return nil, err
	}
	if o.Flag&flagNoFile != 0 || int64(req.Param.Size) > s.cfg.MaxSize {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	u, form, err := s.uploadForm(ctx, objectKey(s.game, o.DataID, o.Version+1), int64(req.Param.Size))
	if err != nil {
		return nil, err
	}
	return &ds.PrepareUpdateObjectResponse{Info: ds.DataStoreReqUpdateInfo{Version: o.Version + 1, URL: u, Form: form, Headers: []ds.DataStoreKeyValue{}}}, nil
}

// CompleteUpdateObject switches the object to its uploaded next version.
func (s *server) CompleteUpdateObject(ctx context.Context, c *rpc.Call, req *ds.CompleteUpdateObjectRequest) (*ds.CompleteUpdateObjectResponse, error) {
	p := req.Param
	o, err := s.load(ctx, p.DataID)
	if err != nil {
		return nil, err
	}
	if o.Owner != c.Session.PID() && !s.permits(ctx, o.DeletePermission, o.Owner, c.Session.PID()) {
		return nil, fail(rmc.ResultDataStorePermissionDenied)
	}
	if p.Version != o.Version+1 {
		return nil, fail(rmc.ResultDataStoreInvalidArgument)
	}
	newKey := objectKey(s.game, o.DataID, p.Version)
	if !p.Success {
		_ = s.objects.Delete(ctx, newKey)
		return &ds.CompleteUpdateObjectResponse{}, nil
	}
	info, err := s.objects.Head(ctx, newKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fail(rmc.ResultDataStoreNotFound)
	}
	if err != nil {
		return nil, rpc.Failf(rmc.ResultDataStoreSystemFileError, err)
	}
	now := s.now().UTC()
	if _, err := s.meta.Update(ctx, s.game, o.DataID, func(x *store.DataObject) error {
		if x.Version != o.Version {
			return store.ErrExists // another update won
		}
		x.Version, x.Size, x.Updated = p.Version, uint32(info.Size), now
		return nil
	}); err != nil {
		return nil, storeErr(err)
	}
	_ = s.objects.Delete(ctx, objectKey(s.game, o.DataID, o.Version))
	if o.Flag&flagNotifyOnUpdate != 0 {
		to := s.recipients(ctx, &o)
		if err := s.meta.Notify(ctx, s.game, o.DataID, to); err != nil {
			// The update stands; only the recipients' notice is lost.
			s.log.Warn("datastore: notify update", zap.Uint64("data_id", o.DataID), zap.Error(err))
		} else if len(to) > 0 {
			s.afterCommit(func() { s.touchNotifiers(context.WithoutCancel(ctx), to) })
		}
	}
	return &ds.CompleteUpdateObjectResponse{}, nil
}

// ---- passwords ----

func (s *server) passwordInfo(ctx context.Context, c *rpc.Call, id uint64) (ds.DataStorePasswordInfo, error) {
	o, err := s.load(ctx, id)
	if err != nil {
		return ds.DataStorePasswordInfo{}, err
	}
	if o.Owner != c.Session.PID() {
		return ds.DataStorePasswordInfo{}, fail(rmc.ResultDataStorePermissionDenied)
	}
	return ds.DataStorePasswordInfo{DataID: id, AccessPassword: o.AccessPassword, UpdatePassword: o.UpdatePassword}, nil
}

// GetPasswordInfo returns an object's passwords to its owner.
func (s *server) GetPasswordInfo(ctx context.Context, c *rpc.Call, req *ds.GetPasswordInfoRequest) (*ds.GetPasswordInfoResponse, error) {
	info, err := s.passwordInfo(ctx, c, req.DataID)
	if err != nil {
		return nil, err
	}
	return &ds.GetPasswordInfoResponse{Info: info}, nil
}

// GetPasswordInfos is GetPasswordInfo per id, a result each.
func (s *server) GetPasswordInfos(ctx context.Context, c *rpc.Call, req *ds.GetPasswordInfosRequest) (*ds.GetPasswordInfosResponse, error) {
	if err := tooMany(len(req.DataIDs)); err != nil {
		return nil, err
	}
	out := &ds.GetPasswordInfosResponse{}
	for _, id := range req.DataIDs {
		info, err := s.passwordInfo(ctx, c, id)
		out.Infos = append(out.Infos, info)
		out.Results = append(out.Results, resultOf(err))
	}
	return out, nil
}

// ---- notifications ----

// notifications returns the caller's new-arrival notifications after
// last (limit 0 means 20; at most 100 a page).
func (s *server) notifications(ctx context.Context, c *rpc.Call, p *ds.DataStoreGetNewArrivedNotificationsParam) ([]store.DataNotification, bool, error) {
	limit := int(p.Limit)
	if limit == 0 {
		limit = 20
	}
	limit = min(limit, 100)
	ns, more, err := s.meta.Notifications(ctx, s.game, c.Session.PID(), p.LastNotificationID, limit)
	if err != nil {
		return nil, false, storeErr(err)
	}
	return ns, more, nil
}

// GetNewArrivedNotifications returns the objects posted (flag 0x8) or
// updated (flag 0x10) for the caller since last_notification_id, oldest
// first, and whether more follow.
func (s *server) GetNewArrivedNotifications(ctx context.Context, c *rpc.Call, req *ds.GetNewArrivedNotificationsRequest) (*ds.GetNewArrivedNotificationsResponse, error) {
	ns, more, err := s.notifications(ctx, c, &req.Param)
	if err != nil {
		return nil, err
	}
	out := &ds.GetNewArrivedNotificationsResponse{Result: []ds.DataStoreNotification{}, HasNext: more}
	for _, n := range ns {
		out.Result = append(out.Result, ds.DataStoreNotification{NotificationID: n.ID, DataID: n.DataID})
	}
	return out, nil
}

// GetNewArrivedNotificationsV1 is the V1 form (32-bit data ids: the V1
// games' ids never exceed them, PreparePostObjectV1 refuses larger ones).
func (s *server) GetNewArrivedNotificationsV1(ctx context.Context, c *rpc.Call, req *ds.GetNewArrivedNotificationsV1Request) (*ds.GetNewArrivedNotificationsV1Response, error) {
	ns, more, err := s.notifications(ctx, c, &req.Param)
	if err != nil {
		return nil, err
	}
	out := &ds.GetNewArrivedNotificationsV1Response{Result: []ds.DataStoreNotificationV1{}, HasNext: more}
	for _, n := range ns {
		out.Result = append(out.Result, ds.DataStoreNotificationV1{NotificationID: n.ID, DataID: uint32(n.DataID)})
	}
	return out, nil
}
