package datastore

import "time"

// Skew moves the clock of every datastore service by d (until the test
// resets it with Skew(0)).
func Skew(d time.Duration) { clockSkew.Store(int64(d)) }

// RunCrashChild runs the crash test's child when asked (from TestMain).
func RunCrashChild() bool { return crashChild() }
