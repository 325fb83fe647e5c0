package datastore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexproxy/nexproxy/proxy/config"
)

// writeKeyPair writes a self-signed certificate and its key as c.pem and
// k.pem into dir.
func writeKeyPair(t *testing.T, dir string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for name, block := range map[string]*pem.Block{"c.pem": {Type: "CERTIFICATE", Bytes: der}, "k.pem": {Type: "EC PRIVATE KEY", Bytes: kder}} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

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
	writeKeyPair(t, dir)
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
