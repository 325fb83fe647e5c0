package automatch

import (
	"testing"

	"go.uber.org/goleak"
)

// Run starts a goroutine per console; every one must have ended when it
// returns.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
