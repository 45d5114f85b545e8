package test

// Helpers shared by the replication tests (e2e_repl_*_test.go and
// interop_repl_test.go): starting masters and replicas with fast
// replication settings, reading INFO, waiting for links and offsets, and
// comparing whole datasets key by key.

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// replWait bounds every wait for a replication event (link up, offsets
// equal, a full sync). Generous: CI runs on 2 loaded cores, with -race.
const replWait = 60 * time.Second

// replNode is one server of a replication test.
type replNode struct {
	name  string
	proc  *testutil.Proc
	c     *redis.Client
	redis bool // Debian's redis-server rather than Tandem
}

func (n *replNode) port() int { return n.proc.Port }

// replFastArgs make replication quick to observe: no diskless delay, a
// PING every second (so offsets move and timeouts are detected quickly).
var replFastArgs = []string{
	"--repl-diskless-sync-delay", "0",
	"--repl-ping-replica-period", "1",
}

// startReplTandem starts a Tandem server with replFastArgs plus args.
func startReplTandem(t testing.TB, name string, args ...string) *replNode {
	t.Helper()
	p := startTandem(t, append(append([]string{}, replFastArgs...), args...)...)
	n := &replNode{name: name, proc: p, c: newClient(t, p.Addr(), 2)}
	t.Cleanup(func() {
		p.Stop()
		// Under -race the binary is built with the detector: its reports
		// land in the server's log, not in the test's result.
		if log := p.LogText(); strings.Contains(log, "WARNING: DATA RACE") {
			i := strings.Index(log, "WARNING: DATA RACE")
			t.Errorf("%s (tandem, port %d) reported a data race:\n%s", name, p.Port, replTrunc(log[i:], 6000))
		}
		if t.Failed() {
			t.Logf("---- log of %s (tandem, port %d) ----\n%s", name, p.Port, tailText(p.LogText(), 80))
		}
	})
	return n
}

// startReplRedis starts Debian's redis-server the same way (skips the test
// when it is not installed).
func startReplRedis(t testing.TB, name string, args ...string) *replNode {
	t.Helper()
	p := startRedis(t, append(append([]string{}, replFastArgs...), args...)...)
	n := &replNode{name: name, proc: p, c: newClient(t, p.Addr(), 2), redis: true}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- log of %s (redis, port %d) ----\n%s", name, p.Port, tailText(p.LogText(), 80))
		}
	})
	return n
}

// tailText keeps the last n lines of s.
func tailText(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// info returns an INFO section as field → value (nil on error: the server
// may be restarting).
func (n *replNode) info(ctx context.Context, section string) map[string]string {
	s, err := n.c.Info(ctx, section).Result()
	if err != nil {
		return nil
	}
	return infoFields(s)
}

// infoInt reads one integer INFO field (-1<<62 when missing).
func (n *replNode) infoInt(ctx context.Context, section, field string) int64 {
	v, ok := n.info(ctx, section)[field]
	if !ok {
		return -1 << 62
	}
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return -1 << 62
	}
	return i
}

// stat reads an INFO stats counter (sync_full, sync_partial_ok, …).
func (n *replNode) stat(t testing.TB, ctx context.Context, field string) int64 {
	t.Helper()
	v := n.infoInt(ctx, "stats", field)
	if v == -1<<62 {
		t.Fatalf("%s: INFO stats has no %s", n.name, field)
	}
	return v
}

// replicaOf points n at master (host 127.0.0.1).
func (n *replNode) replicaOf(t testing.TB, ctx context.Context, port int) {
	t.Helper()
	// A server just started may still be loading its (empty) dataset: it
	// answers LOADING until then, as Redis does.
	var err error
	testutil.Eventually(t, replWait, n.name+" done loading", func() bool {
		err = n.c.Do(ctx, "REPLICAOF", "127.0.0.1", strconv.Itoa(port)).Err()
		return err == nil || !strings.HasPrefix(err.Error(), "LOADING")
	})
	if err != nil {
		t.Fatalf("%s: REPLICAOF 127.0.0.1 %d: %v", n.name, port, err)
	}
}

// linkUp reports whether n is a replica whose master link is up.
func (n *replNode) linkUp(ctx context.Context) bool {
	return n.info(ctx, "replication")["master_link_status"] == "up"
}

// waitLinkUp waits until each replica reports master_link_status:up.
func waitLinkUp(t testing.TB, ctx context.Context, replicas ...*replNode) {
	t.Helper()
	for _, r := range replicas {
		testutil.Eventually(t, replWait, r.name+" master_link_status:up", func() bool { return r.linkUp(ctx) })
	}
}

// waitOnline waits until master lists n replicas, all state=online.
func waitOnline(t testing.TB, ctx context.Context, master *replNode, n int) {
	t.Helper()
	testutil.Eventually(t, replWait, fmt.Sprintf("%d online replicas on %s", n, master.name), func() bool {
		inf := master.info(ctx, "replication")
		online := 0
		for k, v := range inf {
			if strings.HasPrefix(k, "slave") && strings.Contains(v, "state=online") {
				online++
			}
		}
		return online == n
	})
}

// replOffset is what a node has applied: slave_repl_offset on a replica,
// master_repl_offset on a master.
func replOffset(inf map[string]string) (int64, bool) {
	key := "master_repl_offset"
	if inf["role"] == "slave" {
		if inf["master_link_status"] != "up" {
			return 0, false
		}
		key = "slave_repl_offset"
	}
	v, err := strconv.ParseInt(inf[key], 10, 64)
	return v, err == nil
}

// waitOffsetsMatch waits until every replica has applied exactly the
// master's master_repl_offset (sampled together; PINGs keep moving it).
func waitOffsetsMatch(t testing.TB, ctx context.Context, master *replNode, replicas ...*replNode) {
	t.Helper()
	var last string
	deadline := time.Now().Add(replWait)
	for time.Now().Before(deadline) {
		mo, ok := replOffset(master.info(ctx, "replication"))
		same := ok
		last = fmt.Sprintf("%s=%d", master.name, mo)
		for _, r := range replicas {
			ro, ok := replOffset(r.info(ctx, "replication"))
			last += fmt.Sprintf(" %s=%d(%v)", r.name, ro, ok)
			if !ok || ro != mo {
				same = false
			}
		}
		if same {
			// The master may have moved on in between: check it again.
			if mo2, ok := replOffset(master.info(ctx, "replication")); ok && mo2 == mo {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("offsets never matched: %s", last)
}

// ---- typed data ---------------------------------------------------------

// replCaps says which data types the typed workloads write: strings
// always, and lists, hashes, sets and sorted sets (the suite was written
// while they landed; every test now covers all five types).
type replCaps struct{ list, hash, set, zset bool }

// detectCaps checks that each Tandem node (Redis has everything) has the
// commands of every type, through COMMAND INFO, which answers a nil entry
// for an unknown command, and fails the test otherwise: a missing type is
// a regression, not something to leave out.
func detectCaps(t testing.TB, ctx context.Context, nodes ...*replNode) replCaps {
	t.Helper()
	has := func(cmds ...string) bool {
		for _, n := range nodes {
			if n.redis {
				continue
			}
			for _, cmd := range cmds {
				v, err := n.c.Do(ctx, "COMMAND", "INFO", cmd).Slice()
				if err != nil || len(v) != 1 || v[0] == nil {
					return false
				}
			}
		}
		return true
	}
	c := replCaps{
		list: has("rpush", "lpush", "lpop", "lrange"),
		hash: has("hset", "hdel", "hgetall"),
		set:  has("sadd", "srem", "smembers"),
		zset: has("zadd", "zrem", "zincrby", "zrange"),
	}
	if !(c.list && c.hash && c.set && c.zset) {
		t.Fatalf("Tandem lacks type commands: list=%v hash=%v set=%v zset=%v", c.list, c.hash, c.set, c.zset)
	}
	return c
}

// db returns a client of node n on database db (closed with the test).
func (n *replNode) db(t testing.TB, db int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr: n.proc.Addr(), DB: db, Protocol: 2, Password: n.c.Options().Password,
		DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second,
		MaxRetries: -1, PoolSize: 2,
	})
	t.Cleanup(func() { c.Close() })
	return c
}

// writeTyped writes one key of every available type with the given prefix
// into c's database: half of them with a TTL of ttl (0 = none).
func writeTyped(t testing.TB, ctx context.Context, c *redis.Client, caps replCaps, prefix string, n int, ttl time.Duration) {
	t.Helper()
	p := c.Pipeline()
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("%s:%d", prefix, i)
		p.Set(ctx, "str:"+k, fmt.Sprintf("value-%d-%s", i, strings.Repeat("x", i%50)), 0)
		p.IncrBy(ctx, "int:"+k, int64(i*7-3))
		if caps.list {
			p.RPush(ctx, "list:"+k, "a", i, "c", strings.Repeat("L", i%40))
			p.LPush(ctx, "list:"+k, "head")
		}
		if caps.hash {
			p.HSet(ctx, "hash:"+k, "f1", i, "f2", "v2", fmt.Sprintf("f%d", i), strings.Repeat("h", i%70))
		}
		if caps.set {
			p.SAdd(ctx, "set:"+k, i, i+1, "m"+strconv.Itoa(i))
			p.SAdd(ctx, "iset:"+k, 1, 2, 3, i)
		}
		if caps.zset {
			p.ZAdd(ctx, "zset:"+k, redis.Z{Score: float64(i) / 3, Member: "a"}, redis.Z{Score: -1.5, Member: "b"}, redis.Z{Score: float64(i * 1000), Member: strconv.Itoa(i)})
		}
		if ttl > 0 && i%2 == 0 {
			for _, typ := range []string{"str", "int", "list", "hash", "set", "iset", "zset"} {
				p.PExpire(ctx, typ+":"+k, ttl+time.Duration(i)*time.Millisecond)
			}
		}
	}
	if _, err := p.Exec(ctx); err != nil && err != redis.Nil {
		t.Fatalf("writing typed data %s: %v", prefix, err)
	}
}

// replRandomOp is one random write command over keys of every available
// type (keys are named by type so no command meets WRONGTYPE).
func replRandomOp(rng *rand.Rand, caps replCaps, keys int) []any {
	k := strconv.Itoa(rng.Intn(keys))
	val := func() string { return strings.Repeat(string(rune('a'+rng.Intn(26))), 1+rng.Intn(30)) }
	type gen func() []any
	gens := []gen{
		func() []any { return []any{"SET", "s:" + k, val()} },
		func() []any { return []any{"SET", "s:" + k, val(), "PX", 60000 + rng.Intn(100000)} },
		func() []any { return []any{"APPEND", "s:" + k, val()} },
		func() []any { return []any{"INCRBY", "n:" + k, rng.Intn(100) - 50} },
		func() []any { return []any{"DEL", "s:" + k} },
		func() []any { return []any{"EXPIRE", "n:" + k, 100 + rng.Intn(1000)} },
		func() []any { return []any{"PERSIST", "s:" + k} },
		func() []any { return []any{"SETRANGE", "s:" + k, rng.Intn(10), val()} },
	}
	if caps.list {
		gens = append(gens,
			func() []any { return []any{"RPUSH", "l:" + k, val(), val()} },
			func() []any { return []any{"LPUSH", "l:" + k, val()} },
			func() []any { return []any{"LPOP", "l:" + k} },
		)
	}
	if caps.hash {
		gens = append(gens,
			func() []any { return []any{"HSET", "h:" + k, "f" + strconv.Itoa(rng.Intn(8)), val()} },
			func() []any { return []any{"HDEL", "h:" + k, "f" + strconv.Itoa(rng.Intn(8))} },
		)
	}
	if caps.set {
		gens = append(gens,
			func() []any { return []any{"SADD", "t:" + k, rng.Intn(20), val()} },
			func() []any { return []any{"SREM", "t:" + k, rng.Intn(20)} },
		)
	}
	if caps.zset {
		gens = append(gens,
			func() []any { return []any{"ZADD", "z:" + k, rng.Intn(1000) - 500, "m" + strconv.Itoa(rng.Intn(10))} },
			func() []any {
				return []any{"ZINCRBY", "z:" + k, float64(rng.Intn(100)) / 8, "m" + strconv.Itoa(rng.Intn(10))}
			},
			func() []any { return []any{"ZREM", "z:" + k, "m" + strconv.Itoa(rng.Intn(10))} },
		)
	}
	return gens[rng.Intn(len(gens))]()
}

// ---- dataset comparison -------------------------------------------------

// replEntry is one key as seen by a client.
type replEntry struct {
	typ string
	val string
	// expireAt is PEXPIRETIME: the absolute expiry in unix ms, -1 for none.
	// Masters send absolute times (SET … PXAT, PEXPIREAT) and RDBs hold
	// them, so replicas must agree to the millisecond however long apart
	// the two dumps are read.
	expireAt int64
}

// dumpDataset reads every key of databases 0..15 (TYPE, a dump of the
// value per type, PEXPIRETIME), pipelining the reads. Keys that are
// logically expired (TYPE none) are left out: a replica hides them until
// the master's DEL arrives.
func dumpDataset(t testing.TB, ctx context.Context, n *replNode) map[string]replEntry {
	t.Helper()
	out := map[string]replEntry{}
	conn := n.c.Conn()
	defer conn.Close()
	for db := 0; db < 16; db++ {
		if err := conn.Select(ctx, db).Err(); err != nil {
			t.Fatalf("%s: SELECT %d: %v", n.name, db, err)
		}
		var keys []string
		var cur uint64
		for {
			ks, next, err := conn.Scan(ctx, cur, "*", 1000).Result()
			if err != nil {
				t.Fatalf("%s: SCAN db %d: %v", n.name, db, err)
			}
			keys = append(keys, ks...)
			if cur = next; cur == 0 {
				break
			}
		}
		keys = replUniq(keys)
		for len(keys) > 0 {
			batch := keys[:min(len(keys), 500)]
			keys = keys[len(batch):]
			for k, e := range dumpBatch(t, ctx, n.name, conn, batch) {
				out[fmt.Sprintf("db%d:%s", db, k)] = e
			}
		}
	}
	return out
}

// dumpBatch reads the entries of keys in two pipelined rounds: TYPE, then
// the value and PEXPIRETIME.
func dumpBatch(t testing.TB, ctx context.Context, name string, conn *redis.Conn, keys []string) map[string]replEntry {
	t.Helper()
	types := make([]*redis.StatusCmd, len(keys))
	if _, err := conn.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			types[i] = p.Type(ctx, k)
		}
		return nil
	}); err != nil {
		t.Fatalf("%s: TYPE: %v", name, err)
	}
	vals := make([]redis.Cmder, len(keys))
	exps := make([]*redis.Cmd, len(keys))
	if _, err := conn.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			switch types[i].Val() {
			case "string":
				vals[i] = p.Get(ctx, k)
			case "list":
				vals[i] = p.LRange(ctx, k, 0, -1)
			case "hash":
				vals[i] = p.HGetAll(ctx, k)
			case "set":
				vals[i] = p.SMembers(ctx, k)
			case "zset":
				vals[i] = p.ZRangeWithScores(ctx, k, 0, -1)
			default:
				continue
			}
			exps[i] = p.Do(ctx, "PEXPIRETIME", k)
		}
		return nil
	}); err != nil && err != redis.Nil {
		t.Fatalf("%s: reading values: %v", name, err)
	}
	out := map[string]replEntry{}
	for i, k := range keys {
		if vals[i] == nil {
			if typ := types[i].Val(); typ != "none" {
				out[k] = replEntry{typ: typ, val: "unsupported type"}
			}
			continue
		}
		e := replEntry{typ: types[i].Val(), val: renderValue(vals[i])}
		if e.val == "<nil>" {
			continue // expired between the two rounds
		}
		var err error
		if e.expireAt, err = exps[i].Int64(); err != nil {
			t.Fatalf("%s: PEXPIRETIME %s: %v", name, k, err)
		}
		out[k] = e
	}
	return out
}

// renderValue renders a value read by dumpBatch canonically.
func renderValue(c redis.Cmder) string {
	if c.Err() == redis.Nil {
		return "<nil>"
	}
	if c.Err() != nil {
		return "ERR " + c.Err().Error()
	}
	switch c := c.(type) {
	case *redis.StringCmd:
		return strconv.Quote(c.Val())
	case *redis.StringSliceCmd: // LRANGE keeps the order; SMEMBERS does not
		if c.Name() == "smembers" {
			return fmt.Sprintf("%q", sorted(c.Val()))
		}
		return fmt.Sprintf("%q", c.Val())
	case *redis.MapStringStringCmd:
		var parts []string
		for f, x := range c.Val() {
			parts = append(parts, strconv.Quote(f)+"="+strconv.Quote(x))
		}
		sort.Strings(parts)
		return strings.Join(parts, ",")
	case *redis.ZSliceCmd:
		var parts []string
		for _, z := range c.Val() {
			parts = append(parts, fmt.Sprintf("%q:%s", z.Member, strconv.FormatFloat(z.Score, 'g', 17, 64)))
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprintf("unexpected %T", c)
}

// pttlTolerance is a lenient bound on how far two servers' expiry times
// of a key may differ, for callers that need one (e2e_aof_test.go).
// Replicas get absolute times and are compared exactly (tolerance 0).
const pttlTolerance = 5 * time.Second

// diffDatasets lists the differences between two dumps (empty = equal);
// expiry times must agree within tol.
func diffDatasets(a, b map[string]replEntry, an, bn string, tol time.Duration) []string {
	var out []string
	for k, ea := range a {
		eb, ok := b[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: only on %s (%s %s)", k, an, ea.typ, replTrunc(ea.val, 80)))
		case ea.typ != eb.typ:
			out = append(out, fmt.Sprintf("%s: type %s on %s, %s on %s", k, ea.typ, an, eb.typ, bn))
		case ea.val != eb.val:
			out = append(out, fmt.Sprintf("%s: %s on %s, %s on %s", k, replTrunc(ea.val, 80), an, replTrunc(eb.val, 80), bn))
		case (ea.expireAt < 0) != (eb.expireAt < 0) || max(ea.expireAt-eb.expireAt, eb.expireAt-ea.expireAt) > tol.Milliseconds():
			out = append(out, fmt.Sprintf("%s: expires at %d on %s, %d on %s", k, ea.expireAt, an, eb.expireAt, bn))
		}
	}
	for k, eb := range b {
		if _, ok := a[k]; !ok {
			out = append(out, fmt.Sprintf("%s: only on %s (%s %s)", k, bn, eb.typ, replTrunc(eb.val, 80)))
		}
	}
	sort.Strings(out)
	return out
}

// requireSameDataset waits until the master's offset is applied everywhere,
// then compares every replica's keyspace with the master's, key by key. It
// retries a few times (a key may expire between two dumps) and reports the
// last differences.
func requireSameDataset(t testing.TB, ctx context.Context, master *replNode, replicas ...*replNode) {
	t.Helper()
	var diffs []string
	for attempt := 0; attempt < 5; attempt++ {
		waitOffsetsMatch(t, ctx, master, replicas...)
		want := dumpDataset(t, ctx, master)
		diffs = nil
		for _, r := range replicas {
			got := dumpDataset(t, ctx, r)
			diffs = append(diffs, diffDatasets(want, got, master.name, r.name, 0)...)
		}
		if len(diffs) == 0 {
			if len(want) == 0 {
				t.Fatalf("dataset of %s is empty: nothing was compared", master.name)
			}
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(diffs) > 30 {
		diffs = append(diffs[:30], fmt.Sprintf("... and %d more", len(diffs)-30))
	}
	t.Fatalf("datasets differ:\n%s", strings.Join(diffs, "\n"))
}

// logLines counts the lines of a server log that contain sub.
func logLines(p *testutil.Proc, sub string) int {
	return strings.Count(p.LogText(), sub)
}

// waitLog waits until the server's log contains sub.
func waitLog(t testing.TB, n *replNode, sub string) {
	t.Helper()
	testutil.Eventually(t, replWait, fmt.Sprintf("%s log line %q", n.name, sub), func() bool {
		return strings.Contains(n.proc.LogText(), sub)
	})
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// replTrunc shortens s to n bytes for messages.
func replTrunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}

// replUniq drops duplicates (SCAN may return a key twice).
func replUniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
