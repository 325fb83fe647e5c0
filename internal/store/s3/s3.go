// Package s3 implements store.Objects on an S3-compatible service with
// minio-go, and presigns URLs so that consoles can upload and download
// DataStore objects directly.
package s3

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/signer"

	"github.com/nexproxy/nexproxy/internal/store"
)

// Options locate the bucket.
type Options struct {
	Endpoint  string // host[:port], no scheme
	Bucket    string
	AccessKey string
	SecretKey string
	Region    string
	UseTLS    bool
	// Prefix is put before every key.
	Prefix string
}

// Objects implements store.Objects on one bucket.
type Objects struct {
	mc     *minio.Client
	bucket string
	prefix string
	// creds sign again the policies PresignPost completes (size 0).
	creds *credentials.Credentials
}

var _ store.Objects = (*Objects)(nil)

// Open connects and checks that the bucket exists.
func Open(ctx context.Context, o Options) (*Objects, error) {
	region := o.Region
	if region == "" {
		region = "us-east-1"
	}
	creds := credentials.NewStaticV4(o.AccessKey, o.SecretKey, "")
	mc, err := minio.New(o.Endpoint, &minio.Options{
		Creds:  creds,
		Secure: o.UseTLS,
		Region: region,
	})
	if err != nil {
		return nil, fmt.Errorf("store/s3: client for %s: %w", o.Endpoint, err)
	}
	ok, err := mc.BucketExists(ctx, o.Bucket)
	if err != nil {
		return nil, fmt.Errorf("store/s3: check bucket %q at %s: %w", o.Bucket, o.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("store/s3: bucket %q does not exist at %s", o.Bucket, o.Endpoint)
	}
	return &Objects{mc: mc, bucket: o.Bucket, prefix: o.Prefix, creds: creds}, nil
}

// Client exposes the minio client (for tests and admin tools).
func (s *Objects) Client() *minio.Client { return s.mc }

func (s *Objects) name(key string) (string, error) {
	if err := store.ValidKey(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

func mapErr(err error) error {
	var er minio.ErrorResponse
	if errors.As(err, &er) && (er.StatusCode == http.StatusNotFound || er.Code == "NoSuchKey") {
		return fmt.Errorf("%w (%v)", store.ErrNotFound, err)
	}
	return err
}

// spoolInMemory is the largest object Put buffers in memory; larger ones go
// through a temporary file.
const spoolInMemory = 8 << 20

// Put implements store.Objects. S3 makes a PUT visible only once complete.
// The body is spooled first (memory, or a temporary file past 8 MiB) so
// that a reader giving more or fewer bytes than size is refused before
// anything is sent: minio-go reads exactly size bytes and would store a
// truncated object without noticing extra ones.
func (s *Objects) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	name, err := s.name(key)
	if err != nil {
		return fmt.Errorf("store/s3: put: %w", err)
	}
	if size < 0 {
		return fmt.Errorf("store/s3: put %s: size %d: %w", key, size, store.ErrInvalid)
	}
	body, cleanup, err := spool(r, size)
	if err != nil {
		return fmt.Errorf("store/s3: put %s: %w", key, err)
	}
	defer cleanup()
	_, err = s.mc.PutObject(ctx, s.bucket, name, body, size, minio.PutObjectOptions{
		ContentType:    "application/octet-stream",
		SendContentMd5: true,
	})
	if err != nil {
		return fmt.Errorf("store/s3: put %s: %w", key, err)
	}
	return nil
}

func spool(r io.Reader, size int64) (io.Reader, func(), error) {
	lr := io.LimitReader(r, size+1) // one byte more proves a too-long reader
	if size <= spoolInMemory {
		b, err := io.ReadAll(lr)
		if err != nil {
			return nil, nil, fmt.Errorf("read: %w", err)
		}
		if int64(len(b)) != size {
			return nil, nil, fmt.Errorf("reader gave %d bytes or more, announced %d", len(b), size)
		}
		return bytes.NewReader(b), func() {}, nil
	}
	f, err := os.CreateTemp("", "nexproxy-s3-*")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { f.Close(); os.Remove(f.Name()) }
	n, err := io.Copy(f, lr)
	if err == nil && n != size {
		err = fmt.Errorf("reader gave %d bytes or more, announced %d", n, size)
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return f, cleanup, nil
}

// Get implements store.Objects; seeking issues ranged GETs.
func (s *Objects) Get(ctx context.Context, key string) (io.ReadSeekCloser, store.ObjectInfo, error) {
	name, err := s.name(key)
	if err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("store/s3: get: %w", err)
	}
	obj, err := s.mc.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, store.ObjectInfo{}, fmt.Errorf("store/s3: get %s: %w", key, mapErr(err))
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, store.ObjectInfo{}, fmt.Errorf("store/s3: get %s: %w", key, mapErr(err))
	}
	return obj, store.ObjectInfo{Key: key, Size: st.Size, ModTime: st.LastModified}, nil
}

// Head implements store.Objects.
func (s *Objects) Head(ctx context.Context, key string) (store.ObjectInfo, error) {
	name, err := s.name(key)
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("store/s3: head: %w", err)
	}
	st, err := s.mc.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if err != nil {
		return store.ObjectInfo{}, fmt.Errorf("store/s3: head %s: %w", key, mapErr(err))
	}
	return store.ObjectInfo{Key: key, Size: st.Size, ModTime: st.LastModified}, nil
}

// Delete implements store.Objects.
func (s *Objects) Delete(ctx context.Context, key string) error {
	name, err := s.name(key)
	if err != nil {
		return fmt.Errorf("store/s3: delete: %w", err)
	}
	if err := s.mc.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(mapErr(err), store.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("store/s3: delete %s: %w", key, err)
	}
	return nil
}

// PresignGet returns a URL that downloads key without credentials until
// expiry (DataStore PrepareGetObject).
func (s *Objects) PresignGet(ctx context.Context, key string, expiry time.Duration) (*url.URL, error) {
	name, err := s.name(key)
	if err != nil {
		return nil, fmt.Errorf("store/s3: presign get: %w", err)
	}
	u, err := s.mc.PresignedGetObject(ctx, s.bucket, name, expiry, nil)
	if err != nil {
		return nil, fmt.Errorf("store/s3: presign get %s: %w", key, err)
	}
	return u, nil
}

// PresignPost returns the URL and form fields of an HTTP POST upload of key
// of exactly size bytes until expiry (DataStore PreparePostObject): the
// policy pins the size, so S3 refuses a short or long upload itself
// (services.md §7.3).
func (s *Objects) PresignPost(ctx context.Context, key string, size int64, expiry time.Duration) (*url.URL, map[string]string, error) {
	name, err := s.name(key)
	if err != nil {
		return nil, nil, fmt.Errorf("store/s3: presign post: %w", err)
	}
	p := minio.NewPostPolicy()
	if err := p.SetBucket(s.bucket); err != nil {
		return nil, nil, fmt.Errorf("store/s3: presign post %s: %w", key, err)
	}
	if err := p.SetKey(name); err != nil {
		return nil, nil, fmt.Errorf("store/s3: presign post %s: %w", key, err)
	}
	if err := p.SetExpires(time.Now().UTC().Add(expiry)); err != nil {
		return nil, nil, fmt.Errorf("store/s3: presign post %s: %w", key, err)
	}
	// minio-go refuses the range [0, 0] (and leaves any zero range out of
	// the policy), so an empty upload gets its range added below.
	if size != 0 {
		if err := p.SetContentLengthRange(size, size); err != nil {
			return nil, nil, fmt.Errorf("store/s3: presign post %s: %w", key, err)
		}
	}
	u, form, err := s.mc.PresignedPostPolicy(ctx, p)
	if err != nil {
		return nil, nil, fmt.Errorf("store/s3: presign post %s: %w", key, err)
	}
	if size == 0 {
		if err := s.pinEmpty(form); err != nil {
			return nil, nil, fmt.Errorf("store/s3: presign post %s: %w", key, err)
		}
	}
	return u, form, nil
}

// pinEmpty adds the condition content-length-range [0, 0] to the SigV4
// policy of form and signs it again, with the date and region it was
// signed for.
func (s *Objects) pinEmpty(form map[string]string) error {
	if s.creds == nil {
		return errors.New("no credentials to sign the policy")
	}
	raw, err := base64.StdEncoding.DecodeString(form["policy"])
	if err != nil {
		return fmt.Errorf("decode policy: %w", err)
	}
	var policy map[string]json.RawMessage
	var conds []json.RawMessage
	if err := json.Unmarshal(raw, &policy); err != nil {
		return fmt.Errorf("decode policy: %w", err)
	}
	if err := json.Unmarshal(policy["conditions"], &conds); err != nil {
		return fmt.Errorf("decode policy conditions: %w", err)
	}
	policy["conditions"], err = json.Marshal(append(conds, json.RawMessage(`["content-length-range",0,0]`)))
	if err != nil {
		return fmt.Errorf("encode policy: %w", err)
	}
	if raw, err = json.Marshal(policy); err != nil {
		return fmt.Errorf("encode policy: %w", err)
	}
	// x-amz-credential is <access key>/<date>/<region>/s3/aws4_request.
	scope := strings.Split(form["x-amz-credential"], "/")
	t, err := time.Parse("20060102T150405Z", form["x-amz-date"])
	if len(scope) != 5 || err != nil {
		return fmt.Errorf("not a SigV4 form (credential %q, date %q)", form["x-amz-credential"], form["x-amz-date"])
	}
	v, err := s.creds.GetWithContext(nil)
	if err != nil {
		return fmt.Errorf("credentials: %w", err)
	}
	form["policy"] = base64.StdEncoding.EncodeToString(raw)
	form["x-amz-signature"] = signer.PostPresignSignatureV4(form["policy"], t, v.SecretAccessKey, scope[2])
	return nil
}
