package datastore

import "time"

// Skew moves the clock of every datastore service by d (until the test
// resets it with Skew(0)).
func Skew(d time.Duration) { clockSkew.Store(int64(d)) }
