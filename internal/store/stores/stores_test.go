package stores

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/nexproxy/nexproxy/internal/store"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestOpenDefault opens the default configuration in a temporary data
// folder: nothing to install, every domain filled and working.
func TestOpenDefault(t *testing.T) {
	cfg := store.DefaultConfig()
	cfg.DataDir = t.TempDir()
	ctx := context.Background()
	s, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Accounts.Create(ctx, store.Account{PID: 1, Username: "a", Password: "p"}); err != nil {
		t.Error(err)
	}
	if id, err := s.IDs.Next(ctx, "g"); err != nil || id != 1 {
		t.Errorf("first id = %d, %v", id, err)
	}
	if _, err := s.Stations.AllocateRVCID(ctx, "g"); err != nil {
		t.Error(err)
	}
	if err := s.Objects.Put(ctx, "g/1", strings.NewReader("x"), 1); err != nil {
		t.Error(err)
	}
	sub, cancel := context.WithCancel(ctx)
	ch, err := s.Bus.Subscribe(sub, "t")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Bus.Publish(ctx, "t", []byte("m")); err != nil || string(<-ch) != "m" {
		t.Errorf("bus: %v", err)
	}
	cancel()
	if !s.Alone {
		t.Error("stores with the in-process bus are not Alone")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"nexproxy.db", "objects/g/1"} {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func TestValidate(t *testing.T) {
	cfg := store.DefaultConfig()
	cfg.DataDir = ""
	cfg.Backends = store.Backends{Accounts: "mongo", UniqueIDs: "postgres", Stations: "redis", Objects: "s3", Bus: "redis"}
	cfg.Redis.URL = "http://x"
	cfg.S3.Endpoint = "https://s3.example.com"
	cfg.S3.AccessKey = "only-access"
	var msgs []string
	for _, e := range cfg.Validate() {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, key := range []string{"store.backends.accounts", "store.postgres.url", "store.redis.url", "store.s3.endpoint", "store.s3.bucket", "store.s3.access_key"} {
		if !strings.Contains(all, key) {
			t.Errorf("no error names %s; got:\n%s", key, all)
		}
	}
	if errs := store.DefaultConfig().Validate(); len(errs) != 0 {
		t.Errorf("default config invalid: %v", errs)
	}
	if _, err := Open(context.Background(), cfg, nil); err == nil {
		t.Error("Open accepted an invalid configuration")
	}
}

// TestOpenScaleOut opens PostgreSQL, Redis and S3 together when the test
// servers are there (see package storetest for the variables).
func TestOpenScaleOut(t *testing.T) {
	pg, rd, s3url := os.Getenv("NEXPROXY_TEST_POSTGRES"), os.Getenv("NEXPROXY_TEST_REDIS"), os.Getenv("NEXPROXY_TEST_S3")
	if pg == "" || rd == "" || s3url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("NEXPROXY_TEST_POSTGRES, NEXPROXY_TEST_REDIS and NEXPROXY_TEST_S3 must be set under CI=true")
		}
		t.Skip("set NEXPROXY_TEST_POSTGRES, NEXPROXY_TEST_REDIS and NEXPROXY_TEST_S3 (+ keys) to run this test")
	}
	cfg := store.DefaultConfig()
	// Every domain on a server (a domain added later keeps its default
	// until it is listed here).
	cfg.Backends.Accounts, cfg.Backends.UniqueIDs, cfg.Backends.Stations = "postgres", "postgres", "redis"
	cfg.Backends.Objects, cfg.Backends.Bus, cfg.Backends.Rankings = "s3", "redis", "redis"
	cfg.Backends.DataStore, cfg.Backends.Gatherings = "postgres", "postgres"
	cfg.Postgres.URL = pg
	cfg.Redis.URL = rd
	cfg.Redis.KeyPrefix = "nexproxy-test-open:"
	cfg.S3.Endpoint = strings.TrimPrefix(strings.TrimPrefix(s3url, "http://"), "https://")
	cfg.S3.UseTLS = strings.HasPrefix(s3url, "https://")
	cfg.S3.Bucket = os.Getenv("NEXPROXY_TEST_S3_BUCKET")
	if cfg.S3.Bucket == "" {
		cfg.S3.Bucket = "nexproxy-test"
	}
	cfg.S3.AccessKey, cfg.S3.SecretKey = os.Getenv("NEXPROXY_TEST_S3_ACCESS_KEY"), os.Getenv("NEXPROXY_TEST_S3_SECRET_KEY")
	cfg.S3.Prefix = "open-test/"
	ctx := context.Background()
	mc, err := minio.New(cfg.S3.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.S3.AccessKey, cfg.S3.SecretKey, ""), Secure: cfg.S3.UseTLS})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := mc.BucketExists(ctx, cfg.S3.Bucket); err == nil && !ok {
		if err := mc.MakeBucket(ctx, cfg.S3.Bucket, minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Alone {
		t.Error("stores with the Redis bus are Alone")
	}
	if _, err := s.IDs.Next(ctx, "open-test"); err != nil {
		t.Error(err)
	}
	if _, err := s.Stations.AllocateRVCID(ctx, "g"); err != nil {
		t.Error(err)
	}
	if _, err := s.DataStore.AllocateDataID(ctx, "open-test", 1); err != nil {
		t.Error(err)
	}
}
