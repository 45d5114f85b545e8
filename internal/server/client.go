package server

import (
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

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
	srv   *Server
	conn  net.Conn
	rd    *resp.Reader
	w     resp.Writer
	spare []byte
	sess  command.Session

	addr, laddr string
	unix        bool // a Unix-socket client
	created     time.Time
	lastIO      time.Time // guarded by srv.mu
	lastCmd     string

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
	replySize, replyPeak    int
	replyPeakAt, lastResize time.Time
	// trimReq asks the connection goroutine to trim its query buffer (the
	// cron set a read deadline in the past to wake it).
	trimReq atomic.Bool
	libName string
	libVer  string

	// writerDone is closed when the writer goroutine exits (nil until
	// the client goes async).
	writerDone chan struct{}
	// blocked and blockDeadline are the session's block state as of the
	// end of the last batch, copied under srv.mu for the connection
	// goroutine, which must not read sess.block unlocked (WAIT and BLPOP
	// are unblocked by other goroutines).
	blocked       bool
	blockDeadline time.Time
	// queryLimit is client-query-buffer-limit, copied with them.
	queryLimit int64
	// qbufLen and qbufCap are the query buffer's use and size for CLIENT
	// LIST, copied under srv.mu: the reader itself fills the buffer
	// without the lock.
	qbufLen, qbufCap int
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
	// writes the replies (evloop_linux.go); plain request/response
	// traffic only.
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

// batchEnd is why runBuffered stopped, and so what the connection does
// next. It replaces flags that lived on the client between two calls.
type batchEnd uint8

const (
	// batchDrained: no complete command is left in the buffer (or the
	// client blocked, or a reply in slices started: client.blocked and
	// sess.Stream say so): read more, or wait.
	batchDrained batchEnd = iota
	// batchFull: the replies reached maxBatchOutput with commands still
	// buffered: write them, then run on without reading.
	batchFull
	// batchPaused: CLIENT PAUSE is in force and the client is on the
	// event loop, which must not wait: it continues on the goroutine path.
	batchPaused
	// batchClose: close the connection once the replies are written
	// (closeReason says why).
	batchClose
)

// maxBatchOutput is how large a batch's replies may grow before the
// batch yields the server lock to write them: a client that pipelines big
// replies and does not read them then blocks only itself.
const maxBatchOutput = 1 << 20

var _ command.Conn = (*client)(nil)

func (s *Server) serve(conn net.Conn) {
	// Settings change under srv.mu (CONFIG SET): read them under it.
	s.mu.Lock()
	keepAlive := s.set.TCPKeepAlive
	s.mu.Unlock()
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
		if keepAlive > 0 {
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(time.Duration(keepAlive) * time.Second)
		}
	}
	c := s.newClient(conn, modeConn)
	if !s.register(c) {
		return
	}
	s.runConn(c, nil, false)
}

// runConn is a client's life on the goroutine path: first the replies
// still to write of a client the event loop handed over (and the close
// that was to follow them), then its loop. When that ends, the client is
// dropped with the reason it ended for.
func (s *Server) runConn(c *client, out []byte, closeAfter bool) {
	why := CloseInternalError // unless the loop returns: a panic
	defer func() { s.dropClient(c, why) }()
	defer s.recoverPanic(c)
	if len(out) > 0 {
		s.replyBarrier()
		c.write(out)
	}
	if closeAfter {
		why = CloseQuit // what a batch that closes notes first, when no other cause did
		return
	}
	why = c.loop()
}

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
	c.sess.Authed = s.set.RequirePass == ""
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

// protectedMode is on when enabled, no password is set, and bind was left
// at its default: the server is then reachable only from loopback.
func (s *Server) protectedMode() bool {
	return s.set.ProtectedMode && s.set.RequirePass == "" && s.defaultBind
}

func isLoopback(a net.Addr) bool {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.IsLoopback()
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
	delete(s.clients, c.sess.ID)
	for i, m := range s.monitors {
		if m == c {
			s.monitors = append(s.monitors[:i], s.monitors[i+1:]...)
			break
		}
	}
	c.closing = true
	c.mode = modeClosed
	c.kickLocked() // lets the writer goroutine see closing and exit
	for _, fn := range s.OnDisconnect {
		fn(&c.sess)
	}
	s.mu.Unlock()
}

// loop is the connection's life on the goroutine path: run what is
// buffered, write the replies, wait while blocked, read more. It returns
// the cause it saw the connection end for (dropClient reports an earlier
// one first: a kill closes the socket, and the read then fails).
func (c *client) loop() CloseReason {
	s := c.srv
	for {
		if c.sess.Stream != nil {
			if !c.streamSlice() {
				return CloseWriteError // unless killed, over a limit or aborted
			}
			continue
		}
		out, end := c.runBuffered()
		s.afterCommands()
		if len(out) > 0 {
			s.replyBarrier()
			c.write(out)
		}
		if end == batchClose {
			return CloseQuit // the batch noted its cause
		}
		if c.blocked {
			if why := c.waitUnblocked(); why != closeNone {
				return why
			}
			continue
		}
		if end == batchFull || c.sess.Stream != nil {
			continue
		}
		n, rerr := c.conn.Read(c.rd.Space())
		if n > 0 {
			c.rd.Advance(n)
			s.stats.netIn.Add(int64(n))
		}
		if rerr != nil {
			if c.trimWake(rerr) {
				continue
			}
			return readCloseReason(rerr)
		}
		if c.overQueryLimit() {
			return CloseQueryBufferLimit
		}
	}
}

// readCloseReason is what a failed read says of the connection: the
// client closed it (EOF), or the read failed.
func readCloseReason(err error) CloseReason {
	if err == io.EOF {
		return ClosePeer
	}
	return CloseReadError
}

// overQueryLimit reports (and logs, as Redis does) a client whose input
// not run yet — unparsed bytes plus the arguments queued in MULTI — passed
// client-query-buffer-limit: it is to be closed. The connection's own
// goroutine calls it without srv.mu, after each read.
func (c *client) overQueryLimit() bool {
	if !queryOver(c, c.queryLimit) {
		return false
	}
	s := c.srv
	s.mu.Lock()
	c.logQueryLimit()
	s.mu.Unlock()
	return true
}

// queryOver reports whether the client's unrun input is over lim (0 = no
// limit). The caller owns the reader (or holds srv.mu while the owner is
// parked).
func queryOver(c *client, lim int64) bool {
	return lim > 0 && int64(c.rd.Buffered())+c.sess.MultiBytes() > lim
}

// logQueryLimit logs the closing of a client over client-query-buffer-limit
// with the line operators grep for (srv.mu held).
func (c *client) logQueryLimit() {
	head := c.rd.Pending()
	head = head[:min(len(head), 64)]
	c.srv.log.Warningf("Closing client that reached max query buffer length: %s (qbuf initial bytes: %s)", c.info(), resp.AppendRepr(nil, string(head)))
}

// runBuffered executes every complete command in the read buffer under the
// server lock and takes the replies out in the same hold of the lock (one
// lock round per batch). It stops early when the client blocks or must
// close, and says why it stopped (batchEnd). The returned bytes are for the
// caller to write; async and detached clients return none. A loop client
// that must wait from now on leaves the loop here (see connMode).
func (c *client) runBuffered() (out []byte, end batchEnd) {
	s := c.srv
	s.lockForClient()
	s.clientBatch = true
	s.eng.ChainClock(true)
	defer func() {
		s.eng.ChainClock(false)
		s.clientBatch = false
		if c.mode == modeLoop && (end == batchFull || end == batchPaused || c.sess.Blocked() || c.sess.Stream != nil) {
			s.loop.convert(c)
		}
		out = c.collectOutput()
		c.qbufLen, c.qbufCap = c.rd.Buffered(), c.rd.Cap()
		c.blocked = c.sess.Blocked()
		c.blockDeadline = c.sess.BlockDeadline()
		c.queryLimit = s.set.ClientQueryBufferLimit
		s.mu.Unlock()
	}()
	c.lastIO = time.Now()
	// proto-max-bulk-len applies to connections already open, as in
	// Redis (CONFIG SET changes it under srv.mu).
	c.rd.MaxBulk = s.set.ProtoMaxBulkLen
	for !c.sess.Blocked() && !c.closing && c.sess.Stream == nil {
		if c.mode == modeLoop && !s.pausedUntil.IsZero() {
			end = batchPaused
			break
		}
		// Decided at each request, as Redis does: CONFIG SET requirepass ""
		// lifts the limits from clients that never authenticated.
		c.rd.Unauth = !c.sess.Authed && s.set.RequirePass != ""
		perr := c.rd.Next()
		if perr == resp.ErrIncomplete {
			break
		}
		// A type assertion, not errors.As: that would allocate per request.
		if pe, ok := perr.(*resp.ProtocolError); ok {
			s.log.Verbosef("Protocol error (%s) from client: %s", pe.Msg, c.info())
			c.w.Error("ERR " + pe.Error())
			c.noteClose(CloseProtocolError)
			return nil, batchClose
		}
		if len(c.rd.Args) == 0 {
			if c.rd.Inline && c.sess.Flags&command.FlagReplica != 0 && s.ReplicaNewline != nil {
				s.ReplicaNewline(&c.sess)
			}
			continue
		}
		if !s.pausedUntil.IsZero() {
			c.waitPause()
		}
		c.qbufLen, c.qbufCap = c.rd.Buffered(), c.rd.Cap()
		// A reply in slices needs the blocking writes of this goroutine
		// (or of the one the loop hands the client to).
		c.sess.CanStream = c.mode.writesOwnReplies()
		s.eng.Call(&c.sess, c.rd.Args)
		if c.checkOutputLimit() {
			return nil, batchClose
		}
		if c.sess.Flags&command.FlagCloseAfterReply != 0 {
			// QUIT, unless the command that asked for the close said why.
			c.noteClose(CloseQuit)
			return nil, batchClose
		}
		if len(c.w.Buf) >= maxBatchOutput {
			end = batchFull
			break
		}
	}
	if c.closing {
		return nil, batchClose
	}
	return nil, end
}

// collectOutput hands the batch's replies over (srv.mu held): first the
// BeforeReply hooks run (the AOF is written, and fsynced under appendfsync
// always, before any reply of the batch leaves), then async clients get
// their writer kicked, detached ones drop theirs, others take the buffer.
func (c *client) collectOutput() []byte {
	s := c.srv
	for _, fn := range s.BeforeReply {
		fn()
	}
	switch c.mode {
	case modeAsync:
		c.kickLocked()
		return nil
	case modeDetached:
		c.w.Buf = c.w.Buf[:0]
		return nil
	}
	return c.takeOutput()
}

// waitPause holds a command while CLIENT PAUSE applies to it (srv.mu held
// on entry and exit; released while waiting).
func (c *client) waitPause() {
	s := c.srv
	for {
		spec := s.eng.Table.Lookup(c.rd.Args[0])
		if spec == nil {
			return
		}
		d := s.pausedFor(&c.sess, spec)
		if d <= 0 {
			return
		}
		if d > 20*time.Millisecond {
			d = 20 * time.Millisecond
		}
		// The batch's earlier commands must not wait for the pause.
		// Others run commands meanwhile, and time passes: the clock chain
		// stops here and starts afresh after.
		s.eng.ChainClock(false)
		s.clientBatch = false
		s.mu.Unlock()
		s.afterCommands()
		time.Sleep(d)
		s.mu.Lock()
		s.clientBatch = true
		s.eng.ChainClock(true)
	}
}

// takeOutput swaps out the reply buffer (srv.mu held), keeping a spare so
// steady-state traffic allocates nothing.
func (c *client) takeOutput() []byte {
	out := c.w.Buf
	c.w.Buf = c.spare[:0]
	c.spare = out
	c.noteReplySize(out)
	return out
}

// replyBarrier runs the ReplyBarrier hooks (srv.mu not held).
func (s *Server) replyBarrier() {
	for _, fn := range s.ReplyBarrier {
		fn()
	}
}

// write writes b to the socket, blocking until it is taken (the caller
// owns the socket's writes and does not hold srv.mu). A failure closes the
// connection.
func (c *client) write(b []byte) error {
	var err error
	for len(b) > 0 && err == nil {
		// In chunks, so that unsent follows a slow reader's progress.
		c.unsent.Store(int64(len(b)))
		var n int
		n, err = c.conn.Write(b[:min(len(b), writeChunk)])
		c.srv.stats.netOut.Add(int64(n))
		b = b[n:]
	}
	c.unsent.Store(0)
	if err != nil {
		c.srv.mu.Lock()
		c.noteClose(CloseWriteError)
		c.srv.mu.Unlock()
		c.conn.Close()
	}
	return err
}

// writeChunk is the most one socket write is given.
const writeChunk = 256 * 1024

// streamSliceBytes is how much of a streamed reply is produced per hold
// of the server lock (see command/stream.go).
const streamSliceBytes = 64 * 1024

// streamSlice produces the next slice of the client's streamed reply under
// the lock and writes it, blocking until the socket takes it: a client
// that reads slowly holds the server to one slice. False means the
// connection is to be closed (killed, gone, over its output limit, or a
// reply that could not be completed).
func (c *client) streamSlice() bool {
	s := c.srv
	s.mu.Lock()
	if c.closing {
		c.sess.Stream = nil
		s.mu.Unlock()
		return false
	}
	done, ok := c.sess.Stream.Next(&c.w, streamSliceBytes)
	if done || !ok {
		c.sess.Stream = nil
	}
	if !ok {
		s.log.Warningf("Closing client %s: the value its reply was sampling became empty before the reply was complete", c.info())
		c.closeFor(CloseReplyAborted)
		s.mu.Unlock()
		return false
	}
	c.lastIO = time.Now()
	if c.checkOutputLimit() {
		s.mu.Unlock()
		return false
	}
	out := c.takeOutput()
	s.mu.Unlock()
	return c.write(out) == nil
}

// Push implements command.Conn: data for this client from elsewhere
// (messages, MONITOR). srv.mu is held by the caller.
func (c *client) Push(b []byte) bool {
	if c.closing {
		return false
	}
	c.w.Buf = append(c.w.Buf, b...)
	if c.checkOutputLimit() {
		return false
	}
	c.startAsync()
	c.kickLocked()
	return true
}

// Wake implements command.Conn: a blocked command was served.
func (c *client) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// startAsync switches the client to a writer goroutine, modeAsync (srv.mu
// held). A loop client (its own SUBSCRIBE or MONITOR, so on the loop's
// goroutine) leaves the loop first. Pushes, which come from other clients'
// goroutines, never meet a loop client: only subscribers and monitors get
// them, and those went async in the command that made them so.
func (c *client) startAsync() {
	switch c.mode {
	case modeLoop:
		if c.srv.loop.convert(c) != nil {
			return // closing: the loop drops it
		}
	case modeConn:
	default:
		return // already async; or the socket is replication's, or gone
	}
	c.mode = modeAsync
	c.kick = make(chan struct{}, 1)
	c.writerDone = make(chan struct{})
	go c.writer(c.kick)
}

// kickLocked wakes the writer goroutine, if any (srv.mu held). The channel
// is never closed, so a kick can never race with the client going away.
func (c *client) kickLocked() {
	if c.kick == nil {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *client) writer(kick chan struct{}) {
	defer close(c.writerDone)
	for range kick {
		c.srv.mu.Lock()
		out := c.takeOutput()
		closing := c.closing
		c.srv.mu.Unlock()
		if len(out) > 0 {
			c.srv.replyBarrier()
			c.write(out)
		}
		if closing {
			return
		}
	}
}

// checkOutputLimit applies client-output-buffer-limit for the client's
// class to its pending output — replies not yet handed to the socket and
// those the socket has not taken — (srv.mu held). It runs after every
// command, push and streamed slice, as Redis checks on every reply, and
// from the cron for clients whose socket is not taking its replies. It
// returns true when the client was closed.
func (c *client) checkOutputLimit() bool {
	if c.mode == modeDetached {
		return false // a replica's output is the replication's
	}
	s := c.srv
	class := c.class()
	lim := &s.set.OutputLimits[class]
	if lim.Hard == 0 && lim.Soft == 0 {
		return false
	}
	size := int64(len(c.w.Buf)) + c.unsent.Load()
	over := false
	if lim.Hard > 0 && size >= lim.Hard {
		over = true
	} else if lim.Soft > 0 && size >= lim.Soft {
		if c.obufSoftSince.IsZero() {
			c.obufSoftSince = time.Now()
		} else if time.Since(c.obufSoftSince) > time.Duration(lim.SoftSecs)*time.Second {
			over = true
		}
	} else {
		c.obufSoftSince = time.Time{}
	}
	if !over {
		return false
	}
	s.log.Warningf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.info())
	c.closeFor(outputLimitReason(class)) // a stream, the owner's, ends at its next slice
	c.w.Buf = c.w.Buf[:0]
	c.conn.Close()
	return true
}

func (c *client) class() int {
	switch {
	case c.sess.Flags&command.FlagReplica != 0:
		return ClassReplica
	case c.sess.Subscriptions() > 0:
		return ClassPubSub
	}
	return ClassNormal
}

// waitUnblocked parks a blocked client until it is served, times out, or
// its connection is closed (then it returns why; closeNone otherwise).
// While parked it keeps reading in the background so that a client that
// goes away is noticed (and not served a pop it could never receive); bytes
// that arrive meanwhile are kept for later.
func (c *client) waitUnblocked() CloseReason {
	s := c.srv
	deadline := c.blockDeadline
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timer = t.C
	}
	gone := make(chan struct{})
	var goneWhy CloseReason // set before gone is closed
	stopRead := make(chan struct{})
	readDone := make(chan struct{})
	// The deadline is cleared here, before the reader starts, and only set
	// (to interrupt it) below: if the reader cleared it itself it could undo
	// an interrupt that came first and block forever.
	c.conn.SetReadDeadline(time.Time{})
	// That also cancelled any trim request's wake-up: the cron trims a
	// parked client's buffer itself, and asks again once it runs.
	c.trimReq.Store(false)
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := c.conn.Read(buf)
			if n > 0 {
				s.stats.netIn.Add(int64(n))
				s.mu.Lock()
				c.rd.Feed(buf[:n])
				c.qbufLen, c.qbufCap = c.rd.Buffered(), c.rd.Cap()
				// A parked client is held to client-query-buffer-limit
				// like any other: checked after every read, so what it
				// can make us keep is the limit plus one read.
				if queryOver(c, s.set.ClientQueryBufferLimit) {
					c.logQueryLimit()
					c.closeFor(CloseQueryBufferLimit)
					c.conn.Close() // the next read fails: gone
				}
				s.mu.Unlock()
			}
			if err != nil {
				select {
				case <-stopRead:
				default:
					goneWhy = readCloseReason(err)
					close(gone)
				}
				return
			}
		}
	}()
	why := closeNone
	select {
	case <-c.wake:
	case <-timer:
		s.mu.Lock()
		s.eng.TimeoutBlocked(&c.sess)
		s.mu.Unlock()
	case <-gone:
		why = goneWhy
	}
	close(stopRead)
	c.conn.SetReadDeadline(time.Unix(1, 0)) // interrupt the background read
	<-readDone
	c.conn.SetReadDeadline(time.Time{})
	// A deadline-interrupted read is not a closed connection: closeNone.
	return why
}

// info is the client's CLIENT LIST line (srv.mu held).
func (c *client) info() string {
	var b strings.Builder
	c.srv.writeClientInfo(&b, c)
	return b.String()
}
