package datastore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.uber.org/goleak"

	"github.com/nexproxy/nexproxy/internal/servicetest"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/storetest"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/auth"
	"github.com/nexproxy/nexproxy/proxy/builtin/datastore"
	_ "github.com/nexproxy/nexproxy/proxy/builtin/secure"
	"github.com/nexproxy/nexproxy/rmc"
	"github.com/nexproxy/nexproxy/rmc/protocols/common"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
	dsmk8 "github.com/nexproxy/nexproxy/rmc/protocols/datastore/mk8"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

func TestMain(m *testing.M) {
	if datastore.RunCrashChild() {
		return
	}
	goleak.VerifyTestMain(m)
}

type user struct {
	pid uint64
	c   *ds.Client
}

func setup(t *testing.T, host func(t *testing.T) *servicetest.Server) (*servicetest.Server, user, user) {
	t.Helper()
	var srv *servicetest.Server
	if host != nil {
		srv = host(t)
	} else {
		srv = servicetest.Start(t, servicetest.Game{}, nil)
	}
	a := srv.Login(t, "1001:pw1")
	b := srv.Login(t, "1002:pw2")
	return srv, user{1001, ds.NewClient(a.Secure, a.Settings)}, user{1002, ds.NewClient(b.Secure, b.Settings)}
}

func resultOf(err error) rmc.Result {
	if err == nil {
		return rmc.ResultSuccess
	}
	return rpc.ResultOf(err)
}

func wantResult(t *testing.T, what string, err error, want rmc.Result) {
	t.Helper()
	if got := resultOf(err); got != want {
		t.Fatalf("%s: result %v (%v), want %v", what, got, err, want)
	}
}

func postParam(size int, perm uint8, recipients ...uint64) ds.DataStorePreparePostParam {
	p := ds.DataStorePreparePostParam{}
	p.SetDefaults()
	p.Size, p.Name, p.DataType, p.Period = uint32(size), "ghost", 7, 90
	p.MetaBinary = []byte("meta")
	p.Permission = ds.DataStorePermission{Permission: perm, Recipients: recipients}
	p.DeletePermission = ds.DataStorePermission{Permission: 3}
	p.Tags = []string{"t1"}
	p.RatingInitParam = []ds.DataStoreRatingInitParamWithSlot{{Slot: 0, Param: ds.DataStoreRatingInitParam{InitialValue: 5}}}
	p.ExtraData = []string{"WUP", "4", "EUR", "94", "FR", ""}
	return p
}

// consolePost uploads data the way a console does: the form fields in the
// order the prepare call gave them, then the file as the last part.
func consolePost(t *testing.T, u string, headers, form []ds.DataStoreKeyValue, data []byte) int {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range form {
		if err := mw.WriteField(f.Key, f.Value); err != nil {
			t.Fatal(err)
		}
	}
	fw, _ := mw.CreateFormFile("file", "data.bin")
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, u, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for _, h := range headers {
		req.Header.Set(h.Key, h.Value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Logf("upload answered %d: %s", resp.StatusCode, msg)
	}
	return resp.StatusCode
}

func download(t *testing.T, info ds.DataStoreReqGetInfo) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, info.URL, nil)
	for _, h := range info.Headers {
		req.Header.Set(h.Key, h.Value)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download %s: %d %s", info.URL, resp.StatusCode, b)
	}
	return b
}

// upload runs prepare, POST and complete, returning the data id.
func upload(t *testing.T, u user, p ds.DataStorePreparePostParam, data []byte) uint64 {
	t.Helper()
	ctx := context.Background()
	p.Size = uint32(len(data))
	r, err := u.c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: p})
	if err != nil {
		t.Fatal(err)
	}
	if code := consolePost(t, r.Info.URL, r.Info.Headers, r.Info.Form, data); code/100 != 2 {
		t.Fatalf("upload: %d", code)
	}
	if _, err := u.c.CompletePostObject(ctx, &ds.CompletePostObjectRequest{Param: ds.DataStoreCompletePostParam{DataID: r.Info.DataID, Success: true}}); err != nil {
		t.Fatal(err)
	}
	return r.Info.DataID
}

func getParam(id uint64) ds.DataStorePrepareGetParam {
	p := ds.DataStorePrepareGetParam{DataID: id}
	p.SetDefaults()
	p.DataID = id
	return p
}

func metaParam(id uint64, option uint8) ds.DataStoreGetMetaParam {
	p := ds.DataStoreGetMetaParam{}
	p.SetDefaults()
	p.DataID, p.ResultOption = id, option
	return p
}

func TestUploadDownload(t *testing.T) {
	_, a, b := setup(t, nil)
	roundTrip(t, a, b)
}

func roundTrip(t *testing.T, a, b user) {
	ctx := context.Background()
	data := make([]byte, 300_000)
	_, _ = rand.Read(data)
	id := upload(t, a, postParam(0, 0), data)
	g, err := b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(id)})
	if err != nil {
		t.Fatal(err)
	}
	if g.Info.Size != uint32(len(data)) || g.Info.DataID != id {
		t.Fatalf("get info %+v", g.Info)
	}
	if got := download(t, g.Info); !bytes.Equal(got, data) {
		t.Fatalf("downloaded %d bytes, not the uploaded ones", len(got))
	}
	m, err := b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0x7)})
	if err != nil {
		t.Fatal(err)
	}
	i := m.Info
	if i.OwnerID != a.pid || i.Size != uint32(len(data)) || i.Name != "ghost" || string(i.MetaBinary) != "meta" ||
		!slices.Equal(i.Tags, []string{"t1"}) || len(i.Ratings) != 1 || i.Ratings[0].Info.TotalValue != 5 {
		t.Fatalf("meta %+v", i)
	}
	m, _ = b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	if len(m.Info.MetaBinary) != 0 || len(m.Info.Tags) != 0 || len(m.Info.Ratings) != 0 {
		t.Errorf("result_option 0 filled %+v", m.Info)
	}
}

func TestPendingAndFailedUploads(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	data := []byte("0123456789")
	p := postParam(len(data), 0)
	r, err := a.c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: p})
	if err != nil {
		t.Fatal(err)
	}
	id := r.Info.DataID
	// Pending: nobody sees it.
	_, err = b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	wantResult(t, "pending GetMeta", err, rmc.ResultDataStoreNotFound)
	// Completing before the upload: the content is not there.
	_, err = a.c.CompletePostObject(ctx, &ds.CompletePostObjectRequest{Param: ds.DataStoreCompletePostParam{DataID: id, Success: true}})
	wantResult(t, "complete without upload", err, rmc.ResultDataStoreNotFound)
	// Someone else may not complete it.
	_, err = b.c.CompletePostObject(ctx, &ds.CompletePostObjectRequest{Param: ds.DataStoreCompletePostParam{DataID: id, Success: true}})
	wantResult(t, "complete by another", err, rmc.ResultDataStorePermissionDenied)
	// Wrong length, tampered size: refused by the endpoint.
	if code := consolePost(t, r.Info.URL, nil, r.Info.Form, data[:9]); code != http.StatusBadRequest {
		t.Errorf("short upload: %d", code)
	}
	tampered := slices.Clone(r.Info.Form)
	for i := range tampered {
		if tampered[i].Key == "size" {
			tampered[i].Value = "11"
		}
	}
	if code := consolePost(t, r.Info.URL, nil, tampered, append(data, 'x')); code != http.StatusForbidden {
		t.Errorf("tampered upload: %d", code)
	}
	// A failed upload removes the object.
	_, err = a.c.CompletePostObject(ctx, &ds.CompletePostObjectRequest{Param: ds.DataStoreCompletePostParam{DataID: id, Success: false}})
	wantResult(t, "complete failure", err, rmc.ResultSuccess)
	_, err = a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	wantResult(t, "after failure", err, rmc.ResultDataStoreNotFound)
	// Too big for the service.
	p.Size = 11 << 20
	_, err = a.c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: p})
	wantResult(t, "oversized prepare", err, rmc.ResultDataStoreInvalidArgument)
}

func TestNotFoundEverywhere(t *testing.T) {
	_, a, _ := setup(t, nil)
	ctx := context.Background()
	nf := rmc.ResultDataStoreNotFound
	_, err := a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(999, 0)})
	wantResult(t, "GetMeta", err, nf)
	_, err = a.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(999)})
	wantResult(t, "PrepareGetObject", err, nf)
	_, err = a.c.DeleteObject(ctx, &ds.DeleteObjectRequest{Param: ds.DataStoreDeleteParam{DataID: 999}})
	wantResult(t, "DeleteObject", err, nf)
	_, err = a.c.RateObject(ctx, &ds.RateObjectRequest{Target: ds.DataStoreRatingTarget{DataID: 999}})
	wantResult(t, "RateObject", err, nf)
	_, err = a.c.CompletePostObject(ctx, &ds.CompletePostObjectRequest{Param: ds.DataStoreCompletePostParam{DataID: 999, Success: true}})
	wantResult(t, "CompletePostObject", err, nf)
	_, err = a.c.GetPersistenceInfo(ctx, &ds.GetPersistenceInfoRequest{OwnerID: 1001, SlotID: 3})
	wantResult(t, "GetPersistenceInfo", err, nf)
	cm := ds.DataStoreChangeMetaParam{DataID: 999, ModifiesFlag: 1}
	_, err = a.c.ChangeMeta(ctx, &ds.ChangeMetaRequest{Param: cm})
	wantResult(t, "ChangeMeta", err, nf)
	id := upload(t, a, postParam(0, 0), []byte("x"))
	r, err := a.c.GetMetasMultipleParam(ctx, &ds.GetMetasMultipleParamRequest{Params: []ds.DataStoreGetMetaParam{metaParam(999, 0), metaParam(id, 0), metaParam(0, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Infos) != 3 || !slices.Equal(r.Results, []rmc.Result{nf, rmc.ResultSuccess, nf}) || r.Infos[1].DataID != id || r.Infos[0].DataID != 0 {
		t.Fatalf("GetMetasMultipleParam: %v %+v", r.Results, r.Infos)
	}
	gi, err := a.c.GetObjectInfos(ctx, &ds.GetObjectInfosRequest{DataIDs: []uint64{id, 998}})
	if err != nil || !slices.Equal(gi.Results, []rmc.Result{rmc.ResultSuccess, nf}) || gi.Infos[0].URL == "" {
		t.Fatalf("GetObjectInfos: %v %+v", err, gi)
	}
}

func TestPermissions(t *testing.T) {
	srv, a, b := setup(t, nil)
	cc := srv.Login(t, "1003:pw3")
	c := user{1003, ds.NewClient(cc.Secure, cc.Settings)}
	ctx := context.Background()
	private := upload(t, a, postParam(0, 3), []byte("private"))
	listed := upload(t, a, postParam(0, 2, 1002), []byte("listed"))
	friends := upload(t, a, postParam(0, 1), []byte("friends"))
	for _, tc := range []struct {
		who  user
		id   uint64
		want rmc.Result
	}{
		{a, private, rmc.ResultSuccess},
		{b, private, rmc.ResultDataStorePermissionDenied},
		{b, listed, rmc.ResultSuccess},
		{c, listed, rmc.ResultDataStorePermissionDenied},
		{b, friends, rmc.ResultDataStorePermissionDenied}, // no friend source: nobody is a friend
	} {
		_, err := tc.who.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(tc.id)})
		wantResult(t, fmt.Sprintf("pid %d gets %d", tc.who.pid, tc.id), err, tc.want)
	}
	// The access password opens it; a wrong one says so.
	pw, err := a.c.GetPasswordInfo(ctx, &ds.GetPasswordInfoRequest{DataID: private})
	if err != nil || pw.Info.AccessPassword == 0 {
		t.Fatalf("password info: %+v %v", pw, err)
	}
	_, err = b.c.GetPasswordInfo(ctx, &ds.GetPasswordInfoRequest{DataID: private})
	wantResult(t, "password info of another's", err, rmc.ResultDataStorePermissionDenied)
	gp := getParam(private)
	gp.AccessPassword = pw.Info.AccessPassword
	_, err = b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: gp})
	wantResult(t, "with the password", err, rmc.ResultSuccess)
	gp.AccessPassword++
	_, err = b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: gp})
	wantResult(t, "wrong password", err, rmc.ResultDataStoreInvalidPassword)
	// Deleting: owner only (delete permission 3), or the update password.
	_, err = b.c.DeleteObject(ctx, &ds.DeleteObjectRequest{Param: ds.DataStoreDeleteParam{DataID: listed}})
	wantResult(t, "delete another's", err, rmc.ResultDataStorePermissionDenied)
	_, err = b.c.ChangeMeta(ctx, &ds.ChangeMetaRequest{Param: ds.DataStoreChangeMetaParam{DataID: listed, ModifiesFlag: 1, Name: "x"}})
	wantResult(t, "change another's", err, rmc.ResultDataStorePermissionDenied)
	_, err = b.c.DeleteObject(ctx, &ds.DeleteObjectRequest{Param: ds.DataStoreDeleteParam{DataID: private, UpdatePassword: pw.Info.UpdatePassword}})
	wantResult(t, "delete with the update password", err, rmc.ResultSuccess)
	_, err = a.c.DeleteObject(ctx, &ds.DeleteObjectRequest{Param: ds.DataStoreDeleteParam{DataID: listed}})
	wantResult(t, "owner deletes", err, rmc.ResultSuccess)
	_, err = b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(listed, 0)})
	wantResult(t, "deleted", err, rmc.ResultDataStoreNotFound)
}

func TestChangeMetaRatingsPersistenceUpdate(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	id := upload(t, a, postParam(0, 0), []byte("v1"))
	_, err := a.c.ChangeMeta(ctx, &ds.ChangeMetaRequest{Param: ds.DataStoreChangeMetaParam{DataID: id, ModifiesFlag: 0x1 | 0x10 | 0x20 | 0x80,
		Name: "renamed", MetaBinary: []byte("m2"), Tags: []string{"x", "y"}, DataType: 9}})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0x5)})
	if m.Info.Name != "renamed" || string(m.Info.MetaBinary) != "m2" || !slices.Equal(m.Info.Tags, []string{"x", "y"}) || m.Info.DataType != 9 {
		t.Fatalf("after ChangeMeta: %+v", m.Info)
	}
	r, err := b.c.RateObject(ctx, &ds.RateObjectRequest{Target: ds.DataStoreRatingTarget{DataID: id}, Param: ds.DataStoreRateObjectParam{RatingValue: 3}, FetchRatings: true})
	if err != nil || r.Info.TotalValue != 8 || r.Info.Count != 1 || r.Info.InitialValue != 5 {
		t.Fatalf("rate: %+v %v", r, err)
	}
	_, err = b.c.RateObject(ctx, &ds.RateObjectRequest{Target: ds.DataStoreRatingTarget{DataID: id, Slot: 4}, Param: ds.DataStoreRateObjectParam{RatingValue: 3}})
	wantResult(t, "unknown slot", err, rmc.ResultDataStoreInvalidArgument)
	lg, err := b.c.GetRatingWithLog(ctx, &ds.GetRatingWithLogRequest{Target: ds.DataStoreRatingTarget{DataID: id}})
	if err != nil || !lg.Log.IsRated || lg.Log.RatingValue != 3 || lg.Rating.TotalValue != 8 {
		t.Fatalf("rating log: %+v %v", lg, err)
	}
	if _, err := a.c.ResetRating(ctx, &ds.ResetRatingRequest{Target: ds.DataStoreRatingTarget{DataID: id}}); err != nil {
		t.Fatal(err)
	}
	if g, err := a.c.GetRating(ctx, &ds.GetRatingRequest{Target: ds.DataStoreRatingTarget{DataID: id}}); err != nil || g.Rating.TotalValue != 5 || g.Rating.Count != 0 {
		t.Fatalf("after reset: %+v %v", g, err)
	}
	// Persistence.
	if _, err := a.c.PerpetuateObject(ctx, &ds.PerpetuateObjectRequest{PersistenceSlotID: 2, DataID: id}); err != nil {
		t.Fatal(err)
	}
	pi, err := b.c.GetPersistenceInfo(ctx, &ds.GetPersistenceInfoRequest{OwnerID: a.pid, SlotID: 2})
	if err != nil || pi.Info.DataID != id {
		t.Fatalf("persistence info: %+v %v", pi, err)
	}
	gp := getParam(0)
	gp.PersistenceTarget = ds.DataStorePersistenceTarget{OwnerID: a.pid, PersistenceID: 2}
	if g, err := b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: gp}); err != nil || string(download(t, g.Info)) != "v1" {
		t.Fatalf("get by slot: %v", err)
	}
	_, err = b.c.PerpetuateObject(ctx, &ds.PerpetuateObjectRequest{PersistenceSlotID: 2, DataID: id})
	wantResult(t, "perpetuate another's", err, rmc.ResultDataStorePermissionDenied)
	// Update: new version, new content.
	v2 := []byte("version two")
	u, err := a.c.PrepareUpdateObject(ctx, &ds.PrepareUpdateObjectRequest{Param: ds.DataStorePrepareUpdateParam{DataID: id, Size: uint32(len(v2))}})
	if err != nil || u.Info.Version != 2 {
		t.Fatalf("prepare update: %+v %v", u, err)
	}
	if code := consolePost(t, u.Info.URL, u.Info.Headers, u.Info.Form, v2); code/100 != 2 {
		t.Fatalf("update upload %d", code)
	}
	if _, err := a.c.CompleteUpdateObject(ctx, &ds.CompleteUpdateObjectRequest{Param: ds.DataStoreCompleteUpdateParam{DataID: id, Version: 2, Success: true}}); err != nil {
		t.Fatal(err)
	}
	g, err := b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(id)})
	if err != nil || g.Info.Size != uint32(len(v2)) || !bytes.Equal(download(t, g.Info), v2) {
		t.Fatalf("after update: %+v %v", g, err)
	}
	sm, err := b.c.GetSpecificMeta(ctx, &ds.GetSpecificMetaRequest{Param: ds.DataStoreGetSpecificMetaParam{DataIDs: []uint64{id, 12345}}})
	if err != nil || len(sm.Infos) != 1 || sm.Infos[0].Version != 2 {
		t.Fatalf("specific meta: %+v %v", sm, err)
	}
	// Meta-only objects.
	mb, err := a.c.PostMetaBinary(ctx, &ds.PostMetaBinaryRequest{Param: postParam(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	om, err := b.c.PrepareGetObjectOrMetaBinary(ctx, &ds.PrepareGetObjectOrMetaBinaryRequest{Param: getParam(mb.DataID)})
	if err != nil || string(om.AdditionalMeta.MetaBinary) != "meta" || om.GetInfo.URL != "" {
		t.Fatalf("meta binary: %+v %v", om, err)
	}
	_, err = a.c.PostMetaBinaryWithDataId(ctx, &ds.PostMetaBinaryWithDataIdRequest{DataID: mb.DataID, Param: postParam(0, 0)})
	wantResult(t, "taken data id", err, rmc.ResultDataStoreOperationNotAllowed)
}

func TestExpiry(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	p := postParam(0, 0)
	p.Period = 1
	id := upload(t, a, p, []byte("short-lived"))
	m, err := b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	if err != nil {
		t.Fatal(err)
	}
	exp := m.Info.ExpireTime.Time()
	if d := time.Until(exp); d < 23*time.Hour || d > 25*time.Hour {
		t.Fatalf("expires in %v", d)
	}
	// Expired objects disappear everywhere.
	datastore.Skew(25 * time.Hour)
	defer datastore.Skew(0)
	_, err = b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	wantResult(t, "expired GetMeta", err, rmc.ResultDataStoreNotFound)
	_, err = a.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(id)})
	wantResult(t, "expired PrepareGetObject", err, rmc.ResultDataStoreNotFound)
	sr, err := a.c.SearchObject(ctx, &ds.SearchObjectRequest{Param: searchParam(14)})
	if err != nil || len(sr.Result.Result) != 0 {
		t.Fatalf("expired object found by search: %+v %v", sr, err)
	}
	datastore.Skew(0)
	p.Period = 400
	_, err = a.c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: p})
	wantResult(t, "period over a year", err, rmc.ResultDataStoreInvalidArgument)
}

func searchParam(target uint8) ds.DataStoreSearchParam {
	p := ds.DataStoreSearchParam{}
	p.SetDefaults()
	p.SearchTarget = target
	p.ResultRange = common.ResultRange{Offset: 0, Size: 100}
	p.TotalCountEnabled = true
	return p
}

// searchIDs runs u's SearchObject with p and returns the data ids of the
// page and the total count.
func searchIDs(t *testing.T, u user, p ds.DataStoreSearchParam) ([]uint64, uint32) {
	t.Helper()
	r, err := u.c.SearchObject(context.Background(), &ds.SearchObjectRequest{Param: p})
	if err != nil {
		t.Fatalf("search target %d: %v", p.SearchTarget, err)
	}
	var ids []uint64
	for _, m := range r.Result.Result {
		ids = append(ids, m.DataID)
	}
	return ids, r.Result.TotalCount
}

// TestSearch checks filters and orders against a brute-force oracle over
// the objects the test posted.
func TestSearch(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	type obj struct {
		id      uint64
		owner   uint64
		dtype   uint16
		perm    uint8
		size    int
		tags    []string
		name    string
		rating  int64
		created int
	}
	var objs []obj
	for i := 0; i < 24; i++ {
		u := []user{a, b}[i%2]
		p := postParam(0, uint8([]int{0, 0, 2, 3}[i%4]), 1001, 1002)
		p.DataType = uint16(i % 3)
		p.Name = fmt.Sprintf("n%02d", (i*7)%24)
		p.Tags = [][]string{{"a"}, {"b"}, {"a", "b"}}[i%3]
		p.RatingInitParam[0].Param.InitialValue = int64((i * 5) % 11)
		data := bytes.Repeat([]byte{byte(i)}, 1+(i*13)%17)
		id := upload(t, u, p, data)
		objs = append(objs, obj{id: id, owner: u.pid, dtype: p.DataType, perm: p.Permission.Permission, size: len(data),
			tags: p.Tags, name: p.Name, rating: p.RatingInitParam[0].Param.InitialValue, created: i})
	}
	type check struct {
		name   string
		target uint8
		mod    func(p *ds.DataStoreSearchParam)
		match  func(o obj) bool
		less   func(x, y obj) bool
	}
	byID := func(x, y obj) bool { return x.id < y.id }
	checks := []check{
		{"public", 1, nil, func(o obj) bool { return o.perm == 0 }, byID},
		{"public type 1", 1, func(p *ds.DataStoreSearchParam) { p.DataType = 1 }, func(o obj) bool { return o.perm == 0 && o.dtype == 1 }, byID},
		{"public types 0,2", 1, func(p *ds.DataStoreSearchParam) { p.DataTypes, p.HasDataTypes = []uint16{0, 2}, true }, func(o obj) bool { return o.perm == 0 && o.dtype != 1 }, byID},
		{"public tag b by size desc", 1, func(p *ds.DataStoreSearchParam) { p.Tags, p.ResultOrderColumn, p.ResultOrder = []string{"b"}, 1, 1 },
			func(o obj) bool { return o.perm == 0 && slices.Contains(o.tags, "b") },
			func(x, y obj) bool { return x.size > y.size || x.size == y.size && x.id > y.id }},
		{"public by name", 1, func(p *ds.DataStoreSearchParam) { p.ResultOrderColumn = 2 }, func(o obj) bool { return o.perm == 0 },
			func(x, y obj) bool { return x.name < y.name || x.name == y.name && x.id < y.id }},
		{"public by rating desc", 1, func(p *ds.DataStoreSearchParam) { p.ResultOrderColumn, p.ResultOrder = 64, 1 }, func(o obj) bool { return o.perm == 0 },
			func(x, y obj) bool { return x.rating > y.rating || x.rating == y.rating && x.id > y.id }},
		{"public owners [1002]", 1, func(p *ds.DataStoreSearchParam) { p.OwnerIDs = []uint64{1002} }, func(o obj) bool { return o.perm == 0 && o.owner == 1002 }, byID},
		{"recipient", 7, nil, func(o obj) bool { return o.perm == 2 && o.owner != 0 }, byID},
		{"own private", 9, nil, func(o obj) bool { return o.perm == 3 && o.owner == 1001 }, byID},
		{"own any newest first", 14, func(p *ds.DataStoreSearchParam) { p.ResultOrderColumn, p.ResultOrder = 5, 1 }, func(o obj) bool { return o.owner == 1001 },
			func(x, y obj) bool { return x.id > y.id }},
		{"page", 1, func(p *ds.DataStoreSearchParam) { p.ResultRange = common.ResultRange{Offset: 2, Size: 3} }, func(o obj) bool { return o.perm == 0 }, byID},
	}
	for _, ck := range checks {
		p := searchParam(ck.target)
		if ck.mod != nil {
			ck.mod(&p)
		}
		got, gotTotal := searchIDs(t, a, p)
		var want []uint64
		var matched []obj
		for _, o := range objs {
			if ck.match(o) {
				matched = append(matched, o)
			}
		}
		slices.SortStableFunc(matched, func(x, y obj) int {
			if ck.less(x, y) {
				return -1
			}
			if ck.less(y, x) {
				return 1
			}
			return 0
		})
		for _, o := range matched {
			want = append(want, o.id)
		}
		total := len(want)
		off, size := int(p.ResultRange.Offset), int(p.ResultRange.Size)
		want = want[min(off, len(want)):]
		want = want[:min(size, len(want))]
		if !slices.Equal(got, want) || int(gotTotal) != total {
			t.Errorf("%s:\n got %v (total %d)\nwant %v (total %d)", ck.name, got, gotTotal, want, total)
		}
	}
	p := searchParam(1)
	p.ResultRange.Size = 101
	_, err := a.c.SearchObject(ctx, &ds.SearchObjectRequest{Param: p})
	wantResult(t, "page over 100", err, rmc.ResultDataStoreInvalidArgument)
	p = searchParam(200)
	_, err = a.c.SearchObject(ctx, &ds.SearchObjectRequest{Param: p})
	wantResult(t, "unknown target", err, rmc.ResultDataStoreInvalidArgument)
}

// TestS3 runs the upload and download through S3 presigned POST and GET
// (versitygw in CI).
func TestS3(t *testing.T) {
	endpoint, a, b := s3Users(t)
	r, err := a.c.PreparePostObject(context.Background(), &ds.PreparePostObjectRequest{Param: postParam(4, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Info.URL, endpoint) || len(r.Info.Form) == 0 || r.Info.Form[0].Key != "key" {
		t.Fatalf("presigned post: %s %v", r.Info.URL, r.Info.Form)
	}
	roundTrip(t, a, b)
	// The notifier is in S3 too, behind a presigned GET.
	n, err := b.c.GetNotificationUrl(context.Background(), &ds.GetNotificationUrlRequest{})
	if err != nil || !strings.HasPrefix(endpoint, strings.TrimSuffix(n.Info.URL, "/")) {
		t.Fatalf("notification url: %+v %v", n, err)
	}
	body := download(t, ds.DataStoreReqGetInfo{URL: strings.TrimSuffix(n.Info.URL, "/") + n.Info.Key + n.Info.Query})
	if want := fmt.Sprintf(",%d,", b.pid); !strings.Contains(string(body), want) {
		t.Fatalf("notifier %q", body)
	}
}

// TestS3EmptyObject: a size-0 object goes up, comes down and is updated
// to size 0 through S3 as through the files backend's endpoint
// (services.md §7.4).
func TestS3EmptyObject(t *testing.T) {
	_, a, b := s3Users(t)
	ctx := context.Background()
	id := upload(t, a, postParam(0, 0), nil)
	g, err := b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(id)})
	if err != nil || g.Info.Size != 0 {
		t.Fatalf("get the empty object: %+v %v", g, err)
	}
	if got := download(t, g.Info); len(got) != 0 {
		t.Fatalf("downloaded %d bytes of an empty object", len(got))
	}
	id = upload(t, a, postParam(0, 0), []byte("ghost"))
	r, err := a.c.PrepareUpdateObject(ctx, &ds.PrepareUpdateObjectRequest{Param: ds.DataStorePrepareUpdateParam{DataID: id, Size: 0}})
	if err != nil {
		t.Fatalf("PrepareUpdateObject size 0: %v", err)
	}
	if code := consolePost(t, r.Info.URL, r.Info.Headers, r.Info.Form, nil); code/100 != 2 {
		t.Fatalf("upload of the empty version: %d", code)
	}
	if _, err := a.c.CompleteUpdateObject(ctx, &ds.CompleteUpdateObjectRequest{Param: ds.DataStoreCompleteUpdateParam{DataID: id, Version: r.Info.Version, Success: true}}); err != nil {
		t.Fatal(err)
	}
	m, err := b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	if err != nil || m.Info.Size != 0 {
		t.Errorf("after the empty update: %+v %v", m, err)
	}
}

// s3Users starts a server on the S3 objects backend of NEXPROXY_TEST_S3
// (fresh key prefix) with two users.
func s3Users(t *testing.T) (endpoint string, a, b user) {
	t.Helper()
	endpoint = storetest.Env(t, "NEXPROXY_TEST_S3", "http://127.0.0.1:7070")
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	cfg := store.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Backends.Objects = store.BackendS3
	cfg.S3 = store.S3Config{Endpoint: u.Host, UseTLS: u.Scheme == "https", Bucket: envOr("NEXPROXY_TEST_S3_BUCKET", "nexproxy-test"),
		AccessKey: os.Getenv("NEXPROXY_TEST_S3_ACCESS_KEY"), SecretKey: os.Getenv("NEXPROXY_TEST_S3_SECRET_KEY"),
		Region: envOr("NEXPROXY_TEST_S3_REGION", "us-east-1"), Prefix: storetest.RandomName("ds") + "/"}
	ensureBucket(t, cfg.S3)
	host := servicetest.HostWith(t, cfg)
	_, a, b = setup(t, func(t *testing.T) *servicetest.Server { return servicetest.Start(t, servicetest.Game{}, host) })
	return endpoint, a, b
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func ensureBucket(t *testing.T, c store.S3Config) {
	t.Helper()
	ctx := context.Background()
	mc, err := minio.New(c.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""), Secure: c.UseTLS, Region: c.Region})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := mc.BucketExists(ctx, c.Bucket); err != nil {
		t.Fatalf("S3: %v", err)
	} else if !ok {
		if err := mc.MakeBucket(ctx, c.Bucket, minio.MakeBucketOptions{Region: c.Region}); err != nil {
			t.Fatalf("create bucket: %v", err)
		}
	}
}

// TestMK8 serves Mario Kart 8's variant: GetObjectInfos at 43 and its
// ChangeMeta layout.
func TestMK8(t *testing.T) {
	// The service's own setting, or the game's variants alone.
	for _, toml := range []string{"[games.datastore]\nvariant = \"mk8\"\n", "variants = [\"mk8\"]\n"} {
		testMK8(t, toml)
	}
}

func testMK8(t *testing.T, toml string) {
	srv := servicetest.Start(t, servicetest.Game{TOML: toml}, nil)
	cl := srv.Login(t, "1001:pw1")
	a := user{1001, ds.NewClient(cl.Secure, cl.Settings)}
	m := dsmk8.NewClient(cl.Secure, cl.Settings)
	ctx := context.Background()
	id := upload(t, a, postParam(0, 0), []byte("ghost data"))
	r, err := m.GetObjectInfos(ctx, &dsmk8.GetObjectInfosRequest{DataIDs: []uint64{id, 77}})
	if err != nil || len(r.Infos) != 2 || r.Infos[0].Size != 10 || !slices.Equal(r.Results, []rmc.Result{rmc.ResultSuccess, rmc.ResultDataStoreNotFound}) {
		t.Fatalf("GetObjectInfos at 43: %+v %v", r, err)
	}
	if got := download(t, r.Infos[0]); string(got) != "ghost data" {
		t.Fatalf("download %q", got)
	}
	if _, err := m.ChangeMeta(ctx, &dsmk8.ChangeMetaRequest{Param: dsmk8.DataStoreChangeMetaParamMK8{DataID: id, ModifiesFlag: 0x80, DataType: 3}}); err != nil {
		t.Fatal(err)
	}
	mi, err := a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(id, 0)})
	if err != nil || mi.Info.DataType != 3 {
		t.Fatalf("after MK8 ChangeMeta: %+v %v", mi, err)
	}
	_, err = a.c.GetObjectInfos(ctx, &ds.GetObjectInfosRequest{DataIDs: []uint64{id}})
	wantResult(t, "standard 45 on MK8", err, rmc.ResultCoreNotImplemented)
}

// TestConcurrentUploads runs 100 uploads at once through the service
// (prepare, POST, complete) from four consoles.
func TestConcurrentUploads(t *testing.T) {
	srv := servicetest.Start(t, servicetest.Game{}, nil)
	var users []user
	for i := 1; i <= 4; i++ {
		c := srv.Login(t, fmt.Sprintf("%d:pw%d", 1000+i, i))
		users = append(users, user{uint64(1000 + i), ds.NewClient(c.Secure, c.Settings)})
	}
	errs := make(chan error, 100)
	ids := make(chan uint64, 100)
	for i := 0; i < 100; i++ {
		go func(i int) {
			u := users[i%4]
			ctx := context.Background()
			data := bytes.Repeat([]byte{byte(i)}, 1000+i)
			p := postParam(len(data), 0)
			r, err := u.c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: p})
			if err != nil {
				errs <- err
				return
			}
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			for _, f := range r.Info.Form {
				_ = mw.WriteField(f.Key, f.Value)
			}
			fw, _ := mw.CreateFormFile("file", "f")
			_, _ = fw.Write(data)
			_ = mw.Close()
			resp, err := http.Post(r.Info.URL, mw.FormDataContentType(), &body)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				errs <- fmt.Errorf("upload %d: HTTP %d", i, resp.StatusCode)
				return
			}
			_, err = u.c.CompletePostObject(ctx, &ds.CompletePostObjectRequest{Param: ds.DataStoreCompletePostParam{DataID: r.Info.DataID, Success: true}})
			ids <- r.Info.DataID
			errs <- err
		}(i)
	}
	for i := 0; i < 100; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	close(ids)
	seen := map[uint64]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("data id %d handed out twice", id)
		}
		seen[id] = true
	}
	p := searchParam(1)
	r, err := users[0].c.SearchObject(context.Background(), &ds.SearchObjectRequest{Param: p})
	if err != nil || r.Result.TotalCount != 100 {
		t.Fatalf("search after 100 uploads: total %d, %v", r.Result.TotalCount, err)
	}
	http.DefaultClient.CloseIdleConnections()
}

// BenchmarkTransfer: a 1 MiB object through the service: PreparePostObject,
// POST, CompletePostObject, then PrepareGetObject and GET, over loopback.
// go test ./proxy/builtin/datastore -run '^$' -bench Transfer
func BenchmarkTransfer(b *testing.B) {
	srv := servicetest.Start(b, servicetest.Game{}, nil)
	cl := srv.Login(b, "1001:pw1")
	c := ds.NewClient(cl.Secure, cl.Settings)
	ctx := context.Background()
	data := make([]byte, 1<<20)
	_, _ = rand.Read(data)
	var last uint64
	b.Run("upload", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r, err := c.PreparePostObject(ctx, &ds.PreparePostObjectRequest{Param: postParam(len(data), 0)})
			if err != nil {
				b.Fatal(err)
			}
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			for _, f := range r.Info.Form {
				_ = mw.WriteField(f.Key, f.Value)
			}
			fw, _ := mw.CreateFormFile("file", "f")
			_, _ = fw.Write(data)
			_ = mw.Close()
			resp, err := http.Post(r.Info.URL, mw.FormDataContentType(), &body)
			if err != nil || resp.StatusCode != http.StatusNoContent {
				b.Fatal(resp, err)
			}
			resp.Body.Close()
			if _, err := c.CompletePostObject(ctx, &ds.CompletePostObjectRequest{Param: ds.DataStoreCompletePostParam{DataID: r.Info.DataID, Success: true}}); err != nil {
				b.Fatal(err)
			}
			last = r.Info.DataID
		}
	})
	b.Run("download", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			g, err := c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: getParam(last)})
			if err != nil {
				b.Fatal(err)
			}
			resp, err := http.Get(g.Info.URL)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if n != int64(len(data)) {
				b.Fatal(n)
			}
		}
	})
	http.DefaultClient.CloseIdleConnections()
}

// TestPersistenceSlotReplace: posting into an occupied slot with
// delete_last_object replaces the slot's object (MK8 ghosts).
func TestPersistenceSlotReplace(t *testing.T) {
	_, a, b := setup(t, nil)
	ctx := context.Background()
	p := postParam(0, 0)
	p.PersistenceInitParam = ds.DataStorePersistenceInitParam{PersistenceID: 4, DeleteLastObject: true}
	first := upload(t, a, p, []byte("ghost 1"))
	second := upload(t, a, p, []byte("ghost 2"))
	gp := getParam(0)
	gp.PersistenceTarget = ds.DataStorePersistenceTarget{OwnerID: a.pid, PersistenceID: 4}
	g, err := b.c.PrepareGetObject(ctx, &ds.PrepareGetObjectRequest{Param: gp})
	if err != nil || g.Info.DataID != second || string(download(t, g.Info)) != "ghost 2" {
		t.Fatalf("slot 4: %+v %v", g, err)
	}
	_, err = b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(first, 0)})
	wantResult(t, "replaced ghost", err, rmc.ResultDataStoreNotFound)
	m, _ := b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(second, 0)})
	if m.Info.ExpireTime.Year() != 9999 {
		t.Errorf("object in a slot expires %v", m.Info.ExpireTime)
	}
	pi, err := b.c.GetPersistenceInfos(ctx, &ds.GetPersistenceInfosRequest{OwnerID: a.pid, SlotIDs: []uint16{4, 5}})
	if err != nil || pi.Infos[0].DataID != second || !slices.Equal(pi.Results, []rmc.Result{rmc.ResultSuccess, rmc.ResultDataStoreNotFound}) {
		t.Fatalf("persistence infos %+v %v", pi, err)
	}
	if _, err := a.c.UnperpetuateObject(ctx, &ds.UnperpetuateObjectRequest{PersistenceSlotID: 4, DeleteLastObject: true}); err != nil {
		t.Fatal(err)
	}
	_, err = b.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(second, 0)})
	wantResult(t, "unperpetuated with delete", err, rmc.ResultDataStoreNotFound)
}

// dsFriends is a fixed friend list per PID.
type dsFriends map[uint64][]uint64

func (f dsFriends) FriendsOf(_ context.Context, _ string, pid uint64) ([]uint64, error) {
	return f[pid], nil
}

// friendsAndStranger starts a game where consoles a (1001) and b (1002)
// are friends and c (1003) is a friend of neither.
func friendsAndStranger(t *testing.T) (a, b, c user) {
	srv, a, b := setup(t, func(t *testing.T) *servicetest.Server {
		host := servicetest.Host(t)
		host.Friends = dsFriends{1001: {1002}, 1002: {1001}}
		return servicetest.Start(t, servicetest.Game{}, host)
	})
	cs := srv.Login(t, "1003:pw3")
	return a, b, user{1003, ds.NewClient(cs.Secure, cs.Settings)}
}

// TestSearchSharedWithMe: target 6 finds friends' friend-only objects,
// 7 objects addressed to the caller, 8 the union of both; nothing of a
// stranger's or addressed to someone else leaks in. An object for
// recipients who are also friends (permission 4) is found by a listed
// recipient only when the recipient is the owner's friend, as GetMeta lets
// it read the object; the total still counts the one left out.
func TestSearchSharedWithMe(t *testing.T) {
	a, b, c := friendsAndStranger(t)
	ctx := context.Background()
	friendOnly := upload(t, b, postParam(0, 1), []byte("b friends"))
	toA := upload(t, c, postParam(0, 2, 1001), []byte("c to a"))
	fromFriend := upload(t, b, postParam(0, 4, 1001), []byte("b to a, friend"))
	fromStranger := upload(t, c, postParam(0, 4, 1001), []byte("c to a, stranger"))
	upload(t, c, postParam(0, 1), []byte("c friends"))          // stranger's friends-only
	upload(t, b, postParam(0, 2, 1003), []byte("b to c"))       // addressed elsewhere
	upload(t, a, postParam(0, 1), []byte("a own friends-only")) // own object
	_, err := a.c.GetMeta(ctx, &ds.GetMetaRequest{Param: metaParam(fromStranger, 0)})
	wantResult(t, "stranger's object for friend recipients", err, rmc.ResultDataStorePermissionDenied)
	for _, tc := range []struct {
		target uint8
		want   []uint64
		total  uint32
	}{
		{6, []uint64{friendOnly}, 1},
		{7, []uint64{toA, fromFriend}, 3},             // and fromStranger, counted
		{8, []uint64{friendOnly, toA, fromFriend}, 4}, // likewise
	} {
		got, total := searchIDs(t, a, searchParam(tc.target))
		if !slices.Equal(got, tc.want) || total != tc.total {
			t.Errorf("target %d: got %v (total %d), want %v (total %d), not the stranger's %d", tc.target, got, total, tc.want, tc.total, fromStranger)
		}
	}
}

// TestSearchOwnerType: owner_type 0 lists the owners in owner_ids, 1 keeps
// the caller's friends (within owner_ids when given), 2 leaves out the
// owners listed.
func TestSearchOwnerType(t *testing.T) {
	a, b, c := friendsAndStranger(t)
	ofA := upload(t, a, postParam(0, 0), []byte("a public"))
	ofB := upload(t, b, postParam(0, 0), []byte("b public"))
	ofC := upload(t, c, postParam(0, 0), []byte("c public"))
	for _, tc := range []struct {
		ownerType uint8
		owners    []uint64
		want      []uint64
	}{
		{0, nil, []uint64{ofA, ofB, ofC}},
		{0, []uint64{1003}, []uint64{ofC}},
		{1, nil, []uint64{ofB}},  // a's friends: b
		{1, []uint64{1003}, nil}, // c is no friend of a
		{2, []uint64{1002}, []uint64{ofA, ofC}},
		{2, []uint64{1001, 1003}, []uint64{ofB}},
	} {
		p := searchParam(1)
		p.OwnerType, p.OwnerIDs = tc.ownerType, tc.owners
		got, _ := searchIDs(t, a, p)
		if !slices.Equal(got, tc.want) {
			t.Errorf("owner_type %d %v: got %v, want %v", tc.ownerType, tc.owners, got, tc.want)
		}
	}
}

// TestSearchTimeWindowDefaults: NintendoClients fills every time window of
// a search with 9999-12-31 23:59:59; as bounds they mean none.
func TestSearchTimeWindowDefaults(t *testing.T) {
	_, a, _ := setup(t, nil)
	id := upload(t, a, postParam(0, 0), []byte("public"))
	p := searchParam(1)
	p.CreatedAfter, p.CreatedBefore, p.UpdatedAfter, p.UpdatedBefore = rmc.Future, rmc.Future, rmc.Future, rmc.Future
	r, err := a.c.SearchObject(context.Background(), &ds.SearchObjectRequest{Param: p})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Result.Result) != 1 || r.Result.Result[0].DataID != id {
		t.Fatalf("got %+v, want object %d", r.Result.Result, id)
	}
}
