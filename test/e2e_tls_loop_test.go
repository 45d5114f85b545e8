package test

// TLS clients on the event loop (internal/server/tlsloop_linux.go): the
// loop reads and writes their records, and hands them to the goroutine
// path, records still to send included, when they block, subscribe or do
// not read. Each test holds in both connection modes, the goroutine path
// being the reference.

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// inEveryTLSConnMode runs f against a TLS server in each connection mode.
func inEveryTLSConnMode(t *testing.T, f func(t *testing.T, p *testPKI, srv *testutil.Proc, tlsAddr string)) {
	t.Parallel()
	p := newPKI(t)
	for _, mode := range connModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			port := testutil.FreePort(t)
			srv := testutil.StartTandemEnv(t, mode.env, p.serverArgs(port)...)
			if err := testutil.WaitReady(srv.Addr(), 10*time.Second); err != nil {
				t.Fatal(err)
			}
			f(t, p, srv, fmt.Sprintf("127.0.0.1:%d", port))
		})
	}
}

// dialTLSRaw is a raw RESP connection over TLS.
func dialTLSRaw(t testing.TB, p *testPKI, addr string) *rawConn {
	t.Helper()
	c, err := tls.DialWithDialer(&netDialer, "tcp", addr, p.clientConfig(&p.cliPair))
	if err != nil {
		t.Fatalf("TLS dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, addr: addr, c: c, r: bufio.NewReaderSize(c, 64*1024)}
}

// bulk is the RESP bulk string of v.
func bulk(v string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(v), v) }

// Pipelined requests whose replies are big, mixed with small ones, all
// come back intact and in order, whether the client reads at once or only
// after the server's writes have stalled (its records then finish on the
// goroutine path).
func TestTLSPipelinedBigReplies(t *testing.T) {
	inEveryTLSConnMode(t, func(t *testing.T, p *testPKI, srv *testutil.Proc, addr string) {
		var vb strings.Builder
		for i := 0; vb.Len() < 300_000; i++ {
			fmt.Fprintf(&vb, "%08d", i)
		}
		big := vb.String()
		admin := dialTLSRaw(t, p, addr)
		if got := admin.do("SET", "big", big); got != "+OK\r\n" {
			t.Fatalf("SET big = %q", got)
		}
		for _, slow := range []bool{false, true} {
			rc := dialTLSRaw(t, p, addr)
			var pipe, want bytes.Buffer
			for i := 0; i < 40; i++ {
				pipe.Write(encode("GET", "big"))
				want.WriteString(bulk(big))
				pipe.Write(encode("INCR", "n"))
				want.WriteString(fmt.Sprintf(":%d\r\n", i+1+map[bool]int{false: 0, true: 40}[slow]))
			}
			pipe.Write(encode("MULTI"))
			pipe.Write(encode("PING"))
			pipe.Write(encode("EXEC"))
			want.WriteString("+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n")
			rc.send(pipe.Bytes())
			if slow {
				time.Sleep(300 * time.Millisecond) // the socket fills, the server's writes stall
			}
			rc.c.SetReadDeadline(time.Now().Add(30 * time.Second))
			got := make([]byte, want.Len())
			if _, err := io.ReadFull(rc.r, got); err != nil {
				t.Fatalf("slow=%v: reading %d bytes of replies: %v", slow, want.Len(), err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				i := 0
				for i < len(got) && got[i] == want.Bytes()[i] {
					i++
				}
				t.Fatalf("slow=%v: replies differ from byte %d of %d", slow, i, want.Len())
			}
			if got := rc.do("PING"); got != "+PONG\r\n" {
				t.Fatalf("slow=%v: PING after = %q", slow, got)
			}
		}
	})
}

// A TLS client that pipelines big replies and reads none of them is cut
// by client-output-buffer-limit, as a plain one is; others go on.
func TestTLSClientThatStopsReadingIsCut(t *testing.T) {
	inEveryTLSConnMode(t, func(t *testing.T, p *testPKI, srv *testutil.Proc, addr string) {
		admin := dialTLSRaw(t, p, addr)
		if got := admin.do("CONFIG", "SET", "client-output-buffer-limit", "normal 4mb 0 0"); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET = %q", got)
		}
		admin.do("SET", "big", strings.Repeat("v", 500_000))
		hog := dialTLSRaw(t, p, addr)
		hog.do("CLIENT", "SETNAME", "hog")
		var pipe []byte
		for i := 0; i < 200; i++ { // 100 MB of replies
			pipe = append(pipe, encode("GET", "big")...)
		}
		hog.send(pipe)
		testutil.Eventually(t, 20*time.Second, "the hog cut", func() bool {
			return !strings.Contains(admin.do("CLIENT", "LIST"), "name=hog ")
		})
		if !strings.Contains(srv.LogText(), "scheduled to be closed ASAP for overcoming of output buffer limits.") {
			t.Errorf("no log line for the output limit:\n%s", tailText(srv.LogText(), 20))
		}
		if got := admin.do("GET", "missing"); got != "$-1\r\n" {
			t.Fatalf("admin after the cut: %q", got)
		}
	})
}

// CLIENT KILL closes a TLS client at once: it reads the end of the
// connection (a close_notify, then EOF), not a timeout.
func TestTLSClientKill(t *testing.T) {
	inEveryTLSConnMode(t, func(t *testing.T, p *testPKI, srv *testutil.Proc, addr string) {
		admin := dialTLSRaw(t, p, addr)
		victim := dialTLSRaw(t, p, addr)
		id := strings.TrimSpace(strings.TrimPrefix(victim.do("CLIENT", "ID"), ":"))
		if got := admin.do("CLIENT", "KILL", "ID", id); got != ":1\r\n" {
			t.Fatalf("CLIENT KILL ID %s = %q", id, got)
		}
		start := time.Now()
		victim.expectClosed(5 * time.Second)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("killed client closed after %v", d)
		}
		if strings.Contains(admin.do("CLIENT", "LIST"), "id="+id+" ") {
			t.Errorf("killed client still listed")
		}
		if got := admin.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING after the kill: %q", got)
		}
	})
}

// BLPOP over TLS is woken by another TLS client's push, and the blocked
// client goes on working after.
func TestTLSBlpopWokenByPush(t *testing.T) {
	inEveryTLSConnMode(t, func(t *testing.T, p *testPKI, srv *testutil.Proc, addr string) {
		blocked := dialTLSRaw(t, p, addr)
		pusher := dialTLSRaw(t, p, addr)
		blocked.send(encode("BLPOP", "q", "10"))
		testutil.Eventually(t, 5*time.Second, "the client blocked", func() bool {
			return infoFields(pusher.do("INFO", "clients"))["blocked_clients"] == "1"
		})
		if got := pusher.do("RPUSH", "q", "hello"); got != ":1\r\n" {
			t.Fatalf("RPUSH = %q", got)
		}
		if got := blocked.read(); got != "*2\r\n$1\r\nq\r\n$5\r\nhello\r\n" {
			t.Fatalf("BLPOP = %q", got)
		}
		if got := blocked.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING after BLPOP = %q", got)
		}
	})
}

// cutConn holds back what a TLS client writes while hold is set, so a test
// can send a record in parts.
type cutConn struct {
	net.Conn
	mu   sync.Mutex
	hold bool
	held []byte
}

func (c *cutConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hold {
		c.held = append(c.held, b...)
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// A TLS client that sends part of a record and stalls holds up no one;
// when the rest comes, its command runs.
func TestTLSPartialRecordStall(t *testing.T) {
	inEveryTLSConnMode(t, func(t *testing.T, p *testPKI, srv *testutil.Proc, addr string) {
		raw, err := netDialer.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		cc := &cutConn{Conn: raw}
		tc := tls.Client(cc, p.clientConfig(&p.cliPair))
		tc.SetDeadline(time.Now().Add(30 * time.Second))
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		staller := &rawConn{t: t, addr: addr, c: tc, r: bufio.NewReader(tc)}
		if got := staller.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING = %q", got)
		}
		cc.mu.Lock()
		cc.hold = true
		cc.mu.Unlock()
		tc.Write(encode("SET", "stalled", "done"))
		cc.mu.Lock()
		record := cc.held
		cc.hold = false
		cc.mu.Unlock()
		if len(record) < 10 {
			t.Fatalf("record of %d bytes", len(record))
		}
		raw.Write(record[:7]) // the header and two bytes
		other := dialTLSRaw(t, p, addr)
		for i := 0; i < 20; i++ {
			t0 := time.Now()
			if got := other.do("INCR", "c"); got != fmt.Sprintf(":%d\r\n", i+1) {
				t.Fatalf("INCR = %q", got)
			}
			if d := time.Since(t0); d > 2*time.Second {
				t.Fatalf("a request took %v beside the stalled record", d)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got := other.do("EXISTS", "stalled"); got != ":0\r\n" {
			t.Fatalf("the partial record ran: EXISTS = %q", got)
		}
		raw.Write(record[7:])
		if got := staller.read(); got != "+OK\r\n" {
			t.Fatalf("SET after the rest = %q", got)
		}
		if got := other.do("GET", "stalled"); got != bulk("done") {
			t.Fatalf("GET stalled = %q", got)
		}
	})
}
