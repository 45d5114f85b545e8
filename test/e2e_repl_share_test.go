package test

// Replicas sharing one snapshot (issue #4): a replica asking for a full
// sync while a disk-target full sync runs joins it ("Waiting for end of
// BGSAVE for SYNC", as Redis attaches to a BGSAVE another replica waits
// for); a replica asking while a user BGSAVE runs shares that BGSAVE's
// file when a backlog existed at its instant (Redis would wait for the
// next BGSAVE); and INFO persistence reports the snapshot's pending bytes
// as current_cow_*.
//
// The saves are made slow with rdb-key-save-delay (Redis's own debug knob:
// microseconds per key saved) so that the second replica reliably arrives
// while the first save runs; every wait is bounded by replWait.

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// shareKeys is how many keys the masters hold: with shareDelay µs per key
// a save lasts about 4 s (longer under -race), far more than a replica
// needs to connect and ask.
const (
	shareKeys  = 200_000
	shareDelay = "20"
)

// msetKeys writes n string keys prefix:<i> with MSET, 1000 per command.
func msetKeys(t testing.TB, ctx context.Context, c *redis.Client, prefix string, n int) {
	t.Helper()
	p := c.Pipeline()
	for i := 0; i < n; i += 1000 {
		args := make([]any, 0, 2001) // the pipeline keeps it until Exec
		args = append(args, "MSET")
		for j := i; j < min(i+1000, n); j++ {
			args = append(args, fmt.Sprintf("%s:%d", prefix, j), fmt.Sprintf("v%d-%s", j, strings.Repeat("x", j%20)))
		}
		p.Do(ctx, args...)
		if p.Len() >= 20 {
			if _, err := p.Exec(ctx); err != nil {
				t.Fatalf("filling %s: %v", prefix, err)
			}
		}
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatalf("filling %s: %v", prefix, err)
	}
}

// writeSome writes n keys of every type plus a few overwrites and deletes
// of the big keys, in databases 0 and 3, so the stream after a snapshot
// instant has SELECTs and changes of keys the snapshot holds.
func writeSome(t testing.TB, ctx context.Context, m *replNode, caps replCaps, prefix string, n int) {
	t.Helper()
	writeTyped(t, ctx, m.db(t, 0), caps, prefix, n, time.Hour)
	writeTyped(t, ctx, m.db(t, 3), caps, prefix, n/2, 0)
	p := m.c.Pipeline()
	for i := 0; i < n; i++ {
		p.Set(ctx, fmt.Sprintf("big:%d", i*97), prefix, 0)
		p.Del(ctx, fmt.Sprintf("big:%d", i*89+1))
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatalf("writing %s: %v", prefix, err)
	}
}

// fullResyncLine returns the "<replid>:<offset>" a replica logged on
// +FULLRESYNC (the last one), "" if none.
func fullResyncLine(n *replNode) string {
	const mark = "Full resync from master: "
	log := n.proc.LogText()
	i := strings.LastIndex(log, mark)
	if i < 0 {
		return ""
	}
	rest := log[i+len(mark):]
	if j := strings.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	return strings.TrimSpace(rest)
}

// requireDuring fails unless n logged a after the last start line and
// before any end line that follows that start (end may not be logged
// yet): it proves a replica arrived while a save was still running.
func requireDuring(t testing.TB, n *replNode, start, a, end string) {
	t.Helper()
	log := n.proc.LogText()
	is := strings.LastIndex(log, start)
	if is < 0 {
		t.Fatalf("%s: no %q logged", n.name, start)
	}
	log = log[is:]
	ia, ie := strings.Index(log, a), strings.Index(log, end)
	if ia < 0 || (ie >= 0 && ia > ie) {
		t.Fatalf("%s: expected %q between %q and %q (at %d, end at %d): the save was not slow enough to overlap", n.name, a, start, end, ia, ie)
	}
}

// TestReplSyncLateReplicaSharesDiskSnapshot: with repl-diskless-sync no,
// a second replica asking for a full sync while the first one's snapshot
// is being written attaches to it: one snapshot, the same +FULLRESYNC
// replid and offset for both, the same file, and both end with the
// master's dataset, including writes made before and after the second
// one arrived.
func TestReplSyncLateReplicaSharesDiskSnapshot(t *testing.T) {
	ctx := ctxFor(t, 5*time.Minute)
	m := startReplTandem(t, "master", "--repl-diskless-sync", "no", "--rdb-key-save-delay", shareDelay)
	r1 := startReplTandem(t, "r1")
	r2 := startReplTandem(t, "r2")
	caps := detectCaps(t, ctx, m, r1, r2)
	msetKeys(t, ctx, m.c, "big", shareKeys)
	writeSome(t, ctx, m, caps, "before", 100)

	r1.replicaOf(t, ctx, m.port())
	testutil.Eventually(t, replWait, "r1's +FULLRESYNC", func() bool { return fullResyncLine(r1) != "" })
	writeSome(t, ctx, m, caps, "during1", 200) // after the instant: r1 gets these from the stream
	r2.replicaOf(t, ctx, m.port())
	waitLog(t, m, "Waiting for end of BGSAVE for SYNC")
	requireDuring(t, m, "Background saving started", "Waiting for end of BGSAVE for SYNC", "Background saving terminated with success")
	writeSome(t, ctx, m, caps, "during2", 200)

	waitLinkUp(t, ctx, r1, r2)
	writeSome(t, ctx, m, caps, "after", 100)
	requireSameDataset(t, ctx, m, r1, r2)

	if n := logLines(m.proc, "Starting BGSAVE for SYNC"); n != 1 {
		t.Errorf("%d snapshots for two replicas, want 1", n)
	}
	if n := logLines(m.proc, "Waiting for end of BGSAVE for SYNC"); n != 1 {
		t.Errorf("%d attach lines, want 1", n)
	}
	if n := logLines(m.proc, "Waiting for next BGSAVE"); n != 0 {
		t.Errorf("master made a replica wait for the next BGSAVE %d times", n)
	}
	if got := m.stat(t, ctx, "sync_full"); got != 2 {
		t.Errorf("sync_full = %d, want 2", got)
	}
	l1, l2 := fullResyncLine(r1), fullResyncLine(r2)
	if l1 == "" || l1 != l2 {
		t.Errorf("+FULLRESYNC differs: r1 %q, r2 %q", l1, l2)
	}
	if id := m.info(ctx, "replication")["master_replid"]; !strings.HasPrefix(l1, id+":") {
		t.Errorf("+FULLRESYNC %q is not on the master's replid %s", l1, id)
	}
	for _, r := range []*replNode{r1, r2} {
		if n := logLines(r.proc, "MASTER <-> REPLICA sync: receiving "); n != 1 {
			t.Errorf("%s received %d payloads, want 1", r.name, n)
		}
		if !strings.Contains(m.proc.LogText(), "Synchronization with replica 127.0.0.1:"+strconv.Itoa(r.port())+" succeeded") {
			t.Errorf("master log lacks the synchronization success line of %s", r.name)
		}
	}
	// The shared file is gone once sent.
	testutil.Eventually(t, replWait, "temp-sync file removed", func() bool {
		return !strings.Contains(listDir(t, m.proc.Dir), "temp-sync-")
	})
}

// TestReplSyncSharedSnapshotKeepsBacklogAfterGroupDrops: the replica that
// started a disk full sync goes away during the save; one arriving after
// it still gets the snapshot with a cursor at its instant, and the backlog
// (16 KB here, far less than what is written meanwhile) must have kept
// every byte since that instant for it.
func TestReplSyncSharedSnapshotKeepsBacklogAfterGroupDrops(t *testing.T) {
	ctx := ctxFor(t, 5*time.Minute)
	m := startReplTandem(t, "master", "--repl-diskless-sync", "no", "--rdb-key-save-delay", shareDelay, "--repl-backlog-size", "16kb")
	r1 := startReplTandem(t, "r1")
	r2 := startReplTandem(t, "r2")
	caps := detectCaps(t, ctx, m, r1, r2)
	msetKeys(t, ctx, m.c, "big", shareKeys)

	r1.replicaOf(t, ctx, m.port())
	testutil.Eventually(t, replWait, "r1's +FULLRESYNC", func() bool { return fullResyncLine(r1) != "" })
	r1.proc.Stop()
	waitLog(t, m, "Connection with replica 127.0.0.1:"+strconv.Itoa(r1.port())+" lost.")
	writeSome(t, ctx, m, caps, "during1", 600) // well over 16 KB of stream
	r2.replicaOf(t, ctx, m.port())
	waitLog(t, m, "Waiting for end of BGSAVE for SYNC")
	requireDuring(t, m, "Background saving started", "Waiting for end of BGSAVE for SYNC", "Background saving terminated with success")
	writeSome(t, ctx, m, caps, "during2", 300)

	waitLinkUp(t, ctx, r2)
	writeSome(t, ctx, m, caps, "after", 50)
	requireSameDataset(t, ctx, m, r2)
	if n := logLines(m.proc, "Starting BGSAVE for SYNC"); n != 1 {
		t.Errorf("%d snapshots, want 1", n)
	}
	if l1, l2 := fullResyncLine(r1), fullResyncLine(r2); l1 != l2 {
		t.Errorf("+FULLRESYNC differs: r1 %q, r2 %q", l1, l2)
	}
	// Once the save is over nothing holds the backlog beyond its size
	// (plus a block): the stream written during the sync was released.
	testutil.Eventually(t, replWait, "backlog back to its size", func() bool {
		h := m.infoInt(ctx, "replication", "repl_backlog_histlen")
		return h > 0 && h <= 64<<10
	})
}

// TestReplSyncSharesUserBgsave: a replica needing a full sync while a
// user BGSAVE runs (a backlog existing at its instant) shares that BGSAVE
// instead of waiting for the next one: +FULLRESYNC with the BGSAVE's
// instant offset, the finished dump.rdb as payload, then the stream from
// that offset. Checked with a Tandem and a Redis replica, with
// repl-diskless-sync no and yes.
func TestReplSyncSharesUserBgsave(t *testing.T) {
	for _, diskless := range []string{"no", "yes"} {
		t.Run("diskless="+diskless, func(t *testing.T) {
			ctx := ctxFor(t, 5*time.Minute)
			m := startReplTandem(t, "master", "--repl-diskless-sync", diskless)
			r0 := startReplTandem(t, "r0")
			r1 := startReplTandem(t, "r1")
			r2 := startReplRedis(t, "r2-redis")
			caps := detectCaps(t, ctx, m, r0, r1, r2)
			// r0 creates the backlog with an ordinary full sync.
			r0.replicaOf(t, ctx, m.port())
			waitLinkUp(t, ctx, r0)
			msetKeys(t, ctx, m.c, "big", shareKeys)
			writeSome(t, ctx, m, caps, "before", 100)
			mustDo(t, ctx, m.c, "CONFIG", "SET", "rdb-key-save-delay", shareDelay)

			if v := mustDo(t, ctx, m.c, "BGSAVE"); v != "Background saving started" {
				t.Fatalf("BGSAVE: %v", v)
			}
			writeSome(t, ctx, m, caps, "during1", 200)
			r1.replicaOf(t, ctx, m.port())
			waitLog(t, m, "Waiting for end of BGSAVE for SYNC")
			writeSome(t, ctx, m, caps, "during2", 200)
			r2.replicaOf(t, ctx, m.port())
			testutil.Eventually(t, replWait, "second attach", func() bool {
				return logLines(m.proc, "Waiting for end of BGSAVE for SYNC") == 2
			})
			requireDuring(t, m, "Background saving started", "Waiting for end of BGSAVE for SYNC", "Background saving terminated with success")
			if m.infoInt(ctx, "persistence", "rdb_bgsave_in_progress") != 1 {
				t.Fatal("the BGSAVE ended before both replicas attached: make it slower")
			}
			writeSome(t, ctx, m, caps, "during3", 200)

			waitLinkUp(t, ctx, r1, r2)
			mustDo(t, ctx, m.c, "CONFIG", "SET", "rdb-key-save-delay", "0")
			writeSome(t, ctx, m, caps, "after", 100)
			requireSameDataset(t, ctx, m, r0, r1, r2)

			if n := logLines(m.proc, "Starting BGSAVE for SYNC"); n != 1 {
				t.Errorf("%d replication snapshots, want 1 (r0's): r1 and r2 should share the BGSAVE", n)
			}
			if got := m.stat(t, ctx, "sync_full"); got != 3 {
				t.Errorf("sync_full = %d, want 3", got)
			}
			if got := m.infoInt(ctx, "persistence", "rdb_saves"); got != 1 {
				t.Errorf("rdb_saves = %d, want 1", got)
			}
			// Both got the BGSAVE's instant: the same offset, before the
			// writes made while they attached.
			l1 := fullResyncLine(r1)
			if l1 == "" {
				t.Fatal("r1 logged no +FULLRESYNC")
			}
			if !strings.Contains(r2.proc.LogText(), "Full resync from master: "+l1) {
				t.Errorf("r2 (redis) did not get +FULLRESYNC %s:\n%s", l1, tailText(r2.proc.LogText(), 20))
			}
			if n := logLines(r0.proc, "MASTER <-> REPLICA sync: receiving"); n != 1 {
				t.Errorf("r0 was resynchronized (%d payloads)", n)
			}
		})
	}
}

// TestReplSyncWaitsForBgsaveWithoutBacklog: a BGSAVE that started before
// any backlog existed has no offset to give, so a replica arriving during
// it waits, as today, and gets its own snapshot once the BGSAVE is over.
func TestReplSyncWaitsForBgsaveWithoutBacklog(t *testing.T) {
	ctx := ctxFor(t, 5*time.Minute)
	m := startReplTandem(t, "master", "--repl-diskless-sync", "no")
	r1 := startReplTandem(t, "r1")
	caps := detectCaps(t, ctx, m, r1)
	msetKeys(t, ctx, m.c, "big", shareKeys)
	mustDo(t, ctx, m.c, "CONFIG", "SET", "rdb-key-save-delay", shareDelay)
	mustDo(t, ctx, m.c, "BGSAVE")
	r1.replicaOf(t, ctx, m.port())
	waitLog(t, m, "another BG operation is active. BGSAVE for replication delayed")
	requireDuring(t, m, "Background saving started", "BGSAVE for replication delayed", "Background saving terminated with success")
	writeSome(t, ctx, m, caps, "during", 100)
	mustDo(t, ctx, m.c, "CONFIG", "SET", "rdb-key-save-delay", "0")
	waitLinkUp(t, ctx, r1)
	requireSameDataset(t, ctx, m, r1)
	if n := logLines(m.proc, "Waiting for end of BGSAVE for SYNC"); n != 0 {
		t.Errorf("replica attached to a BGSAVE without backlog")
	}
	if n := logLines(m.proc, "Starting BGSAVE for SYNC"); n != 1 {
		t.Errorf("%d replication snapshots, want 1", n)
	}
	if log := m.proc.LogText(); strings.Index(log, "Starting BGSAVE for SYNC") < strings.Index(log, "DB saved on disk") {
		t.Errorf("the replication snapshot started before the BGSAVE ended")
	}
}

// TestReplSyncSharedBgsaveKilledReplicaRetries: FLUSHALL kills a running
// BGSAVE; the replica that shared it (it already got +FULLRESYNC) is
// closed, reconnects, and syncs again from a new snapshot.
func TestReplSyncSharedBgsaveKilledReplicaRetries(t *testing.T) {
	ctx := ctxFor(t, 5*time.Minute)
	m := startReplTandem(t, "master", "--repl-diskless-sync", "no")
	r0 := startReplTandem(t, "r0")
	r1 := startReplTandem(t, "r1")
	caps := detectCaps(t, ctx, m, r0, r1)
	r0.replicaOf(t, ctx, m.port())
	waitLinkUp(t, ctx, r0)
	msetKeys(t, ctx, m.c, "big", shareKeys)
	mustDo(t, ctx, m.c, "CONFIG", "SET", "rdb-key-save-delay", shareDelay)
	mustDo(t, ctx, m.c, "BGSAVE")
	r1.replicaOf(t, ctx, m.port())
	waitLog(t, m, "Waiting for end of BGSAVE for SYNC")
	testutil.Eventually(t, replWait, "r1's +FULLRESYNC", func() bool { return fullResyncLine(r1) != "" })
	mustDo(t, ctx, m.c, "FLUSHALL")
	waitLog(t, m, "SYNC failed. BGSAVE child returned an error")
	mustDo(t, ctx, m.c, "CONFIG", "SET", "rdb-key-save-delay", "0")
	writeSome(t, ctx, m, caps, "after", 100)
	waitLinkUp(t, ctx, r1)
	requireSameDataset(t, ctx, m, r0, r1)
	if got := m.info(ctx, "persistence")["rdb_last_bgsave_status"]; got != "ok" {
		t.Errorf("rdb_last_bgsave_status = %s after a BGSAVE killed by FLUSHALL, want ok (as Redis)", got)
	}
	if !strings.Contains(m.proc.LogText(), "Background saving terminated by signal") {
		t.Errorf("master did not log the killed save")
	}
}

// TestReplInfoCowFiguresDuringSnapshot: INFO persistence reports the
// running snapshot's pending bytes as current_cow_size (and its peak),
// with current_cow_size_age in seconds, all 0 when nothing runs;
// rdb_last_cow_size keeps the finished save's peak. Both for a BGSAVE and
// for a replication snapshot.
func TestReplInfoCowFiguresDuringSnapshot(t *testing.T) {
	ctx := ctxFor(t, 5*time.Minute)
	m := startReplTandem(t, "master", "--repl-diskless-sync", "no")
	r1 := startReplTandem(t, "r1")
	msetKeys(t, ctx, m.c, "big", shareKeys)
	idle := func(what string) {
		t.Helper()
		inf := m.info(ctx, "persistence")
		for _, f := range []string{"current_cow_peak", "current_cow_size", "current_cow_size_age"} {
			if inf[f] != "0" {
				t.Errorf("%s: %s = %s, want 0", what, f, inf[f])
			}
		}
	}
	idle("before any save")
	mustDo(t, ctx, m.c, "CONFIG", "SET", "rdb-key-save-delay", shareDelay)
	seen := func(what string, running func(map[string]string) bool) {
		t.Helper()
		var size, peak int64
		testutil.Eventually(t, replWait, what+": current_cow_size > 0", func() bool {
			inf := m.info(ctx, "persistence")
			if !running(inf) {
				t.Fatalf("%s ended before current_cow_size was seen: %v", what, inf)
			}
			size, _ = strconv.ParseInt(inf["current_cow_size"], 10, 64)
			peak, _ = strconv.ParseInt(inf["current_cow_peak"], 10, 64)
			age, err := strconv.ParseInt(inf["current_cow_size_age"], 10, 64)
			return err == nil && age >= 0 && age < 5 && size > 0 && peak >= size
		})
	}
	mustDo(t, ctx, m.c, "BGSAVE")
	seen("BGSAVE", func(inf map[string]string) bool { return inf["rdb_bgsave_in_progress"] == "1" })
	testutil.Eventually(t, replWait, "BGSAVE done", func() bool {
		return m.info(ctx, "persistence")["rdb_bgsave_in_progress"] == "0"
	})
	idle("after the BGSAVE")
	if v := m.infoInt(ctx, "persistence", "rdb_last_cow_size"); v <= 0 {
		t.Errorf("rdb_last_cow_size = %d after a BGSAVE", v)
	}

	r1.replicaOf(t, ctx, m.port())
	seen("full sync", func(map[string]string) bool { return !r1.linkUp(ctx) })
	waitLinkUp(t, ctx, r1)
	testutil.Eventually(t, replWait, "idle after the full sync", func() bool {
		return m.info(ctx, "persistence")["current_cow_size"] == "0" && m.info(ctx, "persistence")["current_cow_peak"] == "0"
	})
	idle("after the full sync")
}

// listDir names the files of dir, space separated.
func listDir(t testing.TB, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}
