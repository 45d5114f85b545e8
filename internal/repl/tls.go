package repl

import (
	"context"
	"crypto/tls"
	"net"

	"github.com/tandemdb/tandem/internal/tlsconf"
)

// LinkTLS says how a replica reaches its master (tls-replication): the
// TLS configuration to dial with, nil for plain TCP, and the TLS port to
// announce in REPLCONF listening-port (0: announce port). internal/app
// implements it from the configuration; it is read without the server
// lock, so its answers come from values swapped whole (atomics).
type LinkTLS interface {
	ReplicaTLS() (cfg *tls.Config, announcePort int)
}

// SetLinkTLS installs the replica side's TLS source (before Start).
func (m *Manager) SetLinkTLS(t LinkTLS) { m.linkTLS = t }

// replicaTLS is m.linkTLS's answer, or none.
func (m *Manager) replicaTLS() (*tls.Config, int) {
	if m.linkTLS == nil {
		return nil, 0
	}
	return m.linkTLS.ReplicaTLS()
}

// tlsHandshake wraps a dialed connection in TLS and completes the
// handshake before ctx ends; on failure conn is closed.
func tlsHandshake(ctx context.Context, conn net.Conn, cfg *tls.Config) (net.Conn, error) {
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tlsconf.NewConn(tc, conn), nil // a close never waits on the master
}
