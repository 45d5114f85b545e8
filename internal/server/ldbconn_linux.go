//go:build linux

package server

// loopTLSClient reports whether c is a TLS client on the event loop.
func loopTLSClient(c *client) bool {
	fc, ok := c.conn.(*fdConn)
	return ok && fc.tls != nil
}
