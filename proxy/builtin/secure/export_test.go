package secure

import "time"

// SetLeaseRefresh makes instances started afterwards refresh their leases
// every d; it returns the function that restores the interval.
func SetLeaseRefresh(d time.Duration) (restore func()) {
	old := leaseRefresh
	leaseRefresh = d
	return func() { leaseRefresh = old }
}
