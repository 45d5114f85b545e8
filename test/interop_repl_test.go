package test

// Replication between Tandem and Debian's redis-server 7.0 in both roles
// and in a chain: every type (as far as Tandem implements it) with TTLs,
// written before and while the link comes up, full sync then partial
// resync after CLIENT KILL TYPE master, datasets compared key by key
// across all databases.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// writeInBackground keeps writing batches of typed keys (prefix:<batch>)
// over databases 0..3 until stop is called; stop returns how many batches
// were written.
func writeInBackground(t testing.TB, ctx context.Context, n *replNode, caps replCaps, prefix string) (stop func() int) {
	t.Helper()
	var dbs []*redis.Client
	for db := 0; db < 4; db++ {
		dbs = append(dbs, n.db(t, db))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	batches := 0
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			c := dbs[i%len(dbs)]
			p := c.Pipeline()
			k := fmt.Sprintf("%s:%d", prefix, i)
			p.Set(ctx, "str:"+k, strings.Repeat("d", i%100), time.Hour)
			if caps.list {
				p.RPush(ctx, "list:"+k, i, "x")
			}
			if caps.hash {
				p.HSet(ctx, "hash:"+k, "f", i)
			}
			if caps.set {
				p.SAdd(ctx, "set:"+k, i, "m")
			}
			if caps.zset {
				p.ZAdd(ctx, "zset:"+k, redis.Z{Score: float64(i) / 7, Member: "m"})
				p.Expire(ctx, "zset:"+k, time.Hour)
			}
			if _, err := p.Exec(ctx); err != nil {
				mu.Lock()
				werr = err
				mu.Unlock()
				return
			}
			mu.Lock()
			batches++
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return func() int {
		close(done)
		wg.Wait()
		if werr != nil {
			t.Fatalf("background writes to %s: %v", n.name, werr)
		}
		return batches
	}
}

// interopRun is the common scenario: master m, replica r (which may be
// any kind). Data before the link, during it, a full sync, then a partial
// resync after CLIENT KILL TYPE master on the replica.
func interopRun(t *testing.T, ctx context.Context, m, r *replNode, extra ...*replNode) {
	t.Helper()
	caps := detectCaps(t, ctx, append([]*replNode{m, r}, extra...)...)
	for db := 0; db < 3; db++ {
		writeTyped(t, ctx, m.db(t, db), caps, "before", 150, time.Hour)
	}
	stop := writeInBackground(t, ctx, m, caps, "during")
	r.replicaOf(t, ctx, m.port())
	waitLinkUp(t, ctx, r)
	for _, x := range extra {
		waitLinkUp(t, ctx, x)
	}
	if n := stop(); n == 0 {
		t.Error("no write happened while the link came up")
	}
	writeTyped(t, ctx, m.db(t, 9), caps, "after", 50, 30*time.Minute)
	all := append([]*replNode{r}, extra...)
	requireSameDataset(t, ctx, m, all...)
	if got := m.stat(t, ctx, "sync_full"); got != 1 {
		t.Errorf("%s sync_full = %d, want 1", m.name, got)
	}

	// Partial resync after the replica drops its master link.
	pok := m.stat(t, ctx, "sync_partial_ok")
	if n, err := r.c.Do(ctx, "CLIENT", "KILL", "TYPE", "master").Int64(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL TYPE master on %s = %d %v", r.name, n, err)
	}
	stop = writeInBackground(t, ctx, m, caps, "reconnect")
	testutil.Eventually(t, replWait, "partial resync on "+m.name, func() bool {
		return m.stat(t, ctx, "sync_partial_ok") == pok+1
	})
	waitLinkUp(t, ctx, r)
	stop()
	requireSameDataset(t, ctx, m, all...)
	if got := m.stat(t, ctx, "sync_full"); got != 1 {
		t.Errorf("%s sync_full = %d after CLIENT KILL TYPE master, want still 1", m.name, got)
	}
}

// TestInteropRedisMasterTandemReplica: a Tandem replica of a Redis 7.0
// master (diskless and disk full sync).
func TestInteropRedisMasterTandemReplica(t *testing.T) {
	for _, diskless := range []string{"yes", "no"} {
		t.Run("diskless="+diskless, func(t *testing.T) {
			ctx := ctxFor(t, 3*time.Minute)
			m := startReplRedis(t, "redis-master", "--repl-diskless-sync", diskless)
			r := startReplTandem(t, "tandem-replica")
			interopRun(t, ctx, m, r)
		})
	}
}

// TestInteropTandemMasterRedisReplica: a Redis 7.0 replica of a Tandem
// master (diskless and disk full sync; Redis loads our RDB and stream).
func TestInteropTandemMasterRedisReplica(t *testing.T) {
	for _, diskless := range []string{"yes", "no"} {
		t.Run("diskless="+diskless, func(t *testing.T) {
			ctx := ctxFor(t, 3*time.Minute)
			m := startReplTandem(t, "tandem-master", "--repl-diskless-sync", diskless)
			r := startReplRedis(t, "redis-replica")
			interopRun(t, ctx, m, r)
			if strings.Contains(r.proc.LogText(), "CRITICAL") {
				t.Errorf("Redis replica logged a critical error:\n%s", tailText(r.proc.LogText(), 30))
			}
		})
	}
}

// TestInteropChainTandemTandemRedis: Tandem → Tandem → Redis. The middle
// Tandem forwards the stream byte for byte, so the Redis replica at the
// end has the same replid, offset and data.
func TestInteropChainTandemTandemRedis(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	a := startReplTandem(t, "tandem-A")
	b := startReplTandem(t, "tandem-B")
	c := startReplRedis(t, "redis-C")
	c.replicaOf(t, ctx, b.port()) // waits for B to be connected
	interopRun(t, ctx, a, b, c)
	ai, ci := a.info(ctx, "replication"), c.info(ctx, "replication")
	if ai["master_replid"] != ci["master_replid"] {
		t.Errorf("replid %s on A, %s on the Redis at the end of the chain", ai["master_replid"], ci["master_replid"])
	}
	// C synced with the empty B, then once more when B's full sync from A
	// gave it a new history (sub-replicas are dropped then, as in Redis);
	// B's partial resync kept the ID, so C stayed attached.
	if got := b.stat(t, ctx, "sync_full"); got != 2 {
		t.Errorf("B sync_full = %d, want 2", got)
	}
	if got := b.stat(t, ctx, "sync_partial_ok"); got != 0 {
		t.Errorf("C reconnected to B %d times: B's same-ID PSYNC must not drop it", got)
	}
}

// TestInteropChainRedisTandemRedis: Redis → Tandem → Redis, the other way
// round: our replica serves a Redis sub-replica with Redis's stream.
func TestInteropChainRedisTandemRedis(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	a := startReplRedis(t, "redis-A")
	b := startReplTandem(t, "tandem-B")
	c := startReplRedis(t, "redis-C")
	c.replicaOf(t, ctx, b.port())
	interopRun(t, ctx, a, b, c)
	if ai, ci := a.info(ctx, "replication"), c.info(ctx, "replication"); ai["master_replid"] != ci["master_replid"] {
		t.Errorf("replid %s on A, %s on C", ai["master_replid"], ci["master_replid"])
	}
}
