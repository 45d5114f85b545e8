package test

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// Lazy freeing. In Go removing a value is O(1) on every path (see
// keyspace/lazyfree.go); what the lazyfree-lazy-* settings, UNLINK and
// FLUSHALL ASYNC decide is what INFO's lazyfreed_objects counts, which
// must be Redis's figure step by step.

// fillArgs is a command adding n members (or fields) to key.
func fillArgs(cmd, key string, n int, pairs bool) []string {
	args := []string{cmd, key}
	for i := 0; i < n; i++ {
		args = append(args, "member:"+strconv.Itoa(i))
		if pairs {
			args = append(args, "v")
		}
	}
	return args
}

// lazyfreed waits until nothing is pending (Redis frees in a thread) and
// returns lazyfreed_objects.
func lazyfreed(t *testing.T, c *rawConn) int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f := infoFields(bulkBody(t, c.do("INFO", "memory")))
		if f["lazyfree_pending_objects"] == "0" {
			n, err := strconv.ParseInt(f["lazyfreed_objects"], 10, 64)
			if err != nil {
				t.Fatalf("lazyfreed_objects = %q", f["lazyfreed_objects"])
			}
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("lazyfree_pending_objects = %s after 10 s", f["lazyfree_pending_objects"])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLazyfreedObjectsMatchRedis runs the same steps on Redis and Tandem
// and compares lazyfreed_objects after each: UNLINK of big and small
// values of every type, DEL with and without lazyfree-lazy-user-del,
// FLUSHALL and FLUSHDB ASYNC, SYNC and under lazyfree-lazy-user-flush,
// overwrites under lazyfree-lazy-server-del, expiry under
// lazyfree-lazy-expire, CONFIG RESETSTAT.
func TestLazyfreedObjectsMatchRedis(t *testing.T) {
	t.Parallel()
	steps := [][]string{
		{"CONFIG", "RESETSTAT"},
		fillArgs("SADD", "bigset", 1000, false), {"UNLINK", "bigset"},
		fillArgs("SADD", "smallset", 10, false), {"UNLINK", "smallset"},
		fillArgs("HSET", "bighash", 1000, true), {"UNLINK", "bighash"},
		fillArgs("ZADD", "bigz", 0, false), // placeholder replaced below
		fillArgs("RPUSH", "biglist", 200000, false), {"UNLINK", "biglist"},
		fillArgs("RPUSH", "smalllist", 2000, false), {"UNLINK", "smalllist"},
		fillArgs("SADD", "bigset", 1000, false), {"DEL", "bigset"},
		{"CONFIG", "SET", "lazyfree-lazy-user-del", "yes"},
		fillArgs("SADD", "bigset", 1000, false), {"DEL", "bigset"},
		{"MSET", "a", "1", "b", "2", "c", "3"}, {"FLUSHALL", "ASYNC"},
		{"MSET", "a", "1", "b", "2"}, {"FLUSHALL", "SYNC"},
		{"MSET", "a", "1", "b", "2"}, {"FLUSHDB", "ASYNC"},
		{"CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"},
		{"MSET", "a", "1", "b", "2", "c", "3", "d", "4"}, {"FLUSHALL"},
		{"CONFIG", "SET", "lazyfree-lazy-server-del", "yes"},
		fillArgs("SADD", "bigset", 1000, false), {"SET", "bigset", "now a string"},
		{"CONFIG", "SET", "lazyfree-lazy-expire", "yes"},
		fillArgs("SADD", "bigset2", 1000, false), {"PEXPIRE", "bigset2", "1"},
		{"DEBUG", "SLEEP", "0.05"}, {"EXISTS", "bigset2"},
		{"CONFIG", "RESETSTAT"},
		fillArgs("SADD", "bigset3", 1000, false), {"UNLINK", "bigset3"},
	}
	// A sorted set with a skip list: 1000 members with scores.
	z := []string{"ZADD", "bigz"}
	for i := 0; i < 1000; i++ {
		z = append(z, strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	for i, s := range steps {
		if len(s) == 2 && s[0] == "ZADD" {
			steps[i] = z
			steps = append(steps[:i+1], append([][]string{{"UNLINK", "bigz"}}, steps[i+1:]...)...)
			break
		}
	}
	redis := dialRaw(t, startRedis(t).Addr())
	tandem := dialRaw(t, startTandem(t).Addr())
	for _, s := range steps {
		r, g := redis.do(s...), tandem.do(s...)
		if r != g {
			t.Fatalf("%.60q: redis %q, tandem %q", s, r, g)
		}
		// Redis's free thread lowers lazyfree_pending_objects before it
		// raises lazyfreed_objects, so a read between the two sees the
		// object neither pending nor freed: the figures are compared
		// again for a while before a difference counts.
		rn, gn := lazyfreed(t, redis), lazyfreed(t, tandem)
		for settle := time.Now().Add(2 * time.Second); rn != gn && time.Now().Before(settle); {
			time.Sleep(20 * time.Millisecond)
			rn, gn = lazyfreed(t, redis), lazyfreed(t, tandem)
		}
		if rn != gn {
			t.Fatalf("after %.60q: lazyfreed_objects redis %d, tandem %d", s, rn, gn)
		}
	}
	if n := lazyfreed(t, tandem); n != 1 {
		t.Fatalf("lazyfreed_objects at the end = %d, want 1", n)
	}
}

// TestDeletingABigValueDoesNotStallOthers: while a 1,000,000-member set
// is deleted by DEL, UNLINK or FLUSHALL ASYNC, another client's PINGs are
// never held up for long (Redis's synchronous DEL of such a set takes
// hundreds of milliseconds; bench/lazyfree.sh measures both side by side).
func TestDeletingABigValueDoesNotStallOthers(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a 1,000,000-member set")
	}
	t.Parallel()
	srv := startTandem(t)
	limit := 150 * time.Millisecond
	if testutil.RaceEnabled {
		limit = time.Second
	}
	for _, del := range [][]string{{"DEL", "big"}, {"UNLINK", "big"}, {"FLUSHALL", "ASYNC"}} {
		ctl := dialRaw(t, srv.Addr())
		const n, per = 1000000, 10000
		for i := 0; i < n; i += per {
			args := []string{"SADD", "big"}
			for j := i; j < i+per; j++ {
				args = append(args, strconv.Itoa(j))
			}
			ctl.send(encode(args...))
		}
		for i := 0; i < n; i += per {
			ctl.read()
		}
		if got := ctl.do("SCARD", "big"); got != fmt.Sprintf(":%d\r\n", n) {
			t.Fatalf("SCARD = %q", got)
		}
		pc, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		var worst atomic.Int64
		stop := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			buf := make([]byte, 64)
			for {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				start := time.Now()
				pc.SetDeadline(start.Add(10 * time.Second))
				if _, err := pc.Write([]byte("PING\r\n")); err != nil {
					done <- err
					return
				}
				if _, err := pc.Read(buf); err != nil {
					done <- err
					return
				}
				if d := int64(time.Since(start)); d > worst.Load() {
					worst.Store(d)
				}
			}
		}()
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		if got := ctl.do(del...); !strings.HasPrefix(got, ":1") && got != "+OK\r\n" {
			t.Fatalf("%v = %q", del, got)
		}
		took := time.Since(start)
		time.Sleep(500 * time.Millisecond) // the collector works meanwhile
		close(stop)
		if err := <-done; err != nil {
			t.Fatalf("pinger: %v", err)
		}
		pc.Close()
		w := time.Duration(worst.Load())
		t.Logf("%v: command %v, longest PING %v", del, took, w)
		if took > limit || w > limit {
			t.Errorf("%v: command took %v, longest PING %v; want both under %v", del, took, w, limit)
		}
	}
}
