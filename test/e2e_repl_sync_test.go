package test

// Full and partial synchronization between Tandem servers: first sync,
// PSYNC after a cut link, full sync when the offset left the backlog,
// restarts that resume with PSYNC through the RDB's repl-* AUX fields,
// promotion of a replica, and chains.

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemdb/tandem/internal/testutil"
)

// TestReplFullSyncCopiesTheDataset: a new replica gets the whole
// dataset (every DB, TTLs) with one full sync, by socket or by disk, then
// follows the writes made during and after the sync.
func TestReplFullSyncCopiesTheDataset(t *testing.T) {
	for _, diskless := range []string{"yes", "no"} {
		t.Run("diskless="+diskless, func(t *testing.T) {
			ctx := ctxFor(t, 3*time.Minute)
			m := startReplTandem(t, "master", "--repl-diskless-sync", diskless)
			r := startReplTandem(t, "replica")
			caps := detectCaps(t, ctx, m, r)
			for db := 0; db < 3; db++ {
				writeTyped(t, ctx, m.db(t, db), caps, "before", 200, time.Hour)
			}
			r.replicaOf(t, ctx, m.port())
			writeTyped(t, ctx, m.db(t, 5), caps, "during", 100, time.Hour)
			waitLinkUp(t, ctx, r)
			writeTyped(t, ctx, m.db(t, 0), caps, "after", 100, time.Hour)
			requireSameDataset(t, ctx, m, r)
			if got := m.stat(t, ctx, "sync_full"); got != 1 {
				t.Errorf("master sync_full = %d, want 1", got)
			}
			if got := m.stat(t, ctx, "sync_partial_ok"); got != 0 {
				t.Errorf("master sync_partial_ok = %d, want 0", got)
			}
			// The replica took the master's history.
			mi, ri := m.info(ctx, "replication"), r.info(ctx, "replication")
			if mi["master_replid"] != ri["master_replid"] {
				t.Errorf("replid %s on master, %s on replica", mi["master_replid"], ri["master_replid"])
			}
			want := "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
			if diskless == "no" {
				want = "MASTER <-> REPLICA sync: receiving "
			}
			for _, line := range []string{"Full resync from master: " + mi["master_replid"], want, "MASTER <-> REPLICA sync: Finished with success"} {
				if !strings.Contains(r.proc.LogText(), line) {
					t.Errorf("replica log lacks %q", line)
				}
			}
			if !strings.Contains(m.proc.LogText(), "Synchronization with replica 127.0.0.1:"+strconv.Itoa(r.port())+" succeeded") {
				t.Errorf("master log lacks the synchronization success line")
			}
			// SAVE lowers the change counter but is no write: it must not
			// reach the replica.
			mustDo(t, ctx, m.c, "SAVE")
			m.c.Set(ctx, "after-save", "1", 0)
			waitOffsetsMatch(t, ctx, m, r)
			if strings.Contains(r.proc.LogText(), "DB saved on disk") {
				t.Error("SAVE on the master was propagated to the replica")
			}
		})
	}
}

// TestReplPartialResyncAfterCutLink: a link cut by the network (the proxy
// closes both sides and refuses to reconnect for a while) resumes with
// PSYNC: the writes made meanwhile come from the backlog, sync_partial_ok
// grows and sync_full does not.
func TestReplPartialResyncAfterCutLink(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	m := startReplTandem(t, "master")
	px := testutil.StartProxy(t, m.proc.Addr())
	r := startReplTandem(t, "replica")
	caps := detectCaps(t, ctx, m, r)
	writeTyped(t, ctx, m.c, caps, "before", 100, time.Hour)
	r.replicaOf(t, ctx, px.Port)
	waitLinkUp(t, ctx, r)
	waitOffsetsMatch(t, ctx, m, r)
	full, pok := m.stat(t, ctx, "sync_full"), m.stat(t, ctx, "sync_partial_ok")

	for round := 0; round < 3; round++ {
		px.Down()
		testutil.Eventually(t, replWait, "replica notices the cut", func() bool { return !r.linkUp(ctx) })
		writeTyped(t, ctx, m.db(t, round), caps, fmt.Sprintf("cut%d", round), 50, time.Hour)
		px.Up()
		waitLinkUp(t, ctx, r)
		requireSameDataset(t, ctx, m, r)
	}
	if got := m.stat(t, ctx, "sync_full"); got != full {
		t.Errorf("sync_full went from %d to %d: a cut link must not need a full sync", full, got)
	}
	if got := m.stat(t, ctx, "sync_partial_ok"); got != pok+3 {
		t.Errorf("sync_partial_ok went from %d to %d, want +3", pok, got)
	}
	if !strings.Contains(r.proc.LogText(), "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.") {
		t.Error("replica log lacks the partial resynchronization line")
	}
	if !strings.Contains(m.proc.LogText(), "Partial resynchronization request from 127.0.0.1:"+strconv.Itoa(r.port())+" accepted.") {
		t.Error("master log lacks the partial resynchronization line")
	}
}

// TestReplFullSyncWhenOffsetLeftTheBacklog: when more was written during the
// cut than the backlog holds, PSYNC is refused (sync_partial_err) and the
// replica full-syncs to the same dataset.
func TestReplFullSyncWhenOffsetLeftTheBacklog(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	m := startReplTandem(t, "master", "--repl-backlog-size", "16kb")
	px := testutil.StartProxy(t, m.proc.Addr())
	r := startReplTandem(t, "replica")
	m.c.Set(ctx, "k0", "v0", 0)
	r.replicaOf(t, ctx, px.Port)
	waitLinkUp(t, ctx, r)
	waitOffsetsMatch(t, ctx, m, r)
	full, perr := m.stat(t, ctx, "sync_full"), m.stat(t, ctx, "sync_partial_err")

	px.Down()
	testutil.Eventually(t, replWait, "replica notices the cut", func() bool { return !r.linkUp(ctx) })
	testutil.Eventually(t, replWait, "master drops the replica", func() bool {
		return m.infoInt(ctx, "replication", "connected_slaves") == 0
	})
	big := strings.Repeat("b", 1000)
	p := m.c.Pipeline()
	for i := 0; i < 200; i++ { // ~200 KB, far more than 16 KB
		p.Set(ctx, fmt.Sprintf("big:%d", i), big, 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	inf := m.info(ctx, "replication")
	if hist, _ := strconv.Atoi(inf["repl_backlog_histlen"]); hist > 64<<10 {
		t.Errorf("backlog of 16kb holds %d bytes with no replica", hist)
	}
	px.Up()
	waitLinkUp(t, ctx, r)
	requireSameDataset(t, ctx, m, r)
	if got := m.stat(t, ctx, "sync_full"); got != full+1 {
		t.Errorf("sync_full went from %d to %d, want +1", full, got)
	}
	if got := m.stat(t, ctx, "sync_partial_err"); got != perr+1 {
		t.Errorf("sync_partial_err went from %d to %d, want +1", perr, got)
	}
	if !strings.Contains(m.proc.LogText(), "for lack of backlog (Replica request was:") {
		t.Error("master log lacks the lack-of-backlog line")
	}
}

// TestReplBacklogResizesAtConfigSet: CONFIG SET repl-backlog-size takes
// effect at once, as in Redis, not at a later cron tick (hz 1 leaves a
// second in which a polled resize would not have happened yet).
func TestReplBacklogResizesAtConfigSet(t *testing.T) {
	ctx := ctxFor(t, 2*time.Minute)
	m := startReplTandem(t, "master", "--hz", "1")
	r := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
	waitLinkUp(t, ctx, r)
	if err := m.c.ConfigSet(ctx, "repl-backlog-size", "16kb").Err(); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("b", 1000)
	p := m.c.Pipeline()
	for i := 0; i < 200; i++ { // ~200 KB: the old 1 MB backlog would keep it all
		p.Set(ctx, fmt.Sprintf("big:%d", i), big, 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if hist, _ := strconv.Atoi(m.info(ctx, "replication")["repl_backlog_histlen"]); hist > 64<<10 {
		t.Errorf("after CONFIG SET repl-backlog-size 16kb the backlog holds %d bytes", hist)
	}
}

// TestReplReplicaRestartResumesWithPartialResync: a replica shut down with
// SHUTDOWN SAVE and restarted on the same directory PSYNCs with the
// repl-id/repl-offset of its RDB (spec §3.11): no full sync.
func TestReplReplicaRestartResumesWithPartialResync(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	m := startReplTandem(t, "master")
	r := startReplTandem(t, "replica", "--replicaof", "127.0.0.1", strconv.Itoa(m.port()))
	caps := detectCaps(t, ctx, m, r)
	writeTyped(t, ctx, m.c, caps, "before", 100, time.Hour)
	waitLinkUp(t, ctx, r)
	waitOffsetsMatch(t, ctx, m, r)
	full, pok := m.stat(t, ctx, "sync_full"), m.stat(t, ctx, "sync_partial_ok")
	replID := m.info(ctx, "replication")["master_replid"]

	r.c.Do(ctx, "SHUTDOWN", "SAVE") // no reply: the connection closes
	if !r.proc.WaitExit(30 * time.Second) {
		t.Fatal("replica did not exit after SHUTDOWN SAVE")
	}
	writeTyped(t, ctx, m.db(t, 1), caps, "while-down", 50, time.Hour)
	r.proc.Restart(t)
	waitLinkUp(t, ctx, r)
	requireSameDataset(t, ctx, m, r)
	if got := m.stat(t, ctx, "sync_full"); got != full {
		t.Errorf("sync_full went from %d to %d: the restarted replica should PSYNC", full, got)
	}
	if got := m.stat(t, ctx, "sync_partial_ok"); got != pok+1 {
		t.Errorf("sync_partial_ok went from %d to %d, want +1", pok, got)
	}
	if !strings.Contains(r.proc.LogText(), "Trying a partial resynchronization (request "+replID+":") {
		t.Error("restarted replica did not PSYNC with its RDB's replication ID")
	}
}

// TestReplMasterRestartResumesWithPartialResync: a master restarted from its
// RDB keeps the old history as replid2 (second_repl_offset = offset+1) and
// its replica continues with PSYNC, learning the new ID (+CONTINUE <new>).
func TestReplMasterRestartResumesWithPartialResync(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	// No PINGs, so that the offset saved is the one read before SHUTDOWN.
	m := startReplTandem(t, "master", "--repl-ping-replica-period", "3600")
	r := startReplTandem(t, "replica")
	r.replicaOf(t, ctx, m.port())
	caps := detectCaps(t, ctx, m, r)
	writeTyped(t, ctx, m.c, caps, "before", 100, time.Hour)
	waitLinkUp(t, ctx, r)
	waitOffsetsMatch(t, ctx, m, r)
	// Once the master has the replica's ACK of its offset, SHUTDOWN has
	// no replica to wait for, so it sends no GETACK that would move the
	// offset it saves.
	var before map[string]string
	testutil.Eventually(t, replWait, "the replica's ACK of the master's offset", func() bool {
		before = m.info(ctx, "replication")
		return strings.Contains(before["slave0"], ",offset="+before["master_repl_offset"]+",")
	})

	m.c.Do(ctx, "SHUTDOWN", "SAVE")
	if !m.proc.WaitExit(30 * time.Second) {
		t.Fatal("master did not exit after SHUTDOWN SAVE")
	}
	m.proc.Restart(t)
	after := m.info(ctx, "replication")
	oldOff, _ := strconv.ParseInt(before["master_repl_offset"], 10, 64)
	// The replica may already be back and a PING may have moved the offset:
	// the restart state is in replid2/second_repl_offset.
	if after["master_replid2"] != before["master_replid"] {
		t.Errorf("master_replid2 after restart = %s, want the old replid %s", after["master_replid2"], before["master_replid"])
	}
	if after["second_repl_offset"] != strconv.FormatInt(oldOff+1, 10) {
		t.Errorf("second_repl_offset after restart = %s, want %d", after["second_repl_offset"], oldOff+1)
	}
	if after["master_replid"] == before["master_replid"] {
		t.Error("restarted master kept its replid: it must take a new one")
	}
	waitLinkUp(t, ctx, r)
	writeTyped(t, ctx, m.db(t, 2), caps, "after", 50, time.Hour)
	requireSameDataset(t, ctx, m, r)
	if got := m.stat(t, ctx, "sync_full"); got != 0 {
		t.Errorf("restarted master did %d full syncs, want 0", got)
	}
	if got := m.stat(t, ctx, "sync_partial_ok"); got != 1 {
		t.Errorf("restarted master sync_partial_ok = %d, want 1", got)
	}
	if ri := r.info(ctx, "replication"); ri["master_replid"] != after["master_replid"] {
		t.Errorf("replica replid %s, master %s", ri["master_replid"], after["master_replid"])
	}
}

// TestReplMasterRestartDeletesWhatExpiredMeanwhile: keys whose time passed
// while the master was down are not loaded at its restart, and its
// replica (which deletes only on its master's word) gets a DEL for each
// through the partial resync, as from Redis: same data on both, and the
// offset grew by exactly those DELs. CONFIG RESETSTAT zeroes the sync
// counters first (Redis's psync2-master-restart case).
func TestReplMasterRestartDeletesWhatExpiredMeanwhile(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 3*time.Minute)
	m := startReplTandem(t, "master", "--repl-ping-replica-period", "3600", "--enable-debug-command", "yes")
	r := startReplTandem(t, "replica")
	r.replicaOf(t, ctx, m.port())
	waitLinkUp(t, ctx, r)
	mustDo(t, ctx, m.c, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	for db := 0; db < 4; db++ {
		c := m.db(t, db)
		for i := 0; i < 25; i++ {
			c.Set(ctx, "short:"+strconv.Itoa(i), "v", 50*time.Millisecond)
		}
		c.Set(ctx, "long:"+strconv.Itoa(db), "v", 0)
	}
	waitOffsetsMatch(t, ctx, m, r)
	time.Sleep(100 * time.Millisecond) // past every short key's time
	var before map[string]string
	testutil.Eventually(t, replWait, "the replica's ACK of the master's offset", func() bool {
		before = m.info(ctx, "replication")
		return strings.Contains(before["slave0"], ",offset="+before["master_repl_offset"]+",")
	})
	mustDo(t, ctx, r.c, "CONFIG", "RESETSTAT")
	if got := r.stat(t, ctx, "sync_partial_ok") + r.stat(t, ctx, "sync_full"); got != 0 {
		t.Fatalf("sync counters after CONFIG RESETSTAT: %d, want 0", got)
	}
	m.c.Do(ctx, "SHUTDOWN", "SAVE")
	m.proc.Restart(t)
	waitLinkUp(t, ctx, r)
	after := m.info(ctx, "replication")
	oldOff, _ := strconv.ParseInt(before["master_repl_offset"], 10, 64)
	newOff, _ := strconv.ParseInt(after["master_repl_offset"], 10, 64)
	hist, _ := strconv.ParseInt(after["repl_backlog_histlen"], 10, 64)
	if got := m.infoInt(ctx, "persistence", "rdb_last_load_keys_expired"); got != 100 {
		t.Errorf("rdb_last_load_keys_expired = %d, want 100", got)
	}
	if hist == 0 || newOff != oldOff+hist {
		t.Errorf("offset %d → %d with %d bytes of backlog: want the DELs, and only them, after the restored offset", oldOff, newOff, hist)
	}
	waitOffsetsMatch(t, ctx, m, r)
	for db := 0; db < 4; db++ {
		if n := r.db(t, db).DBSize(ctx).Val(); n != 1 {
			t.Errorf("replica db%d has %d keys, want 1 (the expired ones deleted)", db, n)
		}
	}
	requireSameDataset(t, ctx, m, r)
	if got := m.stat(t, ctx, "sync_partial_ok"); got != 1 {
		t.Errorf("restarted master sync_partial_ok = %d, want 1", got)
	}
	if got := r.stat(t, ctx, "sync_full"); got != 0 {
		t.Errorf("replica sync_full = %d, want 0", got)
	}
}

// TestReplPromotedReplicaServesItsSiblingsWithPSYNC: after REPLICAOF NO ONE on
// one replica, the other replicas re-pointed at it continue with
// +CONTINUE (through its replid2): sync_partial_ok on the new master, no
// full sync anywhere.
func TestReplPromotedReplicaServesItsSiblingsWithPSYNC(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	m := startReplTandem(t, "master")
	a := startReplTandem(t, "replica-a")
	b := startReplTandem(t, "replica-b")
	c := startReplTandem(t, "replica-c")
	caps := detectCaps(t, ctx, m, a, b, c)
	writeTyped(t, ctx, m.c, caps, "before", 100, time.Hour)
	for _, r := range []*replNode{a, b, c} {
		r.replicaOf(t, ctx, m.port())
	}
	waitLinkUp(t, ctx, a, b, c)
	writeTyped(t, ctx, m.c, caps, "online", 50, time.Hour)
	waitOffsetsMatch(t, ctx, m, a, b, c)
	oldID := m.info(ctx, "replication")["master_replid"]

	// The old master goes away; a is promoted.
	m.proc.Stop()
	if err := a.c.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	ai := a.info(ctx, "replication")
	if ai["role"] != "master" || ai["master_replid2"] != oldID || ai["master_replid"] == oldID {
		t.Fatalf("after REPLICAOF NO ONE: role=%s replid=%s replid2=%s (old %s)", ai["role"], ai["master_replid"], ai["master_replid2"], oldID)
	}
	waitLog(t, a, "MASTER MODE enabled (user request from")
	for _, r := range []*replNode{b, c} {
		r.replicaOf(t, ctx, a.port())
	}
	waitLinkUp(t, ctx, b, c)
	writeTyped(t, ctx, a.c, caps, "new-master", 50, time.Hour)
	requireSameDataset(t, ctx, a, b, c)
	if got := a.stat(t, ctx, "sync_full"); got != 0 {
		t.Errorf("new master did %d full syncs, want 0", got)
	}
	if got := a.stat(t, ctx, "sync_partial_ok"); got != 2 {
		t.Errorf("new master sync_partial_ok = %d, want 2", got)
	}
	newID := a.info(ctx, "replication")["master_replid"]
	for _, r := range []*replNode{b, c} {
		ri := r.info(ctx, "replication")
		if ri["master_replid"] != newID || ri["master_replid2"] != oldID {
			t.Errorf("%s: replid=%s replid2=%s, want %s and %s", r.name, ri["master_replid"], ri["master_replid2"], newID, oldID)
		}
		if !strings.Contains(r.proc.LogText(), "Master replication ID changed to "+newID) {
			t.Errorf("%s log lacks the replication ID change", r.name)
		}
	}
}

// TestReplChainOfThreeReplicatesIdentically: A → B → C. B forwards A's bytes,
// so all three have the same replid, the same offsets and the same data,
// and a cut between A and B is a PSYNC for B that C does not even notice
// (C keeps its link: same ID).
func TestReplChainOfThreeReplicatesIdentically(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	a := startReplTandem(t, "A")
	pab := testutil.StartProxy(t, a.proc.Addr())
	b := startReplTandem(t, "B")
	c := startReplTandem(t, "C")
	caps := detectCaps(t, ctx, a, b, c)
	writeTyped(t, ctx, a.c, caps, "before", 100, time.Hour)
	b.replicaOf(t, ctx, pab.Port)
	waitLinkUp(t, ctx, b)
	c.replicaOf(t, ctx, b.port())
	waitLinkUp(t, ctx, c)
	writeTyped(t, ctx, a.db(t, 3), caps, "during", 100, time.Hour)
	requireSameDataset(t, ctx, a, b, c)

	check := func() {
		t.Helper()
		waitOffsetsMatch(t, ctx, a, b, c)
		ai, bi, ci := a.info(ctx, "replication"), b.info(ctx, "replication"), c.info(ctx, "replication")
		if ai["master_replid"] != bi["master_replid"] || ai["master_replid"] != ci["master_replid"] {
			t.Errorf("replids differ: A %s B %s C %s", ai["master_replid"], bi["master_replid"], ci["master_replid"])
		}
		if bi["connected_slaves"] != "1" || ci["connected_slaves"] != "0" {
			t.Errorf("connected_slaves: B %s C %s", bi["connected_slaves"], ci["connected_slaves"])
		}
	}
	check()
	cFull := b.stat(t, ctx, "sync_full")
	bPartial := b.stat(t, ctx, "sync_partial_ok")

	pab.Down()
	testutil.Eventually(t, replWait, "B notices the cut", func() bool { return !b.linkUp(ctx) })
	writeTyped(t, ctx, a.c, caps, "cut", 50, time.Hour)
	pab.Up()
	waitLinkUp(t, ctx, b, c)
	requireSameDataset(t, ctx, a, b, c)
	check()
	if got := a.stat(t, ctx, "sync_partial_ok"); got != 1 {
		t.Errorf("A sync_partial_ok = %d, want 1", got)
	}
	if got := b.stat(t, ctx, "sync_full"); got != cFull {
		t.Errorf("B did %d more full syncs for C", got-cFull)
	}
	if got := b.stat(t, ctx, "sync_partial_ok"); got != bPartial {
		t.Errorf("C reconnected to B (%d partial syncs): a same-ID PSYNC upstream must not drop sub-replicas", got-bPartial)
	}
}

// TestReplManyReplicasSyncAtOnceUnderLoad: three replicas attach at the
// same moment while the master takes writes in every direction; those that
// arrive during a running full sync wait for the next one (or share it
// with repl-diskless-sync-max-replicas); all end with the master's data.
func TestReplManyReplicasSyncAtOnceUnderLoad(t *testing.T) {
	for _, mode := range []struct {
		name string
		args []string
	}{
		{"diskless", []string{"--repl-diskless-sync", "yes"}},
		{"diskless-shared", []string{"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "5", "--repl-diskless-sync-max-replicas", "3"}},
		{"disk", []string{"--repl-diskless-sync", "no"}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			ctx := ctxFor(t, 3*time.Minute)
			m := startReplTandem(t, "master", mode.args...)
			rs := []*replNode{startReplTandem(t, "r1"), startReplTandem(t, "r2"), startReplTandem(t, "r3")}
			caps := detectCaps(t, ctx, append([]*replNode{m}, rs...)...)
			for db := 0; db < 2; db++ {
				writeTyped(t, ctx, m.db(t, db), caps, "before", 500, time.Hour)
			}
			stop := writeInBackground(t, ctx, m, caps, "load")
			var wg sync.WaitGroup
			for _, r := range rs {
				wg.Add(1)
				go func() { defer wg.Done(); r.c.Do(ctx, "REPLICAOF", "127.0.0.1", m.port()) }()
			}
			wg.Wait()
			waitLinkUp(t, ctx, rs...)
			stop()
			requireSameDataset(t, ctx, m, rs...)
			full := m.stat(t, ctx, "sync_full")
			if full != 3 {
				t.Errorf("sync_full = %d, want 3", full)
			}
			if mode.name == "diskless-shared" {
				if n := logLines(m.proc, "Starting BGSAVE for SYNC"); n != 1 {
					t.Errorf("%d snapshots for three replicas with repl-diskless-sync-max-replicas 3, want 1", n)
				}
			}
		})
	}
}
