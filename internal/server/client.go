package server

import (
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tandemdb/tandem/internal/acl"
	"github.com/tandemdb/tandem/internal/command"
	"github.com/tandemdb/tandem/internal/resp"
)

// client is one connection. Whoever reads its socket (the event loop, or
// the connection's own goroutine: see mode) parses and runs its commands in
// batches; replies accumulate in sess.W (always appended under the server
// lock) and are written once per batch. A client that can receive data it
// did not ask for (Pub/Sub, MONITOR) gets a writer goroutine instead, so
// pushes from other clients never wait on its socket.
type client struct {
	srv *Server
	// user is the ACL user the client is authenticated as (srv.mu).
	user *acl.User
	trk  trackingState // CLIENT TRACKING (tracking.go)
	// writeMu serializes whole writes to conn (see client.write).
	writeMu sync.Mutex
	// pushQueued: the client is in Server.pushTargets.
	pushQueued bool
	conn       net.Conn
	rd         *resp.Reader
	w          resp.Writer
	spare      []byte
	sess       command.Session

	addr, laddr string
	unix        bool // a Unix-socket client
	created     time.Time
	lastIO      time.Time // guarded by srv.mu

	// mode is who does the socket's I/O (see connMode). Written under
	// srv.mu only; the goroutine that does a client's I/O may read it
	// without the lock (no one else writes it meanwhile).
	mode connMode
	kick chan struct{} // wakes the writer goroutine (modeAsync)
	wake chan struct{} // wakes a blocked reader
	// closing: the connection is to be closed now; its commands stop and
	// pushes are refused (srv.mu).
	closing bool
	// closeReason is why the connection ends, once known: set with closing,
	// or before it when the close waits for the replies (QUIT) or the
	// connection's goroutine meets a failure (srv.mu; see CloseReason).
	closeReason CloseReason
	// obufSoftSince is when the output first went over the soft limit.
	obufSoftSince time.Time
	// unsent is how much of the replies handed to write the socket has
	// not taken yet: with the reply buffer, the output that
	// client-output-buffer-limit measures (read by the cron under srv.mu).
	unsent atomic.Int64
	// replySize is the reply buffers' size, replyPeak the most a batch's
	// replies took since replyPeakAt; lastResize is the cron's last look
	// at the buffers (buffers.go; srv.mu).
	replySize, replyPeak int
	// streamed counts the bytes of the current streamed reply
	// (streamSlice), held to the hard output limit as a whole.
	streamed                int64
	replyPeakAt, lastResize time.Time
	// trimReq asks the connection goroutine to trim its query buffer (the
	// cron set a read deadline in the past to wake it).
	trimReq atomic.Bool
	libName string
	libVer  string

	// writerDone is closed when the writer goroutine exits (nil until
	// the client goes async).
	writerDone chan struct{}
	// readingBehind: a reader feeds the query buffer behind a blocked
	// write (readbehind.go; srv.mu).
	readingBehind bool
	// raw, rawWrite, rawOut, rawN and rawErr are tryWrite's non-blocking
	// write on a plain socket (trywrite_linux.go; under writeMu).
	raw      syscall.RawConn
	rawWrite func(fd uintptr) bool
	rawOut   []byte
	rawN     int
	rawErr   error
	// drained is signalled by the writer goroutine after each write, for
	// a reader that waits for its replies to drain (waitForPile).
	drained chan struct{}
	// blocked and blockDeadline are the session's block state as of the
	// end of the last batch, copied under srv.mu for the connection
	// goroutine, which must not read sess.block unlocked (WAIT and BLPOP
	// are unblocked by other goroutines).
	blocked       bool
	blockDeadline time.Time
	// loopWoken: a blocked loop client was served (or timed out) and
	// waits in the loop's woken list; blockTimer times out a loop
	// client's block, blockGen tells its firing from a stale one's
	// (evloop_block_linux.go; srv.mu).
	loopWoken bool
	// loopDetached: a replica (modeDetached) whose socket the loop still
	// reads; replication writes on a duplicate descriptor.
	loopDetached  bool
	blockTimer    *time.Timer
	timerDeadline time.Time // the deadline blockTimer was armed for
	blockGen      uint64
	// queryLimit is client-query-buffer-limit, copied with them.
	queryLimit int64
	// qbufLen and qbufCap are the query buffer's use and size for CLIENT
	// LIST, copied under srv.mu: the reader itself fills the buffer
	// without the lock.
	qbufLen, qbufCap int
	// qbufParsed and qbufAwaited are the reader's BigArg figures, copied
	// with them (noteReader).
	qbufParsed, qbufAwaited int
	// argTables is the memory of the reader's argument tables.
	argTables int
	// memAcct is the client's memory as last counted in the account of
	// type memAcctType (clientevict.go; srv.mu).
	memAcct     int64
	memAcctType memType
	// memHeld is the part of memAcct maxmemory counts (heldMem).
	memHeld int64
}

// connMode is who does a client's socket I/O. A client starts on the event
// loop (Linux, TCP and Unix listeners the loop could take) or on a
// goroutine of its own, and only ever moves down this list:
//
//	modeLoop ──(leaves the loop: convert)──▶ modeConn
//	modeLoop, modeConn ──SUBSCRIBE, PSUBSCRIBE, MONITOR──▶ modeAsync
//	modeLoop, modeConn ──SYNC, PSYNC (Detach)──▶ modeDetached
//	any ──dropClient──▶ modeClosed
//
// A loop client leaves the loop for the goroutine path when it needs to
// wait or to receive data it did not ask for: when it blocks (BLPOP,
// WAIT), starts a reply sent in slices, meets CLIENT PAUSE, pipelines
// more than a batch's worth of replies, or its socket does not take its
// replies at once (evloop_linux.go). Going async or detached, a loop
// client leaves the loop first, in the same step.
type connMode uint8

const (
	// modeLoop: the event loop reads the socket, runs what arrived and
	// writes the replies (evloop_linux.go) and the invalidations of a
	// tracking client (movePushTargets): no stream of output it did not
	// ask for.
	modeLoop connMode = iota
	// modeConn: the connection's own goroutine reads, runs, and writes
	// each batch's replies (client.loop).
	modeConn
	// modeAsync: the own goroutine reads and runs; a writer goroutine
	// writes the replies and the pushes (Pub/Sub messages, MONITOR lines),
	// so that another client's push never waits on this socket.
	modeAsync
	// modeDetached: the own goroutine reads (a replica's REPLCONF ACK);
	// replication writes to the socket (the RDB, then the stream), and
	// the client's own replies are dropped.
	modeDetached
	// modeClosed: the client was dropped: socket closed, out of the
	// client table.
	modeClosed
)

// writesOwnReplies reports whether replies are written by the goroutine
// that runs the commands (the loop's or the connection's), which can then
// block on the socket between the slices of a long reply.
func (m connMode) writesOwnReplies() bool { return m == modeLoop || m == modeConn }

var _ command.Conn = (*client)(nil)

// newClient builds the client of a new connection, served in mode
// (modeLoop or modeConn).
func (s *Server) newClient(conn net.Conn, mode connMode) *client {
	s.mu.Lock()
	maxBulk := s.set.ProtoMaxBulkLen
	s.mu.Unlock()
	c := &client{
		srv:     s,
		conn:    conn,
		rd:      resp.NewReader(maxBulk),
		addr:    conn.RemoteAddr().String(),
		laddr:   conn.LocalAddr().String(),
		created: time.Now(),
		wake:    make(chan struct{}, 1),
		mode:    mode,
	}
	if la, ok := conn.LocalAddr().(*net.UnixAddr); ok {
		c.unix = true
		c.addr, c.laddr = unixAddr(la.Name), unixAddr(la.Name)
	}
	c.w.Proto = 2
	c.sess.Proto = 2
	c.sess.W = &c.w
	c.sess.Conn = c
	c.sess.Owner = c
	c.sess.User = "default"
	return c
}

// register admits a new client into the client table, or refuses it with
// Redis's reply and closes the connection (false).
func (s *Server) register(c *client) bool {
	s.mu.Lock()
	s.nextID++
	c.sess.ID = s.nextID
	s.stats.connections++
	if msg := s.admit(c); msg != "" {
		s.stats.rejected++
		s.mu.Unlock()
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(c.conn, msg)
		c.conn.Close()
		return false
	}
	s.setDefaultUser(c)
	c.lastIO = time.Now()
	c.queryLimit = s.set.ClientQueryBufferLimit
	s.clients[c.sess.ID] = c
	s.mu.Unlock()
	return true
}

// admit decides whether a new connection may stay: maxclients and
// protected mode, with Redis's replies.
func (s *Server) admit(c *client) string {
	if len(s.clients) >= s.set.MaxClients {
		return "-ERR max number of clients reached\r\n"
	}
	if s.protectedMode() && !isLoopback(c.conn.RemoteAddr()) {
		s.log.Warningf("Possible SECURITY ATTACK detected. It looks like somebody is sending commands to Tandem in protected mode from %s.", c.addr)
		return "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. " +
			"In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: " +
			"1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. " +
			"2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
			"3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
			"4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"
	}
	return ""
}

// protectedMode is on when enabled and the default user has no password:
// the server then accepts clients only from loopback. Whatever bind says,
// as in Redis 7.0 (older Redis applied it only with bind unset).
func (s *Server) protectedMode() bool {
	return s.set.ProtectedMode && s.acl != nil && s.acl.Default.NoPass()
}

// isLoopback is Redis's local client: a Unix socket, or 127.0.0.1 or ::1
// exactly (not the rest of 127.0.0.0/8).
func isLoopback(a net.Addr) bool {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.Equal(net.IPv4(127, 0, 0, 1)) || ta.IP.Equal(net.IPv6loopback)
	}
	return true // unix sockets
}

// dropClient ends a client (its serving goroutine, once the connection is
// over): why is the cause that goroutine observed, reported unless an
// earlier one was recorded (see CloseReason).
func (s *Server) dropClient(c *client, why CloseReason) {
	// An async client's last replies (QUIT's +OK) are with its writer
	// goroutine: let it write them, for a bounded time, before closing.
	s.mu.Lock()
	c.noteClose(why)
	s.logClose(c)
	done := c.writerDone
	if done != nil {
		c.closing = true
		c.kickLocked()
	}
	s.mu.Unlock()
	if done != nil {
		c.conn.SetWriteDeadline(time.Now().Add(time.Second))
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
	}
	c.conn.Close()
	s.mu.Lock()
	s.eng.Disconnect(&c.sess)
	c.sess.Stream = nil
	s.unsubscribeAll(c)
	s.disableTracking(c)
	delete(s.clients, c.sess.ID)
	s.forgetClientMem(c)
	for i, m := range s.monitors {
		if m == c {
			s.monitors = append(s.monitors[:i], s.monitors[i+1:]...)
			break
		}
	}
	c.closing = true
	c.mode = modeClosed
	c.kickLocked() // lets the writer goroutine see closing and exit
	for _, o := range s.parts.Disconnect {
		o.Disconnected(&c.sess)
	}
	s.mu.Unlock()
}

// info is the client's CLIENT LIST line (srv.mu held).
func (c *client) info() string {
	var b strings.Builder
	c.srv.writeClientInfo(&b, c)
	return b.String()
}
