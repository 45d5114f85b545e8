package server

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
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
	s.closeTCPListeners()
	s.listenMu.Lock()
	s.listeners = append(lns, s.listeners...)
	s.listenMu.Unlock()
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
	if port == 0 || len(s.set.Bind) == 0 {
		return nil, nil // bind "": no TCP (nor TLS) listener, as in Redis
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

// SetBind changes the addresses a running server listens on (srv.mu held:
// CONFIG SET bind). As in Redis 7.0, the TCP and TLS listeners close
// first (a new address may overlap an old one on the same port), the new
// ones open on every address, all or nothing; when one cannot be bound,
// the old addresses are bound again and the reply is Redis's "Failed to
// bind to specified addresses." An empty list closes the TCP and TLS
// listeners (the Unix socket stays). Connections already open stay.
func (s *Server) SetBind(addrs []string) error {
	if slices.Equal(addrs, s.set.Bind) {
		return nil
	}
	old := s.set.Bind
	s.closeTCPListeners()
	tlsOld := s.takeTLSListeners()
	for _, ln := range tlsOld {
		ln.Close()
	}
	s.set.Bind = slices.Clone(addrs)
	if err := s.bindAll(); err != nil {
		s.log.Warningf("Failed to bind %q (%v), trying to restore the old listening sockets.", strings.Join(addrs, " "), err)
		s.set.Bind = old
		if err := s.bindAll(); err != nil {
			s.log.Warningf("Failed to restore the old listening sockets: %v", err)
		}
		return errors.New("Failed to bind to specified addresses.")
	}
	return nil
}

// bindAll opens the TCP and TLS listeners on the bind addresses and serves
// them, all or nothing (srv.mu held; none are open).
func (s *Server) bindAll() error {
	lns, err := s.openListeners(s.set.Port)
	if err != nil {
		return err
	}
	s.tls.mu.Lock()
	var tlsLns []net.Listener
	if s.tls.started && s.tls.port != 0 {
		if tlsLns, err = s.openListeners(s.tls.port); err != nil {
			s.tls.mu.Unlock()
			for _, ln := range lns {
				ln.Close()
			}
			return err
		}
		s.tls.lns = tlsLns
		s.serveTLSListeners(tlsLns)
	}
	s.tls.mu.Unlock()
	s.listenMu.Lock()
	s.listeners = append(lns, s.listeners...)
	s.listenMu.Unlock()
	for _, ln := range lns {
		s.serveListener(ln)
	}
	return nil
}

// closeTCPListeners closes the TCP listeners, keeping the Unix socket's.
func (s *Server) closeTCPListeners() {
	s.listenMu.Lock()
	var old, keep []net.Listener
	for _, ln := range s.listeners {
		if _, tcp := ln.Addr().(*net.TCPAddr); tcp {
			old = append(old, ln)
		} else {
			keep = append(keep, ln)
		}
	}
	s.listeners = keep
	s.listenMu.Unlock()
	for _, ln := range old {
		if s.loop == nil || !s.loop.removeListener(ln) {
			ln.Close() // its acceptLoop ends
		}
	}
}

// takeTLSListeners hands over the TLS listeners, for the caller to close.
func (s *Server) takeTLSListeners() []net.Listener {
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	lns := s.tls.lns
	s.tls.lns = nil
	return lns
}
