//go:build linux

package repl

import (
	"runtime"
	"syscall"
)

// loadNice is how much a replica lowers the priority of the thread that
// loads its master's RDB (added to the process's nice value, at most 19).
//
// Why: a replica that is loading serves nobody (its clients get LOADING
// or the old data), while on a host it shares — several instances per
// machine, as the Redis docs show, or our own demo — its master is serving
// clients, and a full core of parsing beside it is what the kernel takes
// from the master. Measured on 2 cores (bench/replication.sh, master under
// a light SET load, GET -c 4 windows): the master's worst GET p99 during
// a sync was 4–6× its idle p99 with the replica at normal priority and
// about 1.3–2× with the whole replica at nice 19. On a host of its own
// the replica loads as fast as before: nice only matters under contention.
const loadNice = 10

// runPolitely runs fn on a thread of its own at a lower priority and waits
// for it. The thread stays locked to its goroutine and ends with it: an
// unprivileged process may not raise a priority back, so the lowered
// thread must not go back to Go's pool to run other goroutines.
func runPolitely(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked, on purpose (see above)
		tid := syscall.Gettid()
		// The raw getpriority result is 20 - nice.
		if prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid); err == nil {
			syscall.Setpriority(syscall.PRIO_PROCESS, tid, min(20-prio+loadNice, 19))
		}
		fn()
	}()
	<-done
}
