package server

import (
	"io"
	"net"
	"time"
)

// The goroutine path: a connection served by a goroutine of its own, which
// may block (on its socket, a blocked command, CLIENT PAUSE), and a writer
// goroutine for a client that receives pushes (modeConn, modeAsync,
// modeDetached: see connMode).

// serve is the goroutine of a connection accepted by acceptLoop (a
// listener the event loop does not serve).
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
	if len(out) > 0 && !c.keepForStream(out) && (closeAfter || !c.holdHandedOutput(out)) {
		s.replyBarrier()
		if closeAfter {
			c.write(out)
		} else {
			c.readBehindWrite(out) // what is read meanwhile runs in loop
		}
	}
	if closeAfter {
		why = CloseQuit // what a batch that closes notes first, when no other cause did
		return
	}
	why = c.loop()
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
		if c.mode == modeAsync {
			c.waitForPile()
		}
		out, end := c.runBuffered()
		s.endRound(len(out) > 0)
		fed := false
		if len(out) > 0 && !c.keepForStream(out) {
			fed, _ = c.writeOrHold(out, end != batchClose)
		}
		if end == batchClose {
			return CloseQuit // the batch noted its cause
		}
		if fed {
			continue // requests read behind the write: run them first
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

// write writes b to the socket, blocking until it is taken (the caller
// owns the socket's writes and does not hold srv.mu). A failure closes the
// connection.
func (c *client) write(b []byte) error {
	// One writer at a time, all chunks together: a client moved to a
	// writer goroutine by another client's command (an invalidation it
	// must receive) may still be writing its last batch on its own.
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
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

// keepForStream keeps a batch's output, instead of writing it, when the
// batch left a streamed reply and the client's class has a hard output
// limit: Redis builds a reply whole before writing any of it, so a reply
// larger than the hard limit closes the client with nothing of it sent,
// and clients count on that (a partial array followed by a closed
// connection is not the same failure). The stream's slices then pile up
// under the limit and go out together when the reply is complete; without
// a hard limit they are written one by one as the client reads. The
// goroutine that owns the connection calls it, without srv.mu.
func (c *client) keepForStream(out []byte) bool {
	if c.sess.Stream == nil {
		return false
	}
	s := c.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.hardLimit() == 0 {
		return false
	}
	c.w.Buf = append(out, c.w.Buf...)
	c.spare = nil // out's array is the spare's: no longer shared
	return true
}

// hardLimit is the hard output limit of the client's class (0: none;
// srv.mu held).
func (c *client) hardLimit() int64 { return c.srv.set.OutputLimits[c.class()].Hard }

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
	if c.sess.Stream != nil && c.hardLimit() > 0 {
		s.mu.Unlock() // held until complete (keepForStream)
		return true
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
	c.srv.noteClientMem(c)
	c.srv.evictClients()
	if c.closing {
		return false // evicted
	}
	c.startAsync()
	c.kickLocked()
	return true
}

// Wake implements command.Conn: a blocked command was served.
func (c *client) Wake() {
	if c.mode == modeLoop {
		c.srv.loop.queueWoken(c)
	}
	// Also the goroutine path's wake-up, should the client leave the loop
	// before the loop serves it: a spurious one is harmless there.
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// startAsync switches the client to a writer goroutine, modeAsync (srv.mu
// held). A loop client (its own SUBSCRIBE or MONITOR, so on the loop's
// goroutine) leaves the loop first. Pushes, which come from other clients'
// goroutines, never call this for a loop client: subscribers and monitors
// went async in the command that made them so, and a tracking client's
// invalidations wait in its buffer for the loop to write (pushTo).
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
	c.drained = make(chan struct{}, 1)
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
		c.flushHandedTLS() // records a TLS client's socket has yet to take
		c.srv.mu.Lock()
		out := c.takeOutput()
		closing := c.closing
		c.srv.mu.Unlock()
		if len(out) > 0 {
			c.srv.replyBarrier()
			c.write(out)
			// The replies written no longer count (maxmemory counts
			// pending replies): bring the account up to date now, not
			// at the next cron, or an eviction that sent invalidations
			// would see them pending and evict again for them.
			c.srv.mu.Lock()
			c.srv.noteClientMem(c)
			c.srv.mu.Unlock()
			select { // a reader waiting for the pile (waitForPile)
			case c.drained <- struct{}{}:
			default:
			}
		}
		if closing {
			return
		}
	}
}

// writeServed writes the reply of a blocked command just served (or timed
// out) while the background reader still runs: stopping that reader takes
// a deadline, a poller wake-up and a goroutine switch, which a client
// waiting for WAIT's or BLPOP's answer need not wait for. Reads and writes
// may overlap on a net.Conn; the reader only feeds the query buffer.
func (c *client) writeServed() {
	s := c.srv
	s.mu.Lock()
	if c.sess.Stream != nil || c.closing {
		s.mu.Unlock()
		return // the loop's usual path handles these
	}
	out := c.takeOutput()
	s.mu.Unlock()
	if len(out) > 0 {
		s.replyBarrier()
		// waitUnblocked's reader goes on reading meanwhile.
		c.writeOrHold(out, false)
	}
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
				c.noteReader()
				// A parked client is held to client-query-buffer-limit
				// like any other: checked after every read, so what it
				// can make us keep is the limit plus one read.
				if queryOver(c, s.set.ClientQueryBufferLimit) {
					c.logQueryLimit()
					c.closeFor(CloseQueryBufferLimit)
					c.conn.Close() // the next read fails: gone
				} else {
					s.noteClientMem(c)
					s.evictClients() // closes the socket if c is evicted: gone
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
		c.writeServed()
	case <-timer:
		s.mu.Lock()
		s.eng.TimeoutBlocked(&c.sess)
		s.mu.Unlock()
		c.writeServed()
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
