// Command evictsim measures how well a server's eviction keeps the keys a
// cache needs: the GET hit ratio of a Zipf-distributed read load where
// every miss is followed by a SET of the key (the cache-aside pattern),
// against a server whose maxmemory holds only part of the key space. The
// same seed gives Redis and Tandem the same request sequence
// (bench/maxmemory.sh runs it against both).
//
//	evictsim -addr 127.0.0.1:6379 -keys 1000000 -warm 2000000 -measure 2000000
//
// It prints "hit_ratio <fraction>" for the measured phase.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strings"

	"github.com/redis/go-redis/v9"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "server address")
	keys := flag.Uint64("keys", 1000000, "size of the key space")
	warm := flag.Int("warm", 2000000, "requests before measuring")
	measure := flag.Int("measure", 2000000, "requests measured")
	s := flag.Float64("zipf", 1.01, "Zipf exponent (> 1)")
	size := flag.Int("value", 100, "value size in bytes")
	batch := flag.Int("batch", 100, "GETs per pipeline")
	seed := flag.Int64("seed", 1, "random seed")
	flag.Parse()

	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: *addr, PoolSize: 1})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		fmt.Fprintln(os.Stderr, "evictsim:", err)
		os.Exit(1)
	}
	rng := rand.New(rand.NewSource(*seed))
	z := rand.NewZipf(rng, *s, 1, *keys-1)
	// Keys are scattered over the key space so that the popular ones are
	// not neighbours in any table.
	perm := func(i uint64) string { return fmt.Sprintf("key:%d", (i*2654435761)%*keys) }
	val := strings.Repeat("v", *size)

	run := func(n int) (hits, misses int) {
		names := make([]string, *batch)
		for done := 0; done < n; done += *batch {
			p := c.Pipeline()
			cmds := make([]*redis.StringCmd, *batch)
			for i := range names {
				names[i] = perm(z.Uint64())
				cmds[i] = p.Get(ctx, names[i])
			}
			p.Exec(ctx)
			p = c.Pipeline()
			sets := 0
			for i, cmd := range cmds {
				if cmd.Err() == redis.Nil {
					misses++
					p.Set(ctx, names[i], val, 0)
					sets++
				} else if cmd.Err() == nil {
					hits++
				} else {
					fmt.Fprintln(os.Stderr, "evictsim: GET:", cmd.Err())
					os.Exit(1)
				}
			}
			if sets > 0 {
				if _, err := p.Exec(ctx); err != nil {
					fmt.Fprintln(os.Stderr, "evictsim: SET:", err)
					os.Exit(1)
				}
			}
		}
		return hits, misses
	}
	run(*warm)
	h, m := run(*measure)
	fmt.Printf("hit_ratio %.4f\n", float64(h)/float64(h+m))
}
