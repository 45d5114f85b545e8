//go:build linux

package server

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tandemdb/tandem/internal/tlsconf"
)

// TLS clients on the event loop. The handshake runs on a goroutine of its
// own (tls.go, bounded by tlsHandshakeTimeout); the established connection
// then joins the loop like a plain client, and its tls.Conn does the record
// layer over a tlsTransport that the loop drives:
//
//   - reading: epoll reports the socket ready, the loop calls
//     tls.Conn.Read until it has taken every record available, and the
//     transport under it issues the socket reads, non-blocking. When the
//     socket is drained the transport returns errWouldBlock, which
//     crypto/tls passes up without making it sticky (readRecordOrCCS keeps
//     a partial record in its buffer and records an error only when it is
//     not Temporary: verified in Go 1.26's crypto/tls/conn.go), so the next
//     round resumes the record where it stopped;
//   - writing: the round's replies go through tls.Conn.Write, whose records
//     the transport appends to a buffer, and the loop writes that buffer
//     with its usual non-blocking writes: one system call for all of a
//     batch's replies, in as few records as crypto/tls makes (16 KB each).
//     Post-handshake messages that crypto/tls answers while reading (a TLS
//     1.3 KeyUpdate asking for ours) go out the same way.
//
// A TLS loop client leaves the loop exactly when a plain one would
// (connMode): the transport then delegates to a net.Conn made from the
// socket, after sending first what the loop had encrypted but the socket
// had not taken. The tls.Conn, its keys and its buffered input go along,
// so nothing is lost or sent twice. Only one goroutine ever uses the
// tls.Conn on the loop: the loop's (or, before the client joins it, the
// handshake's); a CLIENT KILL from elsewhere shuts the socket's reading
// side down, and the loop, reading EOF, sends close_notify and closes it.
//
// Measured with bench/run.sh tls: see README's TLS section.

// errWouldBlock is the transport's "nothing more to read now". crypto/tls
// keeps going after an error whose Temporary() is true: it must say so.
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "tls transport: would block" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

// tlsReadsPerServe bounds the socket reads one serve of a TLS client
// makes: a read that fills the room crypto/tls gave it may leave more
// behind, so another is allowed, up to this many (a plain client gets
// one read per round; a TLS record buffer is smaller than its buffer).
const tlsReadsPerServe = 8

// tlsTransport is the connection a TLS client's tls.Conn reads and writes.
// With nc set (the handshake, and after the client leaves the loop) it
// delegates to nc. Without (on the loop) it reads fd when the loop allows
// (reads) and collects writes in out for the loop to send.
type tlsTransport struct {
	nc net.Conn
	fd int
	// reads is how many more socket reads the current serve may make.
	reads int
	// outMu guards out once the client is off the loop (a writer
	// goroutine and the handed-off connection goroutine may both write).
	outMu sync.Mutex
	// out is ciphertext not written yet: on the loop, the round's
	// records; after the loop, what it could not write, sent before
	// anything else.
	out []byte
	// collect: off the loop, writes go to out too (writeOrHoldTLS).
	collect bool
}

var _ net.Conn = (*tlsTransport)(nil)

// newTLSTransport wraps a TLS listener's connection for its handshake.
func newTLSTransport(raw net.Conn) net.Conn { return &tlsTransport{nc: raw, fd: -1} }

func (t *tlsTransport) Read(p []byte) (int, error) {
	if t.nc != nil {
		return t.nc.Read(p)
	}
	if t.reads <= 0 {
		return 0, errWouldBlock
	}
	n, err := readFD(t.fd, p)
	switch {
	case n == len(p):
		t.reads-- // the socket may hold more
	case n > 0:
		t.reads = 0 // drained: the next read would be EAGAIN
	case err == syscall.EAGAIN:
		t.reads = 0
		return 0, errWouldBlock
	default:
		return 0, err // io.EOF, a reset, …
	}
	return n, nil
}

func (t *tlsTransport) Write(p []byte) (int, error) {
	if t.nc == nil {
		t.out = append(t.out, p...)
		return len(p), nil
	}
	t.outMu.Lock()
	if t.collect {
		t.out = append(t.out, p...)
		t.outMu.Unlock()
		return len(p), nil
	}
	t.outMu.Unlock()
	if err := t.flushPending(); err != nil {
		return 0, err
	}
	return t.nc.Write(p)
}

// flushPending writes, blocking, what the loop left unsent (off the loop).
func (t *tlsTransport) flushPending() error {
	t.outMu.Lock()
	defer t.outMu.Unlock()
	for len(t.out) > 0 {
		n, err := t.nc.Write(t.out)
		t.out = t.out[n:]
		if err != nil {
			return err
		}
	}
	t.out = nil
	return nil
}

// pending is how much ciphertext waits in out.
func (t *tlsTransport) pending() int {
	t.outMu.Lock()
	defer t.outMu.Unlock()
	return len(t.out)
}

// Close closes the delegate; on the loop the descriptor is the fdConn's,
// which the loop closes.
func (t *tlsTransport) Close() error {
	if t.nc != nil {
		return t.nc.Close()
	}
	return nil
}

func (t *tlsTransport) LocalAddr() net.Addr {
	if t.nc != nil {
		return t.nc.LocalAddr()
	}
	return nil
}

func (t *tlsTransport) RemoteAddr() net.Addr {
	if t.nc != nil {
		return t.nc.RemoteAddr()
	}
	return nil
}

func (t *tlsTransport) SetDeadline(d time.Time) error {
	if t.nc != nil {
		return t.nc.SetDeadline(d)
	}
	return nil
}

func (t *tlsTransport) SetReadDeadline(d time.Time) error {
	if t.nc != nil {
		return t.nc.SetReadDeadline(d)
	}
	return nil
}

func (t *tlsTransport) SetWriteDeadline(d time.Time) error {
	if t.nc != nil {
		return t.nc.SetWriteDeadline(d)
	}
	return nil
}

// loopTLS is a TLS loop client's record layer (fdConn.tls).
type loopTLS struct {
	conn *tls.Conn
	tr   *tlsTransport
	// rerr is a read failure met after some input was taken: the input
	// runs first, then the client is closed for it.
	rerr error
	// bufs is conn's record buffers as of the last read, and room the
	// capacity of tr.out as of the last write: set by the loop, read
	// for the client's memory by any goroutine under srv.mu (tlsMem).
	bufs, room atomic.Int64
}

// maxIdleTLSOut is the most ciphertext buffer a loop client keeps
// between rounds; a bigger one (a big reply's) is given back.
const maxIdleTLSOut = 64 * 1024

// adoptTLS hands a TLS connection whose handshake is done to the event
// loop, and reports whether it did (false: the caller serves it on the
// goroutine path). Called on the handshake's goroutine.
func (s *Server) adoptTLS(conn *tls.Conn, tr net.Conn) bool {
	l := s.loop
	t, ok := tr.(*tlsTransport)
	if l == nil || !ok || !l.canWake() || t.nc == nil {
		return false
	}
	raw := t.nc
	fd, err := dupFD(raw)
	if err != nil {
		s.log.Warningf("Moving TLS client %s to the event loop: %v", raw.RemoteAddr(), err)
		return false
	}
	fc := &fdConn{fd: fd, laddr: raw.LocalAddr(), raddr: raw.RemoteAddr()}
	raw.Close() // the duplicate keeps the socket
	t.nc, t.fd = nil, fd
	fc.tls = &loopTLS{conn: conn, tr: t}
	fc.tls.bufs.Store(tlsconf.RecordBufs(conn))
	c := s.newClient(fc, modeLoop)
	if !s.register(c) {
		fc.release()
		return true
	}
	if !l.adopt(c) {
		fc.release()
		s.dropClient(c, CloseShutdown)
	}
	return true
}

// dupFD duplicates a connection's socket (close-on-exec, and
// non-blocking like Go's own descriptor, whose flags it shares).
func dupFD(nc net.Conn) (int, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return -1, errNoLoop
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	cerr := rc.Control(func(f uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, f, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = e
			return
		}
		fd = int(r)
	})
	if cerr != nil {
		return -1, cerr
	}
	if derr != nil {
		return -1, derr
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// adopt queues a client for the loop to take into its epoll set (any
// goroutine); false once the loop has stopped.
func (l *eventLoop) adopt(c *client) bool {
	l.adoptMu.Lock()
	if l.stopped {
		l.adoptMu.Unlock()
		return false
	}
	l.adopted = append(l.adopted, c)
	l.adoptMu.Unlock()
	l.wake()
	return true
}

// takeAdopted puts the queued clients in the epoll set and serves each
// once at once: the handshake may have read, along with its last
// message, records of the client's first commands, which no epoll event
// will announce (loop goroutine).
func (l *eventLoop) takeAdopted() {
	l.adoptMu.Lock()
	cs := l.adopted
	l.adopted = nil
	l.adoptMu.Unlock()
	for _, c := range cs {
		fc := c.conn.(*fdConn)
		for fc.fd >= len(l.byFD) {
			l.byFD = append(l.byFD, nil)
		}
		l.byFD[fc.fd] = c
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fc.fd)}
		if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fc.fd, &ev); err != nil {
			l.s.log.Warningf("Registering client connection: %v", err)
			l.drop(c, CloseInternalError)
			continue
		}
		l.serve(c)
	}
}

// stopAdopting refuses further adoptions and drops the clients still
// queued (the loop is stopping).
func (l *eventLoop) stopAdopting() {
	l.adoptMu.Lock()
	l.stopped = true
	cs := l.adopted
	l.adopted = nil
	l.adoptMu.Unlock()
	for _, c := range cs {
		l.drop(c, CloseShutdown)
	}
}

// readTLS takes what a ready TLS client sent: every record the socket
// holds, decrypted into the query buffer. n is the plaintext taken; err is
// errWouldBlock when there was nothing, or the failure that ends the
// connection (the caller runs the input taken first, if any).
func readTLS(c *client, lt *loopTLS) (n int, err error) {
	lt.tr.reads = tlsReadsPerServe
	defer func() { lt.bufs.Store(tlsconf.RecordBufs(lt.conn)) }()
	for {
		m, rerr := lt.conn.Read(c.rd.Space())
		if m > 0 {
			c.rd.Advance(m)
			n += m
		}
		if rerr != nil {
			if rerr == errWouldBlock && n > 0 {
				return n, nil
			}
			return n, rerr
		}
	}
}

// sealTLS encrypts a round's replies into the transport's buffer and
// returns all the ciphertext to write (loop goroutine).
func sealTLS(lt *loopTLS, out []byte) ([]byte, error) {
	if len(out) > 0 {
		if _, err := lt.conn.Write(out); err != nil {
			return nil, err
		}
	}
	return lt.tr.out, nil
}

// sentTLS records that the loop wrote the transport's buffer up to rest
// (rest: what the socket did not take, kept for the goroutine path).
func sentTLS(lt *loopTLS, rest []byte) {
	defer func() { lt.room.Store(int64(cap(lt.tr.out))) }()
	if len(rest) > 0 {
		lt.tr.out = append(lt.tr.out[:0], rest...)
		return
	}
	if cap(lt.tr.out) > maxIdleTLSOut {
		lt.tr.out = nil
	} else {
		lt.tr.out = lt.tr.out[:0]
	}
}

// loopTLSMem is tlsMem for a TLS client on the loop: its record buffers
// and its ciphertext buffer's room (srv.mu held; zeros for any other
// connection).
func loopTLSMem(nc net.Conn) (bufs, room int64) {
	fc, ok := nc.(*fdConn)
	if !ok || fc.tls == nil {
		return 0, 0
	}
	return fc.tls.bufs.Load(), fc.tls.room.Load()
}

// goodbyeTLS sends close_notify, without waiting, before the loop closes
// a TLS client's socket, as Redis's SSL_shutdown does (loop goroutine).
func goodbyeTLS(fc *fdConn) {
	lt := fc.tls
	lt.tr.out = lt.tr.out[:0]
	lt.conn.Close() // the alert into out; the transport does not close fd
	if len(lt.tr.out) > 0 {
		syscall.Write(fc.fd, lt.tr.out)
	}
	lt.tr.out = nil
}

// leaveLoopTLS makes a TLS loop client's connection a blocking one over
// gc (convert): the same tls.Conn, its transport now delegating to gc.
func leaveLoopTLS(fc *fdConn, gc net.Conn) net.Conn {
	fc.tls.tr.nc = gc
	return tlsconf.NewConn(fc.tls.conn, fc.tls.tr)
}

// flushHandedTLS sends what the loop encrypted for a TLS client but could
// not write, before the client's goroutine writes anything else; counted
// as unsent output meanwhile, so the output limits see it (the goroutine
// that owns the client's I/O, srv.mu not held).
func (c *client) flushHandedTLS() {
	tc, ok := c.conn.(*tlsconf.Conn)
	if !ok {
		return
	}
	t, ok := tc.Raw().(*tlsTransport)
	if !ok || t.pending() == 0 {
		return
	}
	c.writeMu.Lock()
	c.unsent.Store(int64(t.pending()))
	err := t.flushPending()
	c.unsent.Store(0)
	c.writeMu.Unlock()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		c.srv.mu.Lock()
		c.noteClose(CloseWriteError)
		c.srv.mu.Unlock()
		c.conn.Close()
	}
}

// writeOrHoldTLS is writeOrHold for a TLS client off the loop (its
// connection goroutine, srv.mu not held): the replies are encrypted whole
// first, then the records are given holdWait to leave; what the socket
// did not take stays with the transport, and the client continues with a
// writer goroutine that sends it first (flushHandedTLS) while its
// connection goes on being read, so its output limit applies as Redis's
// does. The deadline is on the socket under the record layer, never on
// the tls.Conn, whose state a timed-out write would break. ok false: not
// a connection this applies to.
func (c *client) writeOrHoldTLS(out []byte) (ok bool, err error) {
	tc, isTLS := c.conn.(*tlsconf.Conn)
	if !isTLS {
		return false, nil
	}
	t, isTr := tc.Raw().(*tlsTransport)
	if !isTr || t.nc == nil {
		return false, nil
	}
	s := c.srv
	c.writeMu.Lock()
	t.outMu.Lock()
	t.collect = true
	t.outMu.Unlock()
	_, err = tc.Conn.Write(out)
	t.outMu.Lock()
	t.collect = false
	c.unsent.Store(int64(len(t.out)))
	t.nc.SetWriteDeadline(time.Now().Add(holdWait))
	for err == nil && len(t.out) > 0 {
		var n int
		n, err = t.nc.Write(t.out)
		t.out = t.out[n:]
	}
	t.nc.SetWriteDeadline(time.Time{})
	rest := len(t.out)
	t.outMu.Unlock()
	c.unsent.Store(0)
	c.writeMu.Unlock()
	s.stats.netOut.Add(int64(len(out)))
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		s.mu.Lock()
		c.noteClose(CloseWriteError)
		s.mu.Unlock()
		c.conn.Close()
		return true, err
	}
	if !c.holdHandedOutput(nil) {
		// Not to be held after all (closing, a stream): sent now.
		c.unsent.Store(int64(rest))
		ferr := t.flushPending()
		c.unsent.Store(0)
		return true, ferr
	}
	return true, nil
}
