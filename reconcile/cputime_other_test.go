//go:build !unix

package reconcile

import "time"

// cpuTime is not measured here; benchmarks then report no cpu-rows/s.
func cpuTime() time.Duration { return 0 }
