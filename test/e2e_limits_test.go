package test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// Limits on what one client can make the server hold: the query buffer
// (client-query-buffer-limit), the reply buffer (client-output-buffer-limit
// normal) and huge replies built in slices. Each runs in both connection
// modes: the event loop and a goroutine per connection.

// connModes are the two ways the server serves a connection.
var connModes = []struct {
	name string
	env  []string
}{
	{"evloop", nil},
	{"goroutine", []string{"TANDEM_CONN_MODE=goroutine"}},
}

// startReady starts Tandem with env and waits until it has loaded (a
// -race binary may still answer -LOADING after its first PING).
// inEveryConnMode runs f, in parallel, against a ready server in each
// connection mode (event loop and goroutine per client), with an admin
// connection to it.
func inEveryConnMode(t *testing.T, f func(t *testing.T, srv *testutil.Proc, admin *rawConn)) {
	t.Parallel()
	for _, mode := range connModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			srv := startReady(t, mode.env)
			f(t, srv, dialRaw(t, srv.Addr()))
		})
	}
}

func startReady(t *testing.T, env []string) *testutil.Proc {
	t.Helper()
	srv := testutil.StartTandemEnv(t, env)
	if err := testutil.WaitReady(srv.Addr(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return srv
}

// streamUntilClosed writes chunks of data until the server closes the
// connection or total bytes were written; it reports whether it was closed.
func streamUntilClosed(c net.Conn, total int) bool {
	chunk := bytes.Repeat([]byte("x"), 64*1024)
	for sent := 0; sent < total; sent += len(chunk) {
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(chunk); err != nil {
			return true
		}
	}
	return false
}

// TestQueryBufferLimitClosesEveryKindOfClient: a client that keeps sending
// while blocked in BLPOP, while queueing a MULTI, while subscribed, or just
// with one endless argument is closed once its unrun input passes
// client-query-buffer-limit, with Redis's log line; everyone else is served.
func TestQueryBufferLimitClosesEveryKindOfClient(t *testing.T) {
	inEveryConnMode(t, func(t *testing.T, srv *testutil.Proc, admin *rawConn) {
		if got := admin.do("CONFIG", "SET", "client-query-buffer-limit", "1000"); !strings.HasPrefix(got, "-ERR") {
			t.Fatalf("CONFIG SET client-query-buffer-limit 1000 = %q, want Redis's 1mb lower bound error", got)
		}
		if got := admin.do("CONFIG", "SET", "client-query-buffer-limit", "1mb"); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET = %q", got)
		}
		cases := []struct {
			name  string
			setup func(rc *rawConn)
		}{
			{"blocked", func(rc *rawConn) {
				rc.send(encode("BLPOP", "nokey", "0"))
				testutil.Eventually(t, 5*time.Second, "client blocked", func() bool {
					return infoFields(admin.do("INFO", "clients"))["blocked_clients"] == "1"
				})
				// The bytes that follow announce one huge argument.
				rc.send([]byte("*2\r\n$3\r\nGET\r\n$5000000\r\n"))
			}},
			{"multi", func(rc *rawConn) {
				if got := rc.do("MULTI"); got != "+OK\r\n" {
					t.Fatalf("MULTI = %q", got)
				}
				big := strings.Repeat("v", 400*1024)
				for i := 0; i < 2; i++ {
					if got := rc.do("SET", "k", big); got != "+QUEUED\r\n" {
						t.Fatalf("SET = %q", got)
					}
				}
				// 800 KB queued: 300 KB more of a third is over 1 MB.
				rc.send([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$400000\r\n"))
			}},
			{"pubsub", func(rc *rawConn) {
				if got := rc.do("SUBSCRIBE", "ch"); !strings.Contains(got, "subscribe") {
					t.Fatalf("SUBSCRIBE = %q", got)
				}
				rc.send([]byte("*2\r\n$4\r\nPING\r\n$5000000\r\n"))
			}},
			{"plain", func(rc *rawConn) {
				rc.send([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000000\r\n"))
			}},
		}
		for _, tc := range cases {
			before := strings.Count(srv.LogText(), "Closing client that reached max query buffer length")
			rc := dialRaw(t, srv.Addr())
			tc.setup(rc)
			if !streamUntilClosed(rc.c, 4<<20) {
				rc.expectClosed(5 * time.Second)
			}
			testutil.Eventually(t, 5*time.Second, tc.name+": client closed and logged", func() bool {
				f := infoFields(admin.do("INFO", "clients"))
				return f["connected_clients"] == "1" && f["blocked_clients"] == "0" &&
					strings.Count(srv.LogText(), "Closing client that reached max query buffer length") == before+1
			})
			if got := admin.do("PING"); got != "+PONG\r\n" {
				t.Fatalf("%s: PING = %q", tc.name, got)
			}
		}
		if !strings.Contains(srv.LogText(), "(qbuf initial bytes: ") {
			t.Errorf("log line without the query's first bytes:\n%s", srv.LogText())
		}
		// Under the limit, nothing is cut: a 900 KB argument works.
		big := strings.Repeat("w", 900*1024)
		if got := admin.do("SET", "big", big); got != "+OK\r\n" {
			t.Fatalf("SET 900 KB = %q", got)
		}
	})
}

// usedMemory is the Go heap (INFO's go_heap_alloc: used_memory is
// maxmemory's dataset account, which buffers are not part of) plus RSS,
// in bytes.
func usedMemory(t *testing.T, rc *rawConn) (used, rss int64) {
	t.Helper()
	f := infoFields(rc.do("INFO", "memory"))
	used, _ = strconv.ParseInt(f["go_heap_alloc"], 10, 64)
	rss, _ = strconv.ParseInt(f["used_memory_rss"], 10, 64)
	return used, rss
}

// TestHugeRandomReplyStreamsWithinMemory: SRANDMEMBER, HRANDFIELD and
// ZRANDMEMBER asked for 2^63-1 picks start answering at once with the full
// count and stream the elements as the client reads them: other clients
// are served meanwhile, memory stays flat, and closing or killing the
// reader frees it all.
func TestHugeRandomReplyStreamsWithinMemory(t *testing.T) {
	t.Parallel()
	const huge = "-9223372036854775807"
	for _, mode := range connModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			srv := startReady(t, mode.env)
			admin := dialRaw(t, srv.Addr())
			for _, cmd := range [][]string{
				{"SADD", "s", "a", "b", "c"},
				{"HSET", "h", "f1", "v1", "f2", "v2"},
				{"ZADD", "z", "1", "m1", "2", "m2"},
				{"SET", "k", "v"},
			} {
				admin.do(cmd...)
			}
			_, rss0 := usedMemory(t, admin)
			for _, cmd := range [][]string{
				{"SRANDMEMBER", "s", huge},
				{"HRANDFIELD", "h", huge},
				{"ZRANDMEMBER", "z", huge},
			} {
				hog := dialRaw(t, srv.Addr())
				hog.send(encode(cmd...))
				head := make([]byte, 4096)
				hog.c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, err := io.ReadFull(hog.r, head); err != nil {
					t.Fatalf("%v: %v", cmd, err)
				}
				if !strings.HasPrefix(string(head), "*9223372036854775807\r\n$") {
					t.Fatalf("%v starts %q", cmd, head[:40])
				}
				// The hog reads no more; others are served promptly (a
				// -race binary on a busy machine gets more time).
				maxWait := time.Second
				if testutil.RaceEnabled {
					maxWait = 3 * time.Second
				}
				other := dialRaw(t, srv.Addr())
				deadline := time.Now().Add(2 * time.Second)
				for time.Now().Before(deadline) {
					start := time.Now()
					if got := other.do("GET", "k"); got != "$1\r\nv\r\n" {
						t.Fatalf("GET = %q", got)
					}
					if d := time.Since(start); d > maxWait {
						t.Fatalf("GET took %v while %v streams", d, cmd)
					}
					time.Sleep(20 * time.Millisecond)
				}
				used, rss := usedMemory(t, other)
				if rss-rss0 > 50<<20 || used > 100<<20 {
					t.Fatalf("%v: RSS grew by %d bytes (used_memory %d)", cmd, rss-rss0, used)
				}
				if cmd[0] == "ZRANDMEMBER" {
					// CLIENT KILL ends a stream.
					if got := admin.do("CLIENT", "KILL", "SKIPME", "yes", "ADDR", hog.c.LocalAddr().String()); got != ":1\r\n" {
						t.Fatalf("CLIENT KILL = %q", got)
					}
				} else {
					hog.c.Close()
				}
				other.c.Close()
				testutil.Eventually(t, 5*time.Second, "hog's client gone", func() bool {
					return infoFields(admin.do("INFO", "clients"))["connected_clients"] == "1"
				})
			}
			if got := admin.do("PING"); got != "+PONG\r\n" {
				t.Fatalf("PING = %q", got)
			}
		})
	}
}

// TestStreamedReplyHeldToTheHardLimit: with a hard output limit for its
// class, a reply too big to build at once is held until complete, as
// Redis, which builds a reply before writing it, holds every reply: one
// larger than the limit closes the client with nothing of it sent (Redis
// 7.0's unit/obuf-limits "HRANDFIELD with huge count stopped mid-run"),
// one under it arrives whole, and the server goes on serving.
func TestStreamedReplyHeldToTheHardLimit(t *testing.T) {
	inEveryConnMode(t, func(t *testing.T, srv *testutil.Proc, admin *rawConn) {
		admin.do("CONFIG", "SET", "client-output-buffer-limit", "normal 1000000 0 0")
		admin.do("HSET", "h", "a", "b")
		c := dialRaw(t, srv.Addr())
		c.send(encode("HRANDFIELD", "h", "-999999999"))
		c.c.SetReadDeadline(time.Now().Add(20 * time.Second))
		n, err := io.Copy(io.Discard, c.r)
		if err != nil || n != 0 {
			t.Fatalf("read %d bytes, %v; want the connection closed with nothing sent", n, err)
		}
		if !strings.Contains(srv.LogText(), "scheduled to be closed ASAP for overcoming of output buffer limits") {
			t.Errorf("no output-limit line in the log")
		}
		// 50,000 fields (about 350 KB) are streamed but fit: whole,
		// and the next pipelined command answers after them.
		c = dialRaw(t, srv.Addr())
		c.send(append(encode("HRANDFIELD", "h", "-50000"), encode("PING")...))
		c.c.SetReadDeadline(time.Now().Add(20 * time.Second))
		if head, err := c.r.ReadString('\n'); err != nil || head != "*50000\r\n" {
			t.Fatalf("reply starts %q, %v", head, err)
		}
		for i := 0; i < 50000; i++ {
			l1, _ := c.r.ReadString('\n')
			l2, err := c.r.ReadString('\n')
			if l1 != "$1\r\n" || l2 != "a\r\n" || err != nil {
				t.Fatalf("element %d: %q %q %v", i, l1, l2, err)
			}
		}
		if got, _ := c.r.ReadString('\n'); got != "+PONG\r\n" {
			t.Fatalf("after the reply: %q", got)
		}
		if got := admin.do("PING"); got != "+PONG\r\n" {
			t.Fatalf("PING = %q", got)
		}
	})
}

// TestStreamedRandomReplyKeepsOrderAndShape: a reply large enough to be
// streamed has exactly the count asked, every element a member, and the
// commands pipelined after it answer after it. Inside MULTI the reply is
// built whole up to a bound and refused beyond it.
func TestStreamedRandomReplyKeepsOrderAndShape(t *testing.T) {
	t.Parallel()
	for _, mode := range connModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			srv := startReady(t, mode.env)
			rc := dialRaw(t, srv.Addr())
			if got := rc.do("SADD", "s", "a", "b", "c"); got != ":3\r\n" {
				t.Fatalf("SADD = %q", got)
			}
			rc.send(append(encode("SRANDMEMBER", "s", "-200000"), encode("PING")...))
			rc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, err := rc.r.ReadString('\n')
			if err != nil || line != "*200000\r\n" {
				t.Fatalf("header %q, %v", line, err)
			}
			for i := 0; i < 200000; i++ {
				var el bytes.Buffer
				if err := readReply(rc.r, &el); err != nil {
					t.Fatalf("element %d: %v", i, err)
				}
				if e := el.String(); e != "$1\r\na\r\n" && e != "$1\r\nb\r\n" && e != "$1\r\nc\r\n" {
					t.Fatalf("element %d = %q", i, e)
				}
			}
			if got := rc.read(); got != "+PONG\r\n" {
				t.Fatalf("after the stream: %q", got)
			}
			rc.do("MULTI")
			rc.do("SRANDMEMBER", "s", "-200000")
			rc.do("SRANDMEMBER", "s", "-2000000")
			got := rc.do("EXEC")
			if !strings.HasPrefix(got, "*2\r\n*200000\r\n") || !strings.HasSuffix(got, "\r\n-ERR count is too large to build the reply here (at most 1048576 elements outside a connection that streams it)\r\n") {
				t.Fatalf("EXEC = %q...%q", got[:min(len(got), 40)], got[max(0, len(got)-120):])
			}
		})
	}
}

// TestRandomNegativeCountRepliesShapedAsRedis compares the shape of
// moderate and streamed negative-count replies with redis-server's, in
// RESP2 and RESP3: same element count, nesting and types, and members
// (small counts sample one-member values, large ones see every member).
func TestRandomNegativeCountRepliesShapedAsRedis(t *testing.T) {
	t.Parallel()
	rs := startRedis(t)
	ts := startTandem(t)
	cmds := [][]any{
		{"SRANDMEMBER", "one", "-5"},
		{"SRANDMEMBER", "s", "-200000"},
		{"HRANDFIELD", "h", "-100000"},
		{"HRANDFIELD", "h", "-100000", "WITHVALUES"},
		{"ZRANDMEMBER", "z", "-100000", "WITHSCORES"},
		{"ZRANDMEMBER", "z1", "-7", "WITHSCORES"},
		{"HRANDFIELD", "h", "-9223372036854775807", "WITHVALUES"},
		{"ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"},
	}
	for _, proto := range []int{2, 3} {
		ctx := ctxFor(t, 60*time.Second)
		var shapes [2][]string
		for i, addr := range []string{rs.Addr(), ts.Addr()} {
			c := newClient(t, addr, proto)
			mustDo(t, ctx, c, "SADD", "s", "a", "b", "c")
			mustDo(t, ctx, c, "HSET", "h", "f1", "v1", "f2", "v2")
			mustDo(t, ctx, c, "ZADD", "z", "1", "m1", "2.5", "m2")
			mustDo(t, ctx, c, "SADD", "one", "x")
			mustDo(t, ctx, c, "ZADD", "z1", "3", "y")
			for _, cmd := range cmds {
				v, err := c.Do(ctx, cmd...).Result()
				shapes[i] = append(shapes[i], fmt.Sprintf("%v: %s", cmd, shapeOf(v, err)))
			}
		}
		for j := range cmds {
			if shapes[0][j] != shapes[1][j] {
				t.Errorf("RESP%d\n redis:  %s\n tandem: %s", proto, shapes[0][j], shapes[1][j])
			}
		}
	}
}

// shapeOf summarizes a reply: an array as its length and the distinct
// shapes of its elements (sorted), scalars by type and value.
func shapeOf(v any, err error) string {
	if err != nil {
		return "error " + err.Error()
	}
	switch x := v.(type) {
	case []any:
		seen := map[string]bool{}
		for _, e := range x {
			seen[shapeOf(e, nil)] = true
		}
		var kinds []string
		for k := range seen {
			kinds = append(kinds, k)
		}
		return fmt.Sprintf("array(%d)%v", len(x), sorted(kinds))
	default:
		return fmt.Sprintf("%T(%v)", v, v)
	}
}

// TestNormalOutputLimitAppliesToReplies: client-output-buffer-limit normal
// cuts a client whose reply passes the hard limit (as redis-server does),
// and one that leaves its replies unread over the soft limit for longer
// than its seconds; a client that reads is never cut.
func TestNormalOutputLimitAppliesToReplies(t *testing.T) {
	t.Parallel()
	servers := []struct {
		name string
		env  []string
	}{{"redis", nil}}
	servers = append(servers, connModes...)
	big := strings.Repeat("x", 2<<20)
	for _, sv := range servers {
		t.Run(sv.name, func(t *testing.T) {
			t.Parallel()
			var srv *testutil.Proc
			if sv.name == "redis" {
				srv = startRedis(t)
			} else {
				srv = startReady(t, sv.env)
			}
			admin := dialRaw(t, srv.Addr())
			if got := admin.do("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0"); got != "+OK\r\n" {
				t.Fatalf("CONFIG SET = %q", got)
			}
			admin.do("SET", "big", big)
			admin.do("SET", "small", "v")
			rc := dialRaw(t, srv.Addr())
			if got := rc.do("GET", "small"); got != "$1\r\nv\r\n" {
				t.Fatalf("GET small = %q", got)
			}
			rc.send(encode("GET", "big"))
			rc.c.SetReadDeadline(time.Now().Add(5 * time.Second))
			rest, err := io.ReadAll(rc.r)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("not closed within 5s (read %d bytes)", len(rest))
			}
			if len(rest) > 0 {
				t.Fatalf("a 2 MB reply over a 1 MB hard limit was sent (%d bytes)", len(rest))
			}
			testutil.Eventually(t, 5*time.Second, "client gone", func() bool {
				return infoFields(admin.do("INFO", "clients"))["connected_clients"] == "1"
			})
			if !strings.Contains(srv.LogText(), "scheduled to be closed ASAP for overcoming of output buffer limits.") {
				t.Errorf("no log line for the output limit")
			}
			if sv.name == "redis" {
				return // Redis checks the soft limit only when a reply is added
			}
			// Soft: 256 KB for more than 1 s, replies left unread.
			if got := admin.do("CONFIG", "SET", "client-output-buffer-limit", "normal 0 256kb 1"); got != "+OK\r\n" {
				t.Fatalf("CONFIG SET = %q", got)
			}
			reader := dialRaw(t, srv.Addr())
			if got := reader.do("GET", "big"); len(got) != len(big)+len("$2097152\r\n\r\n") {
				t.Fatalf("a client that reads its 2 MB reply got %d bytes", len(got))
			}
			hog := dialRaw(t, srv.Addr())
			var pipe []byte
			for i := 0; i < 16; i++ {
				pipe = append(pipe, encode("GET", "big")...)
			}
			testutil.Eventually(t, 5*time.Second, "three clients", func() bool {
				return infoFields(admin.do("INFO", "clients"))["connected_clients"] == "3"
			})
			start := time.Now()
			hog.send(pipe)
			hog.c.(*net.TCPConn).SetReadBuffer(64 * 1024)
			testutil.Eventually(t, 10*time.Second, "unread client cut", func() bool {
				return infoFields(admin.do("INFO", "clients"))["connected_clients"] == "2"
			})
			if d := time.Since(start); d < time.Second {
				t.Fatalf("cut after %v, before the soft limit's second", d)
			}
			if got := reader.do("GET", "small"); got != "$1\r\nv\r\n" {
				t.Fatalf("reader: GET small = %q", got)
			}
		})
	}
}

// namedClientField reads one numeric field of the CLIENT LIST line of the
// client named name.
func namedClientField(t *testing.T, admin *rawConn, name, field string) int64 {
	t.Helper()
	list := admin.do("CLIENT", "LIST")
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		n, err := strconv.ParseInt(clientField(line, field), 10, 64)
		if err != nil {
			t.Fatalf("%s in %q: %v", field, line, err)
		}
		return n
	}
	t.Fatalf("no client %s in %q", name, list)
	return 0
}

// TestIdleBuffersShrink: after a big request and a big reply, an idle
// client's query buffer and reply buffer shrink back (CLIENT LIST shows
// it, INFO counts the resizes), a blocked client's too, and the client
// works as before.
func TestIdleBuffersShrink(t *testing.T) {
	inEveryConnMode(t, func(t *testing.T, srv *testutil.Proc, admin *rawConn) {
		big := strings.Repeat("b", 200*1024)
		a := dialRaw(t, srv.Addr())
		a.do("CLIENT", "SETNAME", "a")
		if got := a.do("SET", "big", big); got != "+OK\r\n" {
			t.Fatalf("SET = %q", got)
		}
		if got := a.do("GET", "big"); got != "$204800\r\n"+big+"\r\n" {
			t.Fatalf("GET returned %d bytes", len(got))
		}
		blk := dialRaw(t, srv.Addr())
		blk.do("CLIENT", "SETNAME", "blk")
		blk.do("SET", "big2", big)
		blk.send(encode("BLPOP", "nokey", "0"))
		if e := infoFields(admin.do("INFO", "stats"))["reply_buffer_expands"]; e == "0" {
			t.Errorf("reply_buffer_expands = 0 after a 200 KB reply")
		}
		testutil.Eventually(t, 10*time.Second, "buffers shrunk", func() bool {
			q := namedClientField(t, admin, "a", "qbuf") + namedClientField(t, admin, "a", "qbuf-free")
			qb := namedClientField(t, admin, "blk", "qbuf") + namedClientField(t, admin, "blk", "qbuf-free")
			rbs := namedClientField(t, admin, "a", "rbs")
			// Idle and empty, the query buffers are given back whole,
			// as Redis frees an idle client's (qbuf + qbuf-free = 0).
			return q == 0 && qb == 0 && rbs <= 16*1024
		})
		if s := infoFields(admin.do("INFO", "stats"))["reply_buffer_shrinks"]; s == "0" {
			t.Errorf("reply_buffer_shrinks = 0 after a shrink")
		}
		if got := a.do("GET", "big"); got != "$204800\r\n"+big+"\r\n" {
			t.Fatalf("GET after shrinking returned %d bytes", len(got))
		}
		admin.do("RPUSH", "nokey", "x")
		if got := blk.read(); got != "*2\r\n$5\r\nnokey\r\n$1\r\nx\r\n" {
			t.Fatalf("BLPOP = %q", got)
		}
	})
}

// TestBusyQueryBufferShrinksWithinASecond: a client that keeps sending
// small commands after a 400 KB one sees its query buffer cut back to its
// recent peak within a second, not left at 400 KB, as Redis's client cron
// does with few clients (Redis's unit/querybuf "when not idle" case).
func TestBusyQueryBufferShrinksWithinASecond(t *testing.T) {
	inEveryConnMode(t, func(t *testing.T, srv *testutil.Proc, admin *rawConn) {
		a := dialRaw(t, srv.Addr())
		a.do("CLIENT", "SETNAME", "a")
		if got := a.do("SET", "x", strings.Repeat("A", 400000)); got != "+OK\r\n" {
			t.Fatalf("SET = %q", got)
		}
		qbuf := func() int64 {
			return namedClientField(t, admin, "a", "qbuf") + namedClientField(t, admin, "a", "qbuf-free")
		}
		orig := qbuf()
		if orig <= 32*1024 {
			t.Fatalf("query buffer after a 400 KB request: %d bytes", orig)
		}
		start := time.Now()
		var now int64
		for time.Since(start) < 1500*time.Millisecond {
			a.do("SET", "x", strings.Repeat("A", 100))
			if now = qbuf(); now < orig {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if now <= 0 || now >= orig {
			t.Fatalf("query buffer %d bytes after %v of small commands (was %d)", now, time.Since(start), orig)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("query buffer shrunk after %v, Redis does it within a second", d)
		}
	})
}

// TestDeclaredBulkLengthIsNotAllocated: clients announcing 500 MB
// arguments and sending 100 KB of each cost the server about what they
// sent, not what they announced.
func TestDeclaredBulkLengthIsNotAllocated(t *testing.T) {
	inEveryConnMode(t, func(t *testing.T, srv *testutil.Proc, admin *rawConn) {
		used0, _ := usedMemory(t, admin)
		const n = 4
		for i := 0; i < n; i++ {
			rc := dialRaw(t, srv.Addr())
			rc.send([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$500000000\r\n"))
			for j := 0; j < 10; j++ { // in pieces, read separately
				rc.send(bytes.Repeat([]byte("z"), 10*1024))
				time.Sleep(2 * time.Millisecond)
			}
		}
		testutil.Eventually(t, 5*time.Second, "clients read", func() bool {
			n, _ := strconv.Atoi(infoFields(admin.do("INFO", "clients"))["client_recent_max_input_buffer"])
			return n >= 100000
		})
		used, _ := usedMemory(t, admin)
		if used-used0 > 64<<20 {
			t.Fatalf("used_memory grew by %d bytes for %d clients that sent 100 KB each", used-used0, n)
		}
	})
}

// TestProtoMaxBulkLenAppliesToOpenConnections: CONFIG SET
// proto-max-bulk-len holds for a connection opened before it, as in
// redis-server: a longer bulk is a protocol error and the connection ends.
func TestProtoMaxBulkLenAppliesToOpenConnections(t *testing.T) {
	t.Parallel()
	servers := append([]struct {
		name string
		env  []string
	}{{"redis", nil}}, connModes...)
	for _, sv := range servers {
		t.Run(sv.name, func(t *testing.T) {
			t.Parallel()
			var srv *testutil.Proc
			if sv.name == "redis" {
				srv = startRedis(t)
			} else {
				srv = startReady(t, sv.env)
			}
			rc := dialRaw(t, srv.Addr())
			if got := rc.do("PING"); got != "+PONG\r\n" {
				t.Fatalf("PING = %q", got)
			}
			admin := dialRaw(t, srv.Addr())
			if got := admin.do("CONFIG", "SET", "proto-max-bulk-len", "1mb"); got != "+OK\r\n" {
				t.Fatalf("CONFIG SET = %q", got)
			}
			rc.send([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n"))
			if got := rc.read(); got != "-ERR Protocol error: invalid bulk length\r\n" {
				t.Fatalf("reply = %q", got)
			}
			rc.expectClosed(5 * time.Second)
		})
	}
}
