package test

// No full sync after a failover for a node that was in sync (issue 21),
// in the sequence Sentinel makes of a FAILOVER: Sentinel reads the old
// master, now a replica, as down, and promotes the replica it finds most
// up to date, which is often the one still chained behind the old master
// rather than FAILOVER's target; the target, a master until Sentinel
// repoints it, meanwhile takes Sentinel's hello PUBLISHes into its stream.
// Those bytes change no data, and Tandem resumes the target (and the old
// master behind it) before them (PSYNC ... REWIND, internal/repl/rewind.go)
// where Redis 7.0 answers both with a full sync.

import (
	"fmt"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// TestFailoverThenRepointNoFullSync: FAILOVER TO node1; then, as Sentinel
// would, node2 (chained behind the old master) is promoted with REPLICAOF
// NO ONE, node1 takes PUBLISHes while still a master, and node1 and the
// old master are pointed at node2. Every node resyncs partially, nothing
// is lost. Redis (rrr) is run as the reference: its full syncs are logged.
func TestFailoverThenRepointNoFullSync(t *testing.T) {
	for _, kinds := range []string{"ttt", "rrr"} {
		t.Run(kinds, func(t *testing.T) {
			ctx := ctxFor(t, 3*time.Minute)
			nodes := foGroup(t, ctx, kinds)
			m, target, chained := nodes[0], nodes[1], nodes[2]
			writeTyped(t, ctx, m.c, detectCaps(t, ctx, nodes...), "pre", 300, 0)
			waitOffsetsMatch(t, ctx, m, target, chained)
			before := countSyncs(t, ctx, nodes)

			doFailover(t, ctx, m, append([]any{"TO"}, hostPort(target)...)...)
			waitFoState(t, ctx, m, "no-failover", replWait)
			requireRole(t, ctx, target, "master", nil)
			waitLinkUp(t, ctx, m, chained)
			mustDo(t, ctx, target.c, "SET", "after-failover", "1")
			waitOffsetsMatch(t, ctx, target, m, chained)

			// Sentinel's failover: the chained replica, in sync, is
			// promoted; the target is still a master and takes hellos.
			mustDo(t, ctx, chained.c, "REPLICAOF", "NO", "ONE")
			for i := 0; i < 3; i++ {
				mustDo(t, ctx, target.c, "PUBLISH", "__sentinel__:hello", fmt.Sprintf("127.0.0.1,26379,%040d,1,mymaster,127.0.0.1,%d,1", i, target.port()))
				mustDo(t, ctx, target.c, "PING")
			}
			target.replicaOf(t, ctx, chained.port())
			m.replicaOf(t, ctx, chained.port())
			waitLinkUp(t, ctx, target, m)
			mustDo(t, ctx, chained.c, "SET", "after-repoint", "1")
			waitOffsetsMatch(t, ctx, chained, target, m)
			requireSameDataset(t, ctx, chained, target, m)

			now := countSyncs(t, ctx, nodes)
			var full []string
			for i, n := range nodes {
				if d := now.full[i] - before.full[i]; d != 0 {
					full = append(full, fmt.Sprintf("%s served %d", n.name, d))
				}
			}
			if kinds == "rrr" {
				t.Logf("redis: full syncs after the failover: %v", full)
				return
			}
			if len(full) > 0 {
				t.Fatalf("full syncs after the failover: %v", full)
			}
			if countLog(target, "dropping our last") != 1 {
				t.Errorf("%s's log does not say it resumed before its PUBLISHes", target.name)
			}
		})
	}
}

// TestRewindKeepsOwnReplicasPartial: a master whose stream ends with
// PUBLISHes and PINGs only, made a replica of a node promoted before those
// bytes, resumes partially, and so does its own replica (which had them
// too): the chain of rewinds, as after Sentinel's repointing.
func TestRewindKeepsOwnReplicasPartial(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	nodes := foGroup(t, ctx, "ttt")
	m, promoted, sub := nodes[0], nodes[1], nodes[2]
	mustDo(t, ctx, m.c, "SET", "k", "v")
	waitOffsetsMatch(t, ctx, m, promoted, sub)
	before := countSyncs(t, ctx, nodes)
	mustDo(t, ctx, promoted.c, "REPLICAOF", "NO", "ONE")
	for i := 0; i < 5; i++ {
		mustDo(t, ctx, m.c, "PUBLISH", "ch", "hello")
	}
	testutil.Eventually(t, replWait, "sub has the PUBLISHes", func() bool {
		mo, _ := replOffset(m.info(ctx, "replication"))
		so, _ := replOffset(sub.info(ctx, "replication"))
		return mo == so
	})
	m.replicaOf(t, ctx, promoted.port())
	waitLinkUp(t, ctx, m)
	// sub, m's replica, was dropped when m took the new history; it comes
	// back to m on its own.
	waitLinkUp(t, ctx, sub)
	mustDo(t, ctx, promoted.c, "SET", "k2", "v2")
	waitOffsetsMatch(t, ctx, promoted, m)
	waitOffsetsMatch(t, ctx, m, sub)
	requireSameDataset(t, ctx, promoted, m, sub)
	requireSyncs(t, ctx, nodes, before, 1, 1, 0)
	if countLog(m, "dropping our last") != 1 || countLog(sub, "dropping our last") != 1 {
		t.Errorf("the log of %s or %s does not say it resumed before its PUBLISHes", m.name, sub.name)
	}
}

// TestRewindNotOfferedPastAWrite: a write after the promotion point is
// data the promoted node never had: the old master is not resumed before
// it (it gets a full sync, and the write is gone, as with Redis).
func TestRewindNotOfferedPastAWrite(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	nodes := foGroup(t, ctx, "tt")
	m, promoted := nodes[0], nodes[1]
	before := countSyncs(t, ctx, nodes)
	mustDo(t, ctx, promoted.c, "REPLICAOF", "NO", "ONE")
	mustDo(t, ctx, m.c, "PUBLISH", "ch", "hello")
	mustDo(t, ctx, m.c, "SET", "lost", "1")
	mustDo(t, ctx, m.c, "PUBLISH", "ch", "hello")
	m.replicaOf(t, ctx, promoted.port())
	waitLinkUp(t, ctx, m)
	waitOffsetsMatch(t, ctx, promoted, m)
	now := countSyncs(t, ctx, nodes)
	if d := now.full[1] - before.full[1]; d != 1 {
		t.Fatalf("%s served %d full syncs, want 1", promoted.name, d)
	}
	if n, err := m.c.Exists(ctx, "lost").Result(); err != nil || n != 0 {
		t.Fatalf("the write the promoted node never had is still on %s: %d %v", m.name, n, err)
	}
}
