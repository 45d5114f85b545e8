package test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// peerCN dials addr over TLS and returns the server certificate's CN.
func peerCN(addr string, cfg *tls.Config) (string, error) {
	conn, err := tls.DialWithDialer(&netDialer, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
}

// CONFIG SET of the certificate files reloads them for new connections,
// as Redis does; a connection made before keeps working; a file that
// does not load fails the CONFIG SET with Redis's error and keeps the old
// certificates; an encrypted key needs tls-key-file-pass, in the legacy
// PEM form and in OpenSSL 3's PKCS#8 form. Redis is put through the same
// steps and must answer the same.
func TestTLSConfigSetReloads(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	ctx := ctxFor(t, 2*time.Minute)
	crt2, key2, _ := p.issue(t, "server2", 10, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, time.Now().Add(time.Hour), false)
	legacyKey, pkcs8Key := encryptKeys(t, p, key2, "s3cret")
	for _, n := range []*tlsNode{startTLSTandem(t, p, "tandem"), startTLSRedis(t, p, "redis")} {
		cfg := p.clientConfig(&p.cliPair)
		before := tlsClient(t, n.tlsAddr(), cfg)
		if err := before.Ping(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-cert-file", crt2, "tls-key-file", key2)
		if cn, err := peerCN(n.tlsAddr(), cfg); err != nil || cn != "server2" {
			t.Errorf("%s: after the reload the server shows %q (%v), want server2", n.name, cn, err)
		}
		if err := before.Ping(ctx).Err(); err != nil {
			t.Errorf("%s: a connection made before the reload: %v", n.name, err)
		}
		// Rotation: new contents under the same names, CONFIG SET to the
		// same value reloads them (Redis's VOLATILE_CONFIG).
		rotCrt, rotKey := filepath.Join(t.TempDir(), "rot.crt"), filepath.Join(t.TempDir(), "rot.key")
		copyFile(t, p.srvCrt, rotCrt)
		copyFile(t, p.srvKey, rotKey)
		mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-cert-file", rotCrt, "tls-key-file", rotKey)
		if cn, _ := peerCN(n.tlsAddr(), cfg); cn != "server" {
			t.Errorf("%s: shows %q before the rotation", n.name, cn)
		}
		copyFile(t, crt2, rotCrt)
		copyFile(t, key2, rotKey)
		mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-cert-file", rotCrt, "tls-key-file", rotKey)
		if cn, _ := peerCN(n.tlsAddr(), cfg); cn != "server2" {
			t.Errorf("%s: shows %q after rotating the files and CONFIG SET of the same names", n.name, cn)
		}
		// A missing file: refused, the old certificate stays.
		err := n.c.Do(ctx, "CONFIG", "SET", "tls-cert-file", filepath.Join(p.dir, "missing.crt")).Err()
		if err == nil || !strings.Contains(err.Error(), "Unable to update TLS configuration. Check server logs.") {
			t.Errorf("%s: CONFIG SET of a missing certificate: %v", n.name, err)
		}
		if got := n.c.ConfigGet(ctx, "tls-cert-file").Val()["tls-cert-file"]; got != rotCrt {
			t.Errorf("%s: tls-cert-file is %q after a failed CONFIG SET", n.name, got)
		}
		if cn, err := peerCN(n.tlsAddr(), cfg); err != nil || cn != "server2" {
			t.Errorf("%s: after a failed reload the server shows %q (%v)", n.name, cn, err)
		}
		// Encrypted keys.
		for _, enc := range []string{legacyKey, pkcs8Key} {
			mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-key-file", key2, "tls-key-file-pass", "")
			err := n.c.Do(ctx, "CONFIG", "SET", "tls-key-file", enc).Err()
			if err == nil || !strings.Contains(err.Error(), "Unable to update TLS") {
				t.Errorf("%s: encrypted key %s without its password: %v", n.name, filepath.Base(enc), err)
			}
			mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-key-file-pass", "wrong")
			if err := n.c.Do(ctx, "CONFIG", "SET", "tls-key-file", enc).Err(); err == nil {
				t.Errorf("%s: encrypted key %s with a wrong password accepted", n.name, filepath.Base(enc))
			}
			mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-key-file-pass", "s3cret")
			if err := n.c.Do(ctx, "CONFIG", "SET", "tls-key-file", enc).Err(); err != nil {
				t.Errorf("%s: encrypted key %s with its password: %v", n.name, filepath.Base(enc), err)
			}
			if r, err := tlsPing(n.tlsAddr(), cfg); err != nil || r != "+PONG" {
				t.Errorf("%s: PING with the encrypted key %s: %q %v", n.name, filepath.Base(enc), r, err)
			}
		}
		if got := n.c.ConfigGet(ctx, "tls-key-file-pass").Val()["tls-key-file-pass"]; got != "s3cret" {
			t.Errorf("%s: CONFIG GET tls-key-file-pass: %q", n.name, got)
		}
	}
}

// encryptKeys writes keyFile encrypted with pass, in the legacy PEM form
// (DEK-Info) and in PKCS#8 (PBES2, what OpenSSL 3 writes), using openssl.
func encryptKeys(t testing.TB, p *testPKI, keyFile, pass string) (legacy, pkcs8 string) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	legacy = filepath.Join(p.dir, "legacy-enc.key")
	pkcs8 = filepath.Join(p.dir, "pkcs8-enc.key")
	for _, args := range [][]string{
		{"rsa", "-in", keyFile, "-out", legacy, "-aes256", "-traditional", "-passout", "pass:" + pass},
		{"pkcs8", "-topk8", "-v2", "aes256", "-in", keyFile, "-out", pkcs8, "-passout", "pass:" + pass},
	} {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	b, _ := os.ReadFile(legacy)
	if blk, _ := pem.Decode(b); blk == nil || !strings.Contains(blk.Headers["Proc-Type"], "ENCRYPTED") {
		t.Fatalf("%s is not a legacy encrypted key", legacy)
	}
	b, _ = os.ReadFile(pkcs8)
	if blk, _ := pem.Decode(b); blk == nil || blk.Type != "ENCRYPTED PRIVATE KEY" {
		t.Fatalf("%s is not a PKCS#8 encrypted key", pkcs8)
	}
	return legacy, pkcs8
}

// tls-protocols, tls-ciphers and tls-prefer-server-ciphers, set by CONFIG
// SET, as Redis applies them: a protocol left out is refused, a cipher
// left out is refused, and the suite chosen follows the client's order
// unless the server's is preferred (seen with openssl s_client, whose
// order is the one given). Unknown names fail the CONFIG SET.
func TestTLSProtocolsAndCiphers(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	p := newPKI(t)
	ctx := ctxFor(t, 2*time.Minute)
	for _, n := range []*tlsNode{startTLSTandem(t, p, "tandem"), startTLSRedis(t, p, "redis")} {
		cfg := func(minV, maxV uint16, suites ...uint16) *tls.Config {
			c := p.clientConfig(&p.cliPair)
			c.MinVersion, c.MaxVersion, c.CipherSuites = minV, maxV, suites
			return c
		}
		works := func(c *tls.Config) bool { r, err := tlsPing(n.tlsAddr(), c); return err == nil && r == "+PONG" }
		if !works(cfg(tls.VersionTLS13, tls.VersionTLS13)) || !works(cfg(tls.VersionTLS12, tls.VersionTLS12)) {
			t.Errorf("%s: TLS 1.2 and 1.3 by default", n.name)
		}
		mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-protocols", "TLSv1.2")
		if works(cfg(tls.VersionTLS13, tls.VersionTLS13)) || !works(cfg(tls.VersionTLS12, tls.VersionTLS12)) {
			t.Errorf("%s: tls-protocols TLSv1.2", n.name)
		}
		mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-ciphers", "DEFAULT:-ECDHE-RSA-AES128-GCM-SHA256")
		if works(cfg(0, 0, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)) || !works(cfg(0, 0, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)) {
			t.Errorf("%s: tls-ciphers DEFAULT:-ECDHE-RSA-AES128-GCM-SHA256", n.name)
		}
		mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-ciphers", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384")
		for _, prefer := range []string{"no", "yes"} {
			mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-prefer-server-ciphers", prefer)
			got := sClientCipher(t, p, n.tlsPort, "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256")
			want := map[string]string{"no": "ECDHE-RSA-AES256-GCM-SHA384", "yes": "ECDHE-RSA-AES128-GCM-SHA256"}[prefer]
			if got != want {
				t.Errorf("%s: tls-prefer-server-ciphers %s: cipher %q, want %q", n.name, prefer, got, want)
			}
		}
		mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-protocols", "", "tls-ciphers", "DEFAULT", "tls-prefer-server-ciphers", "no")
		if !works(cfg(tls.VersionTLS13, tls.VersionTLS13)) {
			t.Errorf("%s: TLS 1.3 after tls-protocols \"\"", n.name)
		}
	}
	// Tandem refuses what Go cannot do, naming it; Redis would take some
	// of these (OpenSSL has the ciphers).
	tn := startTLSTandem(t, p, "tandem2")
	for _, pair := range [][2]string{
		{"tls-ciphers", "NOSUCHCIPHER"},
		{"tls-ciphers", "DEFAULT:DHE-RSA-AES256-GCM-SHA384"},
		{"tls-protocols", "TLSv1.4"},
		{"tls-ciphersuites", "TLS_AES_128_GCM_SHA256"},
	} {
		err := tn.c.Do(ctx, "CONFIG", "SET", pair[0], pair[1]).Err()
		if err == nil || !strings.Contains(err.Error(), "Unable to update TLS configuration") {
			t.Errorf("CONFIG SET %s %q: %v", pair[0], pair[1], err)
		}
	}
	mustDo(t, ctx, tn.c, "CONFIG", "SET", "tls-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256")
	mustDo(t, ctx, tn.c, "CONFIG", "SET", "tls-protocols", "TLSv1.2", "tls-ciphersuites", "TLS_AES_128_GCM_SHA256")
	log := tn.proc.LogText()
	for _, want := range []string{`"NOSUCHCIPHER" is not a cipher Tandem supports`, "Invalid tls-protocols specified", "cannot leave"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// sClientCipher connects with openssl s_client (TLS 1.2, the given
// cipher order) and returns the cipher the server chose.
func sClientCipher(t testing.TB, p *testPKI, port int, ciphers string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", "s_client", "-connect", "127.0.0.1:"+strconv.Itoa(port), "-tls1_2",
		"-cipher", ciphers, "-CAfile", p.caCrt, "-cert", p.cliCrt, "-key", p.cliKey, "-brief")
	cmd.Stdin = strings.NewReader("")
	out, _ := cmd.CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Ciphersuite: "); ok {
			return v
		}
	}
	t.Logf("s_client output:\n%s", out)
	return ""
}

// CONFIG SET tls-port moves the TLS listener at run time (the new port is
// bound before the old one closes; a port that cannot be bound is refused
// and nothing changes); tls-port 0 closes it. As Redis.
func TestTLSConfigSetPort(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	ctx := ctxFor(t, time.Minute)
	for _, n := range []*tlsNode{startTLSTandem(t, p, "tandem"), startTLSRedis(t, p, "redis")} {
		cfg := p.clientConfig(&p.cliPair)
		newPort := testutil.FreePort(t)
		mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-port", strconv.Itoa(newPort))
		if r, err := tlsPing("127.0.0.1:"+strconv.Itoa(newPort), cfg); err != nil || r != "+PONG" {
			t.Errorf("%s: PING on the new TLS port: %q %v", n.name, r, err)
		}
		if _, err := tlsPing(n.tlsAddr(), cfg); err == nil {
			t.Errorf("%s: the old TLS port still answers", n.name)
		}
		// A port in use (the plain one): refused, the TLS port stays.
		err := n.c.Do(ctx, "CONFIG", "SET", "tls-port", strconv.Itoa(n.port())).Err()
		if err == nil {
			t.Errorf("%s: CONFIG SET tls-port to a port in use accepted", n.name)
		}
		if got := n.c.ConfigGet(ctx, "tls-port").Val()["tls-port"]; got != strconv.Itoa(newPort) {
			t.Errorf("%s: tls-port %q after a refused change", n.name, got)
		}
		mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-port", "0")
		if _, err := tlsPing("127.0.0.1:"+strconv.Itoa(newPort), cfg); err == nil {
			t.Errorf("%s: TLS still answers after tls-port 0", n.name)
		}
	}
}

// Session resumption (tls-session-caching): a client with a session cache
// resumes; tls-session-cache-timeout bounds how long; with caching off
// nothing resumes.
func TestTLSSessionCaching(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	ctx := ctxFor(t, time.Minute)
	n := startTLSTandem(t, p, "tandem")
	resumed := func(cache tls.ClientSessionCache, maxV uint16) []bool {
		var out []bool
		for i := 0; i < 2; i++ {
			cfg := p.clientConfig(&p.cliPair)
			cfg.ClientSessionCache, cfg.MaxVersion = cache, maxV
			conn, err := tls.DialWithDialer(&netDialer, "tcp", n.tlsAddr(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			// TLS 1.3 tickets arrive after the handshake: read a reply.
			conn.Write([]byte("PING\r\n"))
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			conn.Read(make([]byte, 16))
			out = append(out, conn.ConnectionState().DidResume)
			conn.Close()
		}
		return out
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		if got := resumed(tls.NewLRUClientSessionCache(8), v); got[0] || !got[1] {
			t.Errorf("TLS %x: resumed %v, want [false true]", v, got)
		}
	}
	mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-session-cache-timeout", "1")
	cache := tls.NewLRUClientSessionCache(8)
	resumed(cache, tls.VersionTLS13)
	time.Sleep(2100 * time.Millisecond)
	if got := resumed(cache, tls.VersionTLS13); got[0] {
		t.Errorf("a session older than tls-session-cache-timeout resumed")
	}
	mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-session-caching", "no")
	if got := resumed(tls.NewLRUClientSessionCache(8), tls.VersionTLS13); got[1] {
		t.Errorf("resumed with tls-session-caching no")
	}
}
