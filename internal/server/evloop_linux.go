//go:build linux

package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// eventLoop serves plain TCP clients the way Redis does: one goroutine
// waits on an epoll set (level-triggered) of raw non-blocking sockets,
// reads the ones that are ready, runs what arrived, and writes the replies.
//
// Why not a goroutine per connection: under request/response traffic Go's
// net.Conn.Read first tries a read that fails with EAGAIN, parks the
// goroutine, and is woken by the runtime poller for a second read; every
// packet also wakes the runtime's own epoll on the other core. Measured
// (bench/profile.sh) that was 3.3 syscalls and 9.9 µs of CPU per request
// against Redis's 2.2 and 6.0. The sockets here are never registered with
// Go's poller, and a read is issued only for a socket epoll reports ready.
//
// The loop keeps only clients whose traffic is plain request/response
// (modeLoop). A client that needs to wait or to receive data it did not ask
// for — a blocked command (BLPOP, WAIT), Pub/Sub or MONITOR, a replica,
// CLIENT PAUSE, replies its socket will not take at once — is converted to
// a net.Conn and continues on the goroutine path (client.loop) for the rest
// of its life (connMode has the transitions). Those paths are rare and
// already correct there.
type eventLoop struct {
	s    *Server
	epfd int

	// byFD maps a descriptor to its client, listeners to the listener.
	// Only the loop's goroutine touches them (listeners are added before
	// it starts; it accepts, converts and drops clients itself), so they
	// need no lock.
	byFD      []*client
	listeners map[int32]net.Listener

	events []syscall.EpollEvent
	ready  []readyClient

	taskQueue
	// lastTrim is the last sweep over the clients' query buffers.
	lastTrim time.Time
	// wakeR/wakeW is a pipe whose read end is in the epoll set: a byte
	// written wakes the loop for a task.
	wakeR, wakeW int
}

// readyClient is one client's replies of the current round; closeAfter:
// its batch ended in batchClose.
type readyClient struct {
	c          *client
	out        []byte
	closeAfter bool
}

// loopDisabled lets a benchmark compare the two paths on one binary. Like
// loopSpin, it is read from the environment once, when the package
// initializes, and never written: process-wide tuning for experiments,
// the same for every server in the process, not per-server configuration
// (which lives in Settings).
var loopDisabled = os.Getenv("TANDEM_CONN_MODE") == "goroutine"

func newEventLoop(s *Server) (*eventLoop, error) {
	if loopDisabled {
		return nil, nil
	}
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	l := &eventLoop{s: s, epfd: fd, listeners: map[int32]net.Listener{}, events: make([]syscall.EpollEvent, 256), wakeR: -1, wakeW: -1}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err == nil {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p[0])}
		if syscall.EpollCtl(fd, syscall.EPOLL_CTL_ADD, p[0], &ev) == nil {
			l.wakeR, l.wakeW = p[0], p[1]
		} else {
			syscall.Close(p[0])
			syscall.Close(p[1])
		}
	}
	return l, nil
}

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

// errNoLoop: the listener cannot be served by the event loop.
var errNoLoop = errors.New("listener without a descriptor")

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

// addListener puts a listening socket in the epoll set: the loop accepts
// its connections as raw non-blocking sockets, never seen by Go's poller.
// (A listener's RawConn cannot wait for reads, so the loop does it.) TCP
// and Unix-socket listeners alike.
func (l *eventLoop) addListener(ln net.Listener) error {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return errNoLoop
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var fd int
	if err := rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return err
	}
	l.listeners[int32(fd)] = ln
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	return syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &ev)
}

// accept takes every pending connection of a ready listener.
func (l *eventLoop) accept(lfd int32, ln net.Listener) {
	s := l.s
	for i := 0; i < 1000; i++ {
		nfd, sa, err := syscall.Accept4(int(lfd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		if err != nil {
			switch err {
			case syscall.EAGAIN:
			case syscall.EINTR, syscall.ECONNABORTED:
				continue
			case syscall.EBADF, syscall.EINVAL, syscall.ENOTSOCK:
				// The listener was closed (server stopping).
				syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, int(lfd), nil)
				delete(l.listeners, lfd)
			default:
				// EMFILE and friends: the next round retries.
				s.log.Warningf("Accepting client connection: %v", err)
			}
			return
		}
		fc := &fdConn{fd: nfd, raddr: sockaddrToTCP(sa)}
		if _, unix := sa.(*syscall.SockaddrUnix); unix {
			fc.raddr, fc.laddr = ln.Addr(), ln.Addr() // peers are unnamed
		} else if lsa, err := syscall.Getsockname(nfd); err == nil {
			fc.laddr = sockaddrToTCP(lsa)
		} else {
			fc.laddr = ln.Addr()
		}
		s.serveFD(fc, l)
	}
}

// serveFD admits a raw connection and hands it to the event loop.
func (s *Server) serveFD(fc *fdConn, l *eventLoop) {
	s.mu.Lock()
	keepAlive := s.set.TCPKeepAlive
	s.mu.Unlock()
	syscall.SetsockoptInt(fc.fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	if keepAlive > 0 {
		// Redis's anetKeepAlive: first probe after the interval, then every
		// third of it, three probes.
		syscall.SetsockoptInt(fc.fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1)
		syscall.SetsockoptInt(fc.fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, keepAlive)
		syscall.SetsockoptInt(fc.fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, max(keepAlive/3, 1))
		syscall.SetsockoptInt(fc.fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, 3)
	}
	c := s.newClient(fc, modeLoop)
	if !s.register(c) {
		fc.release()
		return
	}
	for fc.fd >= len(l.byFD) {
		l.byFD = append(l.byFD, nil)
	}
	l.byFD[fc.fd] = c
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fc.fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fc.fd, &ev); err != nil {
		s.log.Warningf("Registering client connection: %v", err)
		l.forget(fc.fd)
		fc.release()
		s.dropClient(c, CloseInternalError)
	}
}

// run is the loop: wait, read and run every ready client, then write the
// round's replies after one reply barrier (so appendfsync always costs one
// fsync per round, not per client).
func (l *eventLoop) run() {
	s := l.s
	defer s.wg.Done()
	served := false
	// poll: the last wait after a round with clients ended within
	// loopSpin, so traffic is dense enough for a poll to pay.
	poll := false
	var lastYield time.Time
	for {
		wait := loopMaxWait
		start := time.Now()
		if start.Sub(lastYield) >= loopYieldEvery {
			runtime.Gosched()
			lastYield = start
		}
		if l.tasksPending() {
			wait = max(l.nextSlice.Sub(start), 0)
		}
		var n int
		var err error
		if served && wait > 0 {
			if poll {
				n, err = l.pollFor(min(loopSpin, wait))
			}
			if n == 0 && err == nil {
				n, err = l.epollWait(wait)
			}
			poll = n > 0 && time.Since(start) <= loopSpin
		} else {
			n, err = l.epollWait(wait)
		}
		if s.closing.Load() {
			l.closeAll()
			return
		}
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			s.log.Warningf("Event loop: epoll_wait: %v", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		l.ready = l.ready[:0]
		served = false
		for i := 0; i < n; i++ {
			fd := l.events[i].Fd
			if int(fd) < len(l.byFD) && l.byFD[fd] != nil {
				l.serve(l.byFD[fd])
				served = true
			} else if ln := l.listeners[fd]; ln != nil {
				l.accept(fd, ln)
			} else if int(fd) == l.wakeR {
				l.drainWake()
			}
		}
		s.afterCommands()
		if len(l.ready) > 0 {
			s.replyBarrier()
			for i := range l.ready {
				l.finish(&l.ready[i])
				l.ready[i] = readyClient{}
			}
		}
		l.runTasks(served)
		l.trimSweep(start)
	}
}

// serve reads what a ready client sent and runs it.
func (l *eventLoop) serve(c *client) {
	s := l.s
	fc := c.conn.(*fdConn)
	defer func() {
		if r := recover(); r != nil {
			s.recoverPanicValue(c, r)
			l.drop(c, CloseInternalError)
		}
	}()
	sp := c.rd.Space()
	n, err := readFD(fc.fd, sp)
	if n > 0 {
		c.rd.Advance(n)
		s.stats.netIn.Add(int64(n))
	} else if err == syscall.EAGAIN {
		return
	} else {
		// EOF, reset, or shut down by CLIENT KILL and friends (which
		// noted their reason first).
		l.drop(c, readCloseReason(err))
		return
	}
	if c.overQueryLimit() {
		l.drop(c, CloseQueryBufferLimit)
		return
	}
	out, end := c.runBuffered()
	closeAfter := end == batchClose
	if c.mode != modeLoop {
		s.handOff(c, out, closeAfter)
		return
	}
	if len(out) > 0 || closeAfter {
		l.ready = append(l.ready, readyClient{c: c, out: out, closeAfter: closeAfter})
	}
}

// finish writes a client's replies; what the socket does not take at once
// goes to the goroutine path.
func (l *eventLoop) finish(r *readyClient) {
	s := l.s
	c := r.c
	if c.mode != modeLoop {
		return
	}
	fc := c.conn.(*fdConn)
	b := r.out
	for len(b) > 0 {
		n, err := syscall.Write(fc.fd, b)
		if n > 0 {
			s.stats.netOut.Add(int64(n))
			b = b[n:]
			continue
		}
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			s.mu.Lock()
			cerr := l.convert(c)
			s.mu.Unlock()
			if cerr != nil {
				l.drop(c, CloseInternalError)
				return
			}
			s.handOff(c, b, r.closeAfter)
			return
		}
		l.drop(c, CloseWriteError)
		return
	}
	if r.closeAfter {
		l.drop(c, CloseQuit) // the batch noted its cause
	}
}

// readFD reads once, retrying on EINTR.
func readFD(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if n == 0 && err == nil {
			return 0, io.EOF
		}
		return n, err
	}
}

// convert moves a client from the loop to a net.Conn, modeLoop to
// modeConn (loop goroutine, srv.mu held, so nothing else uses c.conn
// meanwhile). The raw socket leaves the epoll set and is replaced by a
// duplicate in Go's poller. On failure the client stays a loop client,
// closing, and the loop drops it.
func (l *eventLoop) convert(c *client) error {
	fc := c.conn.(*fdConn)
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.shut || fc.closed {
		// Shut down by a kill, a limit, … which noted why.
		c.closeFor(CloseInternalError)
		return errors.New("connection closed")
	}
	syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, fc.fd, nil)
	l.forget(fc.fd)
	f := os.NewFile(uintptr(fc.fd), "client")
	gc, err := net.FileConn(f)
	f.Close() // the duplicate lives on in gc
	fc.closed = true
	if err != nil {
		c.closeFor(CloseInternalError)
		l.s.log.Warningf("Moving client %s off the event loop: %v", c.addr, err)
		return err
	}
	c.conn = gc
	c.mode = modeConn
	return nil
}

// drop closes a loop client and forgets it, for why (unless an earlier
// cause was noted). A client no longer on the loop (converted, or dropped
// already) is left alone.
func (l *eventLoop) drop(c *client, why CloseReason) {
	if c.mode != modeLoop {
		return
	}
	fc := c.conn.(*fdConn)
	syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, fc.fd, nil)
	l.forget(fc.fd)
	fc.release()
	l.s.dropClient(c, why) // modeClosed
}

func (l *eventLoop) forget(fd int) {
	if fd < len(l.byFD) {
		l.byFD[fd] = nil
	}
}

// closeAll drops every loop client when the server stops.
func (l *eventLoop) closeAll() {
	for _, c := range l.byFD {
		if c != nil {
			l.drop(c, CloseShutdown)
		}
	}
	syscall.Close(l.epfd)
	if l.wakeR >= 0 {
		syscall.Close(l.wakeR)
		syscall.Close(l.wakeW)
	}
}

// handOff continues a converted client on its own goroutine: first the
// replies still to write, then the usual connection loop (runConn).
func (s *Server) handOff(c *client, out []byte, closeAfter bool) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runConn(c, out, closeAfter)
	}()
}

// fdConn is a loop client's raw socket seen as a net.Conn, for the code
// that treats every client alike: addresses, and Close from CLIENT KILL,
// timeouts and output limits (srv.mu held), which shuts the socket down so
// the loop reads EOF and closes it itself — the loop owns the descriptor,
// so it can never be closed under a read and reused meanwhile.
type fdConn struct {
	mu     sync.Mutex
	fd     int
	shut   bool // shut down by Close; the loop has yet to see it
	closed bool // descriptor closed (or handed to a net.Conn)

	laddr, raddr net.Addr
	wdeadline    time.Time
}

var errLoopConn = errors.New("event-loop connection: I/O belongs to the loop")

// Read is never used: the loop reads the descriptor itself.
func (f *fdConn) Read([]byte) (int, error) { return 0, errLoopConn }

// Write is for the few replies sent before a client joins the loop (the
// max-clients and protected-mode refusals): when the socket is full it
// retries every millisecond, up to the write deadline.
func (f *fdConn) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.shut {
		return 0, net.ErrClosed
	}
	deadline := f.wdeadline
	if deadline.IsZero() {
		deadline = time.Now().Add(time.Second)
	}
	total := 0
	for len(b) > 0 {
		n, err := syscall.Write(f.fd, b)
		if n > 0 {
			total += n
			b = b[n:]
			continue
		}
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if time.Now().After(deadline) {
				return total, os.ErrDeadlineExceeded
			}
			time.Sleep(time.Millisecond)
			continue
		}
		return total, err
	}
	return total, nil
}

// Close shuts the socket down; the loop notices and closes it.
func (f *fdConn) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed && !f.shut {
		syscall.Shutdown(f.fd, syscall.SHUT_RDWR)
		f.shut = true
	}
	return nil
}

// release closes the descriptor (loop goroutine only).
func (f *fdConn) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		syscall.Close(f.fd)
		f.closed = true
	}
}

func (f *fdConn) LocalAddr() net.Addr             { return f.laddr }
func (f *fdConn) RemoteAddr() net.Addr            { return f.raddr }
func (f *fdConn) SetDeadline(t time.Time) error   { return f.SetWriteDeadline(t) }
func (f *fdConn) SetReadDeadline(time.Time) error { return nil }
func (f *fdConn) SetWriteDeadline(t time.Time) error {
	f.mu.Lock()
	f.wdeadline = t
	f.mu.Unlock()
	return nil
}

func sockaddrToTCP(sa syscall.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	case *syscall.SockaddrInet6:
		zone := ""
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				zone = ifi.Name
			} else {
				zone = fmt.Sprint(a.ZoneId)
			}
		}
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port, Zone: zone}
	}
	return &net.TCPAddr{}
}

// trimSweep trims the query buffers of the event loop's clients, each at
// most once a second (loop goroutine).
func (l *eventLoop) trimSweep(now time.Time) {
	if now.Sub(l.lastTrim) < resizeEvery {
		return
	}
	l.lastTrim = now
	s := l.s
	s.mu.Lock()
	for _, c := range l.byFD {
		if c != nil && c.qbufCap > minQueryBuffer {
			c.trimQuery(now)
		}
	}
	s.mu.Unlock()
}
