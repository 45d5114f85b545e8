package repl

import (
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// outStream sends one online replica its stream, from its cursor in the
// backlog. Two writers take turns on the socket, never both at once:
//
//   - flush, called once per round of client commands (AfterRound, a
//     server.RoundObserver) or right after a feed from background work,
//     writes what the socket takes without blocking, on the thread that
//     ran the commands, as Redis writes replicas before its event loop
//     sleeps;
//   - a goroutine, given the turn when the socket is full (and for the
//     first line after PSYNC), waits for it to drain with a write timeout.
//
// Why not the goroutine alone: waking it for every command (or round) is a
// futex wake and a thread switch on the master; measured with one replica
// under SET -c 50, that was 0.25 context switches per request against
// Redis's 0.03, and 0.8 µs more CPU per request.
//
// busy is the turn. Whoever releases it checks for pending bytes again
// afterwards, so bytes fed while the other writer held the turn are never
// left behind.
type outStream struct {
	cursor *Cursor
	conn   net.Conn
	raw    syscall.RawConn // nil: the goroutine does all the writing

	busy    atomic.Bool
	kick    chan struct{} // gives the goroutine the turn; buffered, 1
	quit    chan struct{} // closed when the replica goes
	timeout *atomic.Int64 // nanoseconds, for the goroutine's blocking writes (the manager's repl-timeout)
	netOut  *atomic.Int64 // bytes written, for INFO

	// Owned by whoever holds the turn.
	buf  []byte // flush's copy of the pending bytes
	left []byte // bytes flush could not write, for the goroutine
	// handoffs counts turns flush gave the goroutine on a full socket.
	handoffs int64
	// beforeRelease, when set (tests), runs in the goroutine between its
	// last empty read of the cursor and its release of the turn.
	beforeRelease func()
	wbuf          []byte // the raw write's argument
	wn            int
	werr          error
	wfn           func(fd uintptr) bool
}

// outChunk bounds one write: big enough for a round of commands, small
// enough that a socket-full hand-off copies little.
const outChunk = 256 << 10

func newOutStream(c *Cursor, conn net.Conn, timeout, netOut *atomic.Int64) *outStream {
	o := &outStream{cursor: c, conn: conn, kick: make(chan struct{}, 1), quit: make(chan struct{}),
		timeout: timeout, netOut: netOut}
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			o.raw = raw
		}
	}
	// One closure for the stream's life: a fresh one per write would
	// allocate.
	o.wfn = func(fd uintptr) bool {
		for {
			n, err := syscall.Write(int(fd), o.wbuf)
			if err == syscall.EINTR {
				continue
			}
			o.wn, o.werr = max(n, 0), err
			return true // never wait here: a full socket is the goroutine's
		}
	}
	return o
}

// start begins streaming: the goroutine holds the turn first, to write
// first (+CONTINUE after a partial resync) before any stream byte.
//
// Whatever wrote to the connection before (the RDB transfer) may have left
// a write deadline on it: flush's raw writes would fail once it passed
// (RawConn.Write checks it), however healthy the link, so it is cleared.
func (o *outStream) start(first []byte) {
	o.conn.SetWriteDeadline(time.Time{})
	o.busy.Store(true)
	go o.run(first)
}

// stop ends the stream (the replica is gone; its cursor is closed too).
func (o *outStream) stop() { close(o.quit) }

// writeNow writes b without blocking; n is what the socket took.
func (o *outStream) writeNow(b []byte) (int, error) {
	o.wbuf = b
	if err := o.raw.Write(o.wfn); err != nil {
		return 0, err // the connection is closed
	}
	o.wbuf = nil
	return o.wn, o.werr
}

// flush writes the pending bytes without blocking, if the turn is free.
func (o *outStream) flush() {
	if o.raw == nil {
		o.giveTurn()
		return
	}
	for o.busy.CompareAndSwap(false, true) {
		o.buf = o.cursor.Next(o.buf, outChunk)
		if o.buf == nil {
			return // closed: the turn stays taken
		}
		if len(o.buf) == 0 {
			o.busy.Store(false)
			if o.cursor.Pending() > 0 {
				continue
			}
			return
		}
		n, err := o.writeNow(o.buf)
		o.netOut.Add(int64(n))
		if n < len(o.buf) {
			if err != nil && err != syscall.EAGAIN {
				o.conn.Close()
				return
			}
			// The socket is full: the goroutine waits for it to drain.
			o.left = o.buf[n:]
			o.buf = nil
			o.handoffs++
			o.kick <- struct{}{}
			return
		}
		o.busy.Store(false)
	}
}

// giveTurn hands the writing to the goroutine when the turn is free.
func (o *outStream) giveTurn() {
	if o.busy.CompareAndSwap(false, true) {
		o.kick <- struct{}{}
	}
}

// run is the goroutine: it writes while it holds the turn, then waits to
// be given it again.
func (o *outStream) run(first []byte) {
	o.left = first
	var buf []byte
	for {
		if !o.drain(&buf) {
			o.conn.Close()
			return
		}
		if o.beforeRelease != nil {
			o.beforeRelease()
		}
		o.busy.Store(false)
		if o.cursor.Pending() > 0 && o.busy.CompareAndSwap(false, true) {
			continue
		}
		select {
		case <-o.kick:
		case <-o.quit:
			return
		}
	}
}

// drain writes what flush left, then the cursor's bytes until none are
// pending, blocking (with the replication timeout) on a full socket. False
// when the connection or the cursor closed.
func (o *outStream) drain(buf *[]byte) bool {
	// The deadline is cleared after each write: flush's raw writes fail
	// at once on a connection whose deadline has passed.
	write := func(b []byte) bool {
		o.conn.SetWriteDeadline(time.Now().Add(time.Duration(o.timeout.Load())))
		n, err := o.conn.Write(b)
		o.conn.SetWriteDeadline(time.Time{})
		o.netOut.Add(int64(n))
		return err == nil
	}
	if len(o.left) > 0 {
		left := o.left
		o.left = nil
		if !write(left) {
			return false
		}
	}
	for {
		*buf = o.cursor.Next(*buf, outChunk)
		if *buf == nil {
			return false
		}
		if len(*buf) == 0 {
			return true
		}
		if !write(*buf) {
			return false
		}
	}
}

// flushStreams writes every online replica's pending bytes (any thread;
// the server lock may or may not be held).
func (m *Manager) flushStreams() {
	if p := m.streams.Load(); p != nil {
		for _, o := range *p {
			o.flush()
		}
	}
}

// AfterRound implements server.RoundObserver: the round's stream
// goes out once, not once per command.
func (m *Manager) AfterRound() {
	if m.flushDue.Load() && m.flushDue.Swap(false) {
		m.flushStreams()
	}
}

// setStreams publishes the online replicas' streams to flushStreams (lock
// held).
func (m *Manager) setStreams() {
	var list []*outStream
	for _, r := range m.replicas {
		if r.out != nil && !r.closed {
			list = append(list, r.out)
		}
	}
	m.streams.Store(&list)
}
