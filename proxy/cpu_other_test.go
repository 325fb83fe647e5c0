//go:build !unix

package proxy_test

import "time"

// processCPU is unknown on this system.
func processCPU() time.Duration { return 0 }
