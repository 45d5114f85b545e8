// Package tlsconf turns Redis's tls-* directives into crypto/tls
// configurations: the server side (the tls-port listener) and the client
// side (a replica dialing its master with tls-replication). It loads and
// checks every file up front, so that a bad certificate, key, CA or cipher
// list stops start-up or fails CONFIG SET and never surfaces as a
// handshake that cannot work; a Material, once built, is immutable and is
// swapped whole on reload, as Redis swaps its SSL_CTX.
//
// Where Go's crypto/tls cannot do what a setting asks (a TLS 1.3 cipher
// suite left out, a gap in tls-protocols, an OpenSSL cipher Go does not
// implement), Load refuses with an error naming the setting rather than
// run with weaker or different security than configured.
package tlsconf

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// AuthClients is tls-auth-clients: whether a client on the TLS port must
// present a certificate signed by the configured CA.
type AuthClients int

const (
	AuthYes      AuthClients = iota // a valid certificate is required
	AuthNo                          // none is asked for
	AuthOptional                    // one is verified if given
)

// ParseAuthClients maps the directive's value ("yes", "no", "optional").
func ParseAuthClients(v string) AuthClients {
	switch strings.ToLower(v) {
	case "no":
		return AuthNo
	case "optional":
		return AuthOptional
	}
	return AuthYes // also fail-secure, as Redis does
}

// Settings are the tls-* directives Load reads ("" = not set).
type Settings struct {
	CertFile, KeyFile, KeyPass                   string
	ClientCertFile, ClientKeyFile, ClientKeyPass string
	CAFile, CADir                                string
	DHParamsFile                                 string
	Protocols, Ciphers, Ciphersuites             string
	PreferServerCiphers                          bool
	SessionCaching                               bool
	SessionCacheSize                             int
	SessionCacheTimeout                          int // seconds
	// NeedCA: tls-auth-clients is not "no", or tls-replication is on:
	// Redis then insists on a CA, and so does Load.
	NeedCA bool
}

// Material is a loaded TLS configuration. Its configs are built once and
// shared by every connection (they hold the session ticket keys, so a
// resumed session finds its key; a reload starts new keys, dropping the
// old sessions as Redis's new SSL_CTX does).
type Material struct {
	server  [3]*tls.Config // by AuthClients
	client  *tls.Config
	suites  []uint16 // tls-ciphers in order; nil: Go's default choice
	prefer  bool
	timeout time.Duration
	// Warnings are what the loader noticed but accepted (an unused DH
	// parameters file), for the caller to log.
	Warnings []string
}

// Load reads and checks every file and setting; the error says which
// setting failed and why, as Redis's log does ("Failed to load
// certificate: <file>: …").
func Load(s Settings) (*Material, error) {
	if s.CertFile == "" {
		return nil, errors.New("No tls-cert-file configured!")
	}
	if s.KeyFile == "" {
		return nil, errors.New("No tls-key-file configured!")
	}
	if s.NeedCA && s.CAFile == "" && s.CADir == "" {
		return nil, errors.New("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!")
	}
	minV, maxV, err := parseProtocols(s.Protocols)
	if err != nil {
		return nil, err
	}
	suites, err := parseCiphers(s.Ciphers)
	if err != nil {
		return nil, err
	}
	if err := checkCiphersuites(s.Ciphersuites, maxV); err != nil {
		return nil, err
	}
	cert, err := loadKeyPair(s.CertFile, s.KeyFile, s.KeyPass)
	if err != nil {
		return nil, err
	}
	clientCert := cert
	if s.ClientCertFile != "" && s.ClientKeyFile != "" {
		if clientCert, err = loadKeyPair(s.ClientCertFile, s.ClientKeyFile, s.ClientKeyPass); err != nil {
			return nil, err
		}
	}
	roots, err := loadCAs(s.CAFile, s.CADir)
	if err != nil {
		return nil, err
	}
	m := &Material{prefer: s.PreferServerCiphers, timeout: time.Duration(s.SessionCacheTimeout) * time.Second}
	if s.DHParamsFile != "" {
		if err := checkDHParams(s.DHParamsFile); err != nil {
			return nil, err
		}
		m.Warnings = append(m.Warnings, "tls-dh-params-file "+s.DHParamsFile+" is valid but not used: Go's crypto/tls offers no DHE cipher suites (ECDHE only)")
	}
	if suites != nil {
		m.suites = compatibleSuites(suites, cert)
		if len(m.suites) == 0 && minV < tls.VersionTLS13 {
			return nil, fmt.Errorf("Failed to configure ciphers: %s: none of them works with the certificate's key type", s.Ciphers)
		}
	}

	// Client certificates are checked by verifyClient rather than through
	// ClientCAs: Go would list the CA names in its certificate request, and
	// a Go client then sends no certificate at all when its own is not
	// from one of them (a self-signed one), where OpenSSL's clients and
	// Redis's server (which lists none) send it and refuse it.
	for i, auth := range []tls.ClientAuthType{tls.RequireAnyClientCert, tls.NoClientCert, tls.RequestClientCert} {
		c := &tls.Config{
			Certificates: []tls.Certificate{cert},
			ClientAuth:   auth,
			MinVersion:   minV,
			MaxVersion:   maxV,
			CipherSuites: m.suites,
			// Redis disables renegotiation; Go servers never renegotiate.
			SessionTicketsDisabled: !s.SessionCaching,
			// Full-size records from the start: replies and the
			// replication stream are throughput traffic, and small first
			// records (a browser's latency trick) only add records.
			DynamicRecordSizingDisabled: true,
		}
		if auth != tls.NoClientCert {
			c.VerifyPeerCertificate = verifyClient(roots)
		}
		// A key per mode: a session resumes only under the client
		// authentication it was made with.
		var ticketKey [32]byte
		rand.Read(ticketKey[:])
		c.SetSessionTicketKeys([][32]byte{ticketKey})
		if s.SessionCaching && m.timeout > 0 {
			c.WrapSession, c.UnwrapSession = m.wrapSession(c), m.unwrapSession(c)
		}
		if m.suites != nil {
			c.GetConfigForClient = m.pickSuite(c)
		}
		m.server[i] = c
	}
	m.client = &tls.Config{
		Certificates: []tls.Certificate{clientCert},
		MinVersion:   minV,
		MaxVersion:   maxV,
		CipherSuites: suites,
		// Redis checks the master's chain against the CA but not its name
		// (OpenSSL is given no host to match): verifyChain does the same.
		InsecureSkipVerify:          true,
		VerifyConnection:            verifyChain(roots),
		DynamicRecordSizingDisabled: true,
	}
	return m, nil
}

// Server is the listener's configuration for a tls-auth-clients mode.
func (m *Material) Server(auth AuthClients) *tls.Config { return m.server[auth] }

// Client is the configuration a replica dials its master with.
func (m *Material) Client() *tls.Config { return m.client }

// verifyChain checks the peer's chain against roots, without a host name.
func verifyChain(roots *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the peer sent no certificate")
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(opts)
		return err
	}
}

// verifyClient checks a client's certificate chain (when it sent one)
// against roots, for client authentication.
func verifyClient(roots *x509.CertPool) func([][]byte, [][]*x509.Certificate) error {
	return func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return nil // RequireAnyClientCert already refused none
		}
		if roots == nil {
			return errors.New("no CA configured to verify the client's certificate")
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		var leaf *x509.Certificate
		for i, der := range raw {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return fmt.Errorf("failed to parse client certificate: %w", err)
			}
			if i == 0 {
				leaf = c
			} else {
				opts.Intermediates.AddCert(c)
			}
		}
		if _, err := leaf.Verify(opts); err != nil {
			return fmt.Errorf("failed to verify certificate: %w", err)
		}
		return nil
	}
}

// wrapSession and unwrapSession enforce tls-session-cache-timeout on
// session tickets (Go resumes from tickets, not from a server-side cache
// as OpenSSL does): the ticket carries its issue time, sealed inside it,
// and an older one is not resumed (a full handshake follows).
func (m *Material) wrapSession(c *tls.Config) func(tls.ConnectionState, *tls.SessionState) ([]byte, error) {
	return func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		// A resumed session's state carries the stamp of the ticket it
		// came from: the new ticket's replaces it.
		ss.Extra = slices.DeleteFunc(ss.Extra, func(e []byte) bool { return bytes.HasPrefix(e, issuedTag) })
		stamp := binary.BigEndian.AppendUint64(nil, uint64(time.Now().Unix()))
		ss.Extra = append(ss.Extra, append(slices.Clip(issuedTag), stamp...))
		return c.EncryptTicket(cs, ss)
	}
}

// issuedTag marks the issue time in a ticket's session state.
var issuedTag = []byte("tandem-issued:")

func (m *Material) unwrapSession(c *tls.Config) func([]byte, tls.ConnectionState) (*tls.SessionState, error) {
	return func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := c.DecryptTicket(identity, cs)
		if err != nil || ss == nil {
			return nil, err
		}
		for _, e := range ss.Extra {
			if rest, ok := bytes.CutPrefix(e, issuedTag); ok && len(rest) == 8 {
				issued := time.Unix(int64(binary.BigEndian.Uint64(rest)), 0)
				if time.Since(issued) <= m.timeout {
					return ss, nil
				}
			}
		}
		return nil, nil // too old (or not ours): no resumption
	}
}

// pickSuite makes tls-ciphers' order and tls-prefer-server-ciphers hold
// for TLS 1.2 (Go ignores a configured order and picks by its own rules):
// the handshake gets a config offering the one suite Redis would choose,
// the server's first the client offers with prefer-server-ciphers yes,
// else the client's first the server allows.
func (m *Material) pickSuite(base *tls.Config) func(*tls.ClientHelloInfo) (*tls.Config, error) {
	return func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
		allowed := func(id uint16) bool {
			for _, s := range m.suites {
				if s == id {
					return true
				}
			}
			return false
		}
		var pick uint16
		if m.prefer {
			for _, s := range m.suites {
				for _, c := range hi.CipherSuites {
					if c == s {
						pick = s
						break
					}
				}
				if pick != 0 {
					break
				}
			}
		} else {
			for _, c := range hi.CipherSuites {
				if allowed(c) {
					pick = c
					break
				}
			}
		}
		if pick == 0 {
			return nil, nil // no common suite: the handshake fails (or is TLS 1.3)
		}
		c := base.Clone()
		c.CipherSuites = []uint16{pick}
		c.GetConfigForClient = nil
		return c, nil
	}
}

// loadCAs reads the CA bundle and every certificate in the CA directory
// (OpenSSL looks up hashed names there; every PEM file is read here).
func loadCAs(file, dir string) (*x509.CertPool, error) {
	if file == "" && dir == "" {
		return nil, nil
	}
	pool := x509.NewCertPool()
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %w", err)
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %s: no PEM certificate found", file)
		}
	}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("Failed to configure CA certificate(s) file/directory: %w", err)
		}
		for _, e := range ents {
			if e.IsDir() {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				pool.AppendCertsFromPEM(b)
			}
		}
	}
	return pool, nil
}

// parseProtocols maps tls-protocols ("TLSv1.2 TLSv1.3", any case) to a
// version range; "" is Redis's default, TLS 1.2 and 1.3. Go takes a
// range only, so a gap ("TLSv1 TLSv1.2") is refused.
func parseProtocols(v string) (uint16, uint16, error) {
	if strings.TrimSpace(v) == "" {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	var set [4]bool
	for _, tok := range strings.Split(v, " ") {
		switch strings.ToLower(tok) {
		case "tlsv1":
			set[0] = true
		case "tlsv1.1":
			set[1] = true
		case "tlsv1.2":
			set[2] = true
		case "tlsv1.3":
			set[3] = true
		case "":
		default:
			return 0, 0, errors.New("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
		}
	}
	versions := [4]uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13}
	lo, hi := -1, -1
	for i, on := range set {
		if on {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	if lo < 0 {
		return 0, 0, errors.New("Invalid tls-protocols configuration string")
	}
	for i := lo; i <= hi; i++ {
		if !set[i] {
			return 0, 0, fmt.Errorf("tls-protocols %q is not supported by Tandem: Go's crypto/tls enables a contiguous range of versions", v)
		}
	}
	return versions[lo], versions[hi], nil
}
