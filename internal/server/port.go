package server

import (
	"errors"
	"fmt"
	"net"
)

// CONFIG SET port: the TCP listeners replaced while the server runs.

// SetPort changes the TCP port of a running server (srv.mu held: CONFIG
// SET). As in Redis 7.0, the new port's listeners are opened on every
// bind address before the old ones close, so a port that cannot be bound
// leaves things as they were, with Redis's reply; 0 closes the TCP
// listeners (a TLS-only or Unix-socket-only server). The old listeners
// are closed before it returns, so the port is free for the next CONFIG
// SET (tls-port taking it over, as Redis's tests do). Connections already
// open stay.
func (s *Server) SetPort(port int) error {
	if port == s.set.Port {
		return nil
	}
	lns, err := s.openListeners(port)
	if err != nil {
		s.log.Warningf("Failed listening on port %d (tcp): %v", port, err)
		return errors.New("Unable to listen on this port. Check server logs.")
	}
	s.listenMu.Lock()
	var old, keep []net.Listener
	for _, ln := range s.listeners {
		if _, tcp := ln.Addr().(*net.TCPAddr); tcp {
			old = append(old, ln)
		} else {
			keep = append(keep, ln)
		}
	}
	s.listeners = append(lns, keep...)
	s.listenMu.Unlock()
	for _, ln := range old {
		if s.loop == nil || !s.loop.removeListener(ln) {
			ln.Close() // its acceptLoop ends
		}
	}
	for _, ln := range lns {
		s.serveListener(ln)
	}
	s.set.Port = port
	s.log.Noticef("Listening on TCP port %d", port)
	return nil
}

// openListeners binds port on every bind address (a "-" address is
// optional); all or nothing. Port 0: none.
func (s *Server) openListeners(port int) ([]net.Listener, error) {
	if port == 0 {
		return nil, nil
	}
	var lns []net.Listener
	for _, a := range s.listenAddrsFor(port) {
		ln, err := net.Listen("tcp", a.addr)
		if err != nil {
			if a.optional {
				continue
			}
			for _, l := range lns {
				l.Close()
			}
			return nil, err
		}
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		return nil, fmt.Errorf("no address to listen on for port %d", port)
	}
	return lns, nil
}

// serveListener serves a TCP or Unix listener: on the event loop when
// there is one that can take it, else on an accept goroutine.
func (s *Server) serveListener(ln net.Listener) {
	if s.loop != nil && s.loop.addListener(ln) == nil {
		return
	}
	s.wg.Add(1)
	go s.acceptLoop(ln, s.serve)
}
