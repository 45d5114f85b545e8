package server

import (
	"fmt"
	"net"
	"os"
)

// listenUnix opens the unixsocket listener, as Redis does: a stale socket
// file left by a previous run is removed first, and unixsocketperm, when
// set, becomes the file's mode. The listener removes the file when it is
// closed (shutdown).
func (s *Server) listenUnix() error {
	path := s.set.UnixSocket
	if path == "" {
		return nil
	}
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("Failed opening Unix socket: %w", err)
	}
	if perm := s.set.UnixSocketPerm; perm != 0 {
		if err := os.Chmod(path, perm); err != nil {
			ln.Close()
			return fmt.Errorf("Failed opening Unix socket: %w", err)
		}
	}
	s.listeners = append(s.listeners, ln)
	s.log.Noticef("The server is now ready to accept connections at %s", path)
	return nil
}

// unixAddr is how a client of the Unix socket is named in CLIENT LIST,
// SLOWLOG and logs, both addr and laddr: the socket's path and port 0, as
// Redis names it.
func unixAddr(path string) string { return path + ":0" }
