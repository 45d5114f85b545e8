package tlsconf

import (
	"crypto/tls"
	"net"
	"sync/atomic"
	"time"
)

// Conn is a TLS connection whose Close never blocks its caller.
// tls.Conn.Close first sends a close_notify alert, waiting up to 5 s for
// a peer that does not read; the server closes connections under its
// lock (CLIENT KILL, output limits, timeouts, shutdown), where that wait
// would stall every client. Close sends the alert from a goroutine and
// closes the socket once it is sent or closeGrace has passed, like
// Redis's non-blocking SSL_shutdown before close.
//
// A Write after Close fails at once, as on a plain socket: the alert goes
// out a moment later, and until then a writer (a replica's stream after
// CLIENT KILL inside a MULTI) must not go on sending through the record
// layer what a plain connection would refuse.
//
// It also keeps the size of its record buffers (RecordBufs) as of its
// last read, which any goroutine may ask for (Buffers).
type Conn struct {
	*tls.Conn
	raw    net.Conn
	bufs   atomic.Int64
	closed atomic.Bool
}

// closeGrace bounds how long the socket outlives Close for the alert.
const closeGrace = 100 * time.Millisecond

// NewConn wraps a TLS connection over raw (called by the goroutine that
// reads c).
func NewConn(c *tls.Conn, raw net.Conn) *Conn {
	tc := &Conn{Conn: c, raw: raw}
	tc.bufs.Store(RecordBufs(c))
	return tc
}

// Read reads application data and notes the record buffers' size after.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.bufs.Store(RecordBufs(c.Conn))
	return n, err
}

// Buffers is the size of the record buffers after the last read.
func (c *Conn) Buffers() int64 { return c.bufs.Load() }

// Raw is the connection under the TLS layer.
func (c *Conn) Raw() net.Conn { return c.raw }

// Write writes application data, or fails with net.ErrClosed once Close
// was called.
func (c *Conn) Write(p []byte) (int, error) {
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	return c.Conn.Write(p)
}

// Close sends close_notify if it can and closes the socket.
func (c *Conn) Close() error {
	c.closed.Store(true)
	t := time.AfterFunc(closeGrace, func() { c.raw.Close() })
	go func() {
		c.Conn.Close() // the alert, then the socket
		t.Stop()
	}()
	return nil
}
