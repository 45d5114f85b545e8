package test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// An RDB carries each key's idle time under an LRU policy and its LFU
// counter under an LFU one (Redis 7.0's IDLE and FREQ opcodes), and a
// server loading it under the same kind of policy restores them: from
// Tandem to redis-server and back.
func TestRDBCarriesIdleTimeAndFrequency(t *testing.T) {
	t.Parallel()
	// prepare sets k with the given access (RESTORE … IDLETIME/FREQ) on
	// c and saves.
	prepare := func(t *testing.T, ctx context.Context, c *redis.Client, opt string, n int) {
		t.Helper()
		c.Set(ctx, "src", "v", 0)
		payload, err := c.Dump(ctx, "src").Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Do(ctx, "RESTORE", "k", 0, payload, opt, n).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.Save(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name, policy, opt, object string
		n                         int
		tandemFirst               bool
	}{
		{"lru tandem to redis", "allkeys-lru", "IDLETIME", "IDLETIME", 5000, true},
		{"lfu tandem to redis", "allkeys-lfu", "FREQ", "FREQ", 100, true},
		{"lru redis to tandem", "volatile-lru", "IDLETIME", "IDLETIME", 5000, false},
		{"lfu redis to tandem", "volatile-lfu", "FREQ", "FREQ", 100, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start, then := startTandem, startRedis
			if !tc.tandemFirst {
				start, then = startRedis, startTandem
			}
			src := start(t, "--maxmemory-policy", tc.policy)
			prepare(t, ctx, newClient(t, src.Addr(), 2), tc.opt, tc.n)
			dst := then(t, "--maxmemory-policy", tc.policy, "--dir", src.Dir, "--dbfilename", "dump.rdb")
			got, err := newClient(t, dst.Addr(), 2).Do(ctx, "OBJECT", tc.object, "k").Int64()
			if err != nil {
				t.Fatal(err)
			}
			// The idle time goes on growing (by a second or two here);
			// the counter decays only after lfu-decay-time (a minute).
			if got < int64(tc.n) || got > int64(tc.n)+5 {
				t.Fatalf("OBJECT %s k after the load = %d, want %d", tc.object, got, tc.n)
			}
		})
	}
}
