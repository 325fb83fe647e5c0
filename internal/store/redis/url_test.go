package redis

import (
	"strings"
	"testing"
)

// TestOpenKeepsThePasswordOutOfErrors: a URL that does not parse is
// reported without its text, which may hold the password.
func TestOpenKeepsThePasswordOutOfErrors(t *testing.T) {
	for _, url := range []string{
		"redis://user:s3cret@127.0.0.1:notaport/0",
		"redis://user:s3cret@127.0.0.1:6379/0\n", // as read from a secret file
		"redis://user:s3cret@127.0.0.1:6379/\t0",
		"redis://user:s3cret@127.0.0.1:6379/notadb",
		"nosuch://user:s3cret@127.0.0.1:6379/0",
	} {
		_, err := Open(t.Context(), url, "p:")
		if err == nil {
			t.Fatalf("%q: a malformed URL opened", url)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: error quotes the password: %v", url, err)
		}
	}
}
