package test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// Client memory (maxmemory-clients): what a client makes the server hold
// is counted (CLIENT LIST tot-mem, INFO mem_clients_normal) and clients
// are evicted, the largest first, while the total is over the limit, as
// Redis 7.0's unit/client-eviction teaches. Each test runs in both
// connection modes.

// clientField reads field f of the client named name from CLIENT LIST, or
// "" when no such client is listed.
func cmClientField(t *testing.T, admin *rawConn, name, f string) string {
	t.Helper()
	for _, l := range strings.Split(admin.do("CLIENT", "LIST"), "\n") {
		if strings.Contains(l, " name="+name+" ") {
			if m := regexp.MustCompile(` ` + f + `=(\S+)`).FindStringSubmatch(l); m != nil {
				return m[1]
			}
		}
	}
	return ""
}

func cmClientInt(t *testing.T, admin *rawConn, name, f string) int64 {
	t.Helper()
	v, _ := strconv.ParseInt(cmClientField(t, admin, name, f), 10, 64)
	return v
}

// namedClient opens a connection named name.
func namedClient(t *testing.T, addr, name string) *rawConn {
	t.Helper()
	c := dialRaw(t, addr)
	if got := c.do("CLIENT", "SETNAME", name); got != "+OK\r\n" {
		t.Fatalf("CLIENT SETNAME: %q", got)
	}
	return c
}

// sendPartial sends a request announcing one argument of size bytes and
// only size bytes of it (no CRLF), so it stays in the query buffer; it
// reports whether the write failed (the server closed the connection).
func sendPartial(c *rawConn, size int) bool {
	c.c.SetWriteDeadline(time.Now().Add(replyTimeout))
	_, err := c.c.Write([]byte(fmt.Sprintf("*2\r\n$%d\r\n%s", size, strings.Repeat("v", size))))
	return err != nil
}

// pollFor polls cond every 10 ms until it holds or d passes.
func pollFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func cmInfoInt(t *testing.T, admin *rawConn, section, field string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(infoFields(bulkBody(t, admin.do("INFO", section)))[field], 10, 64)
	if err != nil {
		t.Fatalf("INFO %s %s: %v", section, field, err)
	}
	return v
}

// A client whose query buffer passes maxmemory-clients is evicted (its
// connection closed, INFO evicted_clients counts it, the log says so),
// as soon as the header of its big argument is read; a client with
// CLIENT NO-EVICT on is kept, and its tot-mem shows what it holds.
func TestClientWithBigQueryBufferIsEvicted(t *testing.T) {
	inEveryConnMode(t, func(t *testing.T, srv *testutil.Proc, admin *rawConn) {
		const limit = 3000000
		admin.do("CLIENT", "NO-EVICT", "on")
		if got := admin.do("CONFIG", "SET", "maxmemory-clients", strconv.Itoa(limit)); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET maxmemory-clients: %q", got)
		}
		c := namedClient(t, srv.Addr(), "big")
		sendPartial(c, limit)
		c.expectClosed(replyTimeout)
		if v := cmClientField(t, admin, "big", "tot-mem"); v != "" {
			t.Fatalf("evicted client still listed (tot-mem=%s)", v)
		}
		if n := cmInfoInt(t, admin, "stats", "evicted_clients"); n != 1 {
			t.Fatalf("evicted_clients = %d, want 1", n)
		}
		pollFor(t, 5*time.Second, "the eviction log line", func() bool {
			return fileContains(srv.Log, "Evicting client: id=") && fileContains(srv.Log, "name=big ")
		})

		kept := namedClient(t, srv.Addr(), "kept")
		if got := kept.do("CLIENT", "NO-EVICT", "on"); got != "+OK\r\n" {
			t.Fatalf("CLIENT NO-EVICT on: %q", got)
		}
		sendPartial(kept, limit+1)
		pollFor(t, 10*time.Second, "the query buffer to fill", func() bool {
			return cmClientInt(t, admin, "kept", "qbuf") == limit+1
		})
		if m := cmClientInt(t, admin, "kept", "tot-mem"); m <= limit {
			t.Fatalf("tot-mem = %d, want more than %d", m, limit)
		}
		if f := cmClientField(t, admin, "kept", "flags"); !strings.Contains(f, "e") {
			t.Fatalf("flags = %q, want e (no-evict)", f)
		}
		if n := cmInfoInt(t, admin, "stats", "evicted_clients"); n != 1 {
			t.Fatalf("evicted_clients = %d, want still 1", n)
		}
		// CONFIG RESETSTAT zeroes the count, as in Redis.
		admin.do("CONFIG", "RESETSTAT")
		if n := cmInfoInt(t, admin, "stats", "evicted_clients"); n != 0 {
			t.Fatalf("evicted_clients after RESETSTAT = %d", n)
		}
	})
}

// Lowering maxmemory-clients evicts at once, the largest clients first,
// and only until the total is under the limit.
func TestLoweringMaxmemoryClientsEvictsLargestFirst(t *testing.T) {
	inEveryConnMode(t, func(t *testing.T, srv *testutil.Proc, admin *rawConn) {
		admin.do("CLIENT", "SETNAME", "control")
		admin.do("CLIENT", "NO-EVICT", "on")
		admin.do("DEBUG", "REPLYBUFFER", "RESIZING", "0")
		sizes := []int{128 << 10, 1 << 20, 3 << 20}
		mem := make([]int64, len(sizes))
		for i, size := range sizes {
			for j := 0; j < 2; j++ {
				name := fmt.Sprintf("c%d-%d", i, j)
				sendPartial(namedClient(t, srv.Addr(), name), size)
				pollFor(t, 10*time.Second, name+"'s query buffer", func() bool {
					return cmClientInt(t, admin, name, "qbuf") == int64(size)
				})
			}
			mem[i] = cmClientInt(t, admin, fmt.Sprintf("c%d-0", i), "tot-mem")
			if mem[i] < int64(size) {
				t.Fatalf("tot-mem of a %d-byte query buffer: %d", size, mem[i])
			}
		}
		total := 2 * (mem[0] + mem[1] + mem[2])
		// Room for all but the largest two.
		for k := len(sizes) - 1; k >= 0; k-- {
			total -= 2 * mem[k]
			// Slack for the control client's reply buffers, which grow
			// with CLIENT LIST's own reply; far below any client's size.
			limit := total + cmClientInt(t, admin, "control", "tot-mem") + 32<<10
			if got := admin.do("CONFIG", "SET", "maxmemory-clients", strconv.FormatInt(limit, 10)); got != "+OK\r\n" {
				t.Fatalf("CONFIG SET: %q", got)
			}
			for i := range sizes {
				for j := 0; j < 2; j++ {
					name := fmt.Sprintf("c%d-%d", i, j)
					listed := cmClientField(t, admin, name, "tot-mem") != ""
					if want := i < k; listed != want {
						t.Fatalf("limit %d: %s listed=%v, want %v\n%s", limit, name, listed, want, admin.do("CLIENT", "LIST"))
					}
				}
			}
		}
	})
}

// mem_clients_normal is the sum of the clients' tot-mem, which counts the
// query buffer, the queued MULTI and the watched keys (but for the reply
// buffers' idle room, which tot-mem counts and mem_clients_normal, as
// used_memory, does not: a few KB here).
func TestClientMemoryIsCounted(t *testing.T) {
	inEveryConnMode(t, func(t *testing.T, srv *testutil.Proc, admin *rawConn) {
		admin.do("CLIENT", "SETNAME", "admin")
		c := namedClient(t, srv.Addr(), "m")
		base := cmClientInt(t, admin, "m", "tot-mem")
		c.do("MULTI")
		c.do("SET", "k", strings.Repeat("x", 200000))
		if got, min := cmClientInt(t, admin, "m", "tot-mem"), base+200000; got < min {
			t.Fatalf("tot-mem with a 200 KB MULTI queued = %d, want at least %d", got, min)
		}
		if mm := cmClientInt(t, admin, "m", "multi-mem"); mm < 200000 {
			t.Fatalf("multi-mem = %d", mm)
		}
		c.do("DISCARD")
		w := namedClient(t, srv.Addr(), "w")
		wbase := cmClientInt(t, admin, "w", "tot-mem")
		args := []string{"WATCH"}
		for i := 0; i < 1000; i++ {
			args = append(args, "key"+strconv.Itoa(i))
		}
		w.do(args...)
		if got := cmClientInt(t, admin, "w", "tot-mem"); got < wbase+1000*32 {
			t.Fatalf("tot-mem with 1000 watched keys = %d (was %d)", got, wbase)
		}
		// Quiet now: the account and the listed figures agree.
		var sum int64
		for _, l := range strings.Split(strings.TrimSpace(bulkBody(t, admin.do("CLIENT", "LIST"))), "\n") {
			m := regexp.MustCompile(` tot-mem=(\d+)`).FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("no tot-mem in %q", l)
			}
			n, _ := strconv.ParseInt(m[1], 10, 64)
			sum += n
		}
		got := cmInfoInt(t, admin, "memory", "mem_clients_normal")
		// INFO's own reply buffer may differ from CLIENT LIST's by a few KB.
		if d := got - sum; d < -64<<10 || d > 64<<10 {
			t.Fatalf("mem_clients_normal = %d, sum of tot-mem = %d", got, sum)
		}
	})
}

// CONFIG SET maxmemory-clients takes every form Redis takes — bytes, units,
// a percentage, 0 — and refuses the others with Redis's errors. A
// percentage applies only while maxmemory is set, as in Redis: with
// maxmemory 0 no client is evicted.
func TestConfigSetMaxmemoryClientsForms(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	admin := dialRaw(t, srv.Addr())
	for _, tc := range []struct{ set, get string }{
		{"10%", "10%"}, {"1mb", "1048576"}, {"3000000", "3000000"}, {"0", "0"}, {"100%", "100%"}, {"1gb", "1073741824"},
	} {
		if got := admin.do("CONFIG", "SET", "maxmemory-clients", tc.set); got != "+OK\r\n" {
			t.Fatalf("CONFIG SET maxmemory-clients %s: %q", tc.set, got)
		}
		if got := admin.do("CONFIG", "GET", "maxmemory-clients"); !strings.HasSuffix(got, "$"+strconv.Itoa(len(tc.get))+"\r\n"+tc.get+"\r\n") {
			t.Fatalf("after %s: CONFIG GET = %q, want %s", tc.set, got, tc.get)
		}
	}
	for _, bad := range []string{"101%", "-5", "abc", "5%%"} {
		if got := admin.do("CONFIG", "SET", "maxmemory-clients", bad); !strings.HasPrefix(got, "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients')") {
			t.Fatalf("CONFIG SET maxmemory-clients %s: %q", bad, got)
		}
	}
	admin.do("CLIENT", "NO-EVICT", "on")
	admin.do("CONFIG", "SET", "maxmemory-clients", "1%")
	c := namedClient(t, srv.Addr(), "pct")
	sendPartial(c, 2<<20)
	pollFor(t, 10*time.Second, "the query buffer to fill", func() bool {
		return cmClientInt(t, admin, "pct", "qbuf") == 2<<20
	})
	if n := cmInfoInt(t, admin, "stats", "evicted_clients"); n != 0 {
		t.Fatalf("1%% of maxmemory 0 evicted %d clients", n)
	}
	// With maxmemory set (once Tandem accepts it), the percentage applies.
	if got := admin.do("CONFIG", "SET", "maxmemory", "100mb"); strings.Contains(got, "not supported by Tandem yet") {
		t.Log("maxmemory is not built on this branch: the percentage-of-maxmemory case is left to the merged build")
		return
	}
	c.expectClosed(replyTimeout) // 1% of 100 MB is 1 MB; it holds 2
	admin.do("CONFIG", "SET", "maxmemory", "0")
}

// A client that pipelines replies it never reads never makes the server
// hold them without bound (issue 18's bad input: 1 GB of replies): with a
// normal-class output limit it is closed at the limit, with only
// maxmemory-clients it is evicted, and with neither (or under maxmemory
// with nothing left to evict) the server runs none of its commands until
// its socket takes the replies, so what it holds stays about one batch of
// replies.
func TestUnreadRepliesNeverGrowTheServer(t *testing.T) {
	const value = 1 << 20
	const requests = 1024 // 1 GB of replies
	for _, tc := range []struct {
		name   string
		config []string
		closed bool
	}{
		{"normal class limit", []string{"client-output-buffer-limit", "normal 32mb 0 0"}, true},
		{"maxmemory-clients", []string{"maxmemory-clients", "32mb"}, true},
		{"no limit", nil, false},
		// Under maxmemory the replies are kept (they evict keys, as in
		// Redis) until nothing is left to evict: then the client waits.
		{"maxmemory, nothing to evict", []string{"maxmemory-policy", "noeviction", "maxmemory", "1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inEveryConnMode(t, func(t *testing.T, srv *testutil.Proc, admin *rawConn) {
				admin.do("CLIENT", "NO-EVICT", "on")
				admin.do("SET", "big", strings.Repeat("x", value))
				if tc.config != nil {
					if got := admin.do(append([]string{"CONFIG", "SET"}, tc.config...)...); got != "+OK\r\n" {
						t.Fatalf("CONFIG SET %v: %q", tc.config, got)
					}
				}
				c, err := net.Dial("tcp", srv.Addr())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				req := encode("GET", "big")
				closed := false
				for i := 0; i < requests && !closed; i++ {
					c.SetWriteDeadline(time.Now().Add(2 * time.Second))
					if _, err := c.Write(req); err != nil {
						closed = true // closed, or not read any more (no limit)
					}
				}
				// Until the server stops serving the reader: closed, or its
				// socket full and the server waiting on it.
				last := int64(-1)
				pollFor(t, 20*time.Second, "the server to stop serving the reader", func() bool {
					n := cmInfoInt(t, admin, "stats", "total_commands_processed")
					if n == last+1 { // only this INFO ran since the last look
						return true
					}
					last = n
					time.Sleep(200 * time.Millisecond)
					return false
				})
				rss := readRSS(t, srv)
				if rss > 400<<20 {
					t.Fatalf("server RSS %d MB with %d MB of replies unread", rss>>20, requests*value>>20)
				}
				clients := func() int {
					return len(strings.Fields(strings.ReplaceAll(bulkBody(t, admin.do("CLIENT", "LIST")), " ", "_")))
				}
				if tc.closed {
					pollFor(t, 10*time.Second, "the client to be closed", func() bool { return clients() == 1 })
					return
				}
				// No limit: still connected, holding at most a few batches.
				list := bulkBody(t, admin.do("CLIENT", "LIST"))
				if clients() != 2 {
					t.Fatalf("the reader went away:\n%s", list)
				}
				for _, l := range strings.Split(list, "\n") {
					if m := regexp.MustCompile(` tot-mem=(\d+)`).FindStringSubmatch(l); m != nil {
						if n, _ := strconv.ParseInt(m[1], 10, 64); n > 64<<20 {
							t.Fatalf("a client holds %d MB: %s", n>>20, l)
						}
					}
				}
			})
		})
	}
}

// readRSS is the server process's resident memory.
func readRSS(t *testing.T, srv *testutil.Proc) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", srv.Cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// A client that sends its whole pipeline before it reads any reply (as
// Redis's Tcl test clients do with a million commands) is served whether
// or not its replies are held: the server goes on reading it while its
// socket does not take the replies, instead of waiting on the client
// while the client waits on it. The pipeline (22 MB of requests, 107 MB of
// replies) is much larger than the sockets' buffers.
func TestPipelineSentBeforeReadingIsServed(t *testing.T) {
	const n = 1000000
	value := strings.Repeat("v", 100)
	reply := "$100\r\n" + value + "\r\n"
	for _, tc := range []struct {
		name   string
		config [][]string
	}{
		// Replies not held: the requests wait in the query buffer.
		{"no limit", nil},
		// Held for maxmemory (the pile counts and evicts keys)...
		{"maxmemory", [][]string{{"maxmemory", "1gb"}}},
		// ...and not read any more while nothing is left to evict.
		{"maxmemory out of memory", [][]string{{"maxmemory-policy", "noeviction"}, {"maxmemory", "1"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inEveryConnMode(t, func(t *testing.T, srv *testutil.Proc, admin *rawConn) {
				admin.do("SET", "k", value)
				for _, kv := range tc.config {
					if got := admin.do("CONFIG", "SET", kv[0], kv[1]); got != "+OK\r\n" {
						t.Fatalf("CONFIG SET %v: %q", kv, got)
					}
				}
				c, err := net.Dial("tcp", srv.Addr())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(60 * time.Second))
				if _, err := c.Write(bytes.Repeat(encode("GET", "k"), n)); err != nil {
					t.Fatalf("writing the pipeline before reading: %v", err)
				}
				got := make([]byte, len(reply)*n)
				if _, err := io.ReadFull(c, got); err != nil {
					t.Fatalf("reading the replies: %v", err)
				}
				if !bytes.Equal(got, bytes.Repeat([]byte(reply), n)) {
					t.Fatal("the replies are not the value, a million times")
				}
			})
		})
	}
}
