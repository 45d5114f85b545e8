package test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// fillKeys writes n string keys named prefix:i in one pipeline.
func fillKeys(t *testing.T, ctx context.Context, c *redis.Client, prefix string, n int, ttl time.Duration) {
	t.Helper()
	p := c.Pipeline()
	for i := 0; i < n; i++ {
		p.Set(ctx, fmt.Sprintf("%s:%d", prefix, i), i, ttl)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

// scanAll runs a full SCAN and returns every key it yielded (with
// duplicates, which SCAN may legitimately return).
func scanAll(t *testing.T, ctx context.Context, c *redis.Client, match string, count int64, typ string) []string {
	t.Helper()
	var out []string
	var cursor uint64
	for i := 0; ; i++ {
		if i > 1_000_000 {
			t.Fatal("SCAN does not terminate")
		}
		var keys []string
		var err error
		if typ != "" {
			keys, cursor, err = c.ScanType(ctx, cursor, match, count, typ).Result()
		} else {
			keys, cursor, err = c.Scan(ctx, cursor, match, count).Result()
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, keys...)
		if cursor == 0 {
			return out
		}
	}
}

func setOf(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// TestFullScanReturnsEveryKeyLikeKeys: a full SCAN, whatever COUNT, MATCH
// or TYPE, returns the same keys as KEYS, each once.
func TestFullScanReturnsEveryKeyLikeKeys(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 60*time.Second)
	c := newClient(t, srv.Addr(), 2)
	fillKeys(t, ctx, c, "user", 3000, 0)
	fillKeys(t, ctx, c, "item", 2000, time.Hour)
	for _, match := range []string{"", "*", "user:*", "item:1*", "*:42", "nomatch*"} {
		pattern := match
		if pattern == "" {
			pattern = "*"
		}
		want, err := c.Keys(ctx, pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, count := range []int64{0, 1, 10, 100, 10000} {
			got := scanAll(t, ctx, c, match, count, "")
			if len(got) != len(setOf(got)) {
				t.Errorf("MATCH %q COUNT %d: %d keys returned, %d distinct (no rehash was going on)", match, count, len(got), len(setOf(got)))
			}
			if g, w := sorted(uniq(got)), sorted(want); strings.Join(g, ",") != strings.Join(w, ",") {
				t.Fatalf("MATCH %q COUNT %d: SCAN found %d keys, KEYS %d", match, count, len(g), len(w))
			}
		}
	}
	if got := scanAll(t, ctx, c, "", 100, "string"); len(setOf(got)) != 5000 {
		t.Fatalf("TYPE string: %d keys", len(setOf(got)))
	}
	for _, typ := range []string{"list", "hash", "set", "zset", "stream", "nosuchtype"} {
		if got := scanAll(t, ctx, c, "", 1000, typ); len(got) != 0 {
			t.Fatalf("TYPE %s: %d keys", typ, len(got))
		}
	}
	// redis-cli's loop works the same way.
	out := testutil.RedisCLI(t, srv.Port, "--scan", "--pattern", "item:*")
	if n := len(strings.Fields(out)); n != 2000 {
		t.Fatalf("redis-cli --scan found %d keys", n)
	}
}

func uniq(in []string) []string {
	var out []string
	for k := range setOf(in) {
		out = append(out, k)
	}
	return out
}

// TestScanWhileKeysAreAdded: keys present for the whole SCAN are all
// returned even while the table grows (and rehashes) and other keys come
// and go.
func TestScanWhileKeysAreAdded(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 60*time.Second)
	c := newClient(t, srv.Addr(), 2)
	fillKeys(t, ctx, c, "stable", 2000, 0)
	writer := newClient(t, srv.Addr(), 2)
	for round := 0; round < 3; round++ {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var added atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				p := writer.Pipeline()
				for j := 0; j < 50; j++ {
					k := fmt.Sprintf("churn:%d:%d", round, i*50+j)
					p.Set(ctx, k, "x", 0)
					if j%3 == 0 {
						p.Del(ctx, fmt.Sprintf("churn:%d:%d", round, i*50+j-30))
					}
				}
				if _, err := p.Exec(ctx); err != nil {
					t.Error(err)
					return
				}
				added.Add(50)
				// Grow steadily but not faster than SCAN can finish.
				time.Sleep(2 * time.Millisecond)
			}
		}()
		got := setOf(scanAll(t, ctx, c, "", 20, ""))
		close(stop)
		wg.Wait()
		for i := 0; i < 2000; i++ {
			if !got[fmt.Sprintf("stable:%d", i)] {
				t.Fatalf("round %d: SCAN missed stable:%d (%d keys added meanwhile)", round, i, added.Load())
			}
		}
		if added.Load() == 0 {
			t.Fatalf("round %d: no keys were added during the SCAN", round)
		}
	}
	// And once the writes stop, SCAN and KEYS agree again.
	all, _ := c.Keys(ctx, "*").Result()
	if got := scanAll(t, ctx, c, "", 100, ""); len(uniq(got)) != len(all) {
		t.Fatalf("SCAN %d keys, KEYS %d", len(uniq(got)), len(all))
	}
}

// TestLazyExpiryMatchesRedis: with active expiry off, expired keys still
// count in DBSIZE until something touches them; each access removes one.
func TestLazyExpiryMatchesRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	run := func(addr string) []string {
		ctx := ctxFor(t, 20*time.Second)
		c := newClient(t, addr, 2)
		var out []string
		rec := func(v any, err error) { out = append(out, fmt.Sprint(v, " ", err)) }
		rec(c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Result())
		fillKeys(t, ctx, c, "short", 20, 50*time.Millisecond)
		fillKeys(t, ctx, c, "long", 5, time.Hour)
		time.Sleep(200 * time.Millisecond)
		rec(c.DBSize(ctx).Result())
		rec(c.Get(ctx, "short:0").Result())
		rec(c.DBSize(ctx).Result())
		rec(c.Exists(ctx, "short:1", "short:2", "long:0").Result())
		rec(c.DBSize(ctx).Result())
		rec(c.TTL(ctx, "short:3").Result())
		rec(c.Type(ctx, "short:4").Result())
		rec(c.DBSize(ctx).Result())
		rec(c.Keys(ctx, "short:*").Result()) // KEYS skips (and, in 7.0, does not delete) expired keys
		rec(c.DBSize(ctx).Result())
		rec(c.Do(ctx, "RANDOMKEY").Result())
		rec(c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "1").Result())
		return out
	}
	got, want := run(tandem.Addr()), run(ref.Addr())
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			if strings.HasPrefix(want[i], "long:") && strings.HasPrefix(got[i], "long:") {
				continue // RANDOMKEY: any live key
			}
			t.Errorf("step %d: tandem %q, redis %q", i, got[i], want[i])
		}
	}
}

// TestActiveExpiryRemovesUntouchedKeys: keys with short TTLs disappear
// without being accessed; DEBUG SET-ACTIVE-EXPIRE 0 stops that.
func TestActiveExpiryRemovesUntouchedKeys(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 30*time.Second)
	c := newClient(t, srv.Addr(), 2)
	fillKeys(t, ctx, c, "persist", 10, 0)
	fillKeys(t, ctx, c, "vol", 2000, 100*time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, err := c.DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if n == 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE still %d after 10s: active expiry does not run", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	info, _ := c.Info(ctx, "stats", "keyspace").Result()
	m := infoFields(info)
	if m["expired_keys"] != "2000" {
		t.Errorf("expired_keys = %q", m["expired_keys"])
	}
	if m["db0"] != "keys=10,expires=0,avg_ttl=0" {
		t.Errorf("db0 = %q", m["db0"])
	}

	// Turned off, nothing goes away by itself...
	if err := c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err(); err != nil {
		t.Fatal(err)
	}
	fillKeys(t, ctx, c, "vol2", 500, 50*time.Millisecond)
	time.Sleep(600 * time.Millisecond)
	if n, _ := c.DBSize(ctx).Result(); n != 510 {
		t.Fatalf("with active expiry off, DBSIZE = %d, want 510", n)
	}
	// ...and turned back on, the keys go.
	if err := c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "1").Err(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "expired keys removed after SET-ACTIVE-EXPIRE 1", func() bool {
		n, _ := c.DBSize(ctx).Result()
		return n == 10
	})
}

// TestDebugNeedsEnableDebugCommand: DEBUG is refused by default with
// Redis's error.
func TestDebugNeedsEnableDebugCommand(t *testing.T) {
	t.Parallel()
	tandem := testutil.StartTandem(t)
	ref := testutil.StartRedis(t)
	for _, args := range [][]string{{"DEBUG", "SLEEP", "0"}, {"DEBUG", "SET-ACTIVE-EXPIRE", "0"},
		{"MODULE", "LOAD", "/x.so"}, {"MODULE", "LOADEX", "/x.so", "ARGS", "1"}, {"MODULE", "UNLOAD", "x"},
		{"MODULE", "LIST"}, {"MODULE", "LIST", "x"}, {"MODULE", "LOADEX"}, {"MODULE", "NOPE"}, {"MODULE", "HELP"}} {
		got, want := dialRaw(t, tandem.Addr()).do(args...), dialRaw(t, ref.Addr()).do(args...)
		if got != want {
			t.Errorf("%v:\ntandem %q\nredis  %q", args, got, want)
		}
	}
	// The refusal comes before MULTI queues the command (dooming the
	// transaction) and before authentication, as in Redis (CMD_PROTECTED).
	script := [][]string{{"MULTI"}, {"MODULE", "LOAD", "x"}, {"DEBUG", "SLEEP", "0"}, {"MODULE", "LIST"}, {"EXEC"}}
	tc, rc := dialRaw(t, tandem.Addr()), dialRaw(t, ref.Addr())
	for _, args := range script {
		if got, want := tc.do(args...), rc.do(args...); got != want {
			t.Errorf("in MULTI %v:\ntandem %q\nredis  %q", args, got, want)
		}
	}
	tp := testutil.StartTandem(t, "--requirepass", "pw")
	rp := testutil.StartRedis(t, "--requirepass", "pw")
	for _, args := range [][]string{{"DEBUG", "SLEEP", "0"}, {"MODULE", "UNLOAD", "x"}, {"MODULE", "LIST"}} {
		if got, want := dialRaw(t, tp.Addr()).do(args...), dialRaw(t, rp.Addr()).do(args...); got != want {
			t.Errorf("unauthenticated %v:\ntandem %q\nredis  %q", args, got, want)
		}
	}
	local := testutil.StartTandem(t, "--enable-debug-command", "local")
	if got := dialRaw(t, local.Addr()).do("DEBUG", "SLEEP", "0"); got != "+OK\r\n" {
		t.Errorf("enable-debug-command local from loopback: %q", got)
	}
}

// TestDebugSleepBlocksTheServer: DEBUG SLEEP stops everyone, as in Redis.
func TestDebugSleepBlocksTheServer(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	a, b := dialRaw(t, srv.Addr()), dialRaw(t, srv.Addr())
	start := time.Now()
	a.send(encode("DEBUG", "SLEEP", "0.6"))
	time.Sleep(150 * time.Millisecond)
	if got := b.do("PING"); got != "+PONG\r\n" {
		t.Fatal(got)
	}
	if d := time.Since(start); d < 550*time.Millisecond {
		t.Fatalf("PING answered %v after DEBUG SLEEP 0.6 was sent", d)
	}
	if got := a.read(); got != "+OK\r\n" {
		t.Fatal(got)
	}
}

// TestObjectIdletime: IDLETIME grows while a key is untouched and resets
// on access.
func TestObjectIdletime(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 20*time.Second)
	c := newClient(t, srv.Addr(), 2)
	c.Set(ctx, "k", "v", 0)
	c.Set(ctx, "other", "v", 0)
	testutil.Eventually(t, 5*time.Second, "IDLETIME >= 1", func() bool {
		d, err := c.ObjectIdleTime(ctx, "k").Result()
		return err == nil && d >= time.Second
	})
	c.Get(ctx, "k")
	if d, _ := c.ObjectIdleTime(ctx, "k").Result(); d != 0 {
		t.Fatalf("IDLETIME after GET = %v", d)
	}
	if d, _ := c.ObjectIdleTime(ctx, "other").Result(); d < time.Second {
		t.Fatalf("IDLETIME of the untouched key = %v", d)
	}
}

// TestObjectFreqWithoutLFUPolicy: without an LFU maxmemory-policy OBJECT
// FREQ answers Redis's error; once one is set it reads the counter (a new
// key starts at 5).
func TestObjectFreqWithoutLFUPolicy(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	c := dialRaw(t, srv.Addr())
	c.do("SET", "f", "v")
	if got := c.do("OBJECT", "FREQ", "f"); !strings.HasPrefix(got, "-ERR An LFU maxmemory policy is not selected") {
		t.Fatalf("OBJECT FREQ: %q", got)
	}
	if got := c.do("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET maxmemory-policy allkeys-lfu: %q", got)
	}
	c.do("SET", "g", "v")
	if got := c.do("OBJECT", "FREQ", "g"); got != ":5\r\n" {
		t.Fatalf("OBJECT FREQ under allkeys-lfu: %q", got)
	}
}

// TestRandomkeyReturnsEveryKey: over many calls every key shows up.
func TestRandomkeyReturnsEveryKey(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 20*time.Second)
	c := newClient(t, srv.Addr(), 2)
	fillKeys(t, ctx, c, "r", 10, 0)
	seen := map[string]bool{}
	for i := 0; i < 2000 && len(seen) < 10; i++ {
		k, err := c.RandomKey(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		seen[k] = true
	}
	if len(seen) != 10 {
		t.Fatalf("RANDOMKEY returned only %d distinct keys of 10", len(seen))
	}
	// With only expired keys left (and active expiry off) RANDOMKEY
	// returns nil rather than looping forever.
	c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	c.FlushAll(ctx)
	fillKeys(t, ctx, c, "gone", 50, 10*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	if k, err := c.RandomKey(ctx).Result(); err != redis.Nil {
		t.Fatalf("RANDOMKEY over expired keys = %q, %v", k, err)
	}
}

// TestKeyCommandsWithGoRedis exercises the keyspace commands through the
// typed client in RESP3, including cross-database ones.
func TestKeyCommandsWithGoRedis(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 20*time.Second)
	c := newClient(t, srv.Addr(), 3)
	db1 := redis.NewClient(&redis.Options{Addr: srv.Addr(), DB: 1, MaxRetries: -1})
	defer db1.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.Set(ctx, "a", "1", time.Hour).Err())
	if ok, err := c.ExpireNX(ctx, "a", time.Minute).Result(); err != nil || ok {
		t.Fatalf("EXPIRE NX on a key with TTL: %v %v", ok, err)
	}
	if ok, err := c.ExpireLT(ctx, "a", time.Minute).Result(); err != nil || !ok {
		t.Fatalf("EXPIRE LT: %v %v", ok, err)
	}
	if d, _ := c.TTL(ctx, "a").Result(); d != time.Minute {
		t.Fatalf("TTL = %v", d)
	}
	if at, err := c.ExpireTime(ctx, "a").Result(); err != nil || time.Until(time.Unix(int64(at/time.Second), 0)) > time.Minute+2*time.Second {
		t.Fatalf("EXPIRETIME = %v, %v", at, err)
	}
	if ok, err := c.Copy(ctx, "a", "b", 1, false).Result(); err != nil || ok != 1 {
		t.Fatalf("COPY to db 1: %v %v", ok, err)
	}
	if d, _ := db1.TTL(ctx, "b").Result(); d <= 0 {
		t.Fatalf("COPY lost the TTL: %v", d)
	}
	if ok, err := c.Move(ctx, "a", 1).Result(); err != nil || !ok {
		t.Fatalf("MOVE: %v %v", ok, err)
	}
	if v, _ := db1.Get(ctx, "a").Result(); v != "1" {
		t.Fatalf("moved value: %q", v)
	}
	must(c.Do(ctx, "SWAPDB", 0, 1).Err())
	if n, _ := c.DBSize(ctx).Result(); n != 2 {
		t.Fatalf("DBSIZE after SWAPDB = %d", n)
	}
	if n, _ := db1.DBSize(ctx).Result(); n != 0 {
		t.Fatalf("db1 after SWAPDB = %d", n)
	}
	must(c.Rename(ctx, "a", "c").Err())
	if err := c.Rename(ctx, "nope", "x").Err(); err == nil || err.Error() != "ERR no such key" {
		t.Fatalf("RENAME missing: %v", err)
	}
	if n, _ := c.Touch(ctx, "b", "c", "nope").Result(); n != 2 {
		t.Fatalf("TOUCH = %d", n)
	}
	if n, _ := c.Unlink(ctx, "b", "c").Result(); n != 2 {
		t.Fatalf("UNLINK = %d", n)
	}
	fillKeys(t, ctx, c, "f", 100, 0)
	must(c.FlushDBAsync(ctx).Err())
	if n, _ := c.DBSize(ctx).Result(); n != 0 {
		t.Fatalf("DBSIZE right after FLUSHDB ASYNC = %d", n)
	}
	fillKeys(t, ctx, db1, "g", 100, 0)
	must(c.FlushAllAsync(ctx).Err())
	if n, _ := db1.DBSize(ctx).Result(); n != 0 {
		t.Fatalf("db1 after FLUSHALL ASYNC = %d", n)
	}
	if s, err := c.ObjectEncoding(ctx, "nope").Result(); err != redis.Nil {
		t.Fatalf("OBJECT ENCODING missing = %q, %v", s, err)
	}
	must(c.Set(ctx, "n", "12345", 0).Err())
	if s, _ := c.ObjectEncoding(ctx, "n").Result(); s != "int" {
		t.Fatalf("encoding = %q", s)
	}
	if n, err := c.ObjectRefCount(ctx, "n").Result(); err != nil || n < 1 {
		t.Fatalf("REFCOUNT = %d %v", n, err)
	}
}

// TestInfoKeyspaceCounts: db lines, expires and avg_ttl follow the data.
func TestInfoKeyspaceCounts(t *testing.T) {
	t.Parallel()
	srv := startTandem(t)
	ctx := ctxFor(t, 20*time.Second)
	c := newClient(t, srv.Addr(), 2)
	fillKeys(t, ctx, c, "p", 30, 0)
	fillKeys(t, ctx, c, "v", 20, time.Hour)
	info, _ := c.Info(ctx, "keyspace").Result()
	line := infoFields(info)["db0"]
	var keys, expires, avg int64
	if _, err := fmt.Sscanf(line, "keys=%d,expires=%d,avg_ttl=%d", &keys, &expires, &avg); err != nil {
		t.Fatalf("db0 line %q: %v", line, err)
	}
	if keys != 50 || expires != 20 {
		t.Fatalf("db0 = %q", line)
	}
	// avg_ttl is an estimate built by the expiry cycle: 0 or about an hour.
	if avg != 0 && (avg < 3500_000 || avg > 3600_000) {
		t.Fatalf("avg_ttl = %d", avg)
	}
	if strings.Contains(info, "db1:") {
		t.Fatalf("empty db listed: %q", info)
	}
}

// TestWhichCommandsTouchKeysMatchesRedis: the same commands reset a key's
// idle time (its LRU clock) as in Redis; TYPE, EXISTS, TTL, OBJECT… do not.
func TestWhichCommandsTouchKeysMatchesRedis(t *testing.T) {
	t.Parallel()
	tandem := startTandem(t)
	ref := startRedis(t)
	cmds := [][]string{
		{"GET", "{k}"}, {"STRLEN", "{k}"}, {"GETRANGE", "{k}", "0", "1"}, {"EXISTS", "{k}"}, {"TYPE", "{k}"}, {"TTL", "{k}"},
		{"PTTL", "{k}"}, {"EXPIRETIME", "{k}"}, {"OBJECT", "ENCODING", "{k}"}, {"OBJECT", "REFCOUNT", "{k}"}, {"TOUCH", "{k}"},
		{"APPEND", "{k}", "x"}, {"SETRANGE", "{k}", "0", "y"}, {"GETBIT", "{k}", "1"}, {"SETBIT", "{k}", "1", "1"},
		{"BITCOUNT", "{k}"}, {"BITPOS", "{k}", "1"}, {"MGET", "{k}", "nope"}, {"EXPIRE", "{k}", "1000"}, {"PERSIST", "{k}"},
		{"COPY", "{k}", "copy-dst"}, {"GETEX", "{k}"}, {"SET", "{k}", "v", "XX", "KEEPTTL"}, {"SET", "{k}", "v"}, {"GETSET", "{k}", "v"}, {"KEYS", "*"},
		{"SCAN", "0", "COUNT", "1000"}, {"RANDOMKEY"}, {"DBSIZE"},
		{"BITOP", "NOT", "bitop-dst", "{k}"}, {"LCS", "{k}", "{k}"},
		{"SETNX", "{k}", "v"}, {"MSETNX", "{k}", "v"}, {"SET", "{k}", "v", "NX"},
	}
	touched := func(addr string) []string {
		c := dialRaw(t, addr)
		for i := range cmds {
			c.do("SET", fmt.Sprintf("k%d", i), "abc") // not a shared integer: its LRU is its own
		}
		deadline := time.Now().Add(5 * time.Second)
		last := fmt.Sprintf("k%d", len(cmds)-1)
		// The LRU clock ticks once a second: wait for two ticks so every
		// key is surely idle.
		for idle := c.do("OBJECT", "IDLETIME", last); (idle == ":0\r\n" || idle == ":1\r\n") && time.Now().Before(deadline); idle = c.do("OBJECT", "IDLETIME", last) {
			time.Sleep(50 * time.Millisecond)
		}
		var out []string
		for i, cmd := range cmds {
			args := make([]string, len(cmd))
			for j, a := range cmd {
				args[j] = strings.ReplaceAll(a, "{k}", fmt.Sprintf("k%d", i))
			}
			if cmd[0] == "LCS" {
				continue // not a core command yet
			}
			c.do(args...)
			// Keys-wide commands must not touch their neighbours either.
			before := c.do("OBJECT", "IDLETIME", fmt.Sprintf("k%d", i+1))
			idle := c.do("OBJECT", "IDLETIME", fmt.Sprintf("k%d", i))
			if os.Getenv("TANDEM_DIFF_VERBOSE") != "" {
				t.Logf("%s %v: idle %q (next key %q)", addr, args, idle, before)
			}
			out = append(out, fmt.Sprintf("%v touches: %v", cmd, idle == ":0\r\n"))
		}
		return out
	}
	var got, want []string
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); got = touched(tandem.Addr()) }()
	go func() { defer wg.Done(); want = touched(ref.Addr()) }()
	wg.Wait()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("tandem %s; redis %s", got[i], want[i])
		}
	}
}

// TestModuleLoadFailsAsInRedis: with MODULE allowed, LOAD and LOADEX fail
// with the reply Redis gives to a load that fails (go-redis's "should
// fail module loadex" spec expects it), and the log says why.
func TestModuleLoadFailsAsInRedis(t *testing.T) {
	t.Parallel()
	tandem := testutil.StartTandem(t, "--enable-module-command", "yes")
	ref := testutil.StartRedis(t, "--enable-module-command", "yes")
	for _, args := range [][]string{{"MODULE", "LOAD", "/path/to/non-existent-library.so"},
		{"MODULE", "LOADEX", "/path/to/non-existent-library.so", "CONFIG", "param1", "value1", "ARGS", "arg1"},
		{"MODULE", "LIST"}, {"MODULE", "UNLOAD", "x"}} {
		got, want := dialRaw(t, tandem.Addr()).do(args...), dialRaw(t, ref.Addr()).do(args...)
		if got != want {
			t.Errorf("%v:\ntandem %q\nredis  %q", args, got, want)
		}
	}
	testutil.Eventually(t, 10*time.Second, "the log says why the load failed", func() bool {
		return strings.Contains(tandem.LogText(), "non-existent-library.so failed to load: modules are not supported")
	})
}
