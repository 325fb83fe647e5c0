package proxy_test

import (
	"testing"

	"github.com/nexproxy/nexproxy/internal/testcert"
)

// writeCert writes a throw-away self-signed certificate for 127.0.0.1 and
// returns its directory (cert.pem, key.pem).
func writeCert(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	testcert.New(t).Write(t, dir, "cert.pem", "key.pem")
	return dir
}
