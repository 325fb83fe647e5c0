package kerberos

import (
	"testing"

	"go.uber.org/goleak"
)

// The package starts no goroutines; goleak keeps it that way (the replay
// memory expires lazily, never from a background sweeper).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
