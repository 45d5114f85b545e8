package test

import (
	"context"
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// Issue 17's values cross to and from Redis 7.0 by every path a value
// takes between servers: DUMP/RESTORE, an RDB file loaded at start, and a
// full sync plus the command stream of replication. The values are
// HyperLogLogs (sparse, dense, with and without a valid cached
// cardinality, merged, converted by PFDEBUG), GEO sets (small and large
// encodings, a STOREDIST result) and strings built bit by bit (BITFIELD,
// SETBIT, BITOP). Each arrives with the same bytes (GET, ZRANGE …
// WITHSCORES), and the family's commands answer the same from it on both
// sides.

// cmds17Keys are the keys writeCmds17Values makes.
var cmds17Keys = []string{"hll:sparse", "hll:dense", "hll:merged", "hll:todense", "hll:stale",
	"geo:small", "geo:big", "geo:stored", "bits:bf", "bits:sb", "bits:xor"}

// writeCmds17Values builds the values through c; tag varies the data so
// that the writes made during replication are new.
func writeCmds17Values(t *testing.T, ctx context.Context, c *redis.Client, tag string) {
	t.Helper()
	rng := rand.New(rand.NewSource(int64(len(tag)) + 17))
	do := func(args ...any) { t.Helper(); mustDo(t, ctx, c, args...) }
	do("PFADD", "hll:sparse", tag+"a", tag+"b", "c", 1, 2, 3)
	dense := []any{"PFADD", "hll:dense"}
	for i := 0; i < 5000; i++ {
		dense = append(dense, fmt.Sprintf("%s-e%d", tag, i))
	}
	do(dense...)
	do("PFMERGE", "hll:merged", "hll:sparse", "hll:dense")
	do("PFADD", "hll:todense", tag+"x", "y")
	do("PFDEBUG", "TODENSE", "hll:todense")
	do("PFADD", "hll:stale", "s1", "s2")
	// A valid cached cardinality in every HLL but hll:stale, whose cache
	// the last PFADD invalidates.
	for _, k := range []string{"hll:sparse", "hll:dense", "hll:merged", "hll:todense", "hll:stale"} {
		do("PFCOUNT", k)
	}
	do("PFADD", "hll:stale", tag+"s3")

	do("GEOADD", "geo:small", 13.361389, 38.115556, "Palermo", 15.087269, 37.502669, "Catania", 2.35, 48.85, tag)
	big := []any{"GEOADD", "geo:big"}
	for i := 0; i < 300; i++ {
		big = append(big, rng.Float64()*360-180, rng.Float64()*170-85, fmt.Sprintf("%sp%d", tag, i))
	}
	do(big...)
	do("GEOSEARCHSTORE", "geo:stored", "geo:big", "FROMLONLAT", 0, 0, "BYRADIUS", 5000, "km", "STOREDIST")

	do("BITFIELD", "bits:bf", "SET", "u8", 0, 255, "INCRBY", "i5", 100, rng.Intn(40)-20, "SET", "i64", 200, rng.Int63()-rng.Int63(),
		"OVERFLOW", "SAT", "INCRBY", "u63", "#5", rng.Int63())
	do("SETBIT", "bits:sb", 1000+rng.Intn(100), 1)
	do("SETBIT", "bits:sb", 7, 1)
	do("BITOP", "XOR", "bits:xor", "bits:bf", "bits:sb")
}

// cmds17View renders what a server holds and answers for cmds17Keys:
// the raw values, then the read-only commands of each family (multi-key
// PFCOUNT does not write a cache, so the view changes nothing).
func cmds17View(t *testing.T, ctx context.Context, c *redis.Client) map[string]string {
	t.Helper()
	v := map[string]string{}
	for _, k := range cmds17Keys {
		typ := c.Type(ctx, k).Val()
		switch typ {
		case "string":
			s, _ := c.Get(ctx, k).Result()
			v[k] = fmt.Sprintf("string %q", s)
		case "zset":
			v[k] = "zset " + renderReply(c.Do(ctx, "ZRANGE", k, 0, -1, "WITHSCORES"))
		default:
			v[k] = typ
		}
	}
	for _, q := range [][]any{
		{"PFCOUNT", "hll:sparse", "hll:stale"}, {"PFCOUNT", "hll:dense", "hll:todense"}, {"PFCOUNT", "hll:merged", "hll:sparse"},
		{"GEOHASH", "geo:small", "Palermo", "nope"}, {"GEOPOS", "geo:small", "Palermo", "Catania", "nope"},
		{"GEODIST", "geo:small", "Palermo", "Catania", "km"},
		{"GEOSEARCH", "geo:big", "FROMLONLAT", 10, 10, "BYBOX", 8000, 6000, "km", "ASC", "WITHDIST", "WITHHASH", "WITHCOORD"},
		{"GEORADIUS_RO", "geo:stored", 0, 0, 20000, "km", "DESC", "COUNT", 5},
		{"BITFIELD_RO", "bits:bf", "GET", "u8", 0, "GET", "i5", 100, "GET", "i64", 200, "GET", "u63", "#5"},
		{"BITCOUNT", "bits:xor"}, {"BITPOS", "bits:sb", 1, 2, -1, "BIT"}, {"BITCOUNT", "bits:bf", 1, 30, "BIT"},
	} {
		v[fmt.Sprint(q...)] = renderReply(c.Do(ctx, q...))
	}
	return v
}

// renderReply renders any reply with its Go types (RESP2: numbers other
// than integers come as strings), or its error.
func renderReply(c *redis.Cmd) string {
	v, err := c.Result()
	if err == redis.Nil {
		return "<nil>"
	}
	if err != nil {
		return "ERR " + err.Error()
	}
	return fmt.Sprintf("%#v", v)
}

// compareCmds17Views fails for every difference between two views.
func compareCmds17Views(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("%s: %s\n got  %.300s\n want %.300s", what, k, g, w)
		}
	}
	// The source really made what the test means to carry.
	for _, k := range []string{"hll:sparse", "hll:dense", "hll:stale"} {
		if !strings.HasPrefix(want[k], `string "HYLL`) {
			t.Errorf("%s: %s is not a HyperLogLog: %.100s", what, k, want[k])
		}
	}
	if !strings.HasPrefix(want["geo:big"], "zset ") {
		t.Errorf("%s: geo:big is not a sorted set: %.100s", what, want["geo:big"])
	}
}

// cmds17Dir is a direction: which side is Redis.
type cmds17Dir struct {
	name               string
	srcRedis, dstRedis bool
}

var cmds17Dirs = []cmds17Dir{{"tandem-to-redis", false, true}, {"redis-to-tandem", true, false}}

func startKind(t *testing.T, isRedis bool, args ...string) *replNode {
	t.Helper()
	if isRedis {
		return startReplRedis(t, "redis", args...)
	}
	return startReplTandem(t, "tandem", args...)
}

func TestCmds17ValuesCrossByDumpRestore(t *testing.T) {
	t.Parallel()
	for _, d := range cmds17Dirs {
		t.Run(d.name, func(t *testing.T) {
			ctx := ctxFor(t, 2*time.Minute)
			src, dst := startKind(t, d.srcRedis), startKind(t, d.dstRedis)
			writeCmds17Values(t, ctx, src.c, "dump")
			for _, k := range cmds17Keys {
				p, err := src.c.Dump(ctx, k).Result()
				if err != nil {
					t.Fatalf("DUMP %s: %v", k, err)
				}
				if err := dst.c.Restore(ctx, k, 0, p).Err(); err != nil {
					t.Fatalf("RESTORE %s: %v", k, err)
				}
			}
			compareCmds17Views(t, "after RESTORE", cmds17View(t, ctx, src.c), cmds17View(t, ctx, dst.c))
		})
	}
}

func TestCmds17ValuesCrossByRDB(t *testing.T) {
	t.Parallel()
	for _, d := range cmds17Dirs {
		t.Run(d.name, func(t *testing.T) {
			ctx := ctxFor(t, 2*time.Minute)
			src := startKind(t, d.srcRedis)
			writeCmds17Values(t, ctx, src.c, "rdb")
			if err := src.c.Save(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			copyFile(t, filepath.Join(src.proc.Dir, "dump.rdb"), filepath.Join(dir, "dump.rdb"))
			dst := startKind(t, d.dstRedis, "--dir", dir, "--dbfilename", "dump.rdb")
			// A server answers PING (-LOADING) before its load ends; a
			// race-built Tandem loads slowly enough for DBSIZE to see it.
			if err := testutil.WaitReady(dst.proc.Addr(), time.Minute); err != nil {
				t.Fatal(err)
			}
			if n := dst.c.DBSize(ctx).Val(); n != int64(len(cmds17Keys)) {
				t.Fatalf("loaded %d keys, want %d", n, len(cmds17Keys))
			}
			compareCmds17Views(t, "after loading the RDB", cmds17View(t, ctx, src.c), cmds17View(t, ctx, dst.c))
		})
	}
}

// By replication: a full sync carries the first values, the command
// stream the second round of writes.
func TestCmds17ValuesCrossByReplication(t *testing.T) {
	t.Parallel()
	for _, d := range cmds17Dirs {
		t.Run(d.name, func(t *testing.T) {
			ctx := ctxFor(t, 2*time.Minute)
			m, r := startKind(t, d.srcRedis), startKind(t, d.dstRedis)
			m.name, r.name = "master", "replica"
			writeCmds17Values(t, ctx, m.c, "sync")
			r.replicaOf(t, ctx, m.port())
			waitLinkUp(t, ctx, r)
			waitOffsetsMatch(t, ctx, m, r)
			compareCmds17Views(t, "after the full sync", cmds17View(t, ctx, m.c), cmds17View(t, ctx, r.c))
			writeCmds17Values(t, ctx, m.c, "stream")
			waitOffsetsMatch(t, ctx, m, r)
			compareCmds17Views(t, "after the command stream", cmds17View(t, ctx, m.c), cmds17View(t, ctx, r.c))
		})
	}
}
