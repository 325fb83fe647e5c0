package datastore

import (
	"context"

	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
	dsmk8 "github.com/nexproxy/nexproxy/rmc/protocols/datastore/mk8"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// mk8Server is the service with Mario Kart 8's method set: its methods
// shadow the standard ChangeMeta (38), RateObjectWithPosting (43) and
// GetObjectInfos (45) with signatures the standard Register does not
// recognise, so those ids are served by the mk8 package's layouts instead.
type mk8Server struct{ *server }

var _ dsmk8.Server = mk8Server{}

// ChangeMeta is ChangeMeta with MK8's param (no persistence_target).
func (v mk8Server) ChangeMeta(ctx context.Context, c *rpc.Call, req *dsmk8.ChangeMetaRequest) (*dsmk8.ChangeMetaResponse, error) {
	p := req.Param
	full := ds.DataStoreChangeMetaParam{DataID: p.DataID, ModifiesFlag: p.ModifiesFlag, Name: p.Name, Permission: p.Permission,
		DeletePermission: p.DeletePermission, Period: p.Period, MetaBinary: p.MetaBinary, Tags: p.Tags,
		UpdatePassword: p.UpdatePassword, ReferredCount: p.ReferredCount, DataType: p.DataType, Status: p.Status}
	return &dsmk8.ChangeMetaResponse{}, v.changeMeta(ctx, c, &full, true)
}

// GetObjectInfos is the standard GetObjectInfos, at MK8's method 43.
func (v mk8Server) GetObjectInfos(ctx context.Context, c *rpc.Call, req *dsmk8.GetObjectInfosRequest) (*dsmk8.GetObjectInfosResponse, error) {
	r, err := v.server.GetObjectInfos(ctx, c, &ds.GetObjectInfosRequest{DataIDs: req.DataIDs})
	if err != nil {
		return nil, err
	}
	return &dsmk8.GetObjectInfosResponse{Infos: r.Infos, Results: r.Results}, nil
}

// RateObjectWithPosting hides the standard method 43, which MK8 uses for
// GetObjectInfos.
func (mk8Server) RateObjectWithPosting() {}
