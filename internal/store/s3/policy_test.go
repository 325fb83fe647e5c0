package s3

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/signer"
)

// localObjects is an Objects whose policies are signed locally, with no S3
// service behind it.
func localObjects(t *testing.T) *Objects {
	t.Helper()
	creds := credentials.NewStaticV4("access", "secretsecret", "")
	mc, err := minio.New("s3.example.test", &minio.Options{Creds: creds, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return &Objects{mc: mc, bucket: "bucket", prefix: "p/", creds: creds}
}

// policyRanges returns the content-length-range conditions of form's policy.
func policyRanges(t *testing.T, form map[string]string) [][]any {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(form["policy"])
	if err != nil {
		t.Fatalf("policy: %v", err)
	}
	var policy struct {
		Conditions []json.RawMessage `json:"conditions"`
	}
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatalf("policy %s: %v", raw, err)
	}
	var ranges [][]any
	for _, c := range policy.Conditions {
		var l []any
		if json.Unmarshal(c, &l) == nil && len(l) == 3 && l[0] == "content-length-range" {
			ranges = append(ranges, l)
		}
	}
	return ranges
}

// TestPresignPostPinsSize: the upload policy allows exactly the declared
// size, as the DataStore upload requires (services.md §7.3). The policy is
// signed locally, so no S3 service is needed.
func TestPresignPostPinsSize(t *testing.T) {
	o := localObjects(t)
	_, form, err := o.PresignPost(context.Background(), "ghost/1", 1234, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if ranges := policyRanges(t, form); len(ranges) != 1 || !slices.Equal(ranges[0], []any{"content-length-range", 1234.0, 1234.0}) {
		t.Errorf("content-length-range conditions %v, want exactly [1234, 1234]; policy %s", ranges, form["policy"])
	}
}

// TestPresignPostEmpty: a size-0 upload (accepted by the files backend's
// endpoint) gets a policy too, pinned to [0, 0] although minio-go cannot
// express that range, and signed for it.
func TestPresignPostEmpty(t *testing.T) {
	o := localObjects(t)
	_, form, err := o.PresignPost(context.Background(), "ghost/1", 0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if ranges := policyRanges(t, form); len(ranges) != 1 || !slices.Equal(ranges[0], []any{"content-length-range", 0.0, 0.0}) {
		t.Errorf("content-length-range conditions %v, want exactly [0, 0]; policy %s", ranges, form["policy"])
	}
	at, err := time.Parse("20060102T150405Z", form["x-amz-date"])
	if err != nil {
		t.Fatal(err)
	}
	if want := signer.PostPresignSignatureV4(form["policy"], at, "secretsecret", "us-east-1"); form["x-amz-signature"] != want {
		t.Errorf("signature %s, want %s (the policy's)", form["x-amz-signature"], want)
	}
}
