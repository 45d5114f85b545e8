package server

import (
	"errors"
	"net"
	"os"
	"time"
)

// LuaDebugConn implements script.DebugConner (asserted in the tests:
// server cannot import script): the Lua debugger talks
// straight on the client's socket, from inside the EVAL (srv.mu held, on
// the goroutine running the client's batch). A loop client leaves the
// loop first, so its socket can be read and written with blocking calls
// and deadlines; when the batch ends it continues on the goroutine path,
// which writes the EVAL's reply and closes the connection. The replies of
// the batch's earlier commands are written now, ahead of the session's
// output.
func (c *client) LuaDebugConn() (net.Conn, error) {
	switch c.mode {
	case modeLoop:
		if loopTLSClient(c) {
			// Its records in flight would have to be flushed first,
			// which takes srv.mu; not worth it for a debugger.
			return nil, errors.New("the Lua debugger needs a TLS client served off the event loop (TANDEM_CONN_MODE=goroutine)")
		}
		if err := c.srv.loop.convert(c); err != nil {
			return nil, err
		}
	case modeConn:
	default:
		return nil, errors.New("the connection is in Pub/Sub, MONITOR or replica mode")
	}
	if len(c.w.Buf) > 0 && !c.sess.ReplyOff {
		c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, err := c.conn.Write(c.w.Buf)
		c.conn.SetWriteDeadline(time.Time{})
		if err != nil {
			return nil, err
		}
		c.w.Buf = c.w.Buf[:0]
	}
	return c.conn, nil
}

// LuaDebugConnDup implements script.DebugConner's forked session: a
// duplicate of the client's socket for a session that runs on its own
// goroutine, as Redis's forked child keeps the socket when the parent
// frees the client. The caller closes the client (its replies first);
// the duplicate keeps the connection open until the session closes it.
func (c *client) LuaDebugConnDup() (net.Conn, error) {
	conn, err := c.LuaDebugConn()
	if err != nil {
		return nil, err
	}
	fc, ok := conn.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, errors.New("the connection cannot be duplicated (TLS)")
	}
	f, err := fc.File()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return net.FileConn(f)
}
