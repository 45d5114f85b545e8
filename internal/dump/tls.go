package dump

import (
	"context"
	"crypto/tls"
	"net"
	"time"

	"github.com/tandemdb/tandem/internal/tlsconf"
)

// MigrateTLS gives the TLS configuration MIGRATE dials its target with
// (Redis uses TLS there when tls-cluster is on), nil for plain TCP; set
// by internal/app before the server starts.
type MigrateTLS func() *tls.Config

// SetMigrateTLS installs MIGRATE's TLS source.
func (m *Manager) SetMigrateTLS(f MigrateTLS) { m.migrateTLS = f }

// wrapTLS completes a TLS handshake on a freshly dialed MIGRATE
// connection when tls-cluster asks for one, within the dial's timeout.
func (m *Manager) wrapTLS(conn net.Conn, timeout time.Duration) (net.Conn, error) {
	if m.migrateTLS == nil {
		return conn, nil
	}
	cfg := m.migrateTLS()
	if cfg == nil {
		return conn, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tlsconf.NewConn(tc, conn), nil
}
