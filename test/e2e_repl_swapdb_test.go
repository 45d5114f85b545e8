package test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// What a replica with repl-diskless-load swapdb tells its clients while it
// loads its master's RDB, as Redis 7.0 decides it: from another history it
// answers LOADING (INFO loading:1) and, if the sync fails, serves its old
// data again; from the history it already has (a full sync with the same
// replication ID) it keeps serving its old data meanwhile (INFO
// async_loading:1), refusing only what Redis marks no_async_loading
// (REPLICAOF, CONFIG SET appendonly …). On success the master's data
// replaces the old. The master's rdb-key-save-delay keeps the transfer
// slow enough to look at.

func swapdbPair(t *testing.T, ctx context.Context) (m, r *replNode) {
	t.Helper()
	m = startReplTandem(t, "master", "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")
	r = startReplTandem(t, "replica", "--repl-diskless-load", "swapdb")
	for i := 0; i < 200; i++ {
		m.c.Set(ctx, "master:"+strconv.Itoa(i), i, 0)
	}
	return m, r
}

// failSyncAndWait drops the replica's link on the master (with the next
// sync held back) and waits until the replica stops loading.
func failSyncAndWait(t *testing.T, ctx context.Context, m, r *replNode) {
	t.Helper()
	m.c.ConfigSet(ctx, "repl-diskless-sync-delay", "5")
	m.c.Do(ctx, "CLIENT", "KILL", "TYPE", "replica")
	testutil.Eventually(t, replWait, "replica done loading", func() bool {
		inf := r.info(ctx, "persistence")
		return inf["loading"] == "0" && inf["async_loading"] == "0"
	})
}

func TestReplSwapdbFromAnotherHistoryAnswersLoading(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 2*time.Minute)
	m, r := swapdbPair(t, ctx)
	r.c.Set(ctx, "mykey", "myvalue", 0)
	m.c.ConfigSet(ctx, "rdb-key-save-delay", "20000") // 20 ms a key: 4 s
	r.replicaOf(t, ctx, m.port())
	testutil.Eventually(t, replWait, "replica loading", func() bool {
		return r.info(ctx, "persistence")["loading"] == "1"
	})
	if got := r.info(ctx, "persistence")["async_loading"]; got != "0" {
		t.Errorf("async_loading = %q while loading another history, want 0", got)
	}
	if err := r.c.Get(ctx, "mykey").Err(); err == nil || !strings.HasPrefix(err.Error(), "LOADING") {
		t.Errorf("GET while loading: %v, want LOADING", err)
	}
	failSyncAndWait(t, ctx, m, r)
	if v, err := r.c.Get(ctx, "mykey").Result(); err != nil || v != "myvalue" {
		t.Errorf("old data after the failed sync: %q %v, want myvalue", v, err)
	}
	if n, _ := r.c.DBSize(ctx).Result(); n != 1 {
		t.Errorf("DBSIZE after the failed sync = %d, want 1", n)
	}
	// Then a sync that completes replaces the old data.
	m.c.ConfigSet(ctx, "rdb-key-save-delay", "0")
	m.c.ConfigSet(ctx, "repl-diskless-sync-delay", "0")
	waitLinkUp(t, ctx, r)
	waitOffsetsMatch(t, ctx, m, r)
	if n, _ := r.c.Exists(ctx, "mykey").Result(); n != 0 {
		t.Error("the replica's own key survived a completed full sync")
	}
	requireSameDataset(t, ctx, m, r)
}

func TestReplSwapdbFromTheSameHistoryServesOldData(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 2*time.Minute)
	m, r := swapdbPair(t, ctx)
	r.replicaOf(t, ctx, m.port())
	waitLinkUp(t, ctx, r)
	waitOffsetsMatch(t, ctx, m, r)
	r.c.ConfigSet(ctx, "replica-read-only", "no")
	r.c.Set(ctx, "mykey", "myvalue", 0)
	// Force a full sync with the same replication ID: the link drops and
	// the backlog no longer holds what the replica lacks.
	// In one transaction, as Redis's own test does it: the replica must
	// not come back before the backlog has moved on.
	m.c.ConfigSet(ctx, "rdb-key-save-delay", "20000")
	big := strings.Repeat("A", 16384)
	if _, err := m.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "CLIENT", "KILL", "TYPE", "replica")
		p.ConfigSet(ctx, "repl-backlog-size", "16384")
		for i := 0; i < 10; i++ {
			p.Set(ctx, "fill"+strconv.Itoa(i), big, 0)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, replWait, "replica async_loading", func() bool {
		return r.info(ctx, "persistence")["async_loading"] == "1"
	})
	if got := r.info(ctx, "persistence")["loading"]; got != "0" {
		t.Errorf("loading = %q while loading the same history, want 0", got)
	}
	if v, err := r.c.Get(ctx, "mykey").Result(); err != nil || v != "myvalue" {
		t.Errorf("GET of the old data while loading: %q %v, want myvalue", v, err)
	}
	for _, cmd := range [][]any{{"CONFIG", "SET", "appendonly", "no"}, {"REPLICAOF", "NO", "ONE"}} {
		if err := r.c.Do(ctx, cmd...).Err(); err == nil || !strings.HasPrefix(err.Error(), "LOADING") {
			t.Errorf("%v while loading in the background: %v, want LOADING", cmd, err)
		}
	}
	if got := r.info(ctx, "persistence")["async_loading"]; got != "1" {
		t.Fatalf("the load ended before the checks (async_loading %q): the master's delay is too short", got)
	}
	failSyncAndWait(t, ctx, m, r)
	if v, err := r.c.Get(ctx, "mykey").Result(); err != nil || v != "myvalue" {
		t.Errorf("old data after the failed sync: %q %v, want myvalue", v, err)
	}
	m.c.ConfigSet(ctx, "rdb-key-save-delay", "0")
	m.c.ConfigSet(ctx, "repl-diskless-sync-delay", "0")
	waitLinkUp(t, ctx, r)
	waitOffsetsMatch(t, ctx, m, r)
	if n, _ := r.c.Exists(ctx, "mykey").Result(); n != 0 {
		t.Error("the replica's own key survived a completed full sync")
	}
	requireSameDataset(t, ctx, m, r)
}
