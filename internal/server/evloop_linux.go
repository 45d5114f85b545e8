//go:build linux

package server

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
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
// (modeLoop). A client that needs to receive data it did not ask for —
// Pub/Sub or MONITOR, a replica — or to wait for CLIENT PAUSE or a socket
// that will not take its replies at once is converted to
// a net.Conn and continues on the goroutine path (client.loop) for the rest
// of its life (connMode has the transitions). Those paths are rare and
// already correct there.
type eventLoop struct {
	s    *Server
	epfd int

	// byFD maps a descriptor to its client. Only the loop's goroutine
	// touches it (it accepts, converts and drops clients itself), so it
	// needs no lock.
	byFD []*client
	// listeners maps a descriptor to its listener. lnMu guards it, and is
	// held while the loop accepts, so that CONFIG SET port (another
	// goroutine) never closes a listener under an accept.
	lnMu      sync.Mutex
	listeners map[int32]net.Listener
	accepted  []*fdConn

	events []syscall.EpollEvent
	ready  []readyClient
	// busyEvents and busyReady serve busyRound (a busy script's yield),
	// which runs inside a round that is using events and ready.
	busyEvents []syscall.EpollEvent
	busyReady  []readyClient

	taskQueue
	// lastTrim is the last sweep over the clients' query buffers.
	lastTrim time.Time
	// wakeR/wakeW is a pipe whose read end is in the epoll set: a byte
	// written wakes the loop for a task.
	wakeR, wakeW int

	// adopted are TLS clients whose handshake ended, for the loop to take
	// (adopt, tlsloop_linux.go); stopped: the loop takes no more.
	adoptMu sync.Mutex
	adopted []*client
	stopped bool

	// woken are blocked loop clients whose block ended, for the loop to
	// serve (srv.mu; evloop_block_linux.go). wokenSpare is the other
	// half of the double buffer.
	woken, wokenSpare []*client
	// parked: the last round left a client blocked (no poll after it).
	parked bool
	// toArm are the clients this round left blocked: their timers start
	// once the round's writes are out (armPending), not before the
	// replicas' stream a WAIT waits on.
	toArm []*client
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

// errNoLoop: the listener cannot be served by the event loop.
var errNoLoop = errors.New("listener without a descriptor")

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
	l.lnMu.Lock()
	defer l.lnMu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return err
	}
	l.listeners[int32(fd)] = ln
	return nil
}

// removeListener takes a listener out of the epoll set and closes it (any
// goroutine); false if the loop does not serve it.
func (l *eventLoop) removeListener(ln net.Listener) bool {
	l.lnMu.Lock()
	defer l.lnMu.Unlock()
	for fd, x := range l.listeners {
		if x == ln {
			syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
			delete(l.listeners, fd)
			ln.Close()
			return true
		}
	}
	return false
}

// accept takes every pending connection of a ready listener (lfd: an
// event's descriptor that is no client's; nothing if it is no listener
// either, as after a CONFIG SET port closed it).
func (l *eventLoop) accept(lfd int32) {
	l.lnMu.Lock()
	ln := l.listeners[lfd]
	if ln != nil {
		l.acceptLocked(lfd, ln)
	}
	l.lnMu.Unlock()
	// Admitted without lnMu: admission takes srv.mu, which CONFIG SET
	// port holds while it takes lnMu.
	for i, fc := range l.accepted {
		l.s.serveFD(fc, l)
		l.accepted[i] = nil
	}
	l.accepted = l.accepted[:0]
}

// acceptLocked accepts into l.accepted (lnMu held).
func (l *eventLoop) acceptLocked(lfd int32, ln net.Listener) {
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
		l.accepted = append(l.accepted, fc)
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
			// No poll after a round that left a client blocked: what it
			// waits for (a replica's ACK, another client's push) is a
			// round trip through other processes, which need the CPU
			// a poll would keep busy.
			if poll && !l.parked {
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
		l.parked = false
		for i := 0; i < n; i++ {
			fd := l.events[i].Fd
			if int(fd) < len(l.byFD) && l.byFD[fd] != nil {
				c := l.byFD[fd]
				l.serve(c)
				// A replica's ACK is no sign of dense client traffic: a
				// poll after it would only wait for the next one.
				served = served || !c.loopDetached
			} else if int(fd) == l.wakeR {
				l.drainWake()
				l.takeAdopted()
			} else {
				l.accept(fd)
			}
		}
		s.endRound(len(l.ready) > 0)
		if len(l.ready) > 0 {
			for i := range l.ready {
				l.finish(&l.ready[i])
				l.ready[i] = readyClient{}
			}
		}
		l.armPending()
		// Blocked clients this round served (or another goroutine did,
		// and woke us): their replies now, as Redis answers a client it
		// unblocked before it sleeps again.
		l.serveWoken()
		// After the round's replies are written: a client given output by
		// another (an invalidation) moves to a writer goroutine, with no
		// reply of its own still in the loop's hands.
		if s.pushPending.Load() {
			s.movePushTargets()
		}
		l.runTasks(served)
		// And what the tasks pushed (a background eviction's
		// invalidations), before the next round is read, as Redis
		// writes replies before it reads again: maxmemory counts pending
		// replies, and must not evict again for these.
		if s.pushPending.Load() {
			s.movePushTargets()
		}
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
	var n int
	var err error
	if fc.tls != nil {
		n, err = readTLS(c, fc.tls)
		if n > 0 && err != nil {
			fc.tls.rerr = err // after the input taken has run
		}
		if err == errWouldBlock {
			err = syscall.EAGAIN
		}
	} else {
		n, err = readFD(fc.fd, c.rd.Space())
		if n > 0 {
			c.rd.Advance(n)
		}
	}
	if n > 0 {
		s.stats.netIn.Add(int64(n))
	} else if err == syscall.EAGAIN {
		if fc.tls != nil && len(fc.tls.tr.out) > 0 {
			// crypto/tls answered a post-handshake message.
			l.ready = append(l.ready, readyClient{c: c})
		}
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
	l.runClient(c)
}

// runClient runs what a loop client has buffered and queues its replies
// for the round's end (or hands it to the goroutine path when it must
// leave the loop). A client that blocked stays, with its timeout armed.
func (l *eventLoop) runClient(c *client) {
	s := l.s
	fc := c.conn.(*fdConn)
	out, end := c.runBuffered()
	closeAfter := end == batchClose
	if fc.tls != nil && fc.tls.rerr != nil {
		// The read that brought this input also failed: closed once its
		// replies are out.
		s.mu.Lock()
		c.noteClose(readCloseReason(fc.tls.rerr))
		s.mu.Unlock()
		closeAfter = true
	}
	if c.mode != modeLoop {
		if c.loopDetached {
			// A replica: no replies (they are discarded), only a close.
			if closeAfter {
				l.drop(c, CloseQuit)
			}
			return
		}
		s.handOff(c, out, closeAfter)
		return
	}
	if len(out) > 0 || closeAfter || (fc.tls != nil && len(fc.tls.tr.out) > 0) {
		l.ready = append(l.ready, readyClient{c: c, out: out, closeAfter: closeAfter})
	}
	if c.blocked && !closeAfter {
		l.parked = true
		l.toArm = append(l.toArm, c)
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
	if fc.tls != nil {
		// The replies leave as records; the statistics count them as
		// written, as Redis counts what SSL_write took.
		s.stats.netOut.Add(int64(len(b)))
		var err error
		if b, err = sealTLS(fc.tls, b); err != nil {
			l.drop(c, CloseWriteError)
			return
		}
	}
	for len(b) > 0 {
		n, err := syscall.Write(fc.fd, b)
		if n > 0 {
			if fc.tls == nil {
				s.stats.netOut.Add(int64(n))
			}
			b = b[n:]
			continue
		}
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			var plain []byte
			if fc.tls != nil {
				sentTLS(fc.tls, b) // written by the goroutine first
			} else {
				plain = b
			}
			s.mu.Lock()
			cerr := l.convert(c)
			s.mu.Unlock()
			if cerr != nil {
				l.drop(c, CloseInternalError)
				return
			}
			s.handOff(c, plain, r.closeAfter)
			return
		}
		l.drop(c, CloseWriteError)
		return
	}
	if fc.tls != nil {
		sentTLS(fc.tls, nil)
	}
	if r.closeAfter {
		l.drop(c, CloseQuit) // the batch noted its cause
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
	// A blocked client's timeout is the goroutine path's from now on.
	c.stopBlockTimer()
	f := os.NewFile(uintptr(fc.fd), "client")
	gc, err := net.FileConn(f)
	f.Close() // the duplicate lives on in gc
	fc.closed = true
	if err != nil {
		c.closeFor(CloseInternalError)
		l.s.log.Warningf("Moving client %s off the event loop: %v", c.addr, err)
		return err
	}
	if fc.tls != nil {
		c.conn = leaveLoopTLS(fc, gc)
	} else {
		c.conn = gc
	}
	c.mode = modeConn
	return nil
}

// drop closes a loop client and forgets it, for why (unless an earlier
// cause was noted). A client no longer on the loop (converted, or dropped
// already) is left alone.
func (l *eventLoop) drop(c *client, why CloseReason) {
	if c.mode != modeLoop && !(c.mode == modeDetached && c.loopDetached) {
		return
	}
	fc := c.conn.(*fdConn)
	syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, fc.fd, nil)
	l.forget(fc.fd)
	if c.blockTimer != nil {
		l.s.mu.Lock()
		c.stopBlockTimer()
		l.s.mu.Unlock()
	}
	if fc.tls != nil {
		goodbyeTLS(fc)
	}
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
	l.stopAdopting()
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
		c.flushHandedTLS()
		s.runConn(c, out, closeAfter)
	}()
}

// trimSweep trims the query buffers of the event loop's clients, as often
// as the cron looks at the others' (resizePeriod; loop goroutine).
func (l *eventLoop) trimSweep(now time.Time) {
	period := time.Duration(l.s.resizeEvery.Load())
	if period <= 0 {
		period = resizeEvery
	}
	if now.Sub(l.lastTrim) < period {
		return
	}
	l.lastTrim = now
	s := l.s
	s.mu.Lock()
	for _, c := range l.byFD {
		if c != nil && c.qbufCap > 0 {
			c.trimQuery(now)
		}
	}
	s.mu.Unlock()
}

// busyRound serves, without waiting, the loop clients that have input
// while a busy script runs on the loop's goroutine (Server.Yield; srv.mu
// not held), and writes their replies at once. skip is the script's own
// client. New connections are accepted; tasks wait for the loop's next
// real round.
func (l *eventLoop) busyRound(skip *client) {
	if len(l.busyEvents) == 0 {
		l.busyEvents = make([]syscall.EpollEvent, 64)
	}
	n, err := syscall.EpollWait(l.epfd, l.busyEvents, 0)
	if err != nil {
		n = 0
	}
	if n == 0 && len(l.ready) == 0 {
		time.Sleep(busyPause)
		return
	}
	outer := l.ready
	l.ready = l.busyReady[:0]
	// Clients served earlier in the round this script interrupted have
	// their replies in outer: they go out now, or those clients would
	// wait for the script's end (a PING sent just before a busy EVAL got
	// no answer until SCRIPT KILL).
	l.ready = append(l.ready, outer...)
	for i := range outer {
		outer[i] = readyClient{}
	}
	outer = outer[:0]
	for i := 0; i < n; i++ {
		fd := l.busyEvents[i].Fd
		if int(fd) < len(l.byFD) && l.byFD[fd] != nil && l.byFD[fd] != skip {
			l.serve(l.byFD[fd])
		} else if int(fd) != l.wakeR {
			// New clients are admitted too, as Redis accepts them while a
			// script is busy: their commands get BUSY at the next round
			// instead of no answer until the script ends.
			l.accept(fd)
		}
	}
	l.s.endRound(len(l.ready) > 0)
	for i := range l.ready {
		l.finish(&l.ready[i])
		l.ready[i] = readyClient{}
	}
	l.busyReady = l.ready[:0]
	l.ready = outer
}
