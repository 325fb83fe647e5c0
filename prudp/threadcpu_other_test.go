//go:build !linux

package prudp

import "time"

// threadCPU is unknown here: benchmarks report no CPU time.
func threadCPU() time.Duration { return 0 }
