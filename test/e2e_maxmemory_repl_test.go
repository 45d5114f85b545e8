package test

import (
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
