package files

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nexproxy/nexproxy/internal/store"
	"github.com/nexproxy/nexproxy/internal/store/storetest"
)

func TestObjects(t *testing.T) {
	storetest.TestObjects(t, func(t *testing.T) store.Objects {
		o, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return o
	})
}

// TestOpenRemovesLeftovers checks that a temporary file left by a crash in
// the middle of Put is cleaned up and never shows as an object.
func TestOpenRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, tmpDir), 0o750); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(dir, tmpDir, "put-123")
	if err := os.WriteFile(left, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("leftover still there: %v", err)
	}
}
