package server

import (
	"net"
	"time"
)

// Reading behind a blocked write. A client whose replies are not held
// (holdsSlowReaders: no limit would answer the pile) waits for its socket
// to take each batch's replies, so that a client that never reads cannot
// grow the server without bound. But a client may send a whole pipeline
// before it reads any reply (Redis's Tcl deferring clients send a million
// SETRANGEs, then read): its own write then waits for the server to read,
// while the server waits for it to read, for ever. Redis keeps such
// replies in its output buffer. Tandem keeps the requests instead: while a
// batch's replies wait for the socket, a reader goes on filling the query
// buffer (nothing runs meanwhile), held to client-query-buffer-limit as
// any read is. Requests are usually much smaller than their replies.

// writeReadingBehind writes out, as write does (srv.mu not held); a plain
// socket that does not take it all at once (tryWrite) gets the rest while
// a background reader feeds the query buffer. fed reports whether
// anything was read so. TLS connections write as write does: their
// records cannot be written in part (see writeOrHold).
func (c *client) writeReadingBehind(out []byte) (fed bool, err error) {
	if !plainConn(c.conn) {
		return false, c.write(out)
	}
	n, err := c.tryWrite(out)
	if err != nil {
		c.srv.mu.Lock()
		c.noteClose(CloseWriteError)
		c.srv.mu.Unlock()
		c.conn.Close()
		return false, err
	}
	if n == len(out) {
		return false, nil
	}
	return c.readBehindWrite(out[n:])
}

// plainConn reports whether conn is a plain TCP or Unix socket.
func plainConn(conn net.Conn) bool {
	switch conn.(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// readBehindWrite writes out, blocking, while a background reader feeds
// the query buffer (srv.mu not held), for a plain socket; others just
// write.
func (c *client) readBehindWrite(out []byte) (fed bool, err error) {
	if !plainConn(c.conn) {
		return false, c.write(out)
	}
	stop := c.startReadBehind()
	err = c.write(out)
	return stop(), err
}

// startReadBehind starts the reader behind a write and returns the
// function that stops it and reports whether it read anything (the
// connection's goroutine, which must not touch the reader until then;
// srv.mu not held). The reader feeds the query buffer under srv.mu, as
// waitUnblocked's does; the cron trims the buffer of such a client itself
// (readingBehind) rather than interrupting a read. A read that fails ends
// the reader: the connection's own next read fails the same way and
// closes it.
func (c *client) startReadBehind() (stop func() bool) {
	s := c.srv
	s.mu.Lock()
	c.readingBehind = true
	s.mu.Unlock()
	// Cleared before the reader starts and only set (to interrupt it) by
	// stop, as in waitUnblocked: a trim request's wake-up set before
	// readingBehind was seen must not end the reader at once.
	c.conn.SetReadDeadline(time.Time{})
	c.trimReq.Store(false)
	fedAny := false // read by stop after done: no lock needed
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 16<<10)
		for {
			n, err := c.conn.Read(buf)
			if n > 0 {
				s.stats.netIn.Add(int64(n))
				s.mu.Lock()
				c.rd.Feed(buf[:n])
				c.noteReader()
				c.lastIO = time.Now()
				// Held to client-query-buffer-limit after every read,
				// as any read is.
				if queryOver(c, s.set.ClientQueryBufferLimit) {
					c.logQueryLimit()
					c.closeFor(CloseQueryBufferLimit)
					c.conn.Close() // the write fails, and the next read
				} else {
					s.noteClientMem(c)
					s.evictClients()
				}
				s.mu.Unlock()
				fedAny = true
			}
			if err != nil {
				return
			}
			select {
			case <-stopped:
				return
			default:
			}
		}
	}()
	return func() bool {
		close(stopped)
		c.conn.SetReadDeadline(time.Unix(1, 0)) // interrupt the read
		<-done
		c.conn.SetReadDeadline(time.Time{})
		s.mu.Lock()
		c.readingBehind = false
		s.mu.Unlock()
		return fedAny
	}
}
