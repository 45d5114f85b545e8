package test

// Helpers of the TLS tests (e2e_tls*_test.go): a throw-away PKI made with
// crypto/x509 (a CA, a server certificate for 127.0.0.1, a client
// certificate, and the bad ones: self-signed, expired), servers started
// with a TLS port, and clients that speak TLS.

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// testPKI is a CA and certificates it signed, written as PEM files in dir.
type testPKI struct {
	dir                string
	caCrt              string
	srvCrt, srvKey     string // CN "server", 127.0.0.1, server and client auth
	cliCrt, cliKey     string // CN "client", client auth only
	selfCrt, selfKey   string // self-signed, not by the CA
	expCrt, expKey     string // by the CA, expired
	ca                 *x509.Certificate
	caKey              *ecdsa.PrivateKey
	pool               *x509.CertPool
	srvPair, cliPair   tls.Certificate
	selfPair, expiredP tls.Certificate
}

// newPKI makes a fresh PKI in a temporary directory.
func newPKI(t testing.TB) *testPKI {
	t.Helper()
	p := &testPKI{dir: t.TempDir()}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Tandem test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	p.ca, _ = x509.ParseCertificate(der)
	p.caKey = caKey
	p.caCrt = p.write(t, "ca.crt", "CERTIFICATE", der)
	p.pool = x509.NewCertPool()
	p.pool.AddCert(p.ca)
	p.srvCrt, p.srvKey, p.srvPair = p.issue(t, "server", 2, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, time.Now().Add(24*time.Hour), false)
	p.cliCrt, p.cliKey, p.cliPair = p.issue(t, "client", 3, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, time.Now().Add(24*time.Hour), false)
	p.selfCrt, p.selfKey, p.selfPair = p.issue(t, "self", 4, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, time.Now().Add(24*time.Hour), true)
	p.expCrt, p.expKey, p.expiredP = p.issue(t, "expired", 5, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, time.Now().Add(-time.Minute), false)
	return p
}

func (p *testPKI) write(t testing.TB, name, typ string, der []byte) string {
	t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue makes an RSA certificate for 127.0.0.1 named cn, signed by the CA
// (or by itself), valid until notAfter; RSA so that the RSA cipher
// suites Redis's tests name can be used with it.
func (p *testPKI) issue(t testing.TB, cn string, serial int64, eku []x509.ExtKeyUsage, notAfter time.Time, self bool) (crt, key string, pair tls.Certificate) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, ExtKeyUsage: eku,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
	}
	parent, signer := p.ca, any(p.caKey)
	if self {
		parent, signer = tmpl, k
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	crt = p.write(t, cn+".crt", "CERTIFICATE", der)
	key = p.write(t, cn+".key", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))
	pair, err = tls.LoadX509KeyPair(crt, key)
	if err != nil {
		t.Fatal(err)
	}
	return crt, key, pair
}

// serverArgs are the tls-* arguments of a server using the PKI.
func (p *testPKI) serverArgs(tlsPort int) []string {
	return []string{"--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", p.srvCrt, "--tls-key-file", p.srvKey, "--tls-ca-cert-file", p.caCrt}
}

// clientConfig is a client's TLS configuration: it trusts the CA and
// shows cert (nil: none).
func (p *testPKI) clientConfig(cert *tls.Certificate) *tls.Config {
	c := &tls.Config{RootCAs: p.pool, ServerName: "127.0.0.1"}
	if cert != nil {
		c.Certificates = []tls.Certificate{*cert}
	}
	return c
}

// tlsNode is a server started with a TLS port beside its plain one.
type tlsNode struct {
	*replNode
	tlsPort int
}

func (n *tlsNode) tlsAddr() string { return "127.0.0.1:" + strconv.Itoa(n.tlsPort) }

// startTLSTandem starts Tandem with the PKI's certificates on a TLS port
// (and its plain port, which the harness uses).
func startTLSTandem(t testing.TB, p *testPKI, name string, args ...string) *tlsNode {
	t.Helper()
	port := testutil.FreePort(t)
	return &tlsNode{startReplTandem(t, name, append(p.serverArgs(port), args...)...), port}
}

// startTLSRedis does the same with Debian's redis-server.
func startTLSRedis(t testing.TB, p *testPKI, name string, args ...string) *tlsNode {
	t.Helper()
	port := testutil.FreePort(t)
	return &tlsNode{startReplRedis(t, name, append(p.serverArgs(port), args...)...), port}
}

// tlsClient is a go-redis client of addr over TLS.
func tlsClient(t testing.TB, addr string, cfg *tls.Config) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, Protocol: 2, DialTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxRetries: -1, PoolSize: 2})
	t.Cleanup(func() { c.Close() })
	return c
}

// tlsPing dials addr over TLS with cfg, sends PING and returns the reply
// line, or the error of the dial, the handshake or the exchange (with TLS
// 1.3 a refused client certificate shows at the first read).
func tlsPing(addr string, cfg *tls.Config) (string, error) {
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), err
}

// redisCLITLS runs redis-cli --tls against port with args before the
// command; it returns the trimmed output and whether it exited 0.
func redisCLITLS(t testing.TB, port int, tlsArgs []string, cmd ...string) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append(append([]string{"-p", strconv.Itoa(port), "--tls"}, tlsArgs...), cmd...)
	out, err := exec.CommandContext(ctx, bin, full...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("redis-cli %v timed out", full)
	}
	return strings.TrimSpace(string(out)), err == nil
}

// startTLSOnly starts bin with `port 0` and a TLS port only (startServer
// waits on the plain port, which such a server does not have), waiting
// until a TLS PING answers.
func startTLSOnly(t testing.TB, bin string, p *testPKI, args ...string) (*testutil.Proc, int) {
	t.Helper()
	tlsPort := testutil.FreePort(t)
	proc := &testutil.Proc{Port: 0, Dir: t.TempDir()}
	proc.Log = filepath.Join(proc.Dir, "server.log")
	full := append(append([]string{"--port", "0", "--bind", "127.0.0.1", "--dir", proc.Dir, "--save", ""}, p.serverArgs(tlsPort)...), args...)
	logf, err := os.Create(proc.Log)
	if err != nil {
		t.Fatal(err)
	}
	proc.Cmd = exec.Command(bin, full...)
	proc.Cmd.Dir = proc.Dir
	proc.Cmd.Stdout, proc.Cmd.Stderr = logf, logf
	if err := proc.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { proc.Cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		proc.Cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
	})
	cfg := p.clientConfig(&p.cliPair)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if r, err := tlsPing("127.0.0.1:"+strconv.Itoa(tlsPort), cfg); err == nil && r == "+PONG" {
			return proc, tlsPort
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(proc.Log)
			t.Fatalf("%s did not answer on its TLS port:\n%s", filepath.Base(bin), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// netDialer bounds the tests' own TLS dials.
var netDialer = net.Dialer{Timeout: 5 * time.Second}

// fmtArgs renders args for messages.
func fmtArgs(a []string) string { return fmt.Sprintf("%q", a) }
