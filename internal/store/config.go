package store

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Backend names accepted in Config.Backends.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
	BackendRedis    = "redis"
	BackendFiles    = "files"
	BackendS3       = "s3"
	BackendMemory   = "memory"
)

// Config selects and configures the backends, one per domain. The zero
// value is not valid; start from DefaultConfig, which needs nothing
// installed. It is decoded from the [store] table of config.toml; the keys
// in Validate's messages are spelled as there.
type Config struct {
	// DataDir holds the SQLite database (nexproxy.db) and the objects
	// folder. Default "data".
	DataDir string `mapstructure:"data_dir"`
	// Backends picks a backend per domain.
	Backends Backends `mapstructure:"backends"`
	// SQLite tunes the embedded database.
	SQLite SQLiteConfig `mapstructure:"sqlite"`
	// Postgres is used by the domains whose backend is "postgres".
	Postgres PostgresConfig `mapstructure:"postgres"`
	// Redis is used by the domains whose backend is "redis".
	Redis RedisConfig `mapstructure:"redis"`
	// S3 is used when backends.objects is "s3".
	S3 S3Config `mapstructure:"s3"`
	// IDBlock is how many unique ids an instance reserves at a time.
	// Default DefaultIDBlock (1024).
	IDBlock uint64 `mapstructure:"id_block"`
}

// Backends names the backend of each domain.
type Backends struct {
	// Accounts: "sqlite" (default) or "postgres".
	Accounts string `mapstructure:"accounts"`
	// UniqueIDs: "sqlite" (default) or "postgres".
	UniqueIDs string `mapstructure:"unique_ids"`
	// Stations: "sqlite" (default), "postgres" or "redis".
	Stations string `mapstructure:"stations"`
	// Objects: "files" (default, under data_dir/objects) or "s3".
	Objects string `mapstructure:"objects"`
	// Bus: "memory" (default, one instance only) or "redis".
	Bus string `mapstructure:"bus"`
	// Rankings: "sqlite" (default), "postgres" or "redis" (sorted sets
	// for the order; see package redis).
	Rankings string `mapstructure:"rankings"`
	// DataStore (object metadata of protocol 115): "sqlite" (default) or
	// "postgres".
	DataStore string `mapstructure:"datastore"`
	// Gatherings (matchmake sessions): "sqlite" (default) or "postgres".
	Gatherings string `mapstructure:"gatherings"`
}

// SQLiteConfig tunes the embedded database.
type SQLiteConfig struct {
	// Path of the database file; default data_dir/nexproxy.db.
	Path string `mapstructure:"path"`
	// MaxBatch bounds how many writes one group commit carries. Default 512.
	MaxBatch int `mapstructure:"max_batch"`
	// Readers is the size of the read connection pool. Default 4.
	Readers int `mapstructure:"readers"`
}

// PostgresConfig locates the PostgreSQL server.
type PostgresConfig struct {
	// URL is a libpq/pgx connection string, e.g.
	// "postgres://nex:secret@127.0.0.1:5432/nex?sslmode=disable".
	// A search_path parameter selects a schema.
	URL string `mapstructure:"url"`
	// MaxConns bounds the pool; 0 lets pgx choose (max(4, cores)).
	MaxConns int32 `mapstructure:"max_conns"`
}

// RedisConfig locates the Redis server.
type RedisConfig struct {
	// URL such as "redis://:password@127.0.0.1:6379/0" (rediss:// for TLS).
	URL string `mapstructure:"url"`
	// KeyPrefix is put before every key and channel, so several deployments
	// can share a server. Default "nex:".
	KeyPrefix string `mapstructure:"key_prefix"`
}

// S3Config locates the S3 bucket for objects.
type S3Config struct {
	// Endpoint is host[:port] without scheme, e.g. "s3.example.com".
	Endpoint string `mapstructure:"endpoint"`
	// Bucket must exist (it is not created).
	Bucket string `mapstructure:"bucket"`
	// AccessKey and SecretKey are the credentials; never logged.
	AccessKey string `mapstructure:"access_key"`
	SecretKey string `mapstructure:"secret_key"`
	// Region; default "us-east-1".
	Region string `mapstructure:"region"`
	// UseTLS selects https. Default true.
	UseTLS bool `mapstructure:"use_tls"`
	// Prefix is put before every object key (e.g. "nexproxy/").
	Prefix string `mapstructure:"prefix"`
}

// DefaultConfig returns the configuration used when config.toml says
// nothing: SQLite and files under ./data, in-process bus.
func DefaultConfig() Config {
	return Config{
		DataDir: "data",
		Backends: Backends{
			Accounts:   BackendSQLite,
			UniqueIDs:  BackendSQLite,
			Stations:   BackendSQLite,
			Objects:    BackendFiles,
			Bus:        BackendMemory,
			Rankings:   BackendSQLite,
			DataStore:  BackendSQLite,
			Gatherings: BackendSQLite,
		},
		SQLite:  SQLiteConfig{MaxBatch: 512, Readers: 4},
		Redis:   RedisConfig{KeyPrefix: "nex:"},
		S3:      S3Config{Region: "us-east-1", UseTLS: true},
		IDBlock: DefaultIDBlock,
	}
}

// Uses reports whether any domain uses backend name.
func (b Backends) Uses(name string) bool {
	return b.Accounts == name || b.UniqueIDs == name || b.Stations == name || b.Objects == name || b.Bus == name ||
		b.Rankings == name || b.DataStore == name || b.Gatherings == name
}

// Validate reports every problem of c, each naming its key under [store].
func (c Config) Validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("store.%s: "+format, append([]any{key}, args...)...))
	}
	pick := func(key, val string, allowed ...string) {
		for _, a := range allowed {
			if val == a {
				return
			}
		}
		bad(key, "backend %q is not one of %s", val, strings.Join(allowed, ", "))
	}
	pick("backends.accounts", c.Backends.Accounts, BackendSQLite, BackendPostgres)
	pick("backends.unique_ids", c.Backends.UniqueIDs, BackendSQLite, BackendPostgres)
	pick("backends.stations", c.Backends.Stations, BackendSQLite, BackendPostgres, BackendRedis)
	pick("backends.objects", c.Backends.Objects, BackendFiles, BackendS3)
	pick("backends.bus", c.Backends.Bus, BackendMemory, BackendRedis)
	pick("backends.rankings", c.Backends.Rankings, BackendSQLite, BackendPostgres, BackendRedis)
	pick("backends.datastore", c.Backends.DataStore, BackendSQLite, BackendPostgres)
	pick("backends.gatherings", c.Backends.Gatherings, BackendSQLite, BackendPostgres)

	needDir := c.Backends.Uses(BackendFiles) || (c.Backends.Uses(BackendSQLite) && c.SQLite.Path == "")
	if needDir && c.DataDir == "" {
		bad("data_dir", "must be set for the sqlite and files backends")
	}
	if c.SQLite.MaxBatch < 0 {
		bad("sqlite.max_batch", "must not be negative, got %d", c.SQLite.MaxBatch)
	}
	if c.SQLite.Readers < 0 {
		bad("sqlite.readers", "must not be negative, got %d", c.SQLite.Readers)
	}
	if c.Backends.Uses(BackendPostgres) {
		if c.Postgres.URL == "" {
			bad("postgres.url", "must be set when a domain uses postgres")
		}
		if c.Postgres.MaxConns < 0 {
			bad("postgres.max_conns", "must not be negative, got %d", c.Postgres.MaxConns)
		}
	}
	if c.Backends.Uses(BackendRedis) {
		if c.Redis.URL == "" {
			bad("redis.url", "must be set when a domain uses redis")
		} else if u, err := url.Parse(c.Redis.URL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			bad("redis.url", "must be a redis://, rediss:// or unix:// URL")
		}
	}
	if c.Backends.Objects == BackendS3 {
		if c.S3.Endpoint == "" {
			bad("s3.endpoint", "must be set when objects use s3")
		} else if strings.Contains(c.S3.Endpoint, "://") {
			bad("s3.endpoint", "is host[:port] without a scheme (use s3.use_tls), got %q", c.S3.Endpoint)
		}
		if c.S3.Bucket == "" {
			bad("s3.bucket", "must be set when objects use s3")
		}
		if (c.S3.AccessKey == "") != (c.S3.SecretKey == "") {
			bad("s3.access_key", "and s3.secret_key must be set together")
		}
	}
	return errs
}

// Stores is an opened set of backends, one per domain (package stores
// opens it from a Config). Close releases them all.
type Stores struct {
	Accounts  Accounts
	UniqueIDs UniqueIDs
	// IDs hands out unique ids from UniqueIDs in blocks.
	IDs      *IDAllocator
	Stations Stations
	Objects  Objects
	Bus      Bus
	// Rankings holds the Ranking service's scores and common data.
	Rankings Rankings
	// DataStore holds DataStore object metadata.
	DataStore DataStore
	// Gatherings holds the matchmake sessions.
	Gatherings Gatherings
	// Alone: no other instance shares these stores (the bus is in-process,
	// and instances serving one game as one need a shared bus), so a
	// console without a session in this process is connected nowhere,
	// whatever presence entries an earlier run left. false (the zero
	// value) assumes other instances may exist.
	Alone bool

	// Closers are closed in reverse order by Close.
	Closers []io.Closer
}

// Close closes every backend, the last opened first, and reports all errors.
func (s *Stores) Close() error {
	var errs []error
	for i := len(s.Closers) - 1; i >= 0; i-- {
		if err := s.Closers[i].Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.Closers = nil
	return errors.Join(errs...)
}
