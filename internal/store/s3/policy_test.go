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
)

// TestPresignPostPinsSize: the upload policy allows exactly the declared
// size, as the DataStore upload requires (services.md §7.3). The policy is
// signed locally, so no S3 service is needed.
func TestPresignPostPinsSize(t *testing.T) {
	mc, err := minio.New("s3.example.test", &minio.Options{Creds: credentials.NewStaticV4("access", "secretsecret", ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	o := &Objects{mc: mc, bucket: "bucket", prefix: "p/"}
	_, form, err := o.PresignPost(context.Background(), "ghost/1", 1234, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
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
	if len(ranges) != 1 || !slices.Equal(ranges[0], []any{"content-length-range", 1234.0, 1234.0}) {
		t.Errorf("content-length-range conditions %v, want exactly [1234, 1234]; policy %s", ranges, raw)
	}
}
