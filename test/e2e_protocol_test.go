package test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// readUntilClosed returns everything the server sends until it closes the
// connection, failing if it is still open after d.
func readUntilClosed(t *testing.T, c net.Conn, d time.Duration) (string, bool) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	b, err := io.ReadAll(c)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return string(b), false
		}
	}
	return string(b), true
}

// writeAll writes in the background (the server may reply and close while
// a large write is still going on) and never fails the test.
func writeAll(c net.Conn, b []byte) {
	go func() {
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		c.Write(b)
	}()
}

type protoCase struct {
	name  string
	input []byte
	// closes: Redis closes the connection after the reply.
	closes bool
}

func protocolCases() []protoCase {
	digits := bytes.Repeat([]byte("1"), 70*1024)
	return []protoCase{
		{"bulk_600MB", []byte("*1\r\n$600000000\r\n"), true},
		{"bulk_negative", []byte("*1\r\n$-5\r\n"), true},
		{"bulk_not_number", []byte("*1\r\n$abc\r\n"), true},
		{"bulk_too_long_header", append(append([]byte("*1\r\n$"), digits...), "\r\n"...), true},
		{"expected_dollar", []byte("*1\r\nfoo\r\n"), true},
		{"expected_dollar_second_arg", []byte("*2\r\n$3\r\nGET\r\n:1\r\n"), true},
		{"multibulk_not_number", []byte("*abc\r\n"), true},
		{"multibulk_too_big", []byte("*3000000000\r\n"), true},
		{"multibulk_too_long_header", append([]byte("*"), digits...), true},
		{"inline_unbalanced_double", []byte("SET \"abc def\r\n"), true},
		{"inline_unbalanced_single", []byte("SET 'abc def\r\n"), true},
		{"inline_quote_not_followed_by_space", []byte("SET \"a\"b c\r\n"), true},
		{"inline_too_big", bytes.Repeat([]byte("a"), 70*1024), true},
		{"pipeline_then_error", []byte("PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$-1\r\nPING\r\n"), true},
		{"multibulk_zero_and_negative_ignored", []byte("*0\r\n*-1\r\n*-10\r\nPING\r\n"), false},
		{"empty_inline_lines_ignored", []byte("\r\n\n   \r\nPING\r\n"), false},
		// (Not \x00: Redis looks for the newline with strchr and so waits
		// forever on an inline line starting with a NUL byte.)
		{"garbage_inline", []byte("\xff\xfe garbage here\r\ngarbage\r\n"), false},
		{"inline_quotes_and_escapes", []byte("ECHO \"a\\x41\\n\\\"b\"\r\nECHO 'x\\'y'\r\n"), false},
		{"inline_lf_only", []byte("PING\nECHO x\n"), false},
		{"bulk_missing_crlf", []byte("*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n"), false},
		{"lowercase_and_mixed_case", []byte("*1\r\n$4\r\npInG\r\nping\r\n"), false},
		{"unknown_command_multibulk", []byte("*2\r\n$3\r\nFOO\r\n$3\r\nbar\r\n"), false},
	}
}

// TestProtocolErrorsMatchRedis sends malformed and unusual requests to
// Tandem and Redis and compares every byte received until the connection
// closes (or until a PING sent afterwards is answered).
func TestProtocolErrorsMatchRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	for _, tc := range protocolCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, gotClosed := protoExchange(t, tandem.Addr(), tc)
			want, wantClosed := protoExchange(t, ref.Addr(), tc)
			if got != want || gotClosed != wantClosed {
				t.Errorf("tandem: %q (closed %v)\nredis:  %q (closed %v)", trunc(got), gotClosed, trunc(want), wantClosed)
			}
			if wantClosed != tc.closes {
				t.Errorf("redis closed=%v, case expects %v", wantClosed, tc.closes)
			}
		})
	}
}

// protoExchange sends tc.input; for cases that keep the connection open it
// then sends a marker ECHO and reads up to its reply.
func protoExchange(t *testing.T, addr string, tc protoCase) (string, bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if tc.closes {
		writeAll(c, tc.input)
		return readUntilClosed(t, c, 10*time.Second)
	}
	marker := "*2\r\n$4\r\nECHO\r\n$6\r\nMARKER\r\n"
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(append(append([]byte{}, tc.input...), marker...)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var buf bytes.Buffer
	tmp := make([]byte, 4096)
	for !bytes.HasSuffix(buf.Bytes(), []byte("$6\r\nMARKER\r\n")) {
		n, err := c.Read(tmp)
		buf.Write(tmp[:n])
		if err != nil {
			return buf.String(), true
		}
	}
	return buf.String(), false
}

func trunc(s string) string {
	if len(s) > 300 {
		return s[:300] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}

// TestUnauthenticatedLimitsMatchRedis: before AUTH, Redis refuses large
// multibulk counts and bulk lengths with their own protocol errors.
func TestUnauthenticatedLimitsMatchRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t, "--requirepass", "pw")
	ref := startRedis(t, "--requirepass", "pw")
	cases := []protoCase{
		{"multibulk_11", []byte("*11\r\n"), true},
		{"bulk_16385", []byte("*1\r\n$16385\r\n"), true},
		{"small_is_fine", []byte("*10\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n*1\r\n$16384\r\n" + strings.Repeat("x", 16384) + "\r\n"), false},
		{"after_auth_no_limit", []byte("AUTH pw\r\n*12\r\n$4\r\nECHO\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, gc := protoExchange(t, tandem.Addr(), tc)
			want, wc := protoExchange(t, ref.Addr(), tc)
			if got != want || gc != wc {
				t.Errorf("tandem: %q (closed %v)\nredis:  %q (closed %v)", trunc(got), gc, trunc(want), wc)
			}
		})
	}
}

// TestUnauthenticatedLimitsEndWithRequirepass: a connection opened while
// a password was required, and never authenticated, loses the
// unauthenticated limits once CONFIG SET requirepass "" removes the
// password, as in Redis (which checks whether authentication is required
// at each request, not when the client connected).
func TestUnauthenticatedLimitsEndWithRequirepass(t *testing.T) {
	t.Parallel()
	for _, srv := range []struct {
		name string
		addr string
	}{
		{"tandem", startTandem(t, "--requirepass", "pw").Addr()},
		{"tandem-goroutine", testutil.StartTandemEnv(t, []string{"TANDEM_CONN_MODE=goroutine"}, "--requirepass", "pw").Addr()},
		{"redis", startRedis(t, "--requirepass", "pw").Addr()},
	} {
		t.Run(srv.name, func(t *testing.T) {
			idle := dialRaw(t, srv.addr)
			if got := idle.do("PING"); !strings.HasPrefix(got, "-NOAUTH") {
				t.Fatalf("PING before AUTH: %q", got)
			}
			admin := dialRaw(t, srv.addr)
			if got := admin.do("AUTH", "pw"); got != "+OK\r\n" {
				t.Fatal(got)
			}
			if got := admin.do("CONFIG", "SET", "requirepass", ""); got != "+OK\r\n" {
				t.Fatal(got)
			}
			if err := testutil.WaitReady(srv.addr, 10*time.Second); err != nil {
				t.Fatal(err)
			}
			// 12 arguments (over 10) and a 20000-byte argument (over 16384).
			args := []string{"RPUSH", "l"}
			for i := 0; i < 10; i++ {
				args = append(args, "e")
			}
			if got := idle.do(args...); got != ":10\r\n" {
				t.Fatalf("12-argument RPUSH: %q", got)
			}
			big := strings.Repeat("x", 20000)
			if got := idle.do("SET", "big", big); got != "+OK\r\n" {
				t.Fatalf("SET of 20000 bytes: %q", got)
			}
		})
	}
}

// TestPipelineOf10000CommandsInOneWrite: all replies come back, in order.
func TestPipelineOf10000CommandsInOneWrite(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprintf("inline=%v", inline), func(t *testing.T) {
			c := dialRaw(t, srv.Addr())
			key := fmt.Sprintf("counter-%v", inline)
			var req bytes.Buffer
			for i := 0; i < 10000; i++ {
				switch {
				case inline && i%2 == 0:
					fmt.Fprintf(&req, "INCR %s\r\n", key)
				case inline:
					fmt.Fprintf(&req, "ECHO e%d\r\n", i)
				case i%2 == 0:
					req.Write(encode("INCR", key))
				default:
					req.Write(encode("ECHO", fmt.Sprintf("e%d", i)))
				}
			}
			done := make(chan error, 1)
			go func() {
				c.c.SetWriteDeadline(time.Now().Add(30 * time.Second))
				_, err := c.c.Write(req.Bytes()) // one write
				done <- err
			}()
			for i := 0; i < 10000; i++ {
				got := c.read()
				var want string
				if i%2 == 0 {
					want = fmt.Sprintf(":%d\r\n", i/2+1)
				} else {
					e := fmt.Sprintf("e%d", i)
					want = fmt.Sprintf("$%d\r\n%s\r\n", len(e), e)
				}
				if got != want {
					t.Fatalf("reply %d: got %q want %q", i, got, want)
				}
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got := c.do("GET", key); got != "$4\r\n5000\r\n" {
				t.Fatalf("GET after pipeline: %q", got)
			}
		})
	}
}

// TestPipelineRepliesMatchRedis sends one mixed pipeline, errors included,
// and compares the whole reply stream.
func TestPipelineRepliesMatchRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	var req bytes.Buffer
	for i := 0; i < 500; i++ {
		req.Write(encode("SET", fmt.Sprintf("k%d", i%50), fmt.Sprint(i)))
		req.Write(encode("INCR", fmt.Sprintf("k%d", i%50)))
		req.Write(encode("GET", fmt.Sprintf("k%d", (i+7)%60)))
		req.Write(encode("APPEND", "log", "x"))
		req.Write(encode("NOSUCHCMD", "x"))
		req.WriteString("EXISTS k1 k2 nope\r\n")
		req.Write(encode("GET"))
		// The same command again, in other cases, then a near name: the
		// server remembers each client's last command by its exact bytes.
		req.Write(encode("incr", fmt.Sprintf("k%d", i%50)))
		req.Write(encode("InCr", fmt.Sprintf("k%d", i%50)))
		req.Write(encode("INCRX", "k1"))
	}
	req.Write(encode("DBSIZE"))
	read := func(addr string) string {
		c := dialRaw(t, addr)
		go func() {
			c.c.SetWriteDeadline(time.Now().Add(30 * time.Second))
			c.c.Write(req.Bytes())
		}()
		var all strings.Builder
		for i := 0; i < 500*10+1; i++ {
			all.WriteString(c.read())
		}
		return all.String()
	}
	if got, want := read(tandem.Addr()), read(ref.Addr()); got != want {
		t.Fatalf("pipeline replies differ: tandem %d bytes, redis %d bytes\nfirst difference at byte %d", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestServerSurvivesBadClients: garbage, oversized headers, huge inline
// lines, clients that vanish mid-command or mid-bulk. The server keeps
// answering others and loses nothing written before.
func TestServerSurvivesBadClients(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 30*time.Second)
	good := newClient(t, srv.Addr(), 2)
	for i := 0; i < 200; i++ {
		if err := good.Set(ctx, fmt.Sprintf("key:%d", i), fmt.Sprintf("value-%d", i), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	bad := [][]byte{
		[]byte("*1\r\n$600000000\r\n"),
		[]byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-tls-hello"),
		bytes.Repeat([]byte("x"), 100*1024),
		[]byte("*3000000000\r\n"),
		[]byte("*1\r\nfoo\r\n"),
		[]byte("SET \"unbalanced\r\n"),
		[]byte("*3\r\n$3\r\nSET\r\n$7\r\nkey:199\r\n$10\r\noverwri"), // closes mid-command
		append([]byte("*3\r\n$3\r\nSET\r\n$6\r\nbigval\r\n$50000000\r\n"), make([]byte, 1<<20)...), // closes mid-bulk
		[]byte("*2\r\n$3\r\nDEL\r\n$5\r\nkey:1"),                                                   // DEL never completed
		[]byte("GET key:1\r\nFLUSHALL"),                                                            // FLUSHALL without newline
	}
	var wg sync.WaitGroup
	for round := 0; round < 3; round++ {
		for i, b := range bad {
			wg.Add(1)
			go func(i int, b []byte) {
				defer wg.Done()
				c, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
				if err != nil {
					t.Errorf("bad client %d: dial: %v", i, err)
					return
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.Write(b)
				// Read a little (or nothing) and vanish.
				buf := make([]byte, 256)
				if i%2 == 0 {
					c.Read(buf)
				}
			}(i, b)
		}
		// Meanwhile the good client keeps working.
		for j := 0; j < 50; j++ {
			if err := good.Ping(ctx).Err(); err != nil {
				t.Fatalf("PING during bad clients: %v", err)
			}
		}
	}
	wg.Wait()
	if srv.Exited() {
		t.Fatal("server exited")
	}
	if n, err := good.DBSize(ctx).Result(); err != nil || n != 200 {
		t.Fatalf("DBSIZE = %d, %v; want 200", n, err)
	}
	for i := 0; i < 200; i++ {
		v, err := good.Get(ctx, fmt.Sprintf("key:%d", i)).Result()
		if err != nil || v != fmt.Sprintf("value-%d", i) {
			t.Fatalf("key:%d = %q, %v", i, v, err)
		}
	}
	if n, _ := good.Exists(ctx, "bigval").Result(); n != 0 {
		t.Fatal("a partially received SET was applied")
	}
	// New clients still connect, in both protocols.
	for _, p := range []int{2, 3} {
		c := newClient(t, srv.Addr(), p)
		if err := c.Ping(ctx).Err(); err != nil {
			t.Fatalf("new client (RESP%d) after bad clients: %v", p, err)
		}
	}
	info, err := good.Info(ctx, "clients").Result()
	if err != nil {
		t.Fatal(err)
	}
	waitBadClientsGone(t, good, info)
}

// waitBadClientsGone waits until the bad connections are gone from
// connected_clients (only the go-redis pools remain).
func waitBadClientsGone(t *testing.T, c *redis.Client, first string) {
	t.Helper()
	ctx := ctxFor(t, 10*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := c.Info(ctx, "clients").Result()
		if err != nil {
			t.Fatal(err)
		}
		m := infoFields(info)
		var n int
		fmt.Sscan(m["connected_clients"], &n)
		if n <= 8 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("bad clients still connected: %s (first: %s)", m["connected_clients"], first)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestProtocolErrorClosesOnlyThatClient: the error reply arrives, the
// connection closes, and a client in the middle of a MULTI elsewhere is
// unaffected.
func TestProtocolErrorClosesOnlyThatClient(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	other := dialRaw(t, srv.Addr())
	if got := other.do("MULTI"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	other.do("SET", "a", "1")
	bad := dialRaw(t, srv.Addr())
	bad.send([]byte("SET x 1\r\n*1\r\n$600000000\r\n"))
	if got := bad.read(); got != "+OK\r\n" {
		t.Fatalf("command before the bad header: %q", got)
	}
	if got := bad.read(); got != "-ERR Protocol error: invalid bulk length\r\n" {
		t.Fatalf("got %q", got)
	}
	bad.expectClosed(5 * time.Second)
	if got := other.do("EXEC"); got != "*1\r\n+OK\r\n" {
		t.Fatalf("EXEC on the other client: %q", got)
	}
	if got := other.do("MGET", "a", "x"); got != "*2\r\n$1\r\n1\r\n$1\r\n1\r\n" {
		t.Fatalf("MGET: %q", got)
	}
}

// TestRESP3RawReplies checks the RESP3 encodings byte for byte: the HELLO
// map, null, verbatim strings, maps, sets and pushes.
func TestRESP3RawReplies(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ref := startRedis(t)

	// HELLO 3 is the same bytes as Redis's, except the client id.
	idRe := regexp.MustCompile(`\$2\r\nid\r\n:\d+\r\n`)
	for _, args := range [][]string{{"HELLO", "3"}, {"HELLO", "2"}, {"HELLO"}, {"HELLO", "3", "SETNAME", "x"}} {
		td, rd := dialRaw(t, srv.Addr()), dialRaw(t, ref.Addr())
		tid := td.do("CLIENT", "ID")
		got, want := td.do(args...), rd.do(args...)
		if !strings.Contains(got, "$2\r\nid\r\n"+tid) {
			t.Errorf("%v: id is not CLIENT ID %q: %q", args, tid, got)
		}
		if g, w := idRe.ReplaceAllString(got, "ID"), idRe.ReplaceAllString(want, "ID"); g != w {
			t.Errorf("%v:\ntandem %q\nredis  %q", args, got, want)
		}
	}

	c := dialRaw(t, srv.Addr())
	c.do("HELLO", "3")
	checks := []struct {
		args []string
		want string // regexp
	}{
		{[]string{"GET", "missing"}, `^_\r\n$`},
		{[]string{"SET", "k", "v"}, `^\+OK\r\n$`},
		{[]string{"SET", "k", "v", "NX"}, `^_\r\n$`},
		{[]string{"MGET", "k", "nope"}, `^\*2\r\n\$1\r\nv\r\n_\r\n$`},
		{[]string{"CONFIG", "GET", "maxmemory"}, `^%1\r\n\$9\r\nmaxmemory\r\n\$1\r\n0\r\n$`},
		{[]string{"CLIENT", "GETNAME"}, `^_\r\n$`},
		{[]string{"OBJECT", "ENCODING", "nope"}, `^_\r\n$`},
		{[]string{"RANDOMKEY"}, `^\$1\r\nk\r\n$`},
		{[]string{"INFO", "server"}, `^=\d+\r\ntxt:# Server\r\n(?s).*\r\n$`},
		{[]string{"CLIENT", "INFO"}, `^=\d+\r\ntxt:id=\d+ addr=.*\n\r\n$`},
		{[]string{"CLIENT", "LIST"}, `^=\d+\r\ntxt:(?s)id=\d+ addr=.*\n\r\n$`},
		{[]string{"COMMAND", "INFO", "get"}, `^\*1\r\n\*10\r\n\$3\r\nget\r\n:2\r\n~\d+\r\n`},
		{[]string{"INCRBYFLOAT", "f", "1.5"}, `^\$3\r\n1\.5\r\n$`}, // a bulk string in Redis 7.0, even in RESP3
		{[]string{"SUBSCRIBE", "ch"}, `^>3\r\n\$9\r\nsubscribe\r\n\$2\r\nch\r\n:1\r\n$`},
		{[]string{"GET", "k"}, `^\$1\r\nv\r\n$`}, // RESP3 allows commands while subscribed
		{[]string{"PING"}, `^\+PONG\r\n$`},
		{[]string{"UNSUBSCRIBE"}, `^>3\r\n\$11\r\nunsubscribe\r\n\$2\r\nch\r\n:0\r\n$`},
	}
	for _, ck := range checks {
		got := c.do(ck.args...)
		if !regexp.MustCompile(ck.want).MatchString(got) {
			t.Errorf("%v: got %q, want /%s/", ck.args, trunc(got), ck.want)
		}
	}
	// The verbatim INFO's length covers "txt:" and the payload.
	got := c.do("INFO", "server")
	r := bufio.NewReader(strings.NewReader(got))
	hdr, _ := r.ReadString('\n')
	var n int
	fmt.Sscanf(hdr, "=%d\r\n", &n)
	if body, _ := io.ReadAll(r); len(body) != n+2 {
		t.Errorf("verbatim length %d but %d bytes follow", n, len(body)-2)
	}
	// A published message arrives as a push.
	sub := dialRaw(t, srv.Addr())
	sub.do("HELLO", "3")
	sub.do("SUBSCRIBE", "news")
	if got := c.do("PUBLISH", "news", "hi"); got != ":1\r\n" {
		t.Fatalf("PUBLISH: %q", got)
	}
	if got := sub.read(); got != ">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n" {
		t.Fatalf("push: %q", got)
	}
}

// TestGoRedisRESP3AndRESP2 runs the same typed calls with go-redis in both
// protocols (go-redis's default is RESP3).
func TestGoRedisRESP3AndRESP2(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	for _, proto := range []int{0, 2, 3} {
		t.Run(fmt.Sprintf("proto%d", proto), func(t *testing.T) {
			ctx := ctxFor(t, 20*time.Second)
			c := newClient(t, srv.Addr(), proto)
			k := func(s string) string { return fmt.Sprintf("p%d:%s", proto, s) }
			if err := c.Get(ctx, k("missing")).Err(); err != redis.Nil {
				t.Fatalf("GET missing: %v", err)
			}
			if err := c.Set(ctx, k("s"), "v", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			if d, err := c.TTL(ctx, k("s")).Result(); err != nil || d != time.Minute {
				t.Fatalf("TTL = %v, %v", d, err)
			}
			if f, err := c.IncrByFloat(ctx, k("f"), 2.5).Result(); err != nil || f != 2.5 {
				t.Fatalf("INCRBYFLOAT = %v, %v", f, err)
			}
			if ok, err := c.SetNX(ctx, k("s"), "x", 0).Result(); err != nil || ok {
				t.Fatalf("SETNX = %v, %v", ok, err)
			}
			vals, err := c.MGet(ctx, k("s"), k("missing")).Result()
			if err != nil || len(vals) != 2 || vals[0] != "v" || vals[1] != nil {
				t.Fatalf("MGET = %#v, %v", vals, err)
			}
			cfg, err := c.ConfigGet(ctx, "maxmemory*").Result()
			if err != nil || cfg["maxmemory"] != "0" || cfg["maxmemory-policy"] != "noeviction" {
				t.Fatalf("CONFIG GET = %v, %v", cfg, err)
			}
			info, err := c.Info(ctx).Result()
			if err != nil || !strings.Contains(info, "# Server\r\n") || !strings.Contains(info, "redis_version:") {
				t.Fatalf("INFO = %q, %v", trunc(info), err)
			}
			if name, err := c.ClientGetName(ctx).Result(); err != redis.Nil {
				t.Fatalf("CLIENT GETNAME = %q, %v", name, err)
			}
			if err := c.Do(ctx, "NOSUCHCOMMAND").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR unknown command 'NOSUCHCOMMAND'") {
				t.Fatalf("unknown command error: %v", err)
			}
			ts, err := c.Time(ctx).Result()
			if err != nil || time.Since(ts).Abs() > time.Minute {
				t.Fatalf("TIME = %v, %v", ts, err)
			}
			res, err := c.Do(ctx, "HELLO").Result()
			if err != nil {
				t.Fatal(err)
			}
			wantProto := int64(3)
			if proto == 2 {
				wantProto = 2
			}
			switch m := res.(type) {
			case map[any]any:
				if m["proto"] != wantProto || m["server"] != "redis" {
					t.Fatalf("HELLO = %v", m)
				}
			case []any:
				if len(m) != 14 || m[5] != wantProto {
					t.Fatalf("HELLO = %v", m)
				}
			default:
				t.Fatalf("HELLO = %T %v", res, res)
			}
		})
	}
}
