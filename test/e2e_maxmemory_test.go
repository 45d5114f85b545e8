package test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tandemdb/tandem/internal/testutil"
)

// maxmemory and eviction (internal/evict): the behaviour of Redis 7.0's
// tests/unit/maxmemory.tcl, and replication of evictions both ways.

// startTandemReady is startTandem that also waits for the start-up to
// end (startTandem returns once PING answers, -LOADING included), so that
// a test's first write is not refused with -LOADING.
func startTandemReady(t testing.TB, args ...string) *testutil.Proc {
	t.Helper()
	srv := startTandem(t, args...)
	if err := testutil.WaitReady(srv.Addr(), 20*time.Second); err != nil {
		t.Fatal(err)
	}
	return srv
}

const oomErr = "OOM command not allowed when used memory > 'maxmemory'."

// memInfo reads INFO memory and stats as integers (fields that are not
// integers are left out).
func memInfo(t testing.TB, ctx context.Context, c *redis.Client) map[string]int64 {
	t.Helper()
	s, err := c.Info(ctx, "memory", "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for k, v := range infoFields(s) {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

// fillPipelined writes n keys prefix:i with values of size bytes, with
// ttl when > 0, 500 to a pipeline; it returns the errors the server
// answered.
func fillPipelined(t testing.TB, ctx context.Context, c *redis.Client, prefix string, n, size int, ttl time.Duration) []string {
	t.Helper()
	val := strings.Repeat("v", size)
	var errs []string
	for i := 0; i < n; i += 500 {
		p := c.Pipeline()
		for j := i; j < min(n, i+500); j++ {
			p.Set(ctx, fmt.Sprintf("%s:%d", prefix, j), val, ttl)
		}
		cmds, _ := p.Exec(ctx)
		for _, cmd := range cmds {
			if err := cmd.Err(); err != nil {
				errs = append(errs, err.Error())
			}
		}
	}
	return errs
}

// Under allkeys-lru a write load ten times maxmemory keeps used_memory at
// the limit by evicting keys, and INFO says so.
func TestMaxmemoryAllkeysLRUKeepsUsedMemoryAtTheLimit(t *testing.T) {
	t.Parallel()
	srv := startTandemReady(t, "--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lru")
	c := newClient(t, srv.Addr(), 2)
	ctx := ctxFor(t, 60*time.Second)
	if errs := fillPipelined(t, ctx, c, "k", 40000, 1000, 0); len(errs) > 0 {
		t.Fatalf("%d writes failed under allkeys-lru, first: %s", len(errs), errs[0])
	}
	m := memInfo(t, ctx, c)
	if m["maxmemory"] != 4<<20 {
		t.Fatalf("maxmemory = %d", m["maxmemory"])
	}
	if used := m["used_memory"] - m["mem_not_counted_for_evict"]; used > 4<<20+16<<10 {
		t.Fatalf("used_memory %d (not counted %d) above maxmemory %d", m["used_memory"], m["mem_not_counted_for_evict"], 4<<20)
	}
	// The count of keys and of evictions are read in one transaction: the
	// replies of the reads count as client memory, which may make the
	// server evict a few more keys between two separate reads.
	var evicted *redis.StringCmd
	var size *redis.IntCmd
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		evicted = p.Info(ctx, "stats")
		size = p.DBSize(ctx)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	n := size.Val()
	m["evicted_keys"], _ = strconv.ParseInt(infoFields(evicted.Val())["evicted_keys"], 10, 64)
	if n == 0 || n >= 40000 || m["evicted_keys"]+n != 40000 {
		t.Fatalf("dbsize %d, evicted_keys %d: want the 40000 keys split between them", n, m["evicted_keys"])
	}
	s, _ := c.Info(ctx, "memory").Result()
	if f := infoFields(s); f["maxmemory_policy"] != "allkeys-lru" || f["maxmemory_human"] != "4.00M" {
		t.Fatalf("INFO memory: policy %q human %q", f["maxmemory_policy"], f["maxmemory_human"])
	}
}

// The collector's reserve (mem_gc_reserve) is counted in used_memory only
// while maxmemory is set: without a limit used_memory is the live data, as
// Redis's (unit/memefficiency compares it with the bytes written). The data
// present when a limit is set is exempt, so that a limit set just above the
// used_memory read before it evicts nothing (unit/maxmemory sets limits
// so); what is written under the limit counts its reserve, and so does the
// data present once eviction has taken as much.
func TestMaxmemoryGCReserveCountsOnlyUnderALimit(t *testing.T) {
	t.Parallel()
	srv := startTandemReady(t)
	c := newClient(t, srv.Addr(), 2)
	ctx := ctxFor(t, 60*time.Second)
	if err := c.ConfigSet(ctx, "maxmemory-policy", "allkeys-random").Err(); err != nil {
		t.Fatal(err)
	}
	fillPipelined(t, ctx, c, "k", 5000, 1000, 0)
	check := func(what string, want func(reserve, dataset int64) bool) map[string]int64 {
		t.Helper()
		m := memInfo(t, ctx, c)
		reserve, dataset := m["mem_gc_reserve"], m["used_memory_dataset"]
		if !want(reserve, dataset) {
			t.Fatalf("%s: mem_gc_reserve %d, used_memory_dataset %d", what, reserve, dataset)
		}
		return m
	}
	set := func(maxmemory string) {
		t.Helper()
		if err := c.ConfigSet(ctx, "maxmemory", maxmemory).Err(); err != nil {
			t.Fatal(err)
		}
	}
	m := check("without maxmemory", func(r, d int64) bool { return r == 0 && d > 5000*1000 })
	// Efficiency as unit/memefficiency measures it, for 1000-byte values.
	if eff := float64(5000*1000) / float64(m["used_memory"]-m["used_memory_startup"]); eff < 0.75 {
		t.Fatalf("without maxmemory: efficiency %.2f for 1000-byte values, want >= 0.75", eff)
	}
	// A limit 10 KB above used_memory: nothing is evicted.
	set(strconv.FormatInt(m["used_memory"]+10<<10, 10))
	check("limit 10 KB above used_memory", func(r, d int64) bool { return r == 0 })
	if err := c.Set(ctx, "one-more", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n := c.DBSize(ctx).Val(); n != 5001 {
		t.Fatalf("limit 10 KB above used_memory: dbsize %d, want 5001 (nothing evicted)", n)
	}
	set("1gb")
	fillPipelined(t, ctx, c, "new", 5000, 1000, 0)
	check("5 MB written under the limit", func(r, d int64) bool { return r >= 5000*1000/6 && r < d/6 })
	set("0")
	check("without maxmemory again", func(r, d int64) bool { return r == 0 })
	// Set from scratch, the limit exempts the data again; evicting it all
	// (a limit of one byte) ends the exemption.
	set("1gb")
	check("1gb again", func(r, d int64) bool { return r == 0 })
	set("1")
	pollFor(t, 10*time.Second, "the dataset evicted", func() bool { return c.DBSize(ctx).Val() == 0 })
	set("1gb")
	fillPipelined(t, ctx, c, "after", 5000, 1000, 0)
	check("the exempt data evicted, 5 MB written", func(r, d int64) bool { return r >= d/6 })
}

// allkeys-lru evicts the keys idle longest first (the access clock counts
// seconds, as Redis's): keys written two seconds before a new batch go
// before any of the new ones; allkeys-lfu keeps the keys read most.
func TestMaxmemoryLRUAndLFUKeepTheKeysInUse(t *testing.T) {
	t.Parallel()
	t.Run("allkeys-lru", func(t *testing.T) {
		t.Parallel()
		// 5 MB hold about 3,000 of these keys with the collector's
		// reserve (internal/evict gcReserve) and the client's buffers.
		srv := startTandemReady(t, "--maxmemory", "5mb", "--maxmemory-policy", "allkeys-lru")
		c := newClient(t, srv.Addr(), 2)
		ctx := ctxFor(t, 60*time.Second)
		fillPipelined(t, ctx, c, "old", 2000, 1000, 0)
		time.Sleep(2100 * time.Millisecond)
		fillPipelined(t, ctx, c, "new", 2000, 1000, 0)
		kept := 0
		for i := 0; i < 2000; i++ {
			kept += int(c.Exists(ctx, fmt.Sprintf("new:%d", i)).Val())
		}
		if m := memInfo(t, ctx, c); kept < 1950 || m["evicted_keys"] < 500 {
			t.Fatalf("kept %d of the 2000 newest keys, evicted %d", kept, m["evicted_keys"])
		}
	})
	t.Run("allkeys-lfu", func(t *testing.T) {
		t.Parallel()
		srv := startTandemReady(t, "--maxmemory", "4mb", "--maxmemory-policy", "allkeys-lfu")
		c := newClient(t, srv.Addr(), 2)
		ctx := ctxFor(t, 60*time.Second)
		fillPipelined(t, ctx, c, "k", 1000, 1000, 0)
		for r := 0; r < 30; r++ {
			p := c.Pipeline()
			for i := 0; i < 100; i++ {
				p.Get(ctx, fmt.Sprintf("k:%d", i))
			}
			p.Exec(ctx)
		}
		fillPipelined(t, ctx, c, "new", 4000, 1000, 0)
		hot := 0
		for i := 0; i < 100; i++ {
			hot += int(c.Exists(ctx, fmt.Sprintf("k:%d", i)).Val())
		}
		if m := memInfo(t, ctx, c); hot < 95 || m["evicted_keys"] < 1000 {
			t.Fatalf("kept %d of the 100 hot keys, evicted %d", hot, m["evicted_keys"])
		}
	})
}

// noeviction refuses denyoom commands with Redis's OOM error, lets reads
// and deletes through, refuses anything queued in MULTI but EXEC/DISCARD,
// and aborts an EXEC that holds a denyoom command.
func TestMaxmemoryNoevictionRefusesCommandsThatGrowMemory(t *testing.T) {
	t.Parallel()
	srv := startTandemReady(t, "--maxmemory", "2mb")
	c := newClient(t, srv.Addr(), 2)
	ctx := ctxFor(t, 30*time.Second)
	errs := fillPipelined(t, ctx, c, "k", 5000, 1000, 0)
	if len(errs) == 0 || errs[0] != oomErr {
		t.Fatalf("filling 5 MB under maxmemory 2mb noeviction: errors %d, first %v", len(errs), errs)
	}
	rc := dialRaw(t, srv.Addr())
	for _, tc := range []struct{ cmd, want string }{
		{"SET x y", "-" + oomErr + "\r\n"},
		{"LPUSH l a", "-" + oomErr + "\r\n"},
		{"GET k:0", "$1000\r\n" + strings.Repeat("v", 1000) + "\r\n"},
		{"MULTI", "+OK\r\n"},
		{"GET k:0", "-" + oomErr + "\r\n"},
		{"EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"},
		{"DEL k:0", ":1\r\n"},
	} {
		if got := rc.do(splitCmd(tc.cmd)...); got != tc.want {
			t.Fatalf("%s: %q, want %q", tc.cmd, got, tc.want)
		}
	}
	// Queued while there was room, run when there is none: EXECABORT.
	c.ConfigSet(ctx, "maxmemory", "0")
	rc.do("MULTI")
	rc.do("SET", "z", "1")
	c.ConfigSet(ctx, "maxmemory", "1mb")
	if got := rc.do("EXEC"); got != "-EXECABORT Transaction discarded because of: "+oomErr+"\r\n" {
		t.Fatalf("EXEC of a queued SET over the limit: %q", got)
	}
	m := memInfo(t, ctx, c)
	if m["evicted_keys"] != 0 || m["total_eviction_exceeded_time"]+m["current_eviction_exceeded_time"] == 0 {
		t.Fatalf("noeviction: evicted_keys %d, exceeded time %d+%d", m["evicted_keys"], m["total_eviction_exceeded_time"], m["current_eviction_exceeded_time"])
	}
}

// The volatile policies evict keys with a TTL only; with none left, writes
// get the OOM error and keys without a TTL stay.
func TestMaxmemoryVolatilePoliciesEvictOnlyKeysWithATTL(t *testing.T) {
	t.Parallel()
	for _, policy := range []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"} {
		t.Run(policy, func(t *testing.T) {
			t.Parallel()
			srv := startTandemReady(t, "--maxmemory", "3mb", "--maxmemory-policy", policy)
			c := newClient(t, srv.Addr(), 2)
			ctx := ctxFor(t, 30*time.Second)
			if errs := fillPipelined(t, ctx, c, "p", 1000, 1000, 0); len(errs) > 0 {
				t.Fatalf("1 MB of persistent keys: %v", errs[0])
			}
			if errs := fillPipelined(t, ctx, c, "v", 6000, 1000, time.Hour); len(errs) > 0 {
				t.Fatalf("volatile keys over the limit: %d errors, first %s", len(errs), errs[0])
			}
			for i := 0; i < 1000; i++ {
				if c.Exists(ctx, fmt.Sprintf("p:%d", i)).Val() != 1 {
					t.Fatalf("%s evicted p:%d, a key without a TTL", policy, i)
				}
			}
			if m := memInfo(t, ctx, c); m["evicted_keys"] == 0 {
				t.Fatalf("%s: nothing evicted", policy)
			}
			// Only persistent keys left to add: OOM once the volatile ones run out.
			errs := fillPipelined(t, ctx, c, "q", 4000, 1000, 0)
			if len(errs) == 0 || errs[len(errs)-1] != oomErr {
				t.Fatalf("%s: persistent writes with no volatile key left: %d errors", policy, len(errs))
			}
		})
	}
}

// volatile-ttl evicts the keys that expire soonest first.
func TestMaxmemoryVolatileTTLEvictsTheSoonestToExpire(t *testing.T) {
	t.Parallel()
	srv := startTandemReady(t, "--maxmemory", "3mb", "--maxmemory-policy", "volatile-ttl")
	c := newClient(t, srv.Addr(), 2)
	ctx := ctxFor(t, 30*time.Second)
	fillPipelined(t, ctx, c, "long", 1000, 1000, 10*time.Hour)
	fillPipelined(t, ctx, c, "short", 3000, 1000, time.Hour)
	long := 0
	for i := 0; i < 1000; i++ {
		long += int(c.Exists(ctx, fmt.Sprintf("long:%d", i)).Val())
	}
	if long < 900 {
		t.Fatalf("volatile-ttl kept %d of the 1000 keys expiring last", long)
	}
}

// OBJECT FREQ counts accesses under an LFU policy (also after a CONFIG SET
// of the policy at run time), and OBJECT IDLETIME then errors, as Redis.
func TestMaxmemoryObjectFreqFollowsThePolicy(t *testing.T) {
	t.Parallel()
	srv := startTandemReady(t)
	rc := dialRaw(t, srv.Addr())
	freqErr := "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
	idleErr := "-ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"
	if got := rc.do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("SET k v: %q", got)
	}
	if got := rc.do("OBJECT", "FREQ", "k"); got != freqErr {
		t.Fatalf("OBJECT FREQ under noeviction: %q", got)
	}
	rc.do("CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LFU")
	if got := rc.do("CONFIG", "GET", "maxmemory-policy"); !strings.Contains(got, "allkeys-lfu") {
		t.Fatalf("policy names are case-insensitive: %q", got)
	}
	if got := rc.do("OBJECT", "IDLETIME", "k"); got != idleErr {
		t.Fatalf("OBJECT IDLETIME under allkeys-lfu: %q", got)
	}
	rc.do("SET", "f", "v") // created under LFU: starts at 5
	if got := rc.do("OBJECT", "FREQ", "f"); got != ":5\r\n" {
		t.Fatalf("OBJECT FREQ of a new key: %q, want 5", got)
	}
	for i := 0; i < 2000; i++ {
		rc.send(encode("GET", "f"))
	}
	for i := 0; i < 2000; i++ {
		rc.read()
	}
	got := rc.do("OBJECT", "FREQ", "f")
	n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(got, ":")))
	// With lfu-log-factor 10, 2000 hits give a counter near 20 (Redis's
	// table: 100 hits → 10ish, 1000 → 18ish).
	if n < 12 || n > 30 {
		t.Fatalf("OBJECT FREQ after 2000 GETs: %q", got)
	}
	rc.do("RESTORE", "r", "0", dumpOf(t, rc, "f"), "FREQ", "100")
	if got := rc.do("OBJECT", "FREQ", "r"); got != ":100\r\n" {
		t.Fatalf("RESTORE FREQ 100: OBJECT FREQ %q", got)
	}
	rc.do("CONFIG", "SET", "maxmemory-policy", "volatile-lru")
	if got := rc.do("OBJECT", "FREQ", "f"); got != freqErr {
		t.Fatalf("OBJECT FREQ after switching back to LRU: %q", got)
	}
	if got := rc.do("OBJECT", "IDLETIME", "k"); !strings.HasPrefix(got, ":") {
		t.Fatalf("OBJECT IDLETIME under volatile-lru: %q", got)
	}
}

// dumpOf is DUMP key's payload.
func dumpOf(t testing.TB, rc *rawConn, key string) string {
	t.Helper()
	got := rc.do("DUMP", key)
	i := strings.Index(got, "\r\n")
	if !strings.HasPrefix(got, "$") || i < 0 {
		t.Fatalf("DUMP %s: %q", key, got)
	}
	return got[i+2 : len(got)-2]
}

// CONFIG SET maxmemory below what is used evicts right after the command,
// and each eviction reaches the replication stream as a DEL of its own.
func TestMaxmemoryConfigSetBelowUsageEvictsAndPropagatesDEL(t *testing.T) {
	t.Parallel()
	var streamMu sync.Mutex
	srv := startTandemReady(t, "--repl-diskless-sync-delay", "0")
	c := newClient(t, srv.Addr(), 2)
	ctx := ctxFor(t, 60*time.Second)
	// A replication stream reader, as Redis's attach_to_replication_stream.
	rs, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	rs.Write(encode("SYNC"))
	var stream strings.Builder
	go func() {
		// The payload (an RDB without a closing CRLF) then the stream:
		// bytes, not replies.
		buf := make([]byte, 64<<10)
		for {
			n, err := rs.Read(buf)
			streamMu.Lock()
			stream.Write(buf[:n])
			streamMu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	// The writes must follow the sync's snapshot, or they come in its RDB
	// instead of the stream: wait for the payload to start.
	testutil.Eventually(t, 20*time.Second, "the sync's RDB", func() bool {
		streamMu.Lock()
		defer streamMu.Unlock()
		return strings.Contains(stream.String(), "REDIS0010")
	})
	c.Set(ctx, "asdf1", "1", 0)
	c.Set(ctx, "asdf2", "2", 0)
	c.Set(ctx, "asdf3", "3", 0)
	c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru")
	if err := c.ConfigSet(ctx, "maxmemory", "1").Err(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 5*time.Second, "every key evicted", func() bool { return c.DBSize(ctx).Val() == 0 })
	c.ConfigSet(ctx, "maxmemory", "0")
	c.Set(ctx, "asdf4", "4", 0)
	testutil.Eventually(t, 20*time.Second, "the stream", func() bool {
		streamMu.Lock()
		defer streamMu.Unlock()
		return strings.Contains(stream.String(), "asdf4")
	})
	streamMu.Lock()
	defer streamMu.Unlock()
	s := strings.ToLower(stream.String())
	if strings.Count(s, "\r\ndel\r\n") != 3 || strings.Contains(s, "multi") {
		t.Fatalf("stream after eviction of 3 keys: want 3 DELs, unwrapped: %q", s)
	}
	if i, j := strings.Index(s, "asdf3\r\n$1\r\n3"), strings.Index(s, "\r\ndel\r\n"); i < 0 || j < i {
		t.Fatalf("DELs before the SETs they delete: %q", s)
	}
	if m := memInfo(t, ctx, c); m["evicted_keys"] != 3 {
		t.Fatalf("evicted_keys %d, want 3", m["evicted_keys"])
	}
}

// An EVAL that writes over the limit gets the OOM error, unless its
// shebang says allow-oom; a script with flags and without allow-oom is
// refused before it runs, as in Redis 7.0.
func TestMaxmemoryScriptsFollowRedisOOMRules(t *testing.T) {
	t.Parallel()
	srv := startTandemReady(t, "--maxmemory", "1mb")
	c := newClient(t, srv.Addr(), 2)
	ctx := ctxFor(t, 30*time.Second)
	fillPipelined(t, ctx, c, "k", 3000, 1000, 0)
	rc := dialRaw(t, srv.Addr())
	for _, tc := range []struct{ script, want string }{
		{"return redis.call('set','x','y')", "-" + oomErr},
		{"return redis.call('get','k:1')", "$1000\r\n"},
		{"#!lua flags=allow-oom\nreturn redis.call('set','x','y')", "+OK\r\n"},
		{"#!lua\nreturn redis.call('get','k:1')", "-" + oomErr + "\r\n"},
		{"#!lua flags=no-writes\nreturn redis.call('get','k:1')", "$1000\r\n"},
	} {
		if got := rc.do("EVAL", tc.script, "0"); !strings.HasPrefix(got, tc.want) {
			t.Errorf("EVAL %q: %q, want %q…", tc.script, got, tc.want)
		}
	}
}

// redis-cli's --bigkeys, --memkeys and --hotkeys (which needs an LFU
// policy, OBJECT FREQ and SCAN) work against Tandem.
func TestMaxmemoryRedisCLIKeyScans(t *testing.T) {
	t.Parallel()
	srv := startTandemReady(t)
	c := newClient(t, srv.Addr(), 2)
	ctx := ctxFor(t, 30*time.Second)
	c.Set(ctx, "small", "x", 0)
	c.Set(ctx, "big", strings.Repeat("x", 10000), 0)
	c.RPush(ctx, "list", "a", "b", "c")
	out, code := cli(t, srv.Port, 20*time.Second, nil, "--bigkeys")
	if code != 0 || !strings.Contains(out, `Biggest string found '"big"' has 10000 bytes`) {
		t.Fatalf("--bigkeys: exit %d\n%s", code, out)
	}
	out, code = cli(t, srv.Port, 20*time.Second, nil, "--memkeys")
	if code != 0 || !strings.Contains(out, `Biggest string found '"big"'`) {
		t.Fatalf("--memkeys: exit %d\n%s", code, out)
	}
	out, _ = cli(t, srv.Port, 20*time.Second, nil, "--hotkeys")
	if !strings.Contains(out, "An LFU maxmemory policy is not selected") {
		t.Fatalf("--hotkeys without an LFU policy: %s", out)
	}
	c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lfu")
	for i := 0; i < 300; i++ {
		c.Get(ctx, "big")
	}
	out, code = cli(t, srv.Port, 20*time.Second, nil, "--hotkeys")
	if code != 0 || !regexpHotkey(out, "big") {
		t.Fatalf("--hotkeys: exit %d\n%s", code, out)
	}
}

// regexpHotkey reports whether --hotkeys's output names key as hot.
func regexpHotkey(out, key string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "hot key found with counter") && strings.Contains(line, `"`+key+`"`) {
			return true
		}
	}
	return false
}

// MEMORY STATS has Redis's fields; MEMORY DOCTOR answers Redis's texts.
func TestMaxmemoryMemoryStatsAndDoctor(t *testing.T) {
	t.Parallel()
	srv := startTandemReady(t)
	c := newClient(t, srv.Addr(), 2)
	ctx := ctxFor(t, 30*time.Second)
	c.Set(ctx, "a", "b", 0)
	res, err := c.Do(ctx, "MEMORY", "STATS").Slice()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for i := 0; i+1 < len(res); i += 2 {
		got[fmt.Sprint(res[i])] = true
	}
	for _, f := range []string{"peak.allocated", "total.allocated", "startup.allocated", "replication.backlog", "clients.slaves",
		"clients.normal", "aof.buffer", "lua.caches", "overhead.total", "db.0", "keys.count", "keys.bytes-per-key", "dataset.bytes",
		"dataset.percentage", "peak.percentage", "allocator.allocated", "allocator.active", "allocator.resident",
		"allocator-fragmentation.ratio", "allocator-rss.ratio", "rss-overhead.ratio", "fragmentation", "fragmentation.bytes"} {
		if !got[f] {
			t.Errorf("MEMORY STATS has no %s: %v", f, res)
		}
	}
	doc, err := c.Do(ctx, "MEMORY", "DOCTOR").Text()
	if err != nil || !strings.HasPrefix(doc, "Hi Sam, this instance is empty or is using very little memory") {
		t.Fatalf("MEMORY DOCTOR on a small instance: %q %v", doc, err)
	}
}

// CONFIG RESETSTAT zeroes evicted_keys and the time spent over the limit,
// as Redis's does (Redis 7.0's unit/maxmemory resets its stats before
// each case and then expects evicted_keys to count that case's evictions
// only).
func TestMaxmemoryResetstatZeroesEvictionStats(t *testing.T) {
	t.Parallel()
	srv := startTandemReady(t, "--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru")
	c := newClient(t, srv.Addr(), 2)
	ctx := ctxFor(t, 30*time.Second)
	if errs := fillPipelined(t, ctx, c, "k", 10000, 1000, 0); len(errs) > 0 {
		t.Fatalf("%d writes failed under allkeys-lru, first: %s", len(errs), errs[0])
	}
	if m := memInfo(t, ctx, c); m["evicted_keys"] == 0 {
		t.Fatal("10 MB written under maxmemory 2mb and no key evicted")
	}
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	m := memInfo(t, ctx, c)
	if m["evicted_keys"] != 0 || m["total_eviction_exceeded_time"] != 0 || m["current_eviction_exceeded_time"] != 0 {
		t.Fatalf("after CONFIG RESETSTAT: evicted_keys %d, total_eviction_exceeded_time %d, current_eviction_exceeded_time %d; want zeros",
			m["evicted_keys"], m["total_eviction_exceeded_time"], m["current_eviction_exceeded_time"])
	}
	// And it counts again from there.
	fillPipelined(t, ctx, c, "again", 5000, 1000, 0)
	if m := memInfo(t, ctx, c); m["evicted_keys"] == 0 {
		t.Fatal("evicted_keys stays 0 after CONFIG RESETSTAT while keys are evicted")
	}
}

// TestMaxmemoryUsedMemoryHoldsClientBuffers: mem_clients_normal is what
// used_memory holds of the clients, so that used_memory minus
// mem_not_counted_for_evict minus mem_clients_normal does not move when a
// client's reply buffer grows for a burst and keeps that room (Redis 7.0's
// unit/maxmemory "slave buffer are counted correctly" measures so). The
// room is in the client's tot-mem, not in used_memory (server.heldMem).
func TestMaxmemoryUsedMemoryHoldsClientBuffers(t *testing.T) {
	for _, args := range [][]string{nil, {"--maxmemory", "1gb", "--maxmemory-policy", "allkeys-lru"}} {
		t.Run(fmt.Sprint(args), func(t *testing.T) {
			t.Parallel()
			srv := startTandemReady(t, args...)
			admin := dialRaw(t, srv.Addr())
			admin.do("SETRANGE", "big", "200000", "x")
			rest := func() (rest, clients int64) {
				m := infoFields(bulkBody(t, admin.do("INFO", "memory")))
				var used, notCounted int64
				fmt.Sscan(m["used_memory"], &used)
				fmt.Sscan(m["mem_not_counted_for_evict"], &notCounted)
				fmt.Sscan(m["mem_clients_normal"], &clients)
				return used - notCounted - clients, clients
			}
			c := dialRaw(t, srv.Addr())
			c.do("CLIENT", "SETNAME", "burst")
			totBefore := cmClientInt(t, admin, "burst", "tot-mem")
			before, clientsBefore := rest()
			// 20 GETs of 200 KB in one write: one batch whose 4 MB of
			// replies grow the client's reply buffer, which keeps that
			// room once they are read (until the cron shrinks it, 5 s on).
			var burst []byte
			for i := 0; i < 20; i++ {
				burst = append(burst, encode("GET", "big")...)
			}
			c.send(burst)
			for i := 0; i < 20; i++ {
				if r := c.read(); len(r) < 200000 {
					t.Fatalf("GET big: %q", r[:min(len(r), 40)])
				}
			}
			after, clientsAfter := rest()
			if tot := cmClientInt(t, admin, "burst", "tot-mem"); tot-totBefore < 1<<20 {
				t.Fatalf("tot-mem %d then %d: want the burst's reply room in it", totBefore, tot)
			}
			if d := after - before; d < -256<<10 || d > 256<<10 {
				t.Fatalf("used_memory - not counted - mem_clients_normal moved by %d (mem_clients_normal %d then %d)",
					d, clientsBefore, clientsAfter)
			}
		})
	}
}

// TestMaxmemoryEvictedListsReused: under eviction a new list takes an
// evicted list's memory (keyspace recycle.go); every list left holds
// exactly what was pushed to it, from either end, and a string key that
// took an evicted list's node reads right.
func TestMaxmemoryEvictedListsReused(t *testing.T) {
	t.Parallel()
	srv := startTandemReady(t, "--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru")
	ctx := context.Background()
	c := client(t, srv.Addr())
	const n = 40000
	for i := 0; i < n; i += 500 {
		p := c.Pipeline()
		for j := i; j < i+500; j++ {
			k := fmt.Sprint("l:", j)
			switch j % 4 {
			case 0:
				p.LPush(ctx, k, "a"+k, "b"+k)
			case 1:
				p.RPush(ctx, k, "a"+k, "b"+k, strings.Repeat("x", j%300))
			case 2:
				p.Set(ctx, fmt.Sprint("s:", j), "v"+k, 0)
			default:
				p.LPush(ctx, k, strings.Repeat("y", j%200))
			}
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("fill at %d: %v", i, err)
		}
	}
	if ev := memInfo(t, ctx, c)["evicted_keys"]; ev < n/4 {
		t.Fatalf("evicted_keys %d: want the load to evict", ev)
	}
	left := 0
	for j := 0; j < n; j++ {
		k := fmt.Sprint("l:", j)
		var want []string
		switch j % 4 {
		case 0:
			want = []string{"b" + k, "a" + k}
		case 1:
			want = []string{"a" + k, "b" + k, strings.Repeat("x", j%300)}
		case 2:
			s, err := c.Get(ctx, fmt.Sprint("s:", j)).Result()
			if err == nil && s != "v"+k {
				t.Fatalf("s:%d = %q", j, s)
			}
			continue
		default:
			want = []string{strings.Repeat("y", j%200)}
		}
		got, err := c.LRange(ctx, k, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			continue // evicted
		}
		left++
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s holds %q, want %q", k, got, want)
		}
	}
	if left == 0 {
		t.Fatal("no list left")
	}
}

// TestStreamedHashReplyOutlivesEvictedHashReuse: a hash of one long pair
// evicted for maxmemory is reused for the next new hash (keyspace
// recycle.go), unless a reply in slices still samples it: HRANDFIELD with
// a large negative count, read slowly while the hash is evicted and many
// new hashes are made, sends the evicted hash's pair to its end, never
// another key's.
func TestStreamedHashReplyOutlivesEvictedHashReuse(t *testing.T) {
	srv := startTandemReady(t)
	ctx := ctxFor(t, 60*time.Second)
	admin := newClient(t, srv.Addr(), 2)
	held := strings.Repeat("a", 100)
	mustDo(t, ctx, admin, "HSET", "h:held", "f", held)
	if enc := mustDo(t, ctx, admin, "OBJECT", "ENCODING", "h:held"); enc != "hashtable" {
		t.Fatalf("OBJECT ENCODING %v, want hashtable", enc)
	}
	const picks = 200000
	c := dialRaw(t, srv.Addr())
	c.send(encode("HRANDFIELD", "h:held", strconv.Itoa(-picks), "WITHVALUES"))
	c.c.SetReadDeadline(time.Now().Add(50 * time.Second))
	if head, err := c.r.ReadString('\n'); err != nil || head != fmt.Sprintf("*%d\r\n", 2*picks) {
		t.Fatalf("reply starts %q, %v", head, err)
	}
	want := []string{"$1\r\n", "f\r\n", "$100\r\n", held + "\r\n"}
	readPairs := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			for _, w := range want {
				if got, err := c.r.ReadString('\n'); got != w || err != nil {
					t.Fatalf("pair %d: %.20q, %v; want %.20q", i, got, err, w)
				}
			}
		}
	}
	readPairs(1000)
	// Evict h:held and make new hashes of the same shape, which take the
	// evicted ones' memory when nothing holds it.
	mustDo(t, ctx, admin, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	mustDo(t, ctx, admin, "CONFIG", "SET", "maxmemory", "3mb")
	other := strings.Repeat("b", 100)
	for i := 0; i < 40000; i += 500 {
		p := admin.Pipeline()
		for j := i; j < i+500; j++ {
			p.Do(ctx, "HSET", fmt.Sprint("h:", j), "f", other)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := mustDo(t, ctx, admin, "EXISTS", "h:held"); n != int64(0) {
		t.Fatalf("h:held was not evicted (EXISTS %v)", n)
	}
	if ev := memInfo(t, ctx, admin)["evicted_keys"]; ev < 20000 {
		t.Fatalf("evicted_keys %d: the load did not evict", ev)
	}
	readPairs(picks - 1000)
}

// TestStreamedSmallHashReplyOutlivesRestoreReuse: RESTORE ... REPLACE
// keeps the small hash it replaces to decode the next payload into
// (internal/dump); an HRANDFIELD stream still sampling that hash samples
// a copy of it, so it goes on sending the replaced hash's pair.
func TestStreamedSmallHashReplyOutlivesRestoreReuse(t *testing.T) {
	srv := startTandemReady(t)
	ctx := ctxFor(t, 60*time.Second)
	admin := newClient(t, srv.Addr(), 2)
	mustDo(t, ctx, admin, "HSET", "other", "g", "bbbb")
	payload, err := admin.Dump(ctx, "other").Result()
	if err != nil {
		t.Fatal(err)
	}
	mustDo(t, ctx, admin, "HSET", "h", "f", "aaaa")
	const picks = 100000
	c := dialRaw(t, srv.Addr())
	c.send(encode("HRANDFIELD", "h", strconv.Itoa(-picks), "WITHVALUES"))
	c.c.SetReadDeadline(time.Now().Add(50 * time.Second))
	if head, err := c.r.ReadString('\n'); err != nil || head != fmt.Sprintf("*%d\r\n", 2*picks) {
		t.Fatalf("reply starts %q, %v", head, err)
	}
	want := []string{"$1\r\n", "f\r\n", "$4\r\n", "aaaa\r\n"}
	readPairs := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			for _, w := range want {
				if got, err := c.r.ReadString('\n'); got != w || err != nil {
					t.Fatalf("pair %d: %q, %v; want %q", i, got, err, w)
				}
			}
		}
	}
	readPairs(1000)
	// The first RESTORE replaces h and keeps it; the next ones decode
	// into it.
	mustDo(t, ctx, admin, "RESTORE", "h", "0", payload, "REPLACE")
	for i := 0; i < 3; i++ {
		mustDo(t, ctx, admin, "RESTORE", fmt.Sprint("k", i), "0", payload)
	}
	readPairs(picks - 1000)
}
