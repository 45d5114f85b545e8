package test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// HyperLogLog: the replies and, above all, the bytes of the values must be
// Redis 7.0's, since the value is a plain string that GET, the RDB and
// replication carry between the two servers.

func TestHyperLogLogRepliesMatchRedis(t *testing.T) {
	elems := func(prefix string, n int) string {
		return seqArgs(n, func(i int) string { return prefix + strconv.Itoa(i) })
	}
	runTypeDiff(t, []diffCase{
		{name: "pfadd-count-get", cmds: []string{
			"PFADD h a b c d e", "PFADD h a b", "PFADD h", "PFADD new", "PFCOUNT h", "GET h", "PFCOUNT h",
			"GET new", "OBJECT ENCODING h", "PFDEBUG ENCODING h", "PFDEBUG DECODE h", "STRLEN h",
		}},
		{name: "sparse-splits-and-merges", cmds: []string{
			// Neighbouring registers: VAL splits and merges of runs.
			"PFADD h " + elems("e", 40), "PFDEBUG DECODE h", "GET h",
			"PFADD h " + elems("f", 200), "PFDEBUG DECODE h", "GET h", "PFCOUNT h",
		}},
		{name: "promotion-to-dense", cmds: []string{
			"PFADD h " + elems("x", 3000), "PFDEBUG ENCODING h", "PFCOUNT h", "GET h",
			"PFADD h " + elems("y", 3000), "PFCOUNT h", "GET h", "STRLEN h",
		}},
		{name: "sparse-max-bytes", cmds: []string{
			"#CONFIG SET hll-sparse-max-bytes 30", "PFADD h " + elems("x", 20), "PFDEBUG ENCODING h", "GET h",
			"#CONFIG SET hll-sparse-max-bytes 3000",
		}},
		{name: "count-many-and-merge", cmds: []string{
			"PFADD a " + elems("a", 500), "PFADD b " + elems("b", 500), "PFADD c " + elems("a", 2000),
			"PFCOUNT a b", "PFCOUNT a b c missing", "PFCOUNT missing", "PFCOUNT missing other",
			"PFMERGE dst a b", "GET dst", "PFCOUNT dst",
			"PFMERGE dst c", "PFDEBUG ENCODING dst", "GET dst",
			"PFMERGE fresh", "GET fresh", "PFMERGE fresh2 missing", "EXISTS fresh2",
			"PFMERGE a a", "GET a",
		}},
		{name: "pfdebug", cmds: []string{
			"PFADD h a b c", "PFDEBUG DECODE h", "PFDEBUG ENCODING h", "PFDEBUG TODENSE h", "PFDEBUG TODENSE h",
			"PFDEBUG ENCODING h", "PFDEBUG DECODE h", "GET h", "PFDEBUG GETREG h",
			"PFDEBUG GETREG missing", "PFDEBUG nope h", "PFDEBUG nope missing", "PFDEBUG GETREG",
			"PFADD s a", "PFDEBUG GETREG s", "PFDEBUG ENCODING s",
		}},
		{name: "errors", cmds: []string{
			"SET str hello", "PFADD str a", "PFCOUNT str", "PFCOUNT str other", "PFMERGE str", "PFMERGE d str",
			"LPUSH l a", "PFADD l a", "PFCOUNT l", "PFMERGE d l", "PFDEBUG ENCODING l",
			"SET n 12345", "PFADD n a", "PFADD", "PFCOUNT", "PFMERGE", "PFSELFTEST x",
			// A valid header over a dense body of the wrong size.
			`SET bad "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80abc"`, "PFADD bad a", "PFCOUNT bad",
			// A sparse body that does not cover every register.
			`SET short "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\x00"`, "PFCOUNT short", "PFADD short a",
			"PFCOUNT short short2", "PFMERGE d2 short", "PFDEBUG TODENSE short", "PFDEBUG GETREG short",
			// A sparse body covering too many.
			`SET long "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x7f\xff"`, "PFCOUNT long", "PFADD long a",
			// Every register covered, then one VAL too many: corrupt for
			// every reader; PFADD edits only the opcode of its register.
			`SET extra "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x80"`, "PFCOUNT extra", "PFCOUNT extra x",
			"PFMERGE d3 extra", "GET d3", "PFADD extra a", "GET extra", "PFDEBUG TODENSE extra", "PFCOUNT extra",
			`SET magic "HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"`, "PFADD magic a",
			`SET enc "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"`, "PFADD enc a",
		}},
		{name: "cached-cardinality", cmds: []string{
			// The cache is stored by PFCOUNT, dropped by PFADD, and read
			// back without recounting (a wrong cache set by hand wins).
			"PFADD h a b c", "GETRANGE h 8 15", "PFCOUNT h", "GETRANGE h 8 15", "PFADD h a", "GETRANGE h 8 15",
			"PFADD h z", "GETRANGE h 8 15", "SETRANGE h 8 \"\x63\"", "PFCOUNT h",
		}},
		{name: "transactions", cmds: []string{
			"MULTI", "PFADD h a", "PFCOUNT h", "PFMERGE g h", "PFCOUNT g", "EXEC", "GET g",
		}},
	})
}

// TestHyperLogLogValuesMatchRedisRandom adds random elements to a few keys
// on both servers, merges and counts them, and compares every value's
// bytes after each step: the sparse code's in-place edits and the
// promotion to dense must be the same, step by step.
func TestHyperLogLogValuesMatchRedisRandom(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	tc := newClient(t, startTandem(t).Addr(), 2)
	rc := newClient(t, startRedis(t).Addr(), 2)
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []string{"h0", "h1", "h2", "h3"}
	both := func(args ...any) {
		t.Helper()
		a, aerr := tc.Do(ctx, args...).Result()
		b, berr := rc.Do(ctx, args...).Result()
		if fmt.Sprint(a, aerr) != fmt.Sprint(b, berr) {
			t.Fatalf("%v: tandem %v %v, redis %v %v", args, a, aerr, b, berr)
		}
	}
	for step := 0; step < 300; step++ {
		key := keys[rng.IntN(len(keys))]
		switch r := rng.IntN(10); {
		case r < 7:
			args := []any{"PFADD", key}
			for n := rng.IntN(30); n > 0; n-- {
				// A narrow universe makes repeats, hence VAL runs that grow.
				args = append(args, strconv.Itoa(rng.IntN(1+step*20)))
			}
			both(args...)
		case r < 8:
			both("PFCOUNT", key)
		case r < 9:
			both("PFCOUNT", keys[0], keys[1], keys[2])
		default:
			both("PFMERGE", key, keys[rng.IntN(len(keys))])
		}
		for _, k := range keys {
			a, _ := tc.Get(ctx, k).Result()
			b, _ := rc.Get(ctx, k).Result()
			if a != b {
				t.Fatalf("step %d: %s differs (tandem %d bytes, redis %d bytes)\ntandem %q\nredis  %q", step, k, len(a), len(b), a, b)
			}
		}
	}
}

// TestHyperLogLogReplicatesBothWays: a real Redis replica of a Tandem master
// and a Tandem replica of a real Redis master end with the master's bytes,
// including the cardinality PFCOUNT caches in the value (propagated) and
// the encoding PFDEBUG TODENSE changes.
func TestHyperLogLogReplicatesBothWays(t *testing.T) {
	for _, masterIsTandem := range []bool{true, false} {
		name := "redis-master-tandem-replica"
		if masterIsTandem {
			name = "tandem-master-redis-replica"
		}
		t.Run(name, func(t *testing.T) {
			ctx := ctxFor(t, 2*time.Minute)
			var m, r *replNode
			if masterIsTandem {
				m = startReplTandem(t, "master")
				r = startReplRedis(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
			} else {
				m = startReplRedis(t, "master")
				r = startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
			}
			waitLinkUp(t, ctx, r)
			do := func(args ...any) {
				t.Helper()
				if err := m.c.Do(ctx, args...).Err(); err != nil && err != redis.Nil {
					t.Fatalf("%v: %v", args, err)
				}
			}
			for i := 0; i < 50; i++ {
				do("PFADD", "small", "e"+strconv.Itoa(i))
			}
			do("PFCOUNT", "small") // stores the cache: propagated
			big := []any{"PFADD", "big"}
			for i := 0; i < 5000; i++ {
				big = append(big, "b"+strconv.Itoa(i))
			}
			do(big...)
			do("PFMERGE", "merged", "small", "big")
			do("PFCOUNT", "merged")
			do("PFADD", "todense", "x", "y")
			do("PFDEBUG", "TODENSE", "todense")
			waitOffsetsMatch(t, ctx, m, r)
			for _, k := range []string{"small", "big", "merged", "todense"} {
				a, _ := m.c.Get(ctx, k).Result()
				b, _ := r.c.Get(ctx, k).Result()
				if a != b || a == "" {
					t.Errorf("%s: master %d bytes, replica %d bytes, equal %v", k, len(a), len(b), a == b)
				}
			}
		})
	}
}

// TestHyperLogLogCutOpcodeIsCorrupt: a sparse value whose last opcode is
// an XZERO cut after its first byte is corrupt. Redis 7.0 reads the byte
// past the end of the string there (the terminator) and goes on; Tandem
// answers INVALIDOBJ and leaves the value as it was.
func TestHyperLogLogCutOpcodeIsCorrupt(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	c := newClient(t, startTandem(t).Addr(), 2)
	cut := "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"
	c.Set(ctx, "cut", cut, 0)
	for _, args := range [][]any{{"PFADD", "cut", "a"}, {"PFCOUNT", "cut"}, {"PFCOUNT", "cut", "x"}, {"PFMERGE", "d", "cut"}, {"PFDEBUG", "TODENSE", "cut"}} {
		if err := c.Do(ctx, args...).Err(); err == nil || err.Error() != "INVALIDOBJ Corrupted HLL object detected" {
			t.Errorf("%v: %v, want INVALIDOBJ", args, err)
		}
	}
	if got, _ := c.Get(ctx, "cut").Result(); got != cut {
		t.Errorf("the value changed: %q", got)
	}
}

// TestHyperLogLogSelfTest: PFSELFTEST checks register packing and the
// estimate's error on the server itself.
func TestHyperLogLogSelfTest(t *testing.T) {
	ctx := ctxFor(t, time.Minute)
	c := newClient(t, startTandem(t).Addr(), 2)
	if got, err := c.Do(ctx, "PFSELFTEST").Result(); err != nil || got != "OK" {
		t.Fatalf("PFSELFTEST: %v %v", got, err)
	}
}
