//go:build unix

package server

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's CPU time (user+system). On a shared machine a
// benchmark's wall time counts the time other processes had the CPU;
// its CPU time per operation does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds a cpu-ns/op metric: call it before b.Loop, it reports
// when the benchmark ends.
func reportCPU(b *testing.B) {
	start := cpuTime()
	b.Cleanup(func() {
		if n := b.N; n > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
		}
	})
}
