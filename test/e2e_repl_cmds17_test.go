package test

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// TestCmds17WritesReplicateToRedisAndTandem: the writing commands of
// BITFIELD, SORT … STORE, GEOADD and the GEO *STORE searches on a Tandem
// master reach a Redis 7.0 replica and a Tandem replica in the form Redis
// propagates them (BITFIELD and the STORE commands as they are, GEOADD as
// ZADD), and all three end with the same data; the offsets match, so no
// byte of the stream was misunderstood.
func TestCmds17WritesReplicateToRedisAndTandem(t *testing.T) {
	t.Parallel()
	ctx := ctxFor(t, 2*time.Minute)
	m := startReplTandem(t, "tandem-master")
	rr := startReplRedis(t, "redis-replica")
	tr := startReplTandem(t, "tandem-replica")
	rr.replicaOf(t, ctx, m.port())
	tr.replicaOf(t, ctx, m.port())
	waitLinkUp(t, ctx, rr, tr)

	rng := rand.New(rand.NewSource(31))
	ok := 0
	do := func(args ...any) {
		if err := m.c.Do(ctx, args...).Err(); err == nil {
			ok++
		}
	}
	for i := 0; i < 300; i++ {
		k := fmt.Sprintf("bf%d", rng.Intn(5))
		do("BITFIELD", k, "OVERFLOW", []string{"WRAP", "SAT", "FAIL"}[rng.Intn(3)],
			"INCRBY", fmt.Sprintf("i%d", 1+rng.Intn(64)), rng.Intn(200), rng.Int63n(1000)-500,
			"SET", fmt.Sprintf("u%d", 1+rng.Intn(63)), fmt.Sprintf("#%d", rng.Intn(10)), rng.Int63())
		do("RPUSH", "list", rng.Intn(1000))
		do("SADD", "set", fmt.Sprintf("m%d", rng.Intn(200)))
		do("SET", fmt.Sprintf("w_%d", rng.Intn(1000)), rng.Intn(50))
		do("GEOADD", "geo", "CH", (rng.Float64()*2-1)*10, (rng.Float64()*2-1)*10, fmt.Sprintf("p%d", rng.Intn(300)))
		switch i % 10 {
		case 0:
			do("SORT", "list", "BY", "w_*", "STORE", "sorted")
		case 1:
			do("SORT", "set", "BY", "nosort", "STORE", "sorted2") // a set stored sorted ALPHA
		case 2:
			do("SORT", "list", "LIMIT", 0, 0, "STORE", "sorted") // deletes
		case 3:
			do("GEORADIUS", "geo", rng.Float64()*4, rng.Float64()*4, 300+rng.Intn(500), "km", "STOREDIST", "gd")
		case 4:
			do("GEOSEARCHSTORE", "gs", "geo", "FROMMEMBER", fmt.Sprintf("p%d", rng.Intn(300)), "BYBOX", 600, 400, "km", "COUNT", 20, "STOREDIST")
		case 5:
			do("GEORADIUSBYMEMBER", "geo", fmt.Sprintf("p%d", rng.Intn(300)), 500, "km", "STORE", "gr")
		case 6:
			do("GEOSEARCHSTORE", "gs2", "geo", "FROMLONLAT", 0, 0, "BYRADIUS", 700, "km", "DESC")
		case 7:
			do("SORT", "list", "ALPHA", "DESC", "GET", "#", "GET", "w_*", "STORE", "sorted3")
		}
	}
	if ok < 1000 {
		t.Errorf("only %d commands of the traffic succeeded", ok)
	}
	// Checked first: dumpDataset leaves the pooled connection it used on
	// database 15.
	for _, k := range []string{"sorted", "sorted2", "sorted3", "gd", "gs", "gr", "gs2", "geo", "bf0"} {
		if n, _ := m.c.Exists(ctx, k).Result(); n == 0 && k != "sorted" {
			t.Errorf("the traffic never made %s", k)
		}
	}
	waitOffsetsMatch(t, ctx, m, rr, tr)
	requireSameDataset(t, ctx, m, rr, tr)
}
