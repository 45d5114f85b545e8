//go:build linux

package repl

import (
	"io"
	"net"
	"runtime"
	"syscall"
	"time"
)

// linkReader reads the master's stream by waiting in epoll_wait on the
// socket alone, then reading it: the thread sleeps in the kernel and wakes
// straight into the read. Through net.Conn each wake-up is a failed read,
// a park, the runtime poller's epoll on another thread and a futex wake;
// measured on a replica under SET -c 50, the replica spent more of its CPU
// in the scheduler than in the commands (Redis's replica: 0.03 reads and
// context switches per request; ours 0.08 and 0.12).
//
// The reads happen inside RawConn.Read, which holds the descriptor: a
// Close from elsewhere cannot free the number under us; it is seen when
// epoll_wait returns (shutdown wakes it at once, timeouts bound the rest).
type linkReader struct {
	raw    syscall.RawConn
	epfd   int
	fd     int // the socket, once added to epfd (-1 before)
	events [1]syscall.EpollEvent

	p   []byte
	n   int
	err error
	// drained: the last read returned less than asked, so the socket was
	// empty then; the next attempt waits first instead of reading only
	// to meet EAGAIN (epoll is level-triggered: whatever came since
	// ends the wait at once).
	drained bool
	fn      func(fd uintptr) bool
	// lastYield: when Read last yielded to Go's scheduler (see Read).
	lastYield time.Time
}

// linkPoll bounds one wait, so a link closed without shutdown is noticed,
// and stays under the 10 ms after which Go's monitor thread takes the P
// from a goroutine in a system call (the wake-up must then win one back).
const linkPoll = 8 // ms

// linkYieldEvery: the stream goroutine only ever blocks in epoll_wait, never
// in Go's scheduler, and a goroutine seen running for 10 ms is preempted by
// a signal and often resumed on another thread. Yielding first keeps it on
// one. Measured on a replica under SET -c 50 (master, replica and
// redis-benchmark on 2 cores): 2.0–2.7 µs of replica CPU per request with
// this and the shorter wait, 4.0–5.2 µs without (its time spread over 4
// threads, 27,000 context switches in 2 s); Redis's replica 2.1–3.0 µs.
// The server's event loop does the same (internal/server/evloop_linux.go).
const linkYieldEvery = 2 * time.Millisecond

// newLinkReader returns nil when conn has no descriptor to poll (callers
// then read conn as usual).
func newLinkReader(conn net.Conn) *linkReader {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	r := &linkReader{raw: raw, epfd: epfd, fd: -1}
	r.fn = r.attempt
	return r
}

// attempt is RawConn.Read's callback: read, or wait once for data. It
// always returns true: waiting is done here, not by the runtime poller.
func (r *linkReader) attempt(fd uintptr) bool {
	if r.fd < 0 {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}
		if err := syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev); err != nil {
			r.n, r.err = 0, err
			return true
		}
		r.fd = int(fd)
	}
	waited := false
	if r.drained {
		r.drained = false
		r.wait()
		waited = true
	}
	for {
		n, err := syscall.Read(int(fd), r.p)
		switch {
		case n > 0:
			r.n, r.err = n, nil
			r.drained = n < len(r.p)
			return true
		case n == 0 && err == nil:
			r.n, r.err = 0, io.EOF
			return true
		case err == syscall.EINTR:
			continue
		case err != syscall.EAGAIN:
			r.n, r.err = 0, err
			return true
		}
		if waited {
			// A timed-out wait: let the caller look around, and wait
			// first when it asks again.
			r.n, r.err = 0, nil
			r.drained = true
			return true
		}
		r.wait()
		waited = true
	}
}

// wait blocks in epoll_wait until the socket is readable, up to linkPoll.
func (r *linkReader) wait() {
	for {
		_, werr := syscall.EpollWait(r.epfd, r.events[:], linkPoll)
		if werr != syscall.EINTR {
			return
		}
	}
}

// Read fills p with what the socket has, waiting up to linkPoll for it.
// (0, nil) means nothing arrived in time.
func (r *linkReader) Read(p []byte) (int, error) {
	if now := time.Now(); now.Sub(r.lastYield) >= linkYieldEvery {
		runtime.Gosched()
		r.lastYield = now
	}
	r.p = p
	if err := r.raw.Read(r.fn); err != nil {
		return 0, err
	}
	r.p = nil
	return r.n, r.err
}

// Close releases the epoll descriptor (not the connection).
func (r *linkReader) Close() { syscall.Close(r.epfd) }
