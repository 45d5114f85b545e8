package test

// A randomized test: random writes of every type on the master while the
// links to its replicas (and a chained replica) are cut, paused, delayed
// and blackholed at random through proxies; afterwards every replica must
// hold exactly the master's dataset.
//
// The seed is logged; rerun one with REPL_SEED=<seed>. REPL_RANDOM_SECONDS
// makes the chaos phase of each topology longer (default 5).

import (
	"math/rand"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem/internal/testutil"
)

// TestReplRandomWritesWithFaultyLinks runs the scenario on three
// topologies: all Tandem; a Redis master with Tandem replicas and a Redis
// replica chained below Tandem; a Tandem master with a Redis replica that
// has a Tandem sub-replica, next to a Tandem replica.
func TestReplRandomWritesWithFaultyLinks(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("REPL_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("REPL_SEED: %v", err)
		}
		seed = v
	}
	dur := 5 * time.Second
	if s := os.Getenv("REPL_RANDOM_SECONDS"); s != "" {
		v, _ := strconv.Atoi(s)
		dur = time.Duration(v) * time.Second
	}
	for _, topo := range []struct {
		name          string
		m, r1, r2, r3 string // "tandem" or "redis"; r3 replicates from r1
	}{
		{"tandem", "tandem", "tandem", "tandem", "tandem"},
		{"redis-master", "redis", "tandem", "tandem", "redis"},
		{"redis-replica", "tandem", "redis", "tandem", "tandem"},
	} {
		t.Run(topo.name, func(t *testing.T) {
			t.Logf("seed %d (rerun with REPL_SEED=%d -run 'TestReplRandomWritesWithFaultyLinks/%s')", seed, seed, topo.name)
			randomFaultyLinks(t, seed, dur, topo.m, topo.r1, topo.r2, topo.r3)
		})
	}
}

func randomFaultyLinks(t *testing.T, seed int64, dur time.Duration, kinds ...string) {
	ctx := ctxFor(t, dur+4*time.Minute)
	rng := rand.New(rand.NewSource(seed))
	start := func(kind, name string, args ...string) *replNode {
		if kind == "redis" {
			return startReplRedis(t, name, args...)
		}
		return startReplTandem(t, name, args...)
	}

	// A backlog of a fraction of a second of writes: short faults end in a
	// partial resync, long ones in a full sync. The chained replica hangs
	// below r1.
	common := []string{"--repl-timeout", "5"}
	m := start(kinds[0], "master", append(common, "--repl-backlog-size", "512kb")...)
	r1 := start(kinds[1], "r1", common...)
	r2 := start(kinds[2], "r2", common...)
	r3 := start(kinds[3], "r3", common...)
	p1 := testutil.StartProxy(t, m.proc.Addr())
	p2 := testutil.StartProxy(t, m.proc.Addr())
	p3 := testutil.StartProxy(t, r1.proc.Addr())
	caps := detectCaps(t, ctx, m, r1, r2, r3)
	r1.replicaOf(t, ctx, p1.Port)
	r2.replicaOf(t, ctx, p2.Port)
	waitLinkUp(t, ctx, r1, r2)
	r3.replicaOf(t, ctx, p3.Port)
	waitLinkUp(t, ctx, r3)

	// Writers: one per database 0..3, each with its own random source
	// derived from the seed (their interleaving is not reproducible, the
	// operations are).
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var writeErr error
	ops := 0
	for db := 0; db < 4; db++ {
		c := m.db(t, db)
		wrng := rand.New(rand.NewSource(seed + int64(db) + 1))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				n := 1 + wrng.Intn(8)
				if wrng.Intn(5) == 0 {
					// Transactions propagate as MULTI … EXEC.
					_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
						for i := 0; i < n; i++ {
							p.Do(ctx, replRandomOp(wrng, caps, 300)...)
						}
						return nil
					})
				} else {
					_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
						for i := 0; i < n; i++ {
							p.Do(ctx, replRandomOp(wrng, caps, 300)...)
						}
						return nil
					})
				}
				if err != nil && err != redis.Nil {
					mu.Lock()
					writeErr = err
					mu.Unlock()
					return
				}
				mu.Lock()
				ops += n
				mu.Unlock()
				time.Sleep(time.Duration(wrng.Intn(3)) * time.Millisecond)
			}
		}()
	}

	// Chaos on the three links.
	proxies := []*testutil.Proxy{p1, p2, p3}
	names := []string{"master→r1", "master→r2", "r1→r3"}
	faults := map[string]int{}
	end := time.Now().Add(dur)
	for time.Now().Before(end) {
		i := rng.Intn(len(proxies))
		px := proxies[i]
		hold := time.Duration(50+rng.Intn(700)) * time.Millisecond
		var fault string
		switch rng.Intn(6) {
		case 0:
			fault = "cut"
			px.Cut()
		case 1:
			fault = "down"
			px.Down()
			time.Sleep(hold)
			px.Up()
		case 2:
			fault = "pause"
			px.Pause(true)
			time.Sleep(hold)
			px.Pause(false)
		case 3:
			fault = "blackhole"
			px.Blackhole(true)
			time.Sleep(hold)
			px.Blackhole(false)
		case 4:
			fault = "delay"
			px.SetDelay(time.Duration(1+rng.Intn(20)) * time.Millisecond)
			time.Sleep(hold)
			px.SetDelay(0)
		case 5:
			fault = "kill-master-link"
			r := []*replNode{r1, r2, r3}[i]
			r.c.Do(ctx, "CLIENT", "KILL", "TYPE", "master")
		}
		faults[fault]++
		t.Logf("%6.2fs %-9s %s", time.Until(end).Seconds(), names[i], fault)
		time.Sleep(time.Duration(rng.Intn(400)) * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("writes on the master failed: %v", writeErr)
	}
	for _, px := range proxies {
		px.Up()
		px.Pause(false)
		px.Blackhole(false)
		px.SetDelay(0)
	}
	t.Logf("%d write operations; faults %v", ops, faults)
	waitLinkUp(t, ctx, r1, r2, r3)
	requireSameDataset(t, ctx, m, r1, r2, r3)
	ri := m.info(ctx, "replication")
	for _, r := range []*replNode{r1, r2, r3} {
		if id := r.info(ctx, "replication")["master_replid"]; id != ri["master_replid"] {
			t.Errorf("%s replid %s, master %s", r.name, id, ri["master_replid"])
		}
	}
	t.Logf("master: sync_full=%d sync_partial_ok=%d sync_partial_err=%d; r1 (for r3): sync_full=%d sync_partial_ok=%d",
		m.stat(t, ctx, "sync_full"), m.stat(t, ctx, "sync_partial_ok"), m.stat(t, ctx, "sync_partial_err"),
		r1.stat(t, ctx, "sync_full"), r1.stat(t, ctx, "sync_partial_ok"))

}
