package prudp

import (
	"syscall"
	"time"
)

// threadCPU is the CPU time of the calling OS thread (user + system), for
// benchmarks that lock their goroutine to its thread: unlike wall time
// it does not count waiting for a core on a busy machine.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
