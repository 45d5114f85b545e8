package script_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/tandemdb/tandem"
)

// BenchmarkLoop1000 is bench/scripting.sh's loop1000 case in process (an
// embedded server, one client): EVALSHA of a script that makes 1,000
// redis.call, so ns/op / 1000 is the cost of one redis.call, clients and
// network aside. Profile with -cpuprofile; on a busy machine compare the
// process's CPU time (/usr/bin/time) rather than ns/op.
func BenchmarkLoop1000(b *testing.B) {
	c, ctx := embeddedClient(b)
	sha, err := c.ScriptLoad(ctx, "for i = 1, 1000 do redis.call('incr', 'n:' .. KEYS[1]) end return 1").Result()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.EvalSha(ctx, sha, []string{"k"}).Err(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvalGetSet is bench/scripting.sh's get-set case in process:
// EVALSHA of a script making one GET and one SET, so that ns/op is mostly
// the cost of running a small script (client and network aside).
func BenchmarkEvalGetSet(b *testing.B) {
	c, ctx := embeddedClient(b)
	sha, err := c.ScriptLoad(ctx, "local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], 'x') return v").Result()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.EvalSha(ctx, sha, []string{"k"}).Err(); err != nil && err != redis.Nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFcallGetSet is bench/scripting.sh's FCALL case in process: the
// get-set script as a library function.
func BenchmarkFcallGetSet(b *testing.B) {
	c, ctx := embeddedClient(b)
	lib := "#!lua name=benchlib\nredis.register_function('getset', function(keys) local v = redis.call('get', keys[1]) redis.call('set', keys[1], 'x') return v end)"
	if err := c.FunctionLoadReplace(ctx, lib).Err(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.FCall(ctx, "getset", []string{"k"}).Err(); err != nil && err != redis.Nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvalGetSetPipelined is BenchmarkEvalGetSet with 100 EVALSHA
// per round trip over 100,000 keys, as redis-benchmark -r 100000 spreads
// them: the network's share per script is small, so the profile shows
// the per-script cost (the script's set-up, its two calls, its reply).
func BenchmarkEvalGetSetPipelined(b *testing.B) {
	c, ctx := embeddedClient(b)
	sha, err := c.ScriptLoad(ctx, "local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], 'x') return v").Result()
	if err != nil {
		b.Fatal(err)
	}
	keys := make([]string, 100000)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%012d", (i*7919)%len(keys))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += 100 {
		p := c.Pipeline()
		for j := i; j < i+100 && j < b.N; j++ {
			p.EvalSha(ctx, sha, []string{keys[j%len(keys)]})
		}
		if _, err := p.Exec(ctx); err != nil && err != redis.Nil {
			b.Fatal(err)
		}
	}
}

// embeddedClient starts an embedded server for one benchmark and returns
// a client of it; both are closed when the benchmark ends.
func embeddedClient(b *testing.B) (*redis.Client, context.Context) {
	s, err := tandem.Start(tandem.Config{})
	if err != nil {
		b.Fatal(err)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	b.Cleanup(func() {
		c.Close()
		s.Close()
	})
	return c, context.Background()
}
