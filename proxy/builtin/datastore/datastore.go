// Package datastore is nexproxy's built-in DataStore service (protocol
// 115): object metadata in store.DataStore, content in store.Objects,
// uploaded and downloaded over HTTP(S) with the URLs and form fields the
// Prepare* methods return. With the files backend the game runs its own
// object endpoint (package objectd, [games.datastore] http_listen /
// http_url); with the s3 backend the URLs are S3 presigned POST and GET.
//
// Behaviour follows services.md §7: objects are pending until
// CompletePostObject and invisible until then, to their owner too;
// a missing, deleted or expired object answers DataStore::NotFound in
// every method, and so does a rejected one (status 5) to everyone but its
// owner; permissions (everyone, friends, recipients, owner) guard
// reading (access) and changing (delete permission), and the object's
// passwords bypass them.
package datastore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/nexproxy/nexproxy/internal/objectd"
	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/proxy/builtin"
	"github.com/nexproxy/nexproxy/proxy/config"
	"github.com/nexproxy/nexproxy/rmc"
	ds "github.com/nexproxy/nexproxy/rmc/protocols/datastore"
	dsmk8 "github.com/nexproxy/nexproxy/rmc/protocols/datastore/mk8"
	"github.com/nexproxy/nexproxy/rmc/rpc"
)

// Name is the service's name in the registry, in [games.datastore] and in
// [games.protocols].
const Name = "datastore"

// Config is [games.datastore].
type Config struct {
	// HTTPListen is the object endpoint's TCP address (files backend).
	// Default: port 0 on the game's advertised address (tests); set it
	// for consoles, e.g. "0.0.0.0:8380".
	HTTPListen string `mapstructure:"http_listen"`
	// HTTPURL is the endpoint's base URL as consoles reach it
	// ("http://192.168.1.10:8380"); default http://<advertise>:<port>.
	HTTPURL string `mapstructure:"http_url"`
	// TLSCert and TLSKey make the endpoint HTTPS (TLS 1.0+ with RSA key
	// exchange, for Wii U and 3DS).
	TLSCert string `mapstructure:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key"`
	// Secret is the HMAC key of the endpoint's URLs; instances serving the
	// same URLs share it. Default: random at start (URLs handed out before
	// a restart stop working, which their 15-minute life makes harmless).
	Secret string `mapstructure:"secret"`
	// URLExpiry is how long upload forms and download URLs work. Default 15m.
	URLExpiry time.Duration `mapstructure:"url_expiry"`
	// MaxSize bounds an object's size in bytes. Default 10 MiB.
	MaxSize int64 `mapstructure:"max_size"`
	// FirstDataID is the game's first data id (MK8 20000, SMM 940000).
	// Default 1.
	FirstDataID uint64 `mapstructure:"first_data_id"`
	// PendingTimeout is how long an object may wait for CompletePostObject
	// before it is removed (a later completion answers NotFound). Default 3h.
	PendingTimeout time.Duration `mapstructure:"pending_timeout"`
	// Variant selects a game's method set: "" (standard) or "mk8"
	// (GetObjectInfos at method 43, ChangeMeta without persistence_target).
	// Empty follows the game's own variants (variants = ["mk8"]).
	Variant string `mapstructure:"variant"`
	// PersistenceSlots is the number of persistence slots per user (slot
	// ids 0 to PersistenceSlots-1; 65535 means "no slot"). 0: 16, or 48
	// for the mk8 variant, whose time-trial ghosts sit in slot track id -
	// 16 with track ids 16 to 63 (services.md §7.8, §7.13).
	PersistenceSlots int `mapstructure:"persistence_slots"`
}

func defaultConfig() *Config {
	return &Config{URLExpiry: 15 * time.Minute, MaxSize: 10 << 20, FirstDataID: 1, PendingTimeout: 3 * time.Hour}
}

// ResolvePaths takes tls_cert and tls_key relative to the configuration
// file's folder.
func (c *Config) ResolvePaths(resolve func(string) string) {
	c.TLSCert, c.TLSKey = resolve(c.TLSCert), resolve(c.TLSKey)
}

// Validate reports problems by key.
func (c *Config) Validate(p *config.Problems) {
	if c.URLExpiry <= 0 {
		p.Add("url_expiry", "must be positive")
	}
	if c.MaxSize <= 0 || c.MaxSize > 1<<32-1 {
		p.Add("max_size", "must be between 1 and 4294967295")
	}
	if c.PendingTimeout <= 0 {
		p.Add("pending_timeout", "must be positive")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		p.Add("tls_cert", "and tls_key must be set together")
	} else if c.TLSCert != "" {
		// Loaded here so that check reports an unreadable pair, not only
		// serve when it opens the endpoint.
		if _, err := objectd.TLSConfig(c.TLSCert, c.TLSKey); err != nil {
			p.Add("tls_cert", "%v", err)
		}
	}
	if c.HTTPURL != "" {
		if u, err := url.Parse(c.HTTPURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.Add("http_url", "must be an http:// or https:// URL")
		}
	}
	if c.Variant != "" && c.Variant != "mk8" {
		p.Add("variant", "must be empty or \"mk8\", got %q", c.Variant)
	}
	if c.PersistenceSlots < 0 || c.PersistenceSlots > noSlot {
		p.Add("persistence_slots", "must be between 1 and 65535 (0 or unset: the default), got %d", c.PersistenceSlots)
	}
	if c.Secret != "" && len(c.Secret) < 16 {
		p.Add("secret", "must be at least 16 characters")
	}
}

func init() {
	builtin.Register(builtin.Service{
		Name:      Name,
		Protocols: []uint16{ds.ProtocolID},
		Config:    func() any { return defaultConfig() },
		New:       newServer,
	})
}

// presigner is what the s3 objects backend adds.
type presigner interface {
	PresignPost(ctx context.Context, key string, size int64, expiry time.Duration) (*url.URL, map[string]string, error)
	PresignGet(ctx context.Context, key string, expiry time.Duration) (*url.URL, error)
}

type server struct {
	game string
	// gameVariants are the game's variants (config variants = [...]).
	gameVariants []string
	cfg          *Config
	log          *zap.Logger
	meta         store.DataStore
	// base is meta outside any transactional batch (batch replaces meta
	// with its transaction; work after the commit uses base).
	base    store.DataStore
	objects store.Objects
	s3      presigner
	signer  *objectd.Signer
	http    *objectd.Server
	friends builtin.Friends // who is friends with whom (permissions 1 and 4, search targets 6, 8 and 11)
	now     func() time.Time

	// after, set while a transactional batch runs (see batch), collects
	// what must wait for its commit: removing blobs.
	after *[]func()

	stop     chan struct{}
	done     chan struct{}
	stopOnce *sync.Once
}

func newServer(env *builtin.Env) (builtin.Instance, error) {
	if env.Env == nil || env.Log == nil || env.Host == nil || env.Host.Stores == nil {
		return nil, errors.New("datastore: incomplete environment")
	}
	cfg, _ := env.Settings.(*Config)
	if cfg == nil {
		cfg = defaultConfig()
	}
	st := env.Host.Stores
	if st.DataStore == nil || st.Objects == nil {
		return nil, errors.New("datastore: the stores have no datastore or objects backend")
	}
	s := &server{
		game: env.Game.Name, gameVariants: env.Game.Variants, cfg: cfg, log: env.Log.With(zap.String("service", Name)),
		meta: st.DataStore, base: st.DataStore, objects: st.Objects, friends: env.Host, now: clock,
		stop: make(chan struct{}), done: make(chan struct{}), stopOnce: new(sync.Once),
	}
	if p, ok := st.Objects.(presigner); ok {
		s.s3 = p
	} else if err := s.startEndpoint(env); err != nil {
		return nil, err
	}
	go s.sweep()
	return s, nil
}

// startEndpoint runs the game's object endpoint (files backend).
func (s *server) startEndpoint(env *builtin.Env) error {
	key := []byte(s.cfg.Secret)
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	listen := s.cfg.HTTPListen
	host := "127.0.0.1"
	if env.SecureStation != nil {
		st := env.SecureStation()
		if a, ok := st.Address(); ok && a != "" {
			host = a
		}
	}
	if listen == "" {
		listen = net.JoinHostPort(host, "0")
	}
	ln, err := objectd.Listen(objectd.Config{Listen: listen, TLSCert: s.cfg.TLSCert, TLSKey: s.cfg.TLSKey})
	if err != nil {
		return fmt.Errorf("datastore: %w", err)
	}
	base := strings.TrimSuffix(s.cfg.HTTPURL, "/")
	if base == "" {
		scheme := "http"
		if s.cfg.TLSCert != "" {
			scheme = "https"
		}
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		base = scheme + "://" + net.JoinHostPort(host, port)
	}
	s.signer = &objectd.Signer{Key: key, BaseURL: base}
	s.http = objectd.Serve(ln, s.signer, s.objects, s.cfg.MaxSize, s.log)
	s.log.Info("datastore: object endpoint listening", zap.String("addr", ln.Addr().String()), zap.String("url", base))
	return nil
}

// Install puts the DataStore methods on the game's mux.
func (s *server) Install(m *rpc.Mux) error {
	if s.variant() == "mk8" {
		v := mk8Server{s}
		if err := ds.Register(m, Name, v); err != nil {
			return err
		}
		return dsmk8.Register(m, Name, v)
	}
	return ds.Register(m, Name, s)
}

// Close stops the sweeper and the object endpoint.
func (s *server) Close() error {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
	if s.http != nil {
		return s.http.Close()
	}
	return nil
}

// sweep removes objects never completed and expired objects, with their
// content, once a minute.
func (s *server) sweep() {
	defer close(s.done)
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.sweepOnce(context.Background())
	}
}

func (s *server) sweepOnce(ctx context.Context) {
	now := s.now()
	gone, err := s.meta.Sweep(ctx, now.Add(-s.cfg.PendingTimeout), now, 100)
	if err != nil {
		s.log.Warn("datastore: sweep", zap.Error(err))
		return
	}
	for _, o := range gone {
		if err := s.objects.Delete(ctx, objectKey(o.Game, o.DataID, o.Version)); err != nil {
			s.log.Warn("datastore: remove swept content", zap.Uint64("data_id", o.DataID), zap.Error(err))
		}
	}
}

// objectKey is where an object's content of one version lives.
func objectKey(game string, id uint64, version uint32) string {
	return fmt.Sprintf("%s/%d/%d.bin", gameDir(game), id, version)
}

// gameDir is the folder of a game's objects: the name made safe for any
// backend's keys.
func gameDir(game string) string {
	g := []byte(game)
	for i, c := range g {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
		if !ok {
			g[i] = '_'
		}
	}
	if len(g) == 0 || g[0] == '.' {
		g = append([]byte("g"), g...)
	}
	// The checksum of the real name keeps games whose names differ only
	// in replaced characters apart.
	return fmt.Sprintf("datastore/%s-%08x", g, crc32.ChecksumIEEE([]byte(game)))
}

// Flags, NEX statuses and limits (services.md §7.2, §7.6).
const (
	flagNeedReview     = 0x1
	flagPeriodFromLast = 0x2
	flagNotifyOnPost   = 0x8
	flagNotifyOnUpdate = 0x10
	flagNoFile         = 0x20
	maxName            = 64
	maxMeta            = 1024
	maxTags            = 16
	maxTagLen          = 24
	maxRecipients      = 100
	maxRatingSlots     = 16
	noSlot             = store.NoPersistenceSlot
	maxBatch           = 1000
	statusPending      = 2 // NEX status under review
	statusRejected     = 5 // NEX status rejected by review
)

// forever is the expiry of objects in a persistence slot.
var forever = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

func randomPassword() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) | 1
}

func fail(r rmc.Result) error { return rpc.Fail(r) }

// storeErr maps a store error to the DataStore result a console gets.
func storeErr(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return rpc.Failf(rmc.ResultDataStoreNotFound, err)
	case errors.Is(err, store.ErrInvalid):
		return rpc.Failf(rmc.ResultDataStoreInvalidArgument, err)
	case errors.Is(err, store.ErrExists):
		return rpc.Failf(rmc.ResultDataStoreOperationNotAllowed, err)
	case errors.Is(err, store.ErrLocked):
		return rpc.Failf(rmc.ResultDataStoreAlreadyLocked, err)
	}
	return rpc.Failf(rmc.ResultDataStoreUnknown, err)
}

// resultOf is the list<result> entry of err.
func resultOf(err error) rmc.Result {
	if err == nil {
		return rmc.ResultSuccess
	}
	return rpc.ResultOf(err)
}

func (s *server) logCall(c *rpc.Call, msg string, fields ...zap.Field) {
	s.log.Debug(msg, append(fields, zap.String("conn", c.Session.ID), zap.Uint64("pid", c.Session.PID()), zap.Uint32("call_id", c.CallID))...)
}

// load returns a live object: published and not expired. A pending
// object is NotFound here even for its owner; only CompletePostObject,
// which reads the store itself, deals with pending objects.
func (s *server) load(ctx context.Context, id uint64) (store.DataObject, error) {
	if id == 0 {
		return store.DataObject{}, fail(rmc.ResultDataStoreNotFound)
	}
	o, err := s.meta.Get(ctx, s.game, id)
	if err != nil {
		return o, storeErr(err)
	}
	if o.Status != store.DataPublished || o.Expires.Before(s.now()) {
		return o, fail(rmc.ResultDataStoreNotFound)
	}
	return o, nil
}

// resolve finds the object of a get: by data id, else by persistence
// target (owner 0: the caller).
func (s *server) resolve(ctx context.Context, c *rpc.Call, id uint64, t ds.DataStorePersistenceTarget) (store.DataObject, error) {
	if id != 0 {
		return s.load(ctx, id)
	}
	if t.PersistenceID >= s.slots() {
		return store.DataObject{}, fail(rmc.ResultDataStoreNotFound)
	}
	owner := t.OwnerID
	if owner == 0 {
		owner = c.Session.PID()
	}
	o, err := s.meta.GetBySlot(ctx, s.game, owner, t.PersistenceID)
	if err != nil {
		return o, storeErr(err)
	}
	if o.Expires.Before(s.now()) {
		return o, fail(rmc.ResultDataStoreNotFound)
	}
	return o, nil
}

func (s *server) isFriend(ctx context.Context, owner, pid uint64) bool {
	return slices.Contains(s.friendsOf(ctx, owner), pid)
}

// friendsOf returns pid's friends (none when the lookup fails).
func (s *server) friendsOf(ctx context.Context, pid uint64) []uint64 {
	fs, err := s.friends.FriendsOf(ctx, s.game, pid)
	if err != nil {
		s.log.Warn("datastore: friends", zap.Error(err))
		return nil
	}
	return fs
}

func (s *server) permits(ctx context.Context, p store.DataPermission, owner, pid uint64) bool {
	switch p.Permission {
	case 0:
		return true
	case 1:
		return s.isFriend(ctx, owner, pid)
	case 2:
		return slices.Contains(p.Recipients, pid)
	case 4:
		return slices.Contains(p.Recipients, pid) && s.isFriend(ctx, owner, pid)
	}
	return false
}

// hiddenFromOthers is the answer to anyone but o's owner, whatever their
// permission or password, for an object only its owner may see: one under
// review (services.md §7.6) and one rejected by review, gone for everyone
// else (Pretendo's DataStore rework); nil for the others.
func hiddenFromOthers(o *store.DataObject) error {
	if o.Flag&flagNeedReview != 0 && o.NEXStatus == statusPending {
		return fail(rmc.ResultDataStoreUnderReviewing)
	}
	if o.NEXStatus == statusRejected {
		return fail(rmc.ResultDataStoreNotFound)
	}
	return nil
}

// canRead checks the access permission (or password) of o for the caller.
func (s *server) canRead(ctx context.Context, c *rpc.Call, o *store.DataObject, password uint64) error {
	pid := c.Session.PID()
	if pid == o.Owner {
		return nil
	}
	if err := hiddenFromOthers(o); err != nil {
		return err
	}
	if password != 0 && password == o.AccessPassword {
		return nil
	}
	if s.permits(ctx, o.Permission, o.Owner, pid) {
		return nil
	}
	if password != 0 {
		return fail(rmc.ResultDataStoreInvalidPassword)
	}
	return fail(rmc.ResultDataStorePermissionDenied)
}

// canChange checks the delete permission (or update password) of o for
// the caller, who must be able to see it.
func (s *server) canChange(ctx context.Context, c *rpc.Call, o *store.DataObject, password uint64) error {
	pid := c.Session.PID()
	if pid == o.Owner {
		return nil
	}
	if err := hiddenFromOthers(o); err != nil {
		return err
	}
	if password != 0 && password == o.UpdatePassword {
		return nil
	}
	if s.permits(ctx, o.DeletePermission, o.Owner, pid) {
		return nil
	}
	if password != 0 {
		return fail(rmc.ResultDataStoreInvalidPassword)
	}
	return fail(rmc.ResultDataStorePermissionDenied)
}

func permission(p ds.DataStorePermission) (store.DataPermission, error) {
	if p.Permission > 4 || len(p.Recipients) > maxRecipients {
		return store.DataPermission{}, fail(rmc.ResultDataStoreInvalidArgument)
	}
	return store.DataPermission{Permission: p.Permission, Recipients: slices.Clone(p.Recipients)}, nil
}

func checkTags(tags []string) error {
	if len(tags) > maxTags {
		return fail(rmc.ResultDataStoreInvalidArgument)
	}
	for i, t := range tags {
		if len([]rune(t)) > maxTagLen || slices.Contains(tags[:i], t) {
			return fail(rmc.ResultDataStoreInvalidArgument)
		}
	}
	return nil
}

func checkPeriod(p uint16) (uint16, error) {
	if p == 0 {
		return 90, nil
	}
	if p > 365 {
		return 0, fail(rmc.ResultDataStoreInvalidArgument)
	}
	return p, nil
}

// newObject checks a post param and makes the pending object.
func (s *server) newObject(c *rpc.Call, p *ds.DataStorePreparePostParam, file bool) (store.DataObject, error) {
	var o store.DataObject
	if file && (p.Flag&flagNoFile != 0 || int64(p.Size) > s.cfg.MaxSize) {
		return o, fail(rmc.ResultDataStoreInvalidArgument)
	}
	if len([]rune(p.Name)) > maxName || len(p.MetaBinary) > maxMeta || p.DataType == 65535 {
		return o, fail(rmc.ResultDataStoreInvalidArgument)
	}
	if err := checkTags(p.Tags); err != nil {
		return o, err
	}
	perm, err := permission(p.Permission)
	if err != nil {
		return o, err
	}
	dperm, err := permission(p.DeletePermission)
	if err != nil {
		return o, err
	}
	period, err := checkPeriod(p.Period)
	if err != nil {
		return o, err
	}
	slot := p.PersistenceInitParam.PersistenceID
	if slot != noSlot && slot >= s.slots() {
		return o, fail(rmc.ResultDataStoreInvalidArgument)
	}
	if len(p.RatingInitParam) > maxRatingSlots || len(p.ExtraData) > 16 {
		return o, fail(rmc.ResultDataStoreInvalidArgument)
	}
	var ratings []store.DataRating
	for _, r := range p.RatingInitParam {
		if r.Slot < 0 || r.Slot > 15 || slices.ContainsFunc(ratings, func(x store.DataRating) bool { return x.Slot == uint8(r.Slot) }) {
			return o, fail(rmc.ResultDataStoreInvalidArgument)
		}
		ip := r.Param
		ratings = append(ratings, store.DataRating{Slot: uint8(r.Slot), Flag: ip.Flag, InternalFlag: ip.InternalFlag,
			LockType: ip.LockType, InitialValue: ip.InitialValue, RangeMin: ip.RangeMin, RangeMax: ip.RangeMax,
			PeriodHour: ip.PeriodHour, PeriodDuration: ip.PeriodDuration, TotalValue: ip.InitialValue})
	}
	now := s.now().UTC()
	expires := now.Add(time.Duration(period) * 24 * time.Hour)
	if slot != noSlot {
		expires = forever
	}
	var nexStatus uint8
	if p.Flag&flagNeedReview != 0 {
		nexStatus = statusPending
	}
	flag := p.Flag
	if !file {
		flag |= flagNoFile
	}
	return store.DataObject{
		Game: s.game, Owner: c.Session.PID(), Size: p.Size, Name: p.Name, DataType: p.DataType,
		MetaBinary: slices.Clone(p.MetaBinary), Permission: perm, DeletePermission: dperm,
		AccessPassword: randomPassword(), UpdatePassword: randomPassword(),
		Flag: flag, Period: period, ReferDataID: p.ReferDataID, Tags: slices.Clone(p.Tags), Ratings: ratings,
		PersistenceSlot: slot, DeleteLastObject: p.PersistenceInitParam.DeleteLastObject,
		ExtraData: slices.Clone(p.ExtraData), Status: store.DataPending, NEXStatus: nexStatus, Version: 1,
		Created: now, Updated: now, Expires: expires,
	}, nil
}

// uploadForm returns the URL and form fields of an upload of exactly size
// bytes to key.
func (s *server) uploadForm(ctx context.Context, key string, size int64) (string, []ds.DataStoreKeyValue, error) {
	if s.s3 != nil {
		u, form, err := s.s3.PresignPost(ctx, key, size, s.cfg.URLExpiry)
		if err != nil {
			return "", nil, rpc.Failf(rmc.ResultDataStoreSystemFileError, err)
		}
		return u.String(), s3Fields(form), nil
	}
	u, fields := s.signer.PostForm(key, size, s.now().Add(s.cfg.URLExpiry))
	out := make([]ds.DataStoreKeyValue, len(fields))
	for i, f := range fields {
		out[i] = ds.DataStoreKeyValue{Key: f.Key, Value: f.Value}
	}
	return u, out, nil
}

// s3Order is the seed's field order (services.md §7.3); other fields
// follow sorted, so the form is the same at every call.
var s3Order = []string{"key", "bucket", "x-amz-credential", "x-amz-security-token", "x-amz-algorithm", "x-amz-date", "policy", "x-amz-signature"}

func s3Fields(form map[string]string) []ds.DataStoreKeyValue {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		if i := slices.Index(s3Order, strings.ToLower(k)); i >= 0 {
			return i
		}
		return len(s3Order)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	out := make([]ds.DataStoreKeyValue, len(keys))
	for i, k := range keys {
		out[i] = ds.DataStoreKeyValue{Key: k, Value: form[k]}
	}
	return out
}

// downloadURL returns the GET URL of key.
func (s *server) downloadURL(ctx context.Context, key string) (string, error) {
	if s.s3 != nil {
		u, err := s.s3.PresignGet(ctx, key, s.cfg.URLExpiry)
		if err != nil {
			return "", rpc.Failf(rmc.ResultDataStoreSystemFileError, err)
		}
		return u.String(), nil
	}
	return s.signer.GetURL(key, s.now().Add(s.cfg.URLExpiry)), nil
}

func dt(t time.Time) rmc.DateTime {
	if t.IsZero() {
		return 0
	}
	return rmc.DateTimeFromTime(t)
}

// Result options (services.md §7.10).
const (
	optTags       = 0x1
	optRatings    = 0x2
	optMetaBinary = 0x4
	optRecipients = 0x8
)

func ratingInfo(r store.DataRating) ds.DataStoreRatingInfo {
	return ds.DataStoreRatingInfo{TotalValue: r.TotalValue, Count: r.Count, InitialValue: r.InitialValue}
}

func metaInfo(o *store.DataObject, option uint8) ds.DataStoreMetaInfo {
	m := ds.DataStoreMetaInfo{
		DataID: o.DataID, OwnerID: o.Owner, Size: o.Size, Name: o.Name, DataType: o.DataType,
		Permission:       ds.DataStorePermission{Permission: o.Permission.Permission},
		DeletePermission: ds.DataStorePermission{Permission: o.DeletePermission.Permission},
		CreateTime:       dt(o.Created), UpdateTime: dt(o.Updated), Period: o.Period, Status: o.NEXStatus,
		ReferredCount: o.ReferredCount, ReferDataID: o.ReferDataID, Flag: o.Flag,
		ReferredTime: dt(o.ReferredTime), ExpireTime: dt(o.Expires),
	}
	if m.ReferredTime == 0 {
		m.ReferredTime = m.CreateTime
	}
	if option&optTags != 0 {
		m.Tags = o.Tags
	}
	if option&optRatings != 0 {
		for _, r := range o.Ratings {
			m.Ratings = append(m.Ratings, ds.DataStoreRatingInfoWithSlot{Slot: r.Slot, Info: ratingInfo(r)})
		}
	}
	if option&optMetaBinary != 0 {
		m.MetaBinary = o.MetaBinary
	}
	if option&optRecipients != 0 {
		m.Permission.Recipients = o.Permission.Recipients
		m.DeletePermission.Recipients = o.DeletePermission.Recipients
	}
	return m
}

// clockSkew moves the service's clock (tests of expiry).
var clockSkew atomic.Int64

func clock() time.Time { return time.Now().Add(time.Duration(clockSkew.Load())) }

func fromDT(d rmc.DateTime) time.Time {
	// Both "no date" values mean no bound: NintendoClients' search
	// parameters default every time window to 9999-12-31 23:59:59, which
	// as a lower bound would match nothing.
	if d == rmc.Never || d == rmc.Future {
		return time.Time{}
	}
	return d.Time()
}

// variant is the method set served: the service's own setting, else the
// game's variants, so that variants = ["mk8"] alone decodes and serves the
// game's DataStore alike.
func (s *server) variant() string {
	if s.cfg.Variant != "" {
		return s.cfg.Variant
	}
	if slices.Contains(s.gameVariants, "mk8") {
		return "mk8"
	}
	return ""
}

// slots is the number of persistence slots per user; every slot id is
// below it, so it also keeps out noSlot (65535).
func (s *server) slots() uint16 {
	switch {
	case s.cfg.PersistenceSlots > 0:
		return uint16(s.cfg.PersistenceSlots)
	case s.variant() == "mk8":
		return 48
	}
	return 16
}
