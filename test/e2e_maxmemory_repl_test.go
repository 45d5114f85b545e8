package test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// Evictions replicate as DELs: a real Redis replica of an evicting Tandem
// master, and a Tandem replica of an evicting Redis master, end with the
// master's dataset. Replicas do not evict on their own
// (replica-ignore-maxmemory yes), even with a maxmemory of their own far
// below the data.
func TestReplMaxmemoryEvictionsReachRedisReplica(t *testing.T) {
	t.Parallel()
	master := startReplTandem(t, "master", "--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru")
	replica := startReplRedis(t, "replica", "--maxmemory", "1mb", "--maxmemory-policy", "allkeys-lru")
	evictingMasterReplicaEndsEqual(t, master, replica, "master", "the Redis replica")
}

func TestReplMaxmemoryTandemReplicaOfEvictingRedis(t *testing.T) {
	t.Parallel()
	master := startReplRedis(t, "master", "--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru")
	replica := startReplTandem(t, "replica", "--maxmemory", "1mb", "--maxmemory-policy", "allkeys-random")
	evictingMasterReplicaEndsEqual(t, master, replica, "the Redis master", "the Tandem replica")
}

// evictingMasterReplicaEndsEqual links replica to master, fills the master
// far past its maxmemory (with and without TTLs), and checks that the
// replica ends with the master's dataset, that the master evicted most
// keys, and that the replica evicted none itself.
func evictingMasterReplicaEndsEqual(t *testing.T, master, replica *replNode, masterName, replicaName string) {
	t.Helper()
	ctx := ctxFor(t, 90*time.Second)
	for _, n := range []*replNode{master, replica} {
		if err := testutil.WaitReady(n.proc.Addr(), 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	replica.replicaOf(t, ctx, master.port())
	waitLinkUp(t, ctx, replica)
	fillPipelined(t, ctx, master.c, "k", 10000, 1000, 0)
	fillPipelined(t, ctx, master.c, "t", 5000, 500, time.Hour)
	requireSameDataset(t, ctx, master, replica)
	if n := memInfo(t, ctx, master.c)["evicted_keys"]; n < 5000 {
		t.Fatalf("%s evicted %d keys, want most of them", masterName, n)
	}
	if n := memInfo(t, ctx, replica.c)["evicted_keys"]; n != 0 {
		t.Fatalf("%s evicted %d keys itself", replicaName, n)
	}
}

// An evicting master recycles the nodes of evicted keys for new ones
// (keyspace/recycle.go), except while a snapshot runs. Under a steady load
// of same-size SETs, replicas attach (a disk-based and a diskless full
// sync, each a snapshot taken while keys are evicted and written), and at
// the end every key of the master and of both replicas holds the value
// written for it, and the replicas equal the master.
func TestReplMaxmemoryRecycledNodesSurviveFullSyncs(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 120*time.Second)
	master := startReplTandem(t, "master", "--maxmemory-policy", "allkeys-lru")
	disk := startReplRedis(t, "disk-replica", "--maxmemory", "1mb", "--maxmemory-policy", "allkeys-lru")
	diskless := startReplTandem(t, "diskless-replica")
	for _, n := range []*replNode{master, disk, diskless} {
		if err := testutil.WaitReady(n.proc.Addr(), 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	// Room for some 20,000 keys of the 100,000 written, above what the
	// instance holds at start.
	limit := memInfo(t, ctx, master.c)["used_memory_startup"] + 5<<20
	if err := master.c.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	valueOf := func(key string) string { return (key + ":" + strings.Repeat("v", 100))[:100] }
	next := 0
	write := func(n int) {
		for end := next + n; next < end; {
			p := master.c.Pipeline()
			for j := 0; j < 500; j++ {
				k := fmt.Sprintf("key:%012d", next)
				p.Set(ctx, k, valueOf(k), 0)
				next++
			}
			if _, err := p.Exec(ctx); err != nil {
				t.Fatalf("SET: %v", err)
			}
		}
	}
	write(40000)
	if err := master.c.ConfigSet(ctx, "repl-diskless-sync", "no").Err(); err != nil {
		t.Fatal(err)
	}
	disk.replicaOf(t, ctx, master.port())
	for !disk.linkUp(ctx) {
		write(2000)
	}
	if err := master.c.ConfigSet(ctx, "repl-diskless-sync", "yes").Err(); err != nil {
		t.Fatal(err)
	}
	diskless.replicaOf(t, ctx, master.port())
	for !diskless.linkUp(ctx) {
		write(2000)
	}
	write(20000)
	if n := memInfo(t, ctx, master.c)["evicted_keys"]; n < int64(next)/2 {
		t.Fatalf("master evicted %d keys of %d, want most", n, next)
	}
	requireSameDataset(t, ctx, master, disk, diskless)
	for _, n := range []*replNode{master, disk, diskless} {
		// A client of its own: the dataset dump leaves the pooled
		// connections of n.c on another database.
		c := newClient(t, n.proc.Addr(), 2)
		var cursor uint64
		seen := 0
		for {
			keys, cur, err := c.Scan(ctx, cursor, "*", 1000).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) > 0 {
				vals, err := c.MGet(ctx, keys...).Result()
				if err != nil {
					t.Fatal(err)
				}
				for i, k := range keys {
					if vals[i] == nil {
						continue // evicted since the SCAN (a new client's memory counts)
					}
					if v, _ := vals[i].(string); v != valueOf(k) {
						t.Fatalf("%s: %s holds %q, want %q", n.name, k, v, valueOf(k))
					}
					seen++
				}
			}
			if cursor = cur; cursor == 0 {
				break
			}
		}
		if seen < 10000 {
			t.Fatalf("%s holds %d keys", n.name, seen)
		}
	}
}
