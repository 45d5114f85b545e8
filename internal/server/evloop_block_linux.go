//go:build linux

package server

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Blocked clients on the event loop. A loop client whose command blocks
// (BLPOP, XREAD BLOCK, WAIT, SHUTDOWN waiting for its replicas) stays on
// the loop, as in Redis: the loop keeps reading what it sends (that is how
// a client that goes away is noticed, and its query buffer stays held to
// its limit) but runs none of it until the block ends. Whoever ends the
// block — a command on the loop, a replica's ACK on its goroutine, the
// block's timer — writes the reply into the client's buffer and wakes it
// (client.Wake), which queues it here; the loop then runs what the client
// sent meanwhile and writes everything in one round.
//
// Why: a blocked client used to leave the loop for the goroutine path, and
// a WAIT then cost a goroutine that read in the background, a timer, a
// read deadline and three goroutine switches per call, about 20 µs of
// WAIT's round trip more than Redis's (bench/run.sh wait).

// keepsBlocked reports whether a loop client that blocked stays on the
// loop (srv.mu held). TLS clients leave it, as before: their reads while
// blocked go through crypto/tls's own buffering.
func (l *eventLoop) keepsBlocked(c *client) bool {
	if l == nil {
		return false
	}
	fc, ok := c.conn.(*fdConn)
	return ok && fc.tls == nil
}

// queueWoken queues a loop client whose block ended (srv.mu held), and
// wakes the loop unless the loop itself is the caller: then it serves the
// queue before it waits again.
func (l *eventLoop) queueWoken(c *client) {
	if l == nil || c.loopWoken {
		return
	}
	c.loopWoken = true
	l.woken = append(l.woken, c)
	if r := l.s.running; r == nil || !(r.mode == modeLoop || r.loopDetached) {
		l.wake()
	}
}

// serveWoken runs the queued clients (loop goroutine): their replies, and
// what they sent while blocked. Serving one may wake another (a pipelined
// LPUSH after a BLPOP that was served), so it goes on until none is queued.
func (l *eventLoop) serveWoken() {
	s := l.s
	for {
		s.mu.Lock()
		list := l.woken
		l.woken = l.wokenSpare[:0]
		l.wokenSpare = list
		for _, c := range list {
			c.loopWoken = false
			if c.mode == modeLoop {
				c.stopBlockTimer()
			}
		}
		s.mu.Unlock()
		if len(list) == 0 {
			return
		}
		l.ready = l.ready[:0]
		for i, c := range list {
			list[i] = nil
			if c.mode == modeLoop { // dropped or converted meanwhile: not ours
				l.runWoken(c)
			}
		}
		s.endRound(len(l.ready) > 0)
		for i := range l.ready {
			l.finish(&l.ready[i])
			l.ready[i] = readyClient{}
		}
		l.ready = l.ready[:0]
		l.armPending()
		if s.pushPending.Load() {
			s.movePushTargets()
		}
	}
}

// runWoken is serve without the read, with serve's panic guard.
func (l *eventLoop) runWoken(c *client) {
	defer func() {
		if r := recover(); r != nil {
			l.s.recoverPanicValue(c, r)
			l.drop(c, CloseInternalError)
		}
	}()
	l.runClient(c)
}

// armPending arms the block timers of the clients the round left blocked
// (loop goroutine), after the round's writes: a WAIT's replicas get the
// stream and the GETACK first. A client dropped or moved off the loop
// since has nothing to arm; one whose block already ended is in the woken
// list, whose serving stops the timer.
func (l *eventLoop) armPending() {
	for i, c := range l.toArm {
		l.toArm[i] = nil
		if c.mode == modeLoop && c.blocked {
			l.armBlockTimer(c)
		}
	}
	l.toArm = l.toArm[:0]
}

// armBlockTimer starts the timer that times a loop client's block out
// (loop goroutine), unless the block has no deadline or its timer runs
// already. A timer left from an earlier block (served, and the client
// blocked again before the loop took it off the woken list) is replaced.
func (l *eventLoop) armBlockTimer(c *client) {
	if c.blockTimer != nil && c.timerDeadline.Equal(c.blockDeadline) {
		return
	}
	s := l.s
	s.mu.Lock()
	c.stopBlockTimer()
	if c.blockDeadline.IsZero() {
		s.mu.Unlock()
		return
	}
	c.blockGen++
	gen := c.blockGen
	s.mu.Unlock()
	c.timerDeadline = c.blockDeadline
	c.blockTimer = time.AfterFunc(time.Until(c.blockDeadline), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if c.blockGen != gen || c.mode != modeLoop || c.closing {
			return // stopped, or no longer the loop's
		}
		if s.eng.TimeoutBlocked(&c.sess) {
			c.Wake()
		}
	})
}

// stopBlockTimer cancels a loop client's block timer (srv.mu held, loop
// goroutine): a firing that already waits for the lock finds the
// generation changed and does nothing.
func (c *client) stopBlockTimer() {
	if c.blockTimer == nil {
		return
	}
	c.blockTimer.Stop()
	c.blockTimer = nil
	c.blockGen++
}

// detachOnLoop makes a plain loop client a replica whose socket the loop
// keeps reading (srv.mu held, loop goroutine: PSYNC runs there). It
// returns the connection replication writes on, over a duplicate of the
// descriptor (so that the loop closing its own never leaves replication
// writing to a reused number), or nil when the client must leave the loop
// instead (TLS, or no duplicate).
//
// Why: a replica's REPLCONF ACK then ends a WAIT on the loop's own
// goroutine, which answers the waiting client in the same round, as Redis
// does, instead of through a reader goroutine and a wake-up of the loop.
// The duplicate stays out of Go's poller for the same reason: there every
// ACK would also wake the runtime's poller thread, for nothing.
func (l *eventLoop) detachOnLoop(c *client) net.Conn {
	if l == nil {
		return nil
	}
	fc, ok := c.conn.(*fdConn)
	if !ok || fc.tls != nil {
		return nil
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.shut || fc.closed {
		return nil
	}
	dup, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fc.fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return nil
	}
	c.loopDetached = true
	return &loopReplicaConn{fd: int(dup), fc: fc}
}

// loopReplicaConn is the writing side of a replica the loop reads: raw
// writes on a duplicate descriptor (non-blocking, as the loop's), waiting
// for room with poll(2) up to the write deadline. Closing it ends the
// connection, not only the descriptor: it shuts the socket down, so the
// loop reads EOF and drops the client itself.
type loopReplicaConn struct {
	fd int
	fc *fdConn

	mu        sync.Mutex // guards closed and deadline
	closed    bool
	deadline  time.Time
	closeOnce sync.Once
}

func (r *loopReplicaConn) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := syscall.Write(r.fd, b[done:])
		if n > 0 {
			done += n
			continue
		}
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if err := r.waitWritable(); err != nil {
				return done, err
			}
			continue
		case nil:
			return done, io.ErrShortWrite
		}
		return done, err
	}
	return done, nil
}

// waitWritable waits for room in the socket's buffer, up to the deadline.
func (r *loopReplicaConn) waitWritable() error {
	for {
		r.mu.Lock()
		closed, dl := r.closed, r.deadline
		r.mu.Unlock()
		if closed {
			return net.ErrClosed
		}
		// In slices of at most 100 ms, so a Close or a new deadline is
		// seen soon.
		wait := 100 * time.Millisecond
		if !dl.IsZero() {
			left := time.Until(dl)
			if left <= 0 {
				return os.ErrDeadlineExceeded
			}
			wait = min(wait, left)
		}
		fds := []pollFD{{fd: int32(r.fd), events: pollOut}}
		// ppoll, not poll: linux/arm64 has no poll system call.
		ts := syscall.NsecToTimespec(int64(wait + time.Millisecond))
		n, _, errno := syscall.Syscall6(syscall.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), 1, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		if errno != 0 && errno != syscall.EINTR {
			return errno
		}
		if n > 0 {
			return nil // writable, or an error the next write reports
		}
	}
}

// pollFD is struct pollfd.
type pollFD struct {
	fd      int32
	events  int16
	revents int16
}

const pollOut = 0x4

func (r *loopReplicaConn) Read([]byte) (int, error) { return 0, errLoopConn }

func (r *loopReplicaConn) Close() error {
	r.fc.Close()
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		syscall.Close(r.fd)
	})
	return nil
}

func (r *loopReplicaConn) LocalAddr() net.Addr  { return r.fc.laddr }
func (r *loopReplicaConn) RemoteAddr() net.Addr { return r.fc.raddr }

func (r *loopReplicaConn) SetDeadline(t time.Time) error { return r.SetWriteDeadline(t) }

func (r *loopReplicaConn) SetReadDeadline(time.Time) error { return nil }

func (r *loopReplicaConn) SetWriteDeadline(t time.Time) error {
	r.mu.Lock()
	r.deadline = t
	r.mu.Unlock()
	return nil
}

// SyscallConn lets the replica's stream write without blocking (repl's
// outStream), on the descriptor itself.
func (r *loopReplicaConn) SyscallConn() (syscall.RawConn, error) { return loopReplicaRaw{r}, nil }

// loopReplicaRaw is loopReplicaConn's syscall.RawConn.
type loopReplicaRaw struct{ r *loopReplicaConn }

func (x loopReplicaRaw) Control(f func(fd uintptr)) error {
	x.r.mu.Lock()
	defer x.r.mu.Unlock()
	if x.r.closed {
		return net.ErrClosed
	}
	f(uintptr(x.r.fd))
	return nil
}

func (x loopReplicaRaw) Read(func(fd uintptr) bool) error { return errLoopConn }

// Write calls f until it reports done, waiting for room between calls.
func (x loopReplicaRaw) Write(f func(fd uintptr) bool) error {
	for {
		x.r.mu.Lock()
		closed := x.r.closed
		x.r.mu.Unlock()
		if closed {
			return net.ErrClosed
		}
		if f(uintptr(x.r.fd)) {
			return nil
		}
		if err := x.r.waitWritable(); err != nil {
			return err
		}
	}
}
