// Package heapgrowth measures how much heap a long-lived object holds,
// for the tests that pin nexproxy's memory per idle session.
package heapgrowth

import "runtime"

// PerCall runs build n times, passing 0..n-1, and returns the growth of
// the live heap per call once the garbage is collected. What build
// returns stays alive until the heap is measured, as the objects of
// idle sessions do. Collections run twice on each side, so that pools'
// victims are freed too.
func PerCall(n int, build func(i int) any) int64 {
	keep := make([]any, 0, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		keep = append(keep, build(i))
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	return (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / int64(n)
}
