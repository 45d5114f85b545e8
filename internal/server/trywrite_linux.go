//go:build linux

package server

import "syscall"

// tryWrite writes to a plain socket what it takes at once, without
// waiting: one non-blocking write system call (the connection's
// goroutine, srv.mu not held). n < len(out) with no error means the
// socket's buffer is full. A write deadline would do the same at the cost
// of two timer updates a batch, which showed as a fifth more server CPU a
// request for clients off the event loop.
func (c *client) tryWrite(out []byte) (n int, err error) {
	if c.raw == nil {
		sc, ok := c.conn.(syscall.Conn)
		if !ok {
			return 0, nil
		}
		raw, rerr := sc.SyscallConn()
		if rerr != nil {
			return 0, nil
		}
		c.raw = raw
		// Made once: a closure per call would be an allocation a batch.
		c.rawWrite = func(fd uintptr) bool {
			for {
				c.rawN, c.rawErr = syscall.Write(int(fd), c.rawOut)
				if c.rawErr != syscall.EINTR {
					return true // done, taken or not: never wait here
				}
			}
		}
	}
	c.writeMu.Lock()
	c.rawOut = out
	if err = c.raw.Write(c.rawWrite); err == nil {
		n, err = c.rawN, c.rawErr
	}
	c.rawOut = nil
	c.writeMu.Unlock()
	if n < 0 {
		n = 0
	}
	if err == syscall.EAGAIN {
		err = nil
	}
	c.srv.stats.netOut.Add(int64(n))
	return n, err
}
