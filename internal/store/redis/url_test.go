package redis

import (
	"strings"
	"testing"
)

// TestOpenKeepsThePasswordOutOfErrors: a URL that does not parse is
// reported without its text, which may hold the password.
func TestOpenKeepsThePasswordOutOfErrors(t *testing.T) {
	_, err := Open(t.Context(), "redis://user:s3cret@127.0.0.1:notaport/0", "p:")
	if err == nil {
		t.Fatal("a malformed URL opened")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error quotes the password: %v", err)
	}
}
