package datastore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexproxy/nexproxy/internal/testcert"
	"github.com/nexproxy/nexproxy/proxy/config"
)

// loadWithDataStoreTLS loads a configuration file in dir whose game's
// [games.datastore] names cert and key.
func loadWithDataStoreTLS(t *testing.T, dir, cert, key string) (*config.Config, error) {
	t.Helper()
	text := `advertise = "127.0.0.1"
[[games]]
name = "g"
platform = "wiiu"
access_key = "25dbf96a"
auth_listen = "127.0.0.1:1"
secure_listen = "127.0.0.1:2"
upstream = "local"
[games.datastore]
tls_cert = "` + cert + `"
tls_key = "` + key + `"
`
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.LoadFile(path)
}

// TestTLSPathsRelativeToConfig: tls_cert and tls_key are taken relative
// to the configuration file's folder, as every path in the file is, not
// to the folder serve runs in; an unreadable pair is a configuration
// problem of its own key, so that check reports it.
func TestTLSPathsRelativeToConfig(t *testing.T) {
	dir := t.TempDir()
	testcert.New(t).Write(t, dir, "c.pem", "k.pem")
	cfg, err := loadWithDataStoreTLS(t, dir, "c.pem", "k.pem")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	c, ok := cfg.Games[0].Sections[Name].(*Config)
	if !ok {
		t.Fatalf("[games.datastore] decoded as %T", cfg.Games[0].Sections[Name])
	}
	if c.TLSCert != filepath.Join(dir, "c.pem") || c.TLSKey != filepath.Join(dir, "k.pem") {
		t.Errorf("tls_cert %q, tls_key %q: want both in %s", c.TLSCert, c.TLSKey, dir)
	}

	_, err = loadWithDataStoreTLS(t, dir, "missing.pem", "k.pem")
	if err == nil || !strings.Contains(err.Error(), "games[g].datastore.tls_cert") || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("missing certificate: %v, want a problem at games[g].datastore.tls_cert naming the file", err)
	}
}
