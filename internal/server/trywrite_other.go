//go:build !linux

package server

import (
	"errors"
	"os"
)

// tryWrite writes to a plain socket what it takes within readBehindWait
// (srv.mu not held): n < len(out) with no error means the socket's buffer
// is full. Linux does it with one non-blocking system call instead.
func (c *client) tryWrite(out []byte) (n int, err error) {
	n, err = c.writeWithin(out, readBehindWait)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = nil
	}
	return n, err
}

// readBehindWait is how long tryWrite gives the socket.
const readBehindWait = holdWait
