package test

// REPLICAOF during a full sync (issue 14, finding 3): REPLICAOF NO ONE, or
// REPLICAOF to another master, arriving while the replica receives, stores
// (fsyncs) or loads its master's RDB abandons that sync at every stage: a
// promoted server keeps its own data and never gets the old master's, and
// a replica moved to another master ends with that master's data only.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

const (
	abandonBigKeys = 1_000_000 // the first master's: key:<i>
	abandonOwnKeys = 100       // the replica's own, before: own:<i>
	abandonM2Keys  = 50        // the second master's: m2:<i>
)

// setKeys writes n keys prefix<i> = v<i> through c.
func setKeys(t *testing.T, ctx context.Context, n *replNode, prefix string, count int) {
	t.Helper()
	p := n.c.Pipeline()
	for i := 0; i < count; i++ {
		p.Set(ctx, prefix+strconv.Itoa(i), "v"+strconv.Itoa(i), 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatalf("%s: writing %s*: %v", n.name, prefix, err)
	}
}

// hasOnly checks n's dataset is exactly count keys, that key holds and
// key:0 (the first master's) does not.
func hasOnly(t *testing.T, ctx context.Context, n *replNode, count int64, key string) {
	t.Helper()
	if got := n.c.DBSize(ctx).Val(); got != count {
		t.Fatalf("%s has %d keys, want %d", n.name, got, count)
	}
	if n.c.Exists(ctx, key).Val() != 1 {
		t.Fatalf("%s lost %s", n.name, key)
	}
	if n.c.Exists(ctx, "key:0").Val() != 0 {
		t.Fatalf("%s holds the abandoned master's key:0", n.name)
	}
}

// waitLogAfter waits until n's log holds line after byte offset from.
func waitLogAfter(t *testing.T, n *replNode, from int, line string) {
	t.Helper()
	testutil.Eventually(t, replWait, fmt.Sprintf("%s logs %q", n.name, line), func() bool {
		return strings.Contains(n.proc.LogText()[from:], line)
	})
}

// midTransfer points r at the proxy and pauses it once r has received part
// of the RDB (the proxy's delay makes the transfer last seconds).
func midTransfer(t *testing.T, ctx context.Context, r *replNode, px *testutil.Proxy) {
	t.Helper()
	px.SetDelay(5 * time.Millisecond)
	r.replicaOf(t, ctx, px.Port)
	testutil.Eventually(t, replWait, r.name+" receiving the RDB", func() bool {
		inf := r.info(ctx, "replication")
		got, _ := strconv.ParseInt(inf["master_sync_read_bytes"], 10, 64)
		return inf["master_sync_in_progress"] == "1" && got > 0
	})
	px.Pause(true)
	inf := r.info(ctx, "replication")
	t.Logf("paused at %s of %s bytes", inf["master_sync_read_bytes"], inf["master_sync_total_bytes"])
}

// promotedKeepsOwnData: after REPLICAOF NO ONE, r is a master with its own
// keys, and stays so once the proxy passes the rest of the transfer on.
func promotedKeepsOwnData(t *testing.T, ctx context.Context, r *replNode, px *testutil.Proxy, from int) {
	t.Helper()
	mustDo(t, ctx, r.c, "REPLICAOF", "NO", "ONE")
	if px != nil {
		px.SetDelay(0)
		px.Pause(false)
	}
	waitLogAfter(t, r, from, "abandoned")
	time.Sleep(time.Second) // whatever the old link still had in hand
	if role := r.info(ctx, "replication")["role"]; role != "master" {
		t.Fatalf("role %s after REPLICAOF NO ONE", role)
	}
	hasOnly(t, ctx, r, abandonOwnKeys, "own:0")
}

// movedHasSecondMastersData: after REPLICAOF m2, r ends as m2's replica
// with m2's keys only, and the old link was over before the new one synced.
func movedHasSecondMastersData(t *testing.T, ctx context.Context, r, m2 *replNode, px *testutil.Proxy, from int) {
	t.Helper()
	r.replicaOf(t, ctx, m2.port())
	if px != nil {
		px.SetDelay(0)
		px.Pause(false)
	}
	waitLinkUp(t, ctx, r)
	waitOffsetsMatch(t, ctx, m2, r)
	hasOnly(t, ctx, r, abandonM2Keys, "m2:0")
	log := r.proc.LogText()[from:]
	newLink := strings.Index(log, fmt.Sprintf("Connecting to MASTER 127.0.0.1:%d", m2.port()))
	if newLink < 0 {
		t.Fatalf("no connection to the second master:\n%s", tailText(log, 40))
	}
	log = log[newLink:]
	abandoned, started := strings.Index(log, "abandoned"), strings.Index(log, "MASTER <-> REPLICA sync started")
	if abandoned < 0 || started < 0 || abandoned > started {
		t.Fatalf("the new link started (at %d) before the old sync was abandoned (at %d):\n%s", started, abandoned, tailText(log, 40))
	}
}

func TestReplicaofDuringFullSyncAbandonsIt(t *testing.T) {
	ctx := ctxFor(t, 5*time.Minute)
	m1 := startBigMaster(t, ctx, abandonBigKeys)
	m2 := startReplTandem(t, "master2")
	setKeys(t, ctx, m2, "m2:", abandonM2Keys)

	// newReplica starts a server holding its own keys, with args.
	newReplica := func(t *testing.T, args ...string) *replNode {
		r := startReplTandem(t, "replica", args...)
		setKeys(t, ctx, r, "own:", abandonOwnKeys)
		return r
	}
	stall := func(t *testing.T, r *replNode) {
		mustDo(t, ctx, r.c, "DEBUG", "REPLICA-SYNC-DELAY", "3000")
	}

	t.Run("receiving/no-one", func(t *testing.T) {
		r := newReplica(t)
		px := testutil.StartProxy(t, m1.proc.Addr())
		from := len(r.proc.LogText())
		midTransfer(t, ctx, r, px)
		promotedKeepsOwnData(t, ctx, r, px, from)
	})
	t.Run("receiving/other-master", func(t *testing.T) {
		r := newReplica(t)
		px := testutil.StartProxy(t, m1.proc.Addr())
		from := len(r.proc.LogText())
		midTransfer(t, ctx, r, px)
		movedHasSecondMastersData(t, ctx, r, m2, px, from)
	})
	t.Run("receiving-into-loader-refuses-replicaof", func(t *testing.T) {
		// A socket load from another history (repl-diskless-load swapdb,
		// the replica never followed this master) answers -LOADING, to
		// REPLICAOF too, as Redis 7.0 does; a sync that fails leaves the
		// old data in place. (A load from the same history serves the old
		// data meanwhile: e2e_repl_swapdb_test.go.)
		r := newReplica(t, "--repl-diskless-load", "swapdb")
		px := testutil.StartProxy(t, m1.proc.Addr())
		midTransfer(t, ctx, r, px)
		if got := r.info(ctx, "persistence")["loading"]; got != "1" {
			t.Fatalf("loading:%s during a socket load from another history, want 1", got)
		}
		if err := r.c.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err == nil || !strings.HasPrefix(err.Error(), "LOADING") {
			t.Fatalf("REPLICAOF NO ONE while loading: %v, want -LOADING", err)
		}
		px.Down()
		px.Pause(false)
		testutil.Eventually(t, replWait, "replica done loading", func() bool {
			return r.info(ctx, "persistence")["loading"] == "0"
		})
		mustDo(t, ctx, r.c, "REPLICAOF", "NO", "ONE")
		hasOnly(t, ctx, r, abandonOwnKeys, "own:0")
	})
	t.Run("fsynced/no-one", func(t *testing.T) {
		r := newReplica(t)
		stall(t, r)
		from := len(r.proc.LogText())
		r.replicaOf(t, ctx, m1.port())
		waitLogAfter(t, r, from, "stalling")
		promotedKeepsOwnData(t, ctx, r, nil, from)
	})
	t.Run("fsynced/other-master", func(t *testing.T) {
		r := newReplica(t)
		stall(t, r)
		from := len(r.proc.LogText())
		r.replicaOf(t, ctx, m1.port())
		waitLogAfter(t, r, from, "stalling")
		mustDo(t, ctx, r.c, "DEBUG", "REPLICA-SYNC-DELAY", "0")
		movedHasSecondMastersData(t, ctx, r, m2, nil, from)
	})
	t.Run("loading-refuses-replicaof", func(t *testing.T) {
		// During a disk load the replica answers -LOADING to REPLICAOF, as
		// Redis 7.0 does (the command has no loading flag): the load
		// completes and the replica follows its master.
		r := newReplica(t)
		r.replicaOf(t, ctx, m1.port())
		testutil.Eventually(t, replWait, "replica loading", func() bool {
			return r.info(ctx, "persistence")["loading"] == "1"
		})
		err := r.c.Do(ctx, "REPLICAOF", "NO", "ONE").Err()
		if err == nil || !strings.HasPrefix(err.Error(), "LOADING") {
			t.Fatalf("REPLICAOF NO ONE while loading: %v, want -LOADING", err)
		}
		waitLinkUp(t, ctx, r)
		if got := r.c.DBSize(ctx).Val(); got != abandonBigKeys {
			t.Fatalf("replica has %d keys, want the master's %d", got, abandonBigKeys)
		}
	})
}

// TestReplHandshakeTimeout: a master holding a diskless sync back keeps
// its replica waiting for the PSYNC answer with newlines, as long as it
// likes; once the master stops sending them (DEBUG SLEEP) the replica
// gives up after repl-timeout, logging Redis's "Timeout connecting to the
// MASTER..." (Redis 7.0's integration/replication case).
func TestReplHandshakeTimeout(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, time.Minute)
	m := startReplTandem(t, "master", "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "1000", "--enable-debug-command", "yes")
	r := startReplTandem(t, "replica", "--repl-timeout", "3")
	r.replicaOf(t, ctx, m.port())
	testutil.Eventually(t, replWait, "replica in handshake", func() bool {
		role, _ := r.c.Do(ctx, "ROLE").Slice()
		return len(role) > 3 && role[3] == "handshake"
	})
	time.Sleep(4 * time.Second) // past repl-timeout: the newlines keep it alive
	if strings.Contains(r.proc.LogText(), "Timeout connecting to the MASTER") {
		t.Fatalf("replica timed out although its master sent newlines:\n%s", tailText(r.proc.LogText(), 20))
	}
	go m.c.Do(context.Background(), "DEBUG", "SLEEP", "6")
	testutil.Eventually(t, 15*time.Second, "replica logs the timeout", func() bool {
		return strings.Contains(r.proc.LogText(), "Timeout connecting to the MASTER...")
	})
}
