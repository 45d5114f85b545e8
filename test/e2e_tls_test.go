package test

import (
	"crypto/tls"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// Clients on the TLS port, side by side with redis-server configured the
// same way: redis-cli --tls --cert --key --cacert and go-redis with a
// tls.Config work; tls-auth-clients yes refuses a client without a
// certificate, optional takes both, no asks for none (each changed by
// CONFIG SET, for the next connections); a certificate the CA did not sign
// (self-signed) or an expired one is refused in every mode that checks
// certificates. Tandem's answers are Redis's, case by case.
func TestTLSClientsAndAuthClients(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	ctx := ctxFor(t, 2*time.Minute)
	nodes := []*tlsNode{startTLSTandem(t, p, "tandem"), startTLSRedis(t, p, "redis")}
	cliCert := []string{"--cacert", p.caCrt, "--cert", p.cliCrt, "--key", p.cliKey}
	for _, n := range nodes {
		// redis-cli: SET over TLS, GET back over TLS and over TCP.
		if out, ok := redisCLITLS(t, n.tlsPort, cliCert, "SET", "k", "over-tls"); !ok || out != "OK" {
			t.Errorf("%s: redis-cli --tls SET: %q", n.name, out)
		}
		if out, _ := redisCLITLS(t, n.tlsPort, cliCert, "GET", "k"); out != "over-tls" {
			t.Errorf("%s: redis-cli --tls GET: %q", n.name, out)
		}
		if got := n.c.Get(ctx, "k").Val(); got != "over-tls" {
			t.Errorf("%s: GET over TCP: %q", n.name, got)
		}
		// go-redis with a tls.Config: a pipeline and a Pub/Sub round trip
		// (a pushed message on a TLS connection).
		gc := tlsClient(t, n.tlsAddr(), p.clientConfig(&p.cliPair))
		pipe := gc.Pipeline()
		for i := 0; i < 100; i++ {
			pipe.Set(ctx, fmt.Sprintf("p:%d", i), strings.Repeat("v", i*100), 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatalf("%s: go-redis pipeline over TLS: %v", n.name, err)
		}
		if got := gc.StrLen(ctx, "p:99").Val(); got != 9900 {
			t.Errorf("%s: STRLEN p:99 = %d", n.name, got)
		}
		sub := gc.Subscribe(ctx, "ch")
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatalf("%s: SUBSCRIBE over TLS: %v", n.name, err)
		}
		n.c.Publish(ctx, "ch", "hello")
		if m, err := sub.ReceiveMessage(ctx); err != nil || m.Payload != "hello" {
			t.Errorf("%s: message over TLS: %v %v", n.name, m, err)
		}
		sub.Close()
	}

	// tls-auth-clients, as both servers answer it.
	type attempt struct {
		name string
		cert *tls.Certificate
	}
	attempts := []attempt{{"no certificate", nil}, {"CA-signed", &p.cliPair}, {"self-signed", &p.selfPair}, {"expired", &p.expiredP}}
	for _, mode := range []string{"yes", "optional", "no"} {
		results := map[string][]string{}
		for _, n := range nodes {
			mustDo(t, ctx, n.c, "CONFIG", "SET", "tls-auth-clients", mode)
			for _, a := range attempts {
				r, err := tlsPing(n.tlsAddr(), p.clientConfig(a.cert))
				ok := err == nil && r == "+PONG"
				results[a.name] = append(results[a.name], strconv.FormatBool(ok))
			}
		}
		want := map[string]bool{"CA-signed": true, "no certificate": mode != "yes", "self-signed": mode == "no", "expired": mode == "no"}
		for _, a := range attempts {
			got := results[a.name]
			if got[0] != got[1] || got[0] != strconv.FormatBool(want[a.name]) {
				t.Errorf("tls-auth-clients %s, %s client: tandem PONG=%s, redis PONG=%s, want %v", mode, a.name, got[0], got[1], want[a.name])
			}
		}
	}
	// redis-cli without a certificate, under the default (yes): refused.
	mustDo(t, ctx, nodes[0].c, "CONFIG", "SET", "tls-auth-clients", "yes")
	if out, ok := redisCLITLS(t, nodes[0].tlsPort, []string{"--cacert", p.caCrt}, "PING"); ok && out == "PONG" {
		t.Errorf("redis-cli without a certificate got PONG under tls-auth-clients yes")
	}
	log := nodes[0].proc.LogText()
	for _, want := range []string{"Error accepting a client connection: ", "certificate"} {
		if !strings.Contains(log, want) {
			t.Errorf("tandem's log lacks %q:\n%s", want, tailText(log, 20))
		}
	}
}

// Bad peers on the TLS port never hold up other clients: one that stalls
// mid-handshake (a partial ClientHello, then nothing), one that connects
// and says nothing, one that sends plain RESP, one that closes halfway;
// meanwhile a TLS client and a TCP client go on answering quickly. Each
// bad one is closed (the stalled ones when the handshake deadline passes)
// with a log line.
func TestTLSBadPeersNeverBlockOthers(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	ctx := ctxFor(t, time.Minute)
	n := startTLSTandem(t, p, "tandem")

	// A partial ClientHello: the record header promises more than comes.
	stalled, err := net.Dial("tcp", n.tlsAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	stalled.Write([]byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03})
	silent, err := net.Dial("tcp", n.tlsAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	plain := dialRaw(t, n.tlsAddr())
	plain.send(encode("PING"))
	start := time.Now()

	tc := tlsClient(t, n.tlsAddr(), p.clientConfig(&p.cliPair))
	for i := 0; i < 50; i++ {
		t0 := time.Now()
		if err := tc.Set(ctx, "k", i, 0).Err(); err != nil {
			t.Fatalf("TLS client while peers stall: %v", err)
		}
		if err := n.c.Incr(ctx, "c").Err(); err != nil {
			t.Fatalf("TCP client while peers stall: %v", err)
		}
		if d := time.Since(t0); d > 2*time.Second {
			t.Fatalf("a round took %v with stalled peers", d)
		}
	}
	// A TLS client (new handshakes) is served while the others stall.
	if r, err := tlsPing(n.tlsAddr(), p.clientConfig(&p.cliPair)); err != nil || r != "+PONG" {
		t.Fatalf("new TLS client while others stall: %q %v", r, err)
	}
	// Plain text on the TLS port: closed at once, no RESP reply.
	if got := plain.expectClosed(5 * time.Second); strings.HasPrefix(got, "+PONG") {
		t.Errorf("plain PING on the TLS port answered %q", got)
	}
	// The stalled and the silent peers: closed by the handshake deadline.
	for name, c := range map[string]net.Conn{"stalled": stalled, "silent": silent} {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 512)
		for {
			if _, err := c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Errorf("%s peer still open after %v", name, time.Since(start))
				}
				break
			}
		}
	}
	testutil.Eventually(t, 5*time.Second, "log lines for the bad peers", func() bool {
		log := n.proc.LogText()
		return strings.Count(log, "Error accepting a client connection") >= 3 &&
			strings.Contains(log, "not a TLS handshake") && strings.Contains(log, "handshake not completed within")
	})
	if got := mustDo(t, ctx, n.c, "PING"); got != "PONG" {
		t.Fatalf("PING after: %v", got)
	}
}

// `port 0` with a TLS port: a TLS-only server, as in Redis. Nothing
// listens on plain TCP, INFO's tcp_port is the TLS port, and redis-cli
// and go-redis work over TLS.
func TestTLSOnlyServer(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	ctx := ctxFor(t, time.Minute)
	var tcpPorts []string
	for _, bin := range []string{testutil.Binary(t), "redis-server"} {
		if bin == "redis-server" {
			var err error
			if bin, err = exec.LookPath(bin); err != nil {
				t.Skip("redis-server not installed")
			}
		}
		_, port := startTLSOnly(t, bin, p)
		c := tlsClient(t, "127.0.0.1:"+strconv.Itoa(port), p.clientConfig(&p.cliPair))
		inf := infoFields(c.Info(ctx, "server").Val())
		if inf["tcp_port"] != strconv.Itoa(port) {
			t.Errorf("%s: tcp_port %q, want the TLS port %d", bin, inf["tcp_port"], port)
		}
		tcpPorts = append(tcpPorts, fmt.Sprint(c.ConfigGet(ctx, "port").Val()))
		if out, _ := redisCLITLS(t, port, []string{"--cacert", p.caCrt, "--cert", p.cliCrt, "--key", p.cliKey}, "PING"); out != "PONG" {
			t.Errorf("%s: redis-cli --tls PING: %q", bin, out)
		}
	}
	if tcpPorts[0] != tcpPorts[1] {
		t.Errorf("CONFIG GET port: tandem %s, redis %s", tcpPorts[0], tcpPorts[1])
	}
}

// A bad TLS configuration stops start-up with Redis's message, the reason
// in the log: no certificate, a key that does not match, a cipher Go does
// not have, a protocol gap, an encrypted key without its password.
func TestTLSBadConfigStopsStartup(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	for _, tc := range []struct {
		args []string
		log  string
	}{
		{[]string{"--tls-port", "1", "--tls-key-file", p.srvKey, "--tls-ca-cert-file", p.caCrt}, "No tls-cert-file configured!"},
		{[]string{"--tls-port", "1", "--tls-cert-file", p.srvCrt, "--tls-key-file", p.cliKey, "--tls-ca-cert-file", p.caCrt}, "private key does not match public key"},
		{append(p.serverArgs(1), "--tls-ciphers", "DEFAULT:CAMELLIA256-SHA"), `"CAMELLIA256-SHA" is not a cipher Tandem supports`},
		{append(p.serverArgs(1), "--tls-protocols", "TLSv1 TLSv1.3"), "contiguous range"},
		{append(p.serverArgs(1), "--tls-ciphersuites", "TLS_AES_256_GCM_SHA384"), "cannot leave TLS_AES_128_GCM_SHA256 out"},
		{[]string{"--tls-port", "1", "--tls-cert-file", p.srvCrt, "--tls-key-file", p.srvKey}, "Either tls-ca-cert-file or tls-ca-cert-dir must be specified"},
		{[]string{"--tls-replication", "yes", "--tls-cert-file", p.srvCrt, "--tls-key-file", p.srvKey, "--tls-ca-cert-file", p.dir + "/missing.crt"}, "Failed to configure CA certificate(s) file/directory"},
	} {
		cmd := exec.Command(testutil.Binary(t), append([]string{"--port", strconv.Itoa(testutil.FreePort(t)), "--save", ""}, tc.args...)...)
		done := make(chan struct{})
		var out []byte
		go func() { out, _ = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%s: still running", fmtArgs(tc.args))
		}
		if cmd.ProcessState.ExitCode() == 0 || !strings.Contains(string(out), tc.log) ||
			!strings.Contains(string(out), "Failed to configure TLS. Check logs for more info.") {
			t.Errorf("%s: exit %d, output:\n%s", fmtArgs(tc.args), cmd.ProcessState.ExitCode(), out)
		}
	}
}

// Many TLS clients at once, with handshakes in parallel: every one is
// served (the handshake runs on the connection's goroutine).
func TestTLSManyClients(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	n := startTLSTandem(t, p, "tandem")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := tlsPing(n.tlsAddr(), p.clientConfig(&p.cliPair)); err != nil || r != "+PONG" {
				errs <- fmt.Errorf("%q %v", r, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// tls-cluster yes: Tandem has no cluster bus, but MIGRATE is the link
// Redis dials over TLS under it, and so does Tandem's, to Redis and to
// Tandem; without it, MIGRATE to a TLS port fails (IOERR).
func TestTLSMigrateUnderTLSCluster(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	ctx := ctxFor(t, time.Minute)
	src := startTLSTandem(t, p, "source", "--tls-cluster", "yes")
	dsts := []*tlsNode{startTLSRedis(t, p, "redis"), startTLSTandem(t, p, "tandem")}
	for _, dst := range dsts {
		key := "k-" + dst.name
		mustDo(t, ctx, src.c, "SET", key, "moved")
		if r := mustDo(t, ctx, src.c, "MIGRATE", "127.0.0.1", strconv.Itoa(dst.tlsPort), key, "0", "5000"); r != "OK" {
			t.Fatalf("MIGRATE to %s over TLS: %v", dst.name, r)
		}
		if got := dst.c.Get(ctx, key).Val(); got != "moved" {
			t.Errorf("%s has %q after MIGRATE over TLS", dst.name, got)
		}
	}
	// A target not in MIGRATE's connection cache (which keeps the TLS
	// connections above for 10 s, as Redis's does).
	mustDo(t, ctx, src.c, "CONFIG", "SET", "tls-cluster", "no")
	mustDo(t, ctx, src.c, "SET", "plain", "v")
	err := src.c.Do(ctx, "MIGRATE", "127.0.0.1", strconv.Itoa(startTLSTandem(t, p, "uncached").tlsPort), "plain", "0", "1000").Err()
	if err == nil || !strings.Contains(err.Error(), "IOERR") {
		t.Errorf("MIGRATE in plain TCP to a TLS port: %v", err)
	}
}
