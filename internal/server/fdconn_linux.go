//go:build linux

package server

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// A loop client's raw socket, and the system calls on it.

// readFD reads once, retrying on EINTR.
func readFD(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if n == 0 && err == nil {
			return 0, io.EOF
		}
		return n, err
	}
}

// fdConn is a loop client's raw socket seen as a net.Conn, for the code
// that treats every client alike: addresses, and Close from CLIENT KILL,
// timeouts and output limits (srv.mu held), which shuts the socket down so
// the loop reads EOF and closes it itself — the loop owns the descriptor,
// so it can never be closed under a read and reused meanwhile.
type fdConn struct {
	mu     sync.Mutex
	fd     int
	shut   bool // shut down by Close; the loop has yet to see it
	closed bool // descriptor closed (or handed to a net.Conn)

	laddr, raddr net.Addr
	wdeadline    time.Time

	// tls is a TLS client's record layer (tlsloop_linux.go); nil for a
	// plain one. Only the loop's goroutine uses it once the client is on
	// the loop.
	tls *loopTLS
}

var errLoopConn = errors.New("event-loop connection: I/O belongs to the loop")

// Read is never used: the loop reads the descriptor itself.
func (f *fdConn) Read([]byte) (int, error) { return 0, errLoopConn }

// Write is for the few replies sent before a client joins the loop (the
// max-clients and protected-mode refusals): when the socket is full it
// retries every millisecond, up to the write deadline. A TLS client's
// reply is encrypted first.
func (f *fdConn) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || f.shut {
		return 0, net.ErrClosed
	}
	if f.tls == nil {
		return f.writeLocked(b)
	}
	out, err := sealTLS(f.tls, b)
	if err != nil {
		return 0, err
	}
	_, err = f.writeLocked(out)
	sentTLS(f.tls, nil)
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// writeLocked writes b, retrying until the write deadline (f.mu held).
func (f *fdConn) writeLocked(b []byte) (int, error) {
	deadline := f.wdeadline
	if deadline.IsZero() {
		deadline = time.Now().Add(time.Second)
	}
	total := 0
	for len(b) > 0 {
		n, err := syscall.Write(f.fd, b)
		if n > 0 {
			total += n
			b = b[n:]
			continue
		}
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if time.Now().After(deadline) {
				return total, os.ErrDeadlineExceeded
			}
			time.Sleep(time.Millisecond)
			continue
		}
		return total, err
	}
	return total, nil
}

// Close shuts the socket down; the loop notices and closes it. A TLS
// socket keeps its writing side, for the close_notify the loop sends
// before it closes it (reading EOF is what the loop notices).
func (f *fdConn) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed && !f.shut {
		how := syscall.SHUT_RDWR
		if f.tls != nil {
			how = syscall.SHUT_RD
		}
		syscall.Shutdown(f.fd, how)
		f.shut = true
	}
	return nil
}

// release closes the descriptor (loop goroutine only).
func (f *fdConn) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		syscall.Close(f.fd)
		f.closed = true
	}
}

func (f *fdConn) LocalAddr() net.Addr { return f.laddr }

func (f *fdConn) RemoteAddr() net.Addr { return f.raddr }

func (f *fdConn) SetDeadline(t time.Time) error { return f.SetWriteDeadline(t) }

func (f *fdConn) SetReadDeadline(time.Time) error { return nil }

func (f *fdConn) SetWriteDeadline(t time.Time) error {
	f.mu.Lock()
	f.wdeadline = t
	f.mu.Unlock()
	return nil
}

func sockaddrToTCP(sa syscall.Sockaddr) net.Addr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port}
	case *syscall.SockaddrInet6:
		zone := ""
		if a.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(a.ZoneId)); err == nil {
				zone = ifi.Name
			} else {
				zone = fmt.Sprint(a.ZoneId)
			}
		}
		return &net.TCPAddr{IP: net.IP(append([]byte(nil), a.Addr[:]...)), Port: a.Port, Zone: zone}
	}
	return &net.TCPAddr{}
}
