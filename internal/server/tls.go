package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemdb/tandem/internal/tlsconf"
)

// TLS clients (tls-port). A TLS listener is served by its own accept
// goroutine, and each connection's handshake runs on a goroutine of its
// own with a deadline: only a completed handshake makes a client. A client
// that stalls mid-handshake, speaks plain text or shows a certificate the
// CA did not sign costs one goroutine until it fails, and is closed with a
// log line; it never holds srv.mu and never delays the event loop. Once
// the handshake is done the client joins the event loop like a plain one,
// its records read and written by the loop (tlsloop_linux.go); without an
// event loop it stays on the goroutine path (modeConn, see connMode).

// tlsHandshakeTimeout bounds a TLS handshake (Redis has no bound: a peer
// that never finishes holds a connection for good).
const tlsHandshakeTimeout = 10 * time.Second

// tlsState is the server's TLS side. mat and auth are swapped whole by
// CONFIG SET and read by each handshake without srv.mu; the listeners
// change under mu.
type tlsState struct {
	mat  atomic.Pointer[tlsconf.Material]
	auth atomic.Int32 // tlsconf.AuthClients

	mu      sync.Mutex
	started bool // Start opened the listeners (or had none to open)
	port    int
	lns     []net.Listener
	// shaking are the connections in a handshake, closed by Close.
	shaking map[net.Conn]struct{}
}

// SetTLS installs a TLS configuration (nil: none), for the next
// handshakes; connections already set up keep theirs, as in Redis.
func (s *Server) SetTLS(m *tlsconf.Material) { s.tls.mat.Store(m) }

// SetTLSAuthClients sets tls-auth-clients for the next handshakes.
func (s *Server) SetTLSAuthClients(a tlsconf.AuthClients) { s.tls.auth.Store(int32(a)) }

// TLSAuthClients is the tls-auth-clients mode of the next handshakes.
func (s *Server) TLSAuthClients() tlsconf.AuthClients { return tlsconf.AuthClients(s.tls.auth.Load()) }

// SetTLSPort sets the TLS port to listen on. Before Start it is recorded;
// once running, the new port's listeners are opened (on every bind
// address) before the old ones close, so a port that cannot be bound
// leaves things as they were and the error is Redis's CONFIG SET reply.
func (s *Server) SetTLSPort(port int) error {
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	if !s.tls.started {
		s.tls.port = port
		return nil
	}
	if port == s.tls.port {
		return nil
	}
	lns, err := s.openTLSListeners(port)
	if err != nil {
		s.log.Warningf("Failed listening on port %d (TLS): %v", port, err)
		return errors.New("Unable to listen on this port. Check server logs.")
	}
	for _, ln := range s.tls.lns {
		ln.Close()
	}
	s.tls.lns, s.tls.port = lns, port
	s.serveTLSListeners(lns)
	return nil
}

// TLSPort is the TLS port the server listens on (0: none).
func (s *Server) TLSPort() int {
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	return s.tls.port
}

// TLSAddr is the first TLS listening address (nil: none).
func (s *Server) TLSAddr() net.Addr {
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	if len(s.tls.lns) == 0 {
		return nil
	}
	return s.tls.lns[0].Addr()
}

// listenTLS opens the tls-port listeners at Start (tls.mu not held).
func (s *Server) listenTLS() error {
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	s.tls.started = true
	if s.tls.port == 0 {
		return nil
	}
	if s.tls.mat.Load() == nil {
		return errors.New("Failed to configure TLS. Check logs for more info.")
	}
	lns, err := s.openTLSListeners(s.tls.port)
	if err != nil {
		return fmt.Errorf("Failed listening on port %d (TLS), aborting: %w", s.tls.port, err)
	}
	s.tls.lns = lns
	return nil
}

// openTLSListeners binds port on every bind address, as the TCP port is
// (openListeners); all or nothing. A negative port (tests) is a free one.
func (s *Server) openTLSListeners(port int) ([]net.Listener, error) {
	lns, err := s.openListeners(port)
	if err == nil && port < 0 {
		s.tls.port = lns[0].Addr().(*net.TCPAddr).Port
	}
	return lns, err
}

// serveTLSListeners starts an accept goroutine per listener.
func (s *Server) serveTLSListeners(lns []net.Listener) {
	for _, ln := range lns {
		s.wg.Add(1)
		go s.acceptLoop(ln, s.serveTLS)
	}
}

// closeTLS closes the TLS listeners and the connections still in their
// handshake (Close).
func (s *Server) closeTLS() {
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	for _, ln := range s.tls.lns {
		ln.Close()
	}
	for c := range s.tls.shaking {
		c.Close()
	}
}

// serveTLS runs a TLS connection's handshake, bounded in time, then
// serves it as any goroutine-path client.
func (s *Server) serveTLS(raw net.Conn) {
	// Nothing before the handshake takes srv.mu: a handshake never waits
	// on a command (MIGRATE to our own TLS port holds the lock meanwhile).
	tcp, _ := raw.(*net.TCPConn)
	if tcp != nil {
		tcp.SetNoDelay(true)
	}
	m := s.tls.mat.Load()
	if m == nil { // TLS was never configured: cannot happen with a listener
		raw.Close()
		return
	}
	if !s.trackHandshake(raw, true) {
		raw.Close()
		return
	}
	tr := newTLSTransport(raw) // the loop can take it over after the handshake
	conn := tls.Server(tr, m.Server(tlsconf.AuthClients(s.tls.auth.Load())))
	ctx, cancel := context.WithTimeout(context.Background(), tlsHandshakeTimeout)
	err := conn.HandshakeContext(ctx)
	cancel()
	s.trackHandshake(raw, false)
	if err != nil {
		s.log.Warningf("Error accepting a client connection: %s (addr=%s laddr=%s)", handshakeError(err), raw.RemoteAddr(), raw.LocalAddr())
		raw.Close()
		return
	}
	s.mu.Lock()
	keepAlive := s.set.TCPKeepAlive
	s.mu.Unlock()
	if tcp != nil && keepAlive > 0 {
		tcp.SetKeepAlive(true)
		tcp.SetKeepAlivePeriod(time.Duration(keepAlive) * time.Second)
	}
	if s.adoptTLS(conn, tr) {
		return
	}
	s.serve(tlsconf.NewConn(conn, tr))
}

// trackHandshake adds raw to (or removes it from) the connections in a
// handshake; adding fails once the server is closing.
func (s *Server) trackHandshake(raw net.Conn, add bool) bool {
	s.tls.mu.Lock()
	defer s.tls.mu.Unlock()
	if !add {
		delete(s.tls.shaking, raw)
		return true
	}
	if s.closing.Load() {
		return false
	}
	if s.tls.shaking == nil {
		s.tls.shaking = make(map[net.Conn]struct{})
	}
	s.tls.shaking[raw] = struct{}{}
	return true
}

// handshakeError is a handshake failure as the log says it.
func handshakeError(err error) string {
	var rh tls.RecordHeaderError
	switch {
	case errors.As(err, &rh):
		return "not a TLS handshake (plain text sent to the TLS port?)"
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("TLS handshake not completed within %s", tlsHandshakeTimeout)
	}
	return strings.TrimPrefix(err.Error(), "tls: ")
}
