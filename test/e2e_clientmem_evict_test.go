package test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Clients' buffers are in used_memory and compared with maxmemory, as in
// Redis (only the replicas' memory and the replication and AOF buffers
// are left out of the comparison): a normal client's big query or output
// buffer makes the server evict keys, as Redis 7.0's unit/maxmemory
// teaches with its "eviction due to ... buffers" cases.
func TestClientBuffersCountForMaxmemory(t *testing.T) {
	t.Parallel()
	// fill writes 50 values of 100 KB (5 MB, under maxmemory 11 MB with
	// the collector's reserve) and checks that nothing was evicted yet.
	fill := func(t *testing.T, admin *rawConn) {
		t.Helper()
		for j := 0; j < 50; j++ {
			admin.do("SETRANGE", fmt.Sprint(j), "100000", "x")
		}
		if n := admin.do("DBSIZE"); n != ":50\r\n" {
			t.Fatalf("DBSIZE after the fill: %q", n)
		}
		if ev := cmInfoInt(t, admin, "stats", "evicted_keys"); ev != 0 {
			t.Fatalf("%d keys evicted by the fill alone", ev)
		}
	}
	// evicts waits until keys are evicted by the clients' memory, and,
	// with held (buffers that stay: unfinished commands), checks that
	// used_memory holds that memory. Replies the socket has taken since
	// are not held any more, so output buffers are not checked so.
	evicts := func(t *testing.T, admin *rawConn, held bool, more func()) {
		t.Helper()
		pollFor(t, 20*time.Second, "keys evicted because of client buffers", func() bool {
			more()
			return cmInfoInt(t, admin, "stats", "evicted_keys") > 0
		})
		if !held {
			return
		}
		m := infoFields(bulkBody(t, admin.do("INFO", "memory")))
		var used, clients, dataset, reserve, startup int64
		fmt.Sscan(m["used_memory"], &used)
		fmt.Sscan(m["mem_clients_normal"], &clients)
		fmt.Sscan(m["used_memory_dataset"], &dataset)
		fmt.Sscan(m["mem_gc_reserve"], &reserve)
		fmt.Sscan(m["used_memory_startup"], &startup)
		// What used_memory holds beyond the data is the clients' (their
		// reply buffers' idle room aside).
		if clients < 1<<20 || used-dataset-reserve-startup < 1<<20 {
			t.Fatalf("used_memory %d, mem_clients_normal %d, dataset %d, reserve %d, startup %d: want the clients' buffers in used_memory",
				used, clients, dataset, reserve, startup)
		}
	}

	t.Run("query buffers", func(t *testing.T) {
		t.Parallel()
		srv := startTandem(t, "--maxmemory", "11mb", "--maxmemory-policy", "allkeys-lru")
		admin := dialRaw(t, srv.Addr())
		fill(t, admin)
		// 30 clients each send 249 of the 250 arguments of a command
		// (about 250 KB, 7.5 MB in all) and never finish it.
		var conns []*rawConn
		for i := 0; i < 30; i++ {
			c := dialRaw(t, srv.Addr())
			conns = append(conns, c)
			var b strings.Builder
			b.WriteString("*250\r\n")
			for j := 0; j < 249; j++ {
				b.WriteString("$1000\r\n" + strings.Repeat("x", 1000) + "\r\n")
			}
			c.send([]byte(b.String()))
		}
		t0 := time.Now()
		evicts(t, admin, true, func() {})
		t.Logf("evicted after %v", time.Since(t0))
	})

	// Output buffers: the server keeps the replies of a client that does
	// not read them (as Redis always does), so that they pile up in its
	// buffer rather than in the socket, when a normal-class output limit
	// or maxmemory itself is there to answer the pile.
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"output buffers, normal-class limit", []string{"--client-output-buffer-limit", "normal 100mb 100mb 0"}},
		{"output buffers, maxmemory alone", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startTandem(t, append([]string{"--maxmemory", "11mb", "--maxmemory-policy", "allkeys-lru"}, tc.args...)...)
			admin := dialRaw(t, srv.Addr())
			fill(t, admin)
			evicts(t, admin, false, unreadMGETs(t, srv.Addr()))
			if n := cmInfoInt(t, admin, "stats", "evicted_clients"); n != 0 {
				t.Fatalf("evicted_clients = %d without maxmemory-clients", n)
			}
		})
	}
}

// unreadMGETs opens 20 clients that will ask for the 100 KB value of key
// 1 again and again and never read the replies; each call of the function
// it returns sends one more request on each (a client whose socket is not
// read any more is skipped after 50 ms). One request a write, so that
// each batch's replies are one value: a server that stopped reading a
// client whose socket is full holds only that much for it.
func unreadMGETs(t *testing.T, addr string) func() {
	var conns []*rawConn
	for i := 0; i < 20; i++ {
		conns = append(conns, dialRaw(t, addr))
	}
	req := []byte("*2\r\n$4\r\nMGET\r\n$1\r\n1\r\n")
	return func() {
		for _, c := range conns {
			c.c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
			c.c.Write(req)
		}
	}
}

// With maxmemory-clients too, the clients whose buffers grow are evicted
// and no key is: client eviction runs as soon as a client's figure grows,
// before the next command's key eviction could see the clients' memory
// over maxmemory (Redis 7.0's unit/maxmemory "eviction due to ... client
// eviction: true" cases). The admin connection is NO-EVICT, as there.
func TestClientEvictionComesBeforeKeyEviction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// load starts the clients' load; more is called while waiting.
		load func(t *testing.T, addr string, admin *rawConn) (more func())
	}{
		{"query buffers", func(t *testing.T, addr string, _ *rawConn) func() {
			// 30 clients each send 249 of the 250 arguments of a
			// command (about 250 KB) and never finish it; the write of
			// an evicted one may fail.
			req := "*250\r\n" + strings.Repeat("$1000\r\n"+strings.Repeat("x", 1000)+"\r\n", 249)
			for i := 0; i < 30; i++ {
				c := dialRaw(t, addr)
				c.c.SetWriteDeadline(time.Now().Add(replyTimeout))
				c.c.Write([]byte(req))
			}
			return func() {}
		}},
		{"output buffers", func(t *testing.T, addr string, _ *rawConn) func() {
			return unreadMGETs(t, addr)
		}},
		{"pubsub output buffers", func(t *testing.T, addr string, admin *rawConn) func() {
			// 20 subscribers that stop reading after SUBSCRIBE's reply,
			// and 100 KB messages published to them.
			for i := 0; i < 20; i++ {
				if r := dialRaw(t, addr).do("SUBSCRIBE", "bla"); !strings.Contains(r, "subscribe") {
					t.Fatalf("SUBSCRIBE: %q", r)
				}
			}
			msg := strings.Repeat("x", 100000)
			return func() { admin.do("PUBLISH", "bla", msg) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := startTandem(t, "--maxmemory", "11mb", "--maxmemory-policy", "allkeys-lru", "--maxmemory-clients", "3mb")
			admin := dialRaw(t, srv.Addr())
			if r := admin.do("CLIENT", "NO-EVICT", "on"); r != "+OK\r\n" {
				t.Fatalf("CLIENT NO-EVICT on: %q", r)
			}
			// 50 values of 100 KB: 5 MB, under the limit.
			for j := 0; j < 50; j++ {
				admin.do("SETRANGE", fmt.Sprint(j), "100000", "x")
			}
			more := tc.load(t, srv.Addr(), admin)
			pollFor(t, 20*time.Second, "clients evicted", func() bool {
				more()
				return cmInfoInt(t, admin, "stats", "evicted_clients") > 0
			})
			ev := cmInfoInt(t, admin, "stats", "evicted_keys")
			if n := admin.do("DBSIZE"); ev != 0 || n != ":50\r\n" {
				t.Fatalf("evicted_keys %d, DBSIZE %q: want no key evicted, the clients instead", ev, n)
			}
		})
	}
}

// The invalidation messages an eviction sends to tracking clients are
// written before the next command is read, and do not count once written:
// they must not make the server evict again for them, and again for the
// messages that eviction sends (Redis 7.0's unit/maxmemory "client
// tracking don't cause eviction feedback loop").
func TestTrackingInvalidationsDoNotFeedEviction(t *testing.T) {
	t.Parallel()
	srv := startTandem(t, "--maxmemory-policy", "allkeys-lru", "--maxmemory-eviction-tenacity", "100")
	admin := dialRaw(t, srv.Addr())
	var trackers []*rawConn
	for i := 0; i < 10; i++ {
		c := dialRaw(t, srv.Addr())
		c.do("HELLO", "3")
		if r := c.do("CLIENT", "TRACKING", "on"); r != "+OK\r\n" {
			t.Fatalf("CLIENT TRACKING on: %q", r)
		}
		trackers = append(trackers, c)
	}
	// 300 keys with long names, each read by every tracker (so that
	// each eviction sends ten 1 KB invalidations).
	for j := 0; j < 300; j++ {
		key := fmt.Sprint(j) + strings.Repeat("x", 1000)
		admin.do("SET", key, "x")
		for _, c := range trackers {
			c.do("GET", key)
		}
	}
	// A limit far away first: the collector's reserve is counted only
	// under one (internal/evict gcReserve), and used_memory must be the
	// figure the limit below is compared with. (Redis's own version of
	// this case measures with maxmemory 0, so it evicts more here.)
	if r := admin.do("CONFIG", "SET", "maxmemory", "1gb"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET maxmemory: %q", r)
	}
	time.Sleep(1100 * time.Millisecond) // the cron trims the query buffers
	used := cmInfoInt(t, admin, "memory", "used_memory")
	if r := admin.do("CONFIG", "SET", "maxmemory", fmt.Sprint(used-40000)); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET maxmemory: %q", r)
	}
	evicted := cmInfoInt(t, admin, "stats", "evicted_keys")
	var n int
	fmt.Sscanf(admin.do("DBSIZE"), ":%d", &n)
	if evicted < 10 || evicted > 50 || n < 200 || n > 300 {
		t.Fatalf("40 KB over the limit: %d keys evicted, %d left; want 10-50 evicted, 200-300 left", evicted, n)
	}
}
