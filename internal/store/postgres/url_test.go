package postgres

import (
	"strings"
	"testing"
)

// TestOpenKeepsThePasswordOutOfErrors: a URL that does not parse is
// reported by what is wrong with it, never with its text, which may hold
// the password.
func TestOpenKeepsThePasswordOutOfErrors(t *testing.T) {
	for _, url := range []string{
		"postgres://user:s3cret@127.0.0.1:notaport/db",
		"postgres://user:s3cret@127.0.0.1/db?sslmode=nosuchmode",
		"host=127.0.0.1 password=s3cret port=notaport",
	} {
		_, err := Open(t.Context(), url, 0)
		if err == nil {
			t.Fatalf("%s: opened", url)
		}
		if msg := err.Error(); strings.Contains(msg, "s3cret") || strings.Contains(msg, "%!") {
			t.Errorf("%s: error %q", url, msg)
		}
	}
}
