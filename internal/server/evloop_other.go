//go:build !linux

package server

import (
	"crypto/tls"
	"errors"
	"net"
)

// eventLoop exists on Linux only (epoll); elsewhere every connection is
// served on its own goroutine.
type eventLoop struct {
	s *Server
	taskQueue
}

func newEventLoop(*Server) (*eventLoop, error) { return nil, nil }

func (*eventLoop) run()                  {}
func (*eventLoop) convert(*client) error { return nil }

func (*eventLoop) canWake() bool { return false }

func (*eventLoop) busyRound(*client) {}
func (*eventLoop) wake()             {}

func (*eventLoop) addListener(net.Listener) error { return errNoLoop }

func (*eventLoop) removeListener(net.Listener) bool { return false }

var errNoLoop = errors.New("no event loop on this system")

// handOff is never needed without an event loop: no client is a loop
// client.
func (s *Server) handOff(*client, []byte, bool) {}

// TLS clients stay on the goroutine path: the handshake runs over the
// listener's connection itself.
func newTLSTransport(raw net.Conn) net.Conn { return raw }

func (s *Server) adoptTLS(*tls.Conn, net.Conn) bool { return false }

func (c *client) writeOrHoldTLS([]byte) (bool, error) { return false, nil }

func (c *client) flushHandedTLS() {}

func (*eventLoop) keepsBlocked(*client) bool { return false }

func (*eventLoop) queueWoken(*client) {}

func (*eventLoop) detachOnLoop(*client) net.Conn { return nil }

func loopTLSMem(net.Conn) (bufs, room int64) { return 0, 0 }
