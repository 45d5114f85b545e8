//go:build linux

package server

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/tlsconf"
)

// startTLSServer starts a server with a TLS port (a self-signed
// certificate, no client certificates asked) and returns the client
// configuration that trusts it.
func startTLSServer(t *testing.T) (*Server, *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	crt, kf := filepath.Join(dir, "srv.crt"), filepath.Join(dir, "srv.key")
	os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	m, err := tlsconf.Load(tlsconf.Settings{CertFile: crt, KeyFile: kf})
	if err != nil {
		t.Fatal(err)
	}
	set := DefaultSettings()
	set.Port = -1
	set.Bind = []string{"127.0.0.1"}
	s := New(Options{Settings: set})
	s.SetTLS(m)
	s.SetTLSAuthClients(tlsconf.AuthNo)
	s.SetTLSPort(-1)
	if err := s.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return s, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

func dialTLSServer(t *testing.T, s *Server, cfg *tls.Config) *wireConn {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.TLSAddr().String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &wireConn{t: t, c: c, r: bufio.NewReaderSize(c, 64<<10)}
}

// modeOfClient is a client's mode, modeClosed once it is gone.
func modeOfClient(s *Server, id int64) connMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.clients[id]; c != nil {
		return c.mode
	}
	return modeClosed
}

// TestTLSClientModeTransitions: a TLS client joins the event loop once
// its handshake is done, and leaves it as a plain client does: for its
// own goroutine when it blocks, for a writer goroutine when it
// subscribes; a client killed on the loop is closed for the kill.
func TestTLSClientModeTransitions(t *testing.T) {
	s, cfg := startTLSServer(t)
	if s.loop == nil {
		t.Skip("no event loop (TANDEM_CONN_MODE=goroutine)")
	}
	plain, blocker, sub, victim := dialTLSServer(t, s, cfg), dialTLSServer(t, s, cfg), dialTLSServer(t, s, cfg), dialTLSServer(t, s, cfg)
	ip, ib, is, iv := plain.id(), blocker.id(), sub.id(), victim.id()
	for _, id := range []int64{ip, ib, is, iv} {
		if m := modeOfClient(s, id); m != modeLoop {
			t.Fatalf("TLS client %d in mode %d, want modeLoop", id, m)
		}
	}
	blocker.send("BLPOP", "l", "0")
	waitLocked(t, s, "the client to block", func() bool { return s.eng.BlockedClients() > 0 })
	if m := modeOfClient(s, ib); m != modeConn {
		t.Errorf("blocked TLS client: mode %d, want modeConn", m)
	}
	plain.send("RPUSH", "l", "x")
	if l := plain.line(); l != ":1" {
		t.Errorf("RPUSH answered %q", l)
	}
	if l := blocker.line(); l != "*2" {
		t.Errorf("BLPOP answered %q", l)
	}
	blocker.line()
	blocker.line()
	blocker.line()
	blocker.line()
	blocker.send("PING")
	if l := blocker.line(); l != "+PONG" {
		t.Errorf("PING after BLPOP answered %q", l)
	}
	sub.send("SUBSCRIBE", "ch")
	for i := 0; i < 6; i++ {
		sub.line()
	}
	if m := modeOfClient(s, is); m != modeAsync {
		t.Errorf("TLS subscriber: mode %d, want modeAsync", m)
	}
	plain.send("PUBLISH", "ch", "hi")
	if l := plain.line(); l != ":1" {
		t.Errorf("PUBLISH answered %q", l)
	}
	for _, want := range []string{"*3", "$7", "message", "$2", "ch", "$2", "hi"} {
		if l := sub.line(); l != want {
			t.Fatalf("subscriber read %q, want %q", l, want)
		}
	}
	plain.send("CLIENT", "KILL", "ID", fmt.Sprint(iv))
	if l := plain.line(); l != ":1" {
		t.Errorf("CLIENT KILL answered %q", l)
	}
	victim.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(victim.r); err != nil {
		t.Errorf("killed TLS client: %v, want a clean end (close_notify)", err)
	}
	waitLocked(t, s, "the kill", func() bool { return closedFor(s, iv) == CloseKilled })
	if m := modeOfClient(s, ip); m != modeLoop {
		t.Errorf("plain TLS client: mode %d, want modeLoop", m)
	}
}

// TestTLSLoopHandsOffUnsentRecords: replies the socket does not take at
// once leave the loop with the client, already encrypted; the goroutine
// path sends them before anything else, and nothing is lost, repeated or
// reordered.
func TestTLSLoopHandsOffUnsentRecords(t *testing.T) {
	s, cfg := startTLSServer(t)
	if s.loop == nil {
		t.Skip("no event loop")
	}
	c := dialTLSServer(t, s, cfg)
	id := c.id()
	val := strings.Repeat("abcdefghij", 20_000) // 200 KB: five fit in a batch
	c.send("SET", "big", val)
	c.line()
	// One GET at a time, each its own round: the loop writes each reply
	// until the unread socket is full, and the client leaves the loop
	// with the rest of a reply encrypted. Then nothing more is asked: the
	// goroutine must send those records without a new reply to push them.
	n := 0
	for ; n < 200 && modeOfClient(s, id) == modeLoop; n++ {
		c.send("GET", "big")
		c.send("INCR", "seq")
		time.Sleep(2 * time.Millisecond)
	}
	if m := modeOfClient(s, id); m != modeConn {
		t.Fatalf("after %d big replies unread: mode %d, want modeConn", n, m)
	}
	c.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for i := 0; i < n; i++ {
		if l := c.line(); l != fmt.Sprintf("$%d", len(val)) {
			t.Fatalf("reply %d: %q", i, l)
		}
		b := make([]byte, len(val)+2)
		if _, err := io.ReadFull(c.r, b); err != nil || string(b[:len(val)]) != val {
			t.Fatalf("reply %d: %v", i, err)
		}
		if l := c.line(); l != fmt.Sprintf(":%d", i+1) {
			t.Fatalf("INCR %d answered %q", i, l)
		}
	}
}

// memBeyondQuery is CLIENT LIST's tot-mem of client id less its query
// buffer (qbuf + qbuf-free), as asked by obs: a TLS client's input comes
// decrypted in other pieces than a plain client's, so its query buffer
// may grow to another size.
func memBeyondQuery(t *testing.T, obs *wireConn, id int64) int64 {
	t.Helper()
	list := obs.bulk("CLIENT", "LIST", "ID", fmt.Sprint(id))
	f := map[string]int64{}
	for _, kv := range strings.Fields(list) {
		k, v, _ := strings.Cut(kv, "=")
		if k == "tot-mem" || k == "qbuf" || k == "qbuf-free" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("%s in %q", k, list)
			}
			f[k] = n
		}
	}
	if len(f) != 3 {
		t.Fatalf("no tot-mem, qbuf or qbuf-free in %q", list)
	}
	return f["tot-mem"] - f["qbuf"] - f["qbuf-free"]
}

// TestTLSBuffersCountInClientMemory: a TLS client's record buffers (a
// full 16 KB record leaves them at 16 KB or more) and, on the event loop,
// its ciphertext buffer count in its memory (tot-mem, and so
// mem_clients_normal and client eviction), beyond what a plain client
// sending and receiving the same holds besides its query buffer.
func TestTLSBuffersCountInClientMemory(t *testing.T) {
	s, cfg := startTLSServer(t)
	obs := dialServer(t, s)
	plain, secure := dialServer(t, s), dialTLSServer(t, s, cfg)
	pid, sid := plain.id(), secure.id()
	val := strings.Repeat("x", 40<<10)
	for _, c := range []*wireConn{plain, secure} {
		c.send("SET", "k", val)
		if l := c.line(); l != "+OK" {
			t.Fatalf("SET answered %q", l)
		}
		c.send("PING")
		c.line()
	}
	diff := memBeyondQuery(t, obs, sid) - memBeyondQuery(t, obs, pid)
	if diff < 16<<10 {
		t.Errorf("after a 40 KB SET the TLS client holds %d bytes more than the plain one, want 16 KB or more (its record buffers)", diff)
	}
	if s.loop == nil {
		return
	}
	// A 40 KB reply leaves the loop's ciphertext buffer that big (it is
	// kept up to maxIdleTLSOut).
	for _, c := range []*wireConn{plain, secure} {
		c.send("GET", "k")
		if l := c.line(); l != fmt.Sprintf("$%d", len(val)) {
			t.Fatalf("GET answered %q", l)
		}
		c.line()
		c.send("PING")
		c.line()
	}
	if m := modeOfClient(s, sid); m != modeLoop {
		t.Skipf("the TLS client left the loop (mode %d)", m)
	}
	diff2 := memBeyondQuery(t, obs, sid) - memBeyondQuery(t, obs, pid)
	if diff2-diff < 40<<10 {
		t.Errorf("after a 40 KB reply the TLS client's extra memory went from %d to %d bytes, want 40 KB more (its ciphertext buffer)", diff, diff2)
	}
}
