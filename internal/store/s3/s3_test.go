package s3

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/storetest"
)

// openTemp opens the bucket of NEXPROXY_TEST_S3 (creating it if needed)
// with a fresh key prefix.
func openTemp(t *testing.T) *Objects {
	t.Helper()
	raw := storetest.Env(t, "NEXPROXY_TEST_S3", "http://127.0.0.1:7070 (plus NEXPROXY_TEST_S3_ACCESS_KEY and NEXPROXY_TEST_S3_SECRET_KEY)")
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("NEXPROXY_TEST_S3=%q: want a URL such as http://127.0.0.1:7070", raw)
	}
	opts := Options{
		Endpoint:  u.Host,
		UseTLS:    u.Scheme == "https",
		AccessKey: os.Getenv("NEXPROXY_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("NEXPROXY_TEST_S3_SECRET_KEY"),
		Bucket:    envOr("NEXPROXY_TEST_S3_BUCKET", "nexproxy-test"),
		Region:    envOr("NEXPROXY_TEST_S3_REGION", "us-east-1"),
		Prefix:    storetest.RandomName("t") + "/",
	}
	ctx := context.Background()
	mc, err := minio.New(opts.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(opts.AccessKey, opts.SecretKey, ""), Secure: opts.UseTLS, Region: opts.Region})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := mc.BucketExists(ctx, opts.Bucket); err != nil {
		t.Fatalf("S3 at %s: %v", raw, err)
	} else if !ok {
		if err := mc.MakeBucket(ctx, opts.Bucket, minio.MakeBucketOptions{Region: opts.Region}); err != nil {
			t.Fatalf("create bucket: %v", err)
		}
	}
	o, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for obj := range mc.ListObjects(ctx, opts.Bucket, minio.ListObjectsOptions{Prefix: opts.Prefix, Recursive: true}) {
			if obj.Err == nil {
				_ = mc.RemoveObject(ctx, opts.Bucket, obj.Key, minio.RemoveObjectOptions{})
			}
		}
	})
	return o
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func TestObjects(t *testing.T) {
	storetest.TestObjectsWith(t, func(t *testing.T) store.Objects { return openTemp(t) }, storetest.ObjectsOptions{
		// Seen in CI: a read opened during an overwrite got 72,000 bytes of
		// a 64 or 96 KiB object, with no error: the server sent a partly
		// written object as a whole response.
		OverwriteNotAtomic: "the S3 test server (versitygw, posix backend) can serve a partly written object to a read during an overwrite; real S3 replaces objects atomically",
	})
}

func TestMissingBucket(t *testing.T) {
	o := openTemp(t)
	_ = o
	raw := os.Getenv("NEXPROXY_TEST_S3")
	u, _ := url.Parse(raw)
	_, err := Open(context.Background(), Options{Endpoint: u.Host, Bucket: "no-such-bucket-nexproxy",
		AccessKey: os.Getenv("NEXPROXY_TEST_S3_ACCESS_KEY"), SecretKey: os.Getenv("NEXPROXY_TEST_S3_SECRET_KEY")})
	if err == nil {
		t.Error("Open accepted a missing bucket")
	}
}

// TestPresign downloads through a presigned GET and uploads through a
// presigned POST form, as a console would.
func TestPresign(t *testing.T) {
	o := openTemp(t)
	ctx := context.Background()
	if err := o.Put(ctx, "ghost/1", strings.NewReader("ghost data"), 10); err != nil {
		t.Fatal(err)
	}
	u, err := o.PresignGet(ctx, "ghost/1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u.String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ghost data" {
		t.Errorf("presigned GET: %d %q", resp.StatusCode, body)
	}

	pu, form, err := o.PresignPost(ctx, "ghost/2", 8, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	mw := newMultipart(&buf, form, []byte("uploaded"))
	resp, err = http.Post(pu.String(), mw, &buf)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("presigned POST: %d %s", resp.StatusCode, body)
	}
	if info, err := o.Head(ctx, "ghost/2"); err != nil || info.Size != 8 {
		t.Errorf("after POST Head = %+v, %v", info, err)
	}
}

// postForm uploads data with a presigned POST form and returns the status.
func postForm(t *testing.T, u *url.URL, form map[string]string, data []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := newMultipart(&buf, form, data)
	resp, err := http.Post(u.String(), mw, &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestPresignPostEmptyUpload: S3 accepts the size-0 form PresignPost
// makes, and the empty object is there after the POST.
func TestPresignPostEmptyUpload(t *testing.T) {
	o := openTemp(t)
	ctx := context.Background()
	pu, form, err := o.PresignPost(ctx, "ghost/empty", 0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := postForm(t, pu, form, nil); code/100 != 2 {
		t.Fatalf("presigned POST of nothing: %d %s", code, body)
	}
	if info, err := o.Head(ctx, "ghost/empty"); err != nil || info.Size != 0 {
		t.Errorf("after POST Head = %+v, %v", info, err)
	}
	// The policy pins the size: one byte is too many.
	pu, form, err = o.PresignPost(ctx, "ghost/empty2", 0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := postForm(t, pu, form, []byte("x")); code/100 == 2 {
		t.Errorf("presigned POST of 1 byte on a size-0 form: %d %s, want a refusal", code, body)
	}
}
