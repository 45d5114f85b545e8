//go:build linux

package server

import (
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// How the event loop waits: epoll_wait (epoll_pwait2 where the kernel has
// it), a short poll after busy rounds, the wake-up pipe, and the bounds that
// keep Go's runtime monitor from treating the loop badly.

// epollWait waits up to d, to the microsecond where the kernel has
// epoll_pwait2 (Linux 5.11; epoll_wait counts in milliseconds, too coarse
// for the gaps between a task's slices).
func (l *eventLoop) epollWait(d time.Duration) (int, error) {
	if d > 0 && d < 100*time.Millisecond && !noPwait2.Load() {
		ts := syscall.NsecToTimespec(int64(d))
		n, _, e := syscall.Syscall6(sysEpollPwait2, uintptr(l.epfd), uintptr(unsafe.Pointer(&l.events[0])),
			uintptr(len(l.events)), uintptr(unsafe.Pointer(&ts)), 0, 0)
		if e == 0 {
			return int(n), nil
		}
		if e != syscall.ENOSYS {
			return 0, e
		}
		noPwait2.Store(true)
	}
	ms := int((d + time.Millisecond - 1) / time.Millisecond)
	return syscall.EpollWait(l.epfd, l.events, ms)
}

// loopSpin is how long the loop polls for events, without sleeping, after
// a round that served clients. Why: a loop that sleeps in epoll_wait is
// woken by the client's own send, and on a virtual machine waking an idle
// CPU costs the sender an interrupt between CPUs, several microseconds of
// the client's time. A loop faster than its clients finds nothing ready
// more often and sleeps more often: measured under redis-benchmark LRANGE
// -c 50 on 2 vCPUs, Tandem's loop slept 0.13 times a request against
// Redis's 0.035, and the client spent 1.2 µs more per request (9.3 against
// 10.5 µs), which made the client-bound figure 0.90 of Redis's. Requests
// under load arrive microseconds apart, so a short poll finds the next
// one. The loop polls only while the previous wait was that short: a poll
// that finds nothing costs more than its loopSpin, as it keeps the Go
// runtime's monitor thread ticking every 20 µs for a millisecond, and
// sparse traffic pays nothing.
// TANDEM_LOOP_SPIN overrides it (0 turns polling off, for comparisons).
var loopSpin = envDuration("TANDEM_LOOP_SPIN", 50*time.Microsecond)

// pollFor polls the epoll set without blocking until something is ready
// or d has passed, yielding the CPU between polls to anything else ready
// to run on it (a replica, a client on the same core): the poll is there
// to spare wake-ups, not to take CPU from others. It returns 0 with no
// error when nothing came.
func (l *eventLoop) pollFor(d time.Duration) (int, error) {
	if d <= 0 {
		return 0, nil
	}
	end := time.Now().Add(d)
	for {
		// Non-blocking, so a raw call: no hand-off of the P to the runtime.
		n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(l.epfd),
			uintptr(unsafe.Pointer(&l.events[0])), uintptr(len(l.events)), 0, 0, 0)
		switch {
		case e == syscall.EINTR:
		case e != 0:
			return 0, e
		case n > 0:
			return int(n), nil
		}
		if !time.Now().Before(end) {
			return 0, nil
		}
		syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
	}
}

// envDuration reads a duration from the environment, def when unset or bad.
func envDuration(name string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(name); ok {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			return d
		}
	}
	return def
}

// The loop is one goroutine that never blocks in Go's scheduler, only in
// epoll_wait, and the runtime's monitor thread (sysmon) treats that
// badly in two ways, each costing a request tens of microseconds on a
// virtual machine (redis-cli --latency at 100 PINGs/s: 0.13–0.16 ms
// average against Redis's 0.07–0.11, then 0.06–0.08 with both fixes):
//   - a goroutine seen running for 10 ms is preempted by a signal, which
//     interrupts the loop and can move it to another thread: the loop
//     yields by itself every loopYieldEvery instead;
//   - a P left in a system call for 10 ms is taken away, so the wake-up
//     after a long idle wait must win a P back and wake the monitor from
//     its deep sleep: a wait lasts at most loopMaxWait. An idle loop then
//     wakes about 120 times a second; measured at rest, the process used
//     17–26 ms of CPU in 4 s, against 15–17 ms before (Redis: 8–12).
const (
	loopYieldEvery = 2 * time.Millisecond
	loopMaxWait    = 8 * time.Millisecond
)

// sysEpollPwait2 is epoll_pwait2's number, the same on amd64 and arm64.
const sysEpollPwait2 = 441

// noPwait2 records that the kernel lacks epoll_pwait2 (ENOSYS). It is
// process-wide on purpose: it describes the kernel, which every server in
// the process shares, and it only ever goes from false to true.
var noPwait2 atomic.Bool

// canWake reports whether the loop can be woken for tasks.
func (l *eventLoop) canWake() bool { return l.wakeW >= 0 }

// wake interrupts the loop's epoll_wait (any goroutine). A full pipe
// already holds a wake-up.
func (l *eventLoop) wake() { syscall.Write(l.wakeW, []byte{1}) }

// drainWake empties the wake-up pipe.
func (l *eventLoop) drainWake() {
	var b [64]byte
	for {
		if n, _ := syscall.Read(l.wakeR, b[:]); n < len(b) {
			return
		}
	}
}
