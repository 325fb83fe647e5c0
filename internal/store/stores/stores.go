// Package stores opens the backends that a store.Config selects and returns
// them as one store.Stores. It lives apart from package store because it
// imports every backend, and the backends import store.
package stores

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/files"
	"github.com/nexproxy/nexproxy/internal/store/memory"
	"github.com/nexproxy/nexproxy/internal/store/postgres"
	"github.com/nexproxy/nexproxy/internal/store/redis"
	"github.com/nexproxy/nexproxy/internal/store/s3"
	"github.com/nexproxy/nexproxy/internal/store/sqlite"
	"go.uber.org/zap"
)

// Open validates cfg, opens each backend it uses once (one SQLite file,
// one PostgreSQL pool, one Redis client, shared by the domains that use
// them) and fills every domain. On error everything opened so far is
// closed. log may be nil; it never receives secrets (URLs are not logged).
func Open(ctx context.Context, cfg store.Config, log *zap.Logger) (_ *store.Stores, err error) {
	if log == nil {
		log = zap.NewNop()
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("store: invalid configuration: %w", errors.Join(errs...))
	}
	s := &store.Stores{}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	b := cfg.Backends

	var lite *sqlite.DB
	if b.Uses(store.BackendSQLite) {
		path := cfg.SQLite.Path
		if path == "" {
			path = filepath.Join(cfg.DataDir, "nexproxy.db")
		}
		if lite, err = sqlite.Open(ctx, path, sqlite.Options{MaxBatch: cfg.SQLite.MaxBatch, Readers: cfg.SQLite.Readers}); err != nil {
			return nil, err
		}
		s.Closers = append(s.Closers, lite)
		log.Info("store: sqlite opened", zap.String("path", path))
	}
	var pg *postgres.DB
	if b.Uses(store.BackendPostgres) {
		if pg, err = postgres.Open(ctx, cfg.Postgres.URL, cfg.Postgres.MaxConns); err != nil {
			return nil, err
		}
		s.Closers = append(s.Closers, pg)
		log.Info("store: postgres connected")
	}
	var rd *redis.Client
	if b.Uses(store.BackendRedis) {
		if rd, err = redis.Open(ctx, cfg.Redis.URL, cfg.Redis.KeyPrefix); err != nil {
			return nil, err
		}
		s.Closers = append(s.Closers, rd)
		log.Info("store: redis connected", zap.String("key_prefix", cfg.Redis.KeyPrefix))
	}

	switch b.Accounts {
	case store.BackendSQLite:
		s.Accounts = lite.Accounts()
	case store.BackendPostgres:
		s.Accounts = pg.Accounts()
	}
	switch b.UniqueIDs {
	case store.BackendSQLite:
		s.UniqueIDs = lite.UniqueIDs()
	case store.BackendPostgres:
		s.UniqueIDs = pg.UniqueIDs()
	}
	s.IDs = store.NewIDAllocator(s.UniqueIDs, cfg.IDBlock)
	switch b.Stations {
	case store.BackendSQLite:
		s.Stations = lite.Stations()
	case store.BackendPostgres:
		s.Stations = pg.Stations()
	case store.BackendRedis:
		s.Stations = rd.Stations()
	}
	switch b.Rankings {
	case store.BackendSQLite:
		s.Rankings = lite.Rankings()
	case store.BackendPostgres:
		s.Rankings = pg.Rankings()
	case store.BackendRedis:
		s.Rankings = rd.Rankings()
	}
	switch b.DataStore {
	case store.BackendSQLite:
		s.DataStore = lite.DataStore()
	case store.BackendPostgres:
		s.DataStore = pg.DataStore()
	}
	switch b.Gatherings {
	case store.BackendSQLite:
		s.Gatherings = lite.Gatherings()
	case store.BackendPostgres:
		s.Gatherings = pg.Gatherings()
	}
	switch b.Objects {
	case store.BackendFiles:
		dir := filepath.Join(cfg.DataDir, "objects")
		if s.Objects, err = files.Open(dir); err != nil {
			return nil, err
		}
		log.Info("store: objects in files", zap.String("dir", dir))
	case store.BackendS3:
		if s.Objects, err = s3.Open(ctx, s3.Options{
			Endpoint: cfg.S3.Endpoint, Bucket: cfg.S3.Bucket, AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey,
			Region: cfg.S3.Region, UseTLS: cfg.S3.UseTLS, Prefix: cfg.S3.Prefix,
		}); err != nil {
			return nil, err
		}
		log.Info("store: objects in s3", zap.String("endpoint", cfg.S3.Endpoint), zap.String("bucket", cfg.S3.Bucket))
	}
	switch b.Bus {
	case store.BackendMemory:
		mb := memory.NewBus()
		s.Bus = mb
		s.Closers = append(s.Closers, mb)
		s.Alone = true
	case store.BackendRedis:
		rb := rd.Bus()
		s.Bus = rb
		// Closed after the subscriptions' contexts end, before the client.
		s.Closers = append(s.Closers, rb)
	}
	return s, nil
}
