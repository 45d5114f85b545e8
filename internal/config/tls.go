package config

import "strconv"

// TLS is the tls-* directives as one typed value, for the part that
// builds the TLS configuration (internal/tlsconf, wired in internal/app).
// Most are stored settings (no Config field): they are read here by name.
type TLS struct {
	Port                                         int
	CertFile, KeyFile, KeyPass                   string
	ClientCertFile, ClientKeyFile, ClientKeyPass string
	CAFile, CADir, DHParamsFile                  string
	AuthClients                                  string // "yes", "no", "optional"
	Replication, Cluster                         bool
	Protocols, Ciphers, Ciphersuites             string
	PreferServerCiphers, SessionCaching          bool
	SessionCacheSize, SessionCacheTimeout        int
}

// TLS returns the tls-* settings in force.
func (c *Config) TLS() TLS {
	get := func(name string) string {
		if v := c.Get(name); len(v) == 1 {
			return v[0][1]
		}
		return ""
	}
	num := func(name string) int {
		n, _ := strconv.Atoi(get(name))
		return n
	}
	yes := func(name string) bool { return get(name) == "yes" }
	return TLS{
		Port:     c.TLSPort,
		CertFile: get("tls-cert-file"), KeyFile: get("tls-key-file"), KeyPass: get("tls-key-file-pass"),
		ClientCertFile: get("tls-client-cert-file"), ClientKeyFile: get("tls-client-key-file"),
		ClientKeyPass: get("tls-client-key-file-pass"),
		CAFile:        get("tls-ca-cert-file"), CADir: get("tls-ca-cert-dir"), DHParamsFile: get("tls-dh-params-file"),
		AuthClients: get("tls-auth-clients"),
		Replication: yes("tls-replication"), Cluster: yes("tls-cluster"),
		Protocols: get("tls-protocols"), Ciphers: get("tls-ciphers"), Ciphersuites: get("tls-ciphersuites"),
		PreferServerCiphers: yes("tls-prefer-server-ciphers"), SessionCaching: yes("tls-session-caching"),
		SessionCacheSize: num("tls-session-cache-size"), SessionCacheTimeout: num("tls-session-cache-timeout"),
	}
}

// Enabled reports whether TLS must be set up, as Redis decides it: a TLS
// port, or replication over TLS.
func (t TLS) Enabled() bool { return t.Port != 0 || t.Replication || t.Cluster }

// TLSReloadDirectives are the directives whose CONFIG SET rebuilds the TLS
// configuration (Redis's apply_tls): the files and the handshake settings.
// tls-auth-clients and tls-replication are read where they are used.
var TLSReloadDirectives = []string{
	"tls-cert-file", "tls-key-file", "tls-key-file-pass",
	"tls-client-cert-file", "tls-client-key-file", "tls-client-key-file-pass",
	"tls-dh-params-file", "tls-ca-cert-file", "tls-ca-cert-dir",
	"tls-protocols", "tls-ciphers", "tls-ciphersuites", "tls-prefer-server-ciphers",
	"tls-session-caching", "tls-session-cache-size", "tls-session-cache-timeout",
}
