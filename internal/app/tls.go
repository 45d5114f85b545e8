package app

import (
	"crypto/tls"
	"errors"
	"sync/atomic"

	"github.com/tandemdb/tandem/internal/config"
	"github.com/tandemdb/tandem/internal/dump"
	"github.com/tandemdb/tandem/internal/logger"
	"github.com/tandemdb/tandem/internal/repl"
	"github.com/tandemdb/tandem/internal/server"
	"github.com/tandemdb/tandem/internal/tlsconf"
)

// tlsParts holds an instance's TLS configuration between the config and
// its users: the server's TLS port and replication's dialer. Values are
// swapped whole, so the replica's dialer reads them without the lock.
type tlsParts struct {
	srv         *server.Server
	log         *logger.Logger
	mat         atomic.Pointer[tlsconf.Material]
	replication atomic.Bool
	cluster     atomic.Bool
	port        atomic.Int32
}

var _ repl.LinkTLS = (*tlsParts)(nil)

// ReplicaTLS is tls-replication: the client configuration (nil: plain
// TCP) and the TLS port a replica announces.
func (t *tlsParts) ReplicaTLS() (*tls.Config, int) {
	m := t.mat.Load()
	if !t.replication.Load() || m == nil {
		return nil, 0
	}
	return m.Client(), int(t.port.Load())
}

// MigrateTLS is tls-cluster: MIGRATE dials its target over TLS, as Redis
// does (Tandem has no cluster bus; MIGRATE is the one link it governs).
func (t *tlsParts) MigrateTLS() *tls.Config {
	m := t.mat.Load()
	if !t.cluster.Load() || m == nil {
		return nil
	}
	return m.Client()
}

// errTLSConfigure and errTLSUpdate are Redis's texts for a TLS setup that
// failed at start-up and at CONFIG SET (the log says why).
var (
	errTLSConfigure = errors.New("Failed to configure TLS. Check logs for more info.")
	errTLSUpdate    = errors.New("Unable to update TLS configuration. Check server logs.")
)

// load builds the TLS material from c and installs it; the reason of a
// failure is logged and the old material stays.
func (t *tlsParts) load(c config.TLS, fail error) error {
	m, err := tlsconf.Load(tlsconf.Settings{
		CertFile: c.CertFile, KeyFile: c.KeyFile, KeyPass: c.KeyPass,
		ClientCertFile: c.ClientCertFile, ClientKeyFile: c.ClientKeyFile, ClientKeyPass: c.ClientKeyPass,
		CAFile: c.CAFile, CADir: c.CADir, DHParamsFile: c.DHParamsFile,
		Protocols: c.Protocols, Ciphers: c.Ciphers, Ciphersuites: c.Ciphersuites,
		PreferServerCiphers: c.PreferServerCiphers, SessionCaching: c.SessionCaching,
		SessionCacheSize: c.SessionCacheSize, SessionCacheTimeout: c.SessionCacheTimeout,
		NeedCA: c.AuthClients != "no" || c.Replication || c.Cluster,
	})
	if err != nil {
		t.log.Warningf("%v", err)
		return fail
	}
	for _, w := range m.Warnings {
		t.log.Warningf("%s", w)
	}
	t.mat.Store(m)
	t.srv.SetTLS(m)
	return nil
}

// wireTLS sets TLS up at start-up, when the configuration asks for it
// (a TLS port or tls-replication, as Redis decides), and subscribes to
// the CONFIG SETs that change it: the files and handshake settings
// rebuild it (Redis's apply_tls: a bad file fails the CONFIG SET and the
// old configuration stays), tls-port rebinds, tls-auth-clients and
// tls-replication apply from the next handshake or link.
func wireTLS(cfg *config.Config, log *logger.Logger, srv *server.Server, rm *repl.Manager, dm *dump.Manager) (*tlsParts, error) {
	t := &tlsParts{srv: srv, log: log}
	rm.SetLinkTLS(t)
	dm.SetMigrateTLS(t.MigrateTLS)
	apply := func(c config.TLS) {
		srv.SetTLSAuthClients(tlsconf.ParseAuthClients(c.AuthClients))
		t.replication.Store(c.Replication)
		t.cluster.Store(c.Cluster)
		t.port.Store(int32(c.Port))
	}
	tc := cfg.TLS()
	if tc.Enabled() {
		if err := t.load(tc, errTLSConfigure); err != nil {
			return nil, err
		}
	}
	apply(tc)
	srv.SetTLSPort(tc.Port)

	cfg.Subscribe(func(c *config.Config) error {
		if tc := c.TLS(); tc.Enabled() {
			return t.load(tc, errTLSUpdate)
		}
		return nil
	}, config.TLSReloadDirectives...)
	cfg.Subscribe(func(c *config.Config) error {
		tc := c.TLS()
		if tc.Enabled() && t.mat.Load() == nil {
			if err := t.load(tc, errTLSUpdate); err != nil {
				return err
			}
		}
		apply(tc)
		return srv.SetTLSPort(tc.Port)
	}, "tls-port", "tls-replication", "tls-cluster", "tls-auth-clients")
	return t, nil
}
